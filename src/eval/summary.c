/* Summaries of a metric over seeds: numpy-compatible percentiles (default "linear"
 * method: position p/100 * (n-1) in the sorted values, linear interpolation between the
 * two neighbours), median and interquartile range as the paper reports them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/metrics.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p-th percentile of sorted values v (n >= 1). numpy computes lo + (hi - lo) * frac
 * (its _lerp, with the symmetric form for frac >= 0.5); we do the same so that results
 * agree to the last bit in the usual cases. */
static double percentile_sorted(const double *v, int64_t n, double p)
{
    double pos = p / 100.0 * (double)(n - 1);
    int64_t lo = (int64_t)floor(pos);
    if (lo < 0) lo = 0;
    if (lo >= n - 1) return v[n - 1];
    double frac = pos - (double)lo, a = v[lo], b = v[lo + 1], d = b - a;
    return frac >= 0.5 ? b - d * (1.0 - frac) : a + d * frac;
}

ef_code ef_percentile(const double *x, int64_t n, double p, double *out, ef_error *err)
{
    *out = NAN;
    if (p < 0 || p > 100 || isnan(p)) return ef_fail(err, EF_ERR_ARG, "percentile: p = %g is not in [0, 100]", p);
    if (n <= 0) return EF_OK;
    double *v = malloc((size_t)n * sizeof *v);
    if (!v) return ef_fail(err, EF_ERR_NOMEM, "percentile: out of memory");
    memcpy(v, x, (size_t)n * sizeof *v);
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    *out = percentile_sorted(v, n, p);
    free(v);
    return EF_OK;
}

ef_code ef_summarise(const double *x, int64_t n, ef_summary *s, ef_error *err)
{
    s->median = s->q25 = s->q75 = s->iqr = NAN;
    if (n <= 0) return EF_OK;
    double *v = malloc((size_t)n * sizeof *v);
    if (!v) return ef_fail(err, EF_ERR_NOMEM, "summary: out of memory");
    memcpy(v, x, (size_t)n * sizeof *v);
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    s->median = percentile_sorted(v, n, 50);
    s->q25 = percentile_sorted(v, n, 25);
    s->q75 = percentile_sorted(v, n, 75);
    s->iqr = s->q75 - s->q25;
    free(v);
    return EF_OK;
}
