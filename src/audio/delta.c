/* Regression deltas d[t] = sum_{i=1..W} i (x[t+i] - x[t-i]) / (2 sum_{i=1..W} i^2), with the
 * first/last frame repeated beyond the ends. Unlike openSMILE's ComParE configuration, the
 * pitch columns use the same plain regression (its "onlyInSegments" variant keeps a
 * normaliser that never resets, so those deltas shrink over a file; not copied). */
#include "audio/lld_internal.h"

void ef_lld_delta(float *x, int64_t T, int stride, int src, int dst, int n_cols, int W)
{
    EF_ASSERT(W >= 1 && (src + n_cols <= dst || dst + n_cols <= src));
    double denom = 0.0;
    for (int i = 1; i <= W; i++) denom += (double)i * i;
    denom *= 2.0;
    for (int64_t t = 0; t < T; t++) {
        for (int c = 0; c < n_cols; c++) {
            double s = 0.0;
            for (int i = 1; i <= W; i++) {
                const int64_t a = t + i < T ? t + i : T - 1;
                const int64_t b = t - i >= 0 ? t - i : 0;
                s += i * ((double)x[a * stride + src + c] - (double)x[b * stride + src + c]);
            }
            x[t * stride + dst + c] = (float)(s / denom);
        }
    }
}
