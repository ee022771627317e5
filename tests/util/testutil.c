/* Implementation of the tiny test harness in testutil.h. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ef_test_failures;
int ef_test_checks;

static bool close_generic(const char *what, size_t n, double atol, double rtol, double (*get)(const void *, size_t),
                          const void *got, const void *ref)
{
    size_t worst = 0, bad = 0;
    double worst_excess = -1;
    for (size_t i = 0; i < n; i++) {
        double g = get(got, i), r = get(ref, i);
        double tol = atol + rtol * fabs(r);
        double diff = fabs(g - r);
        bool ok = diff <= tol && !isnan(g) && !isnan(r);
        if (isnan(g) && isnan(r)) ok = true;
        if (!ok) {
            bad++;
            double excess = isnan(diff) ? INFINITY : diff - tol;
            if (excess > worst_excess) {
                worst_excess = excess;
                worst = i;
            }
        }
    }
    ef_test_checks++;
    if (bad) {
        ef_test_failures++;
        fprintf(stderr, "%s: %zu of %zu elements outside |a-b| <= %g + %g|ref|; worst [%zu]: got %.9g ref %.9g\n",
                what, bad, n, atol, rtol, worst, get(got, worst), get(ref, worst));
        return false;
    }
    return true;
}

static double get_f(const void *p, size_t i) { return ((const float *)p)[i]; }
static double get_d(const void *p, size_t i) { return ((const double *)p)[i]; }

bool ef_test_close(const char *what, const float *got, const float *ref, size_t n, double atol, double rtol)
{
    return close_generic(what, n, atol, rtol, get_f, got, ref);
}

bool ef_test_close_d(const char *what, const double *got, const double *ref, size_t n, double atol, double rtol)
{
    return close_generic(what, n, atol, rtol, get_d, got, ref);
}

const char *ef_test_shared_dir(void)
{
    const char *d = getenv("EMOFUSE_SHARED");
    struct stat st;
    if (d && stat(d, &st) == 0 && S_ISDIR(st.st_mode)) return d;
    if (stat("../shared", &st) == 0 && S_ISDIR(st.st_mode)) return "../shared";
    return NULL;
}

const char *ef_test_fixtures_dir(void)
{
    const char *d = getenv("EMOFUSE_FIXTURES");
    return d ? d : "tests/fixtures";
}

void ef_test_skip(const char *why)
{
    printf("SKIP: %s\n", why);
    exit(77);
}

const char *ef_test_tmpdir(void)
{
    static char buf[256];
    if (!buf[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(buf, sizeof buf, "%s/emofuse-test-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(buf)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    return buf;
}

int ef_test_exit(void)
{
    if (ef_test_failures) {
        fprintf(stderr, "FAILED: %d of %d checks\n", ef_test_failures, ef_test_checks);
        return 1;
    }
    if (ef_test_checks == 0) { /* a test that cannot fail is a defect */
        fprintf(stderr, "FAILED: the test made no checks\n");
        return 1;
    }
    printf("ok: %d checks\n", ef_test_checks);
    return 0;
}
