/* Batch normalisation over the valid rows of a (ragged) batch, per channel, with Keras
 * semantics: biased batch variance for normalisation AND for the moving-variance update
 * (tf.keras BatchNormalization, fused or not), moving update written as Keras does:
 *   moving -= (moving - batch) * (1 - momentum).
 *
 * Layout and precision: channels are processed in blocks of 64, rows outer and the
 * channel block inner, so memory is read in order and no scratch is allocated. Sums are
 * taken in float over runs of BN_RB rows (a loop the compiler vectorises) and the run
 * totals are added in double: the error stays at the level of a 128-term float sum
 * however many rows the batch has. The variance is a second pass over (x - mean), so a
 * large mean does not cancel. */
#include <math.h>
#include <stddef.h>

#include "emofuse/nn_layers.h"
#include "emofuse/status.h"

#define BN_CB 64  /* channels per block */
#define BN_RB 128 /* rows per float partial sum */

enum { SUM_X, SUM_SQDEV, SUM_BWD };

/* Column sums over N rows of a channel block (x points at the block's first channel):
 *   SUM_X:     a[c] += x[c]
 *   SUM_SQDEV: a[c] += (x[c] - mu[c])^2
 *   SUM_BWD:   a[c] += d[c],  b[c] += d[c] * (x[c] - mu[c]) * rs[c]   (d = dout)
 * Always inlined: the calls with cn == BN_CB get a constant trip count and vectorise. */
static inline __attribute__((always_inline)) void block_sums(double *a, double *b, const float *x, const float *d,
                                                             const float *mu, const float *rs, int64_t N, int C,
                                                             int cn, int mode)
{
    for (int64_t n0 = 0; n0 < N; n0 += BN_RB) {
        int64_t n1 = n0 + BN_RB < N ? n0 + BN_RB : N;
        float pa[BN_CB] = {0}, pb[BN_CB] = {0};
        for (int64_t n = n0; n < n1; n++) {
            const float *r = x + n * C;
            if (mode == SUM_X) {
                for (int c = 0; c < cn; c++) pa[c] += r[c];
            } else if (mode == SUM_SQDEV) {
                for (int c = 0; c < cn; c++) {
                    float t = r[c] - mu[c];
                    pa[c] += t * t;
                }
            } else {
                const float *g = d + n * C;
                for (int c = 0; c < cn; c++) {
                    pa[c] += g[c];
                    pb[c] += g[c] * ((r[c] - mu[c]) * rs[c]);
                }
            }
        }
        for (int c = 0; c < cn; c++) a[c] += pa[c];
        if (mode == SUM_BWD)
            for (int c = 0; c < cn; c++) b[c] += pb[c];
    }
}

static void column_sums(double *a, double *b, const float *x, const float *d, const float *mu, const float *rs,
                        int64_t N, int C, int cn, int mode)
{
    if (cn == BN_CB)
        block_sums(a, b, x, d, mu, rs, N, C, BN_CB, mode);
    else
        block_sums(a, b, x, d, mu, rs, N, C, cn, mode);
}

/* y = (x - shift) * scale + beta for a channel block. */
static void affine_block(float *out, const float *inp, const float *shift, const float *scale, const float *beta,
                         int64_t N, int C, int cn)
{
    for (int64_t n = 0; n < N; n++) {
        const float *x = inp + n * C;
        float *y = out + n * C;
        for (int c = 0; c < cn; c++) y[c] = (x[c] - shift[c]) * scale[c] + beta[c];
    }
}

void ef_batchnorm_forward_train(float *out, float *mean, float *rstd, float *running_mean, float *running_var,
                                const float *inp, const float *gamma, const float *beta, int64_t N, int C,
                                float momentum, float eps)
{
    EF_ASSERT(N > 0 && C > 0);
    for (int c0 = 0; c0 < C; c0 += BN_CB) {
        int cn = C - c0 < BN_CB ? C - c0 : BN_CB;
        double s1[BN_CB] = {0}, s2[BN_CB] = {0};
        float mu[BN_CB] = {0}, scale[BN_CB], bb[BN_CB];
        column_sums(s1, NULL, inp + c0, NULL, NULL, NULL, N, C, cn, SUM_X);
        for (int c = 0; c < cn; c++) mu[c] = (float)(s1[c] / (double)N);
        column_sums(s2, NULL, inp + c0, NULL, mu, NULL, N, C, cn, SUM_SQDEV);
        for (int c = 0; c < cn; c++) {
            double var = s2[c] / (double)N;
            float rs = (float)(1.0 / sqrt(var + (double)eps));
            mean[c0 + c] = mu[c];
            rstd[c0 + c] = rs;
            scale[c] = rs * gamma[c0 + c];
            bb[c] = beta[c0 + c];
            if (running_mean) running_mean[c0 + c] -= (running_mean[c0 + c] - mu[c]) * (1.0f - momentum);
            if (running_var) running_var[c0 + c] -= (running_var[c0 + c] - (float)var) * (1.0f - momentum);
        }
        affine_block(out + c0, inp + c0, mu, scale, bb, N, C, cn);
    }
}

void ef_batchnorm_forward_infer(float *out, const float *inp, const float *gamma, const float *beta,
                                const float *running_mean, const float *running_var, int64_t N, int C, float eps)
{
    for (int c0 = 0; c0 < C; c0 += BN_CB) {
        int cn = C - c0 < BN_CB ? C - c0 : BN_CB;
        float shift[BN_CB], scale[BN_CB], bb[BN_CB];
        for (int c = 0; c < cn; c++) {
            shift[c] = running_mean[c0 + c];
            scale[c] = (float)(1.0 / sqrt((double)running_var[c0 + c] + (double)eps)) * gamma[c0 + c];
            bb[c] = beta[c0 + c];
        }
        affine_block(out + c0, inp + c0, shift, scale, bb, N, C, cn);
    }
}

void ef_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                           const float *gamma, const float *mean, const float *rstd, int64_t N, int C)
{
    EF_ASSERT(N > 0 && C > 0);
    for (int c0 = 0; c0 < C; c0 += BN_CB) {
        int cn = C - c0 < BN_CB ? C - c0 : BN_CB;
        /* sum(dout) and sum(dout * xhat) per channel give dbeta, dgamma and the two
         * mean terms of the input gradient. */
        double sd[BN_CB] = {0}, sdx[BN_CB] = {0};
        float mu[BN_CB], rs[BN_CB];
        for (int c = 0; c < cn; c++) mu[c] = mean[c0 + c], rs[c] = rstd[c0 + c];
        column_sums(sd, sdx, inp + c0, dout + c0, mu, rs, N, C, cn, SUM_BWD);
        for (int c = 0; c < cn; c++) {
            if (dbeta) dbeta[c0 + c] += (float)sd[c];
            if (dgamma) dgamma[c0 + c] += (float)sdx[c];
        }
        if (!dinp) continue;
        /* dinp += gamma * rstd * (dout - mean(dout) - xhat * mean(dout * xhat)) */
        float k0[BN_CB], k1[BN_CB], k2[BN_CB];
        for (int c = 0; c < cn; c++) {
            k0[c] = gamma[c0 + c] * rs[c];
            k1[c] = (float)(sd[c] / (double)N);
            k2[c] = (float)(sdx[c] / (double)N);
        }
        for (int64_t n = 0; n < N; n++) {
            const float *x = inp + n * C + c0;
            const float *d = dout + n * C + c0;
            float *g = dinp + n * C + c0;
            for (int c = 0; c < cn; c++) {
                float xhat = (x[c] - mu[c]) * rs[c];
                g[c] += k0[c] * (d[c] - k1[c] - xhat * k2[c]);
            }
        }
    }
}
