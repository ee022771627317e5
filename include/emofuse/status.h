/* Status codes and error messages shared by every emofuse module.
 *
 * Contract: a library function that can fail returns an ef_code and, when it fails,
 * fills the caller's ef_error (which may be NULL) with a one-line message of the form
 * "<file or object>: <cause>". Library code never prints and never exits; only the CLI
 * decides to print "error: <message>" and exit non-zero. */
#ifndef EMOFUSE_STATUS_H
#define EMOFUSE_STATUS_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    EF_OK = 0,
    EF_ERR_ARG,         /* bad argument or option value */
    EF_ERR_IO,          /* open/read/write/rename failed */
    EF_ERR_FORMAT,      /* malformed or unsupported file content */
    EF_ERR_NOMEM,       /* allocation failed */
    EF_ERR_NUMERIC,     /* NaN/Inf or other numerical breakdown */
    EF_ERR_INTERRUPTED, /* the user asked us to stop (SIGINT/SIGTERM) */
    EF_ERR_NETWORK,     /* download failed */
    EF_ERR_INTERNAL     /* a bug: an invariant did not hold */
} ef_code;

#define EF_ERROR_MSG_MAX 1024

typedef struct {
    ef_code code;
    char msg[EF_ERROR_MSG_MAX];
} ef_error;

/* Fill err (if not NULL) with code and a printf-style message; returns code so that
 * callers can write `return ef_fail(err, EF_ERR_IO, "%s: %s", path, strerror(errno));`. */
ef_code ef_fail(ef_error *err, ef_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ef_code ef_vfail(ef_error *err, ef_code code, const char *fmt, va_list ap);

/* Prefix an existing message: "<prefix>: <old message>". Returns err->code. */
ef_code ef_error_prefix(ef_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset err to EF_OK with an empty message. */
void ef_error_clear(ef_error *err);

/* Short name of a code, e.g. "I/O error". */
const char *ef_code_name(ef_code code);

/* Internal invariants: abort with file:line. For bugs only, never for bad input. */
#define EF_ASSERT(cond)                                                         \
    do {                                                                        \
        if (!(cond)) ef_assert_fail(#cond, __FILE__, __LINE__);                 \
    } while (0)
#ifdef __cplusplus
[[noreturn]] void ef_assert_fail(const char *expr, const char *file, int line);
#else
_Noreturn void ef_assert_fail(const char *expr, const char *file, int line);
#endif

#ifdef __cplusplus
}
#endif
#endif
