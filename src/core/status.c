/* Error reporting: fills caller-owned ef_error structs; never prints except on a bug. */
#include "emofuse/status.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages are one line whatever they quote: an id or JSON key read from a file may hold
 * a newline or an escape sequence (found by fuzz_manifest). Control characters become
 * "\n", "\t" or "\xNN", in place, truncating at the buffer's end. */
static void escape_controls(char *msg, size_t cap)
{
    char tmp[EF_ERROR_MSG_MAX];
    size_t o = 0;
    bool changed = false;
    for (const unsigned char *p = (const unsigned char *)msg; *p && o + 1 < sizeof tmp; p++) {
        if (*p >= 0x20 && *p != 0x7f) {
            tmp[o++] = (char)*p;
            continue;
        }
        changed = true;
        char e[5];
        int k = *p == '\n' ? snprintf(e, sizeof e, "\\n") : *p == '\t' ? snprintf(e, sizeof e, "\\t")
                                                                      : snprintf(e, sizeof e, "\\x%02x", *p);
        if (o + (size_t)k + 1 > sizeof tmp) break;
        memcpy(tmp + o, e, (size_t)k);
        o += (size_t)k;
    }
    if (!changed) return;
    tmp[o] = '\0';
    snprintf(msg, cap, "%s", tmp);
}

ef_code ef_vfail(ef_error *err, ef_code code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        escape_controls(err->msg, sizeof err->msg);
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
    escape_controls(err->msg, sizeof err->msg);
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
