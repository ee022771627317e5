/* Masked mean pooling over time (ragged batch -> one row per sequence) and channel
 * concatenation, forward and backward. */
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/status.h"

/* Channel block for the double accumulators: rows outer, channels inner, no allocation. */
#define POOL_CB 64

void ef_meanpool_forward(float *out, const float *inp, const int64_t *offsets, int B, int C)
{
    for (int b = 0; b < B; b++) {
        int64_t s = offsets[b], T = offsets[b + 1] - offsets[b];
        EF_ASSERT(T >= 0);
        for (int c0 = 0; c0 < C; c0 += POOL_CB) {
            int cn = C - c0 < POOL_CB ? C - c0 : POOL_CB;
            double acc[POOL_CB] = {0};
            for (int64_t t = 0; t < T; t++) {
                const float *x = inp + (s + t) * C + c0;
                for (int c = 0; c < cn; c++) acc[c] += x[c];
            }
            /* An empty sequence pools to zeros (nothing to average). */
            for (int c = 0; c < cn; c++) out[(int64_t)b * C + c0 + c] = T ? (float)(acc[c] / (double)T) : 0.0f;
        }
    }
}

void ef_meanpool_backward(float *dinp, const float *dout, const int64_t *offsets, int B, int C)
{
    for (int b = 0; b < B; b++) {
        int64_t s = offsets[b], T = offsets[b + 1] - offsets[b];
        if (T <= 0) continue;
        float inv = (float)(1.0 / (double)T);
        const float *d = dout + (int64_t)b * C;
        for (int64_t t = 0; t < T; t++) {
            float *g = dinp + (s + t) * C;
            for (int c = 0; c < C; c++) g[c] += d[c] * inv;
        }
    }
}

void ef_concat_forward(float *out, const float *a, const float *b, int64_t N, int C1, int C2)
{
    int C = C1 + C2;
    for (int64_t n = 0; n < N; n++) {
        memcpy(out + n * C, a + n * C1, (size_t)C1 * sizeof(float));
        memcpy(out + n * C + C1, b + n * C2, (size_t)C2 * sizeof(float));
    }
}

void ef_concat_backward(float *da, float *db, const float *dout, int64_t N, int C1, int C2)
{
    int C = C1 + C2;
    for (int64_t n = 0; n < N; n++) {
        const float *d = dout + n * C;
        if (da)
            for (int c = 0; c < C1; c++) da[n * C1 + c] += d[c];
        if (db)
            for (int c = 0; c < C2; c++) db[n * C2 + c] += d[C1 + c];
    }
}
