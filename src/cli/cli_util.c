/* Error printing and strict option parsing shared by all subcommands. */
#include "cli/cli.h"
#include "emofuse/atomic_file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_fail(const ef_error *err)
{
    fprintf(stderr, "error: %s\n", err && err->msg[0] ? err->msg : "unknown failure");
    return 1;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

bool cli_parse_int(const char *option, const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || v < min || v > max) {
        cli_usage_error("%s: expected an integer in [%ld, %ld], got '%s'", option, min, max, s ? s : "");
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_double(const char *option, const char *s, double min, double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || !*s || *end || errno || !isfinite(v) || v < min || v > max) {
        cli_usage_error("%s: expected a number in [%g, %g], got '%s'", option, min, max, s ? s : "");
        return false;
    }
    *out = v;
    return true;
}

bool cli_is_help(const char *arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

bool cli_output_clobbers_input(const char *out, ...)
{
    va_list ap;
    va_start(ap, out);
    const char *in;
    bool same = false;
    while (!same && (in = va_arg(ap, const char *)) != (const char *)-1) {
        if (in && ef_same_file(out, in)) {
            cli_usage_error("%s: is also the input %s; refusing to overwrite it", out, in);
            same = true;
        }
    }
    va_end(ap);
    return same;
}

/* Digits only: sscanf's %d would also take " 9", "+9" and "9 " (trailing blanks). */
static bool parse_digits(const char **s, long max, long *out)
{
    const char *p = *s;
    long v = 0;
    if (*p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        if (v > max) return false;
    }
    *s = p;
    *out = v;
    return true;
}

bool cli_parse_layers(const char *option, const char *s, int *first, int *count)
{
    const char *p = s ? s : "";
    long f = 0, n = 0;
    if (!parse_digits(&p, 4096, &f) || *p++ != ':' || !parse_digits(&p, 4096, &n) || *p || n < 1) {
        cli_usage_error("%s: expected FIRST:COUNT with FIRST >= 0 and COUNT >= 1 (e.g. 9:4), got '%s'", option,
                        s ? s : "");
        return false;
    }
    *first = (int)f;
    *count = (int)n;
    return true;
}
