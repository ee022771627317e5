/* Minimal test harness: CHECK macros that count failures, tolerance comparison in the
 * project's form |a - b| <= atol + rtol * |ref|, and helpers to locate shared data and
 * fixtures. A test's main() returns ef_test_exit() (0 pass, 1 fail, 77 skipped). */
#ifndef EMOFUSE_TESTUTIL_H
#define EMOFUSE_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

extern int ef_test_failures;
extern int ef_test_checks;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        ef_test_checks++;                                                               \
        if (!(cond)) {                                                                  \
            ef_test_failures++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                               \
    } while (0)

#define CHECK_MSG(cond, ...)                                                            \
    do {                                                                                \
        ef_test_checks++;                                                               \
        if (!(cond)) {                                                                  \
            ef_test_failures++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                               \
            fputc('\n', stderr);                                                        \
        }                                                                               \
    } while (0)

/* Compare arrays; prints the worst element on failure. Returns true when all are close. */
bool ef_test_close(const char *what, const float *got, const float *ref, size_t n, double atol, double rtol);
bool ef_test_close_d(const char *what, const double *got, const double *ref, size_t n, double atol, double rtol);

/* Path of ../shared (env EMOFUSE_SHARED) if it exists, else NULL. */
const char *ef_test_shared_dir(void);
/* Directory of committed fixtures (env EMOFUSE_FIXTURES, default "tests/fixtures"). */
const char *ef_test_fixtures_dir(void);
/* Print "SKIP: <why>" and exit 77 (CTest counts it as skipped). */
_Noreturn void ef_test_skip(const char *why);
/* Fresh temporary directory (removed by the OS tmp cleaner; tests may rm -rf it). */
const char *ef_test_tmpdir(void);

/* Summary line + exit code. */
int ef_test_exit(void);

#endif
