/* Error reporting: fills caller-owned ef_error structs; never prints except on a bug. */
#include "emofuse/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ef_code ef_vfail(ef_error *err, ef_code code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

ef_code ef_fail(ef_error *err, ef_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ef_vfail(err, code, fmt, ap);
    va_end(ap);
    return code;
}

ef_code ef_error_prefix(ef_error *err, const char *fmt, ...)
{
    if (!err) return EF_ERR_INTERNAL;
    char prefix[EF_ERROR_MSG_MAX];
    char old[EF_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is acceptable for an error message; build it piecewise to say so. */
    size_t n = strnlen(prefix, sizeof err->msg - 3);
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof err->msg - n - 3;
    size_t m = strnlen(old, room);
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
    return err->code;
}

void ef_error_clear(ef_error *err)
{
    if (err) {
        err->code = EF_OK;
        err->msg[0] = '\0';
    }
}

const char *ef_code_name(ef_code code)
{
    switch (code) {
    case EF_OK: return "ok";
    case EF_ERR_ARG: return "invalid argument";
    case EF_ERR_IO: return "I/O error";
    case EF_ERR_FORMAT: return "format error";
    case EF_ERR_NOMEM: return "out of memory";
    case EF_ERR_NUMERIC: return "numerical error";
    case EF_ERR_INTERRUPTED: return "interrupted";
    case EF_ERR_NETWORK: return "network error";
    case EF_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}

void ef_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "emofuse: internal error: %s:%d: assertion '%s' failed\n", file, line, expr);
    abort();
}
