/* Fused, thread-pooled element-wise passes of a branch block in training: batch-norm
 * statistics; BN affine + ReLU (+ the next block's dropout); and ReLU + BN backward
 * reading the incoming gradient wherever it lives (mean-pool gradient, dropout-masked
 * gradient or plain), so no pass materialises an intermediate the next pass re-reads.
 *
 * Numbers: the same arithmetic as ef_batchnorm_forward_train / _backward, ef_relu_* and
 * ef_dropout_* (float partial sums over runs of BN_RB rows, run totals added in double
 * in run order), so the pooled passes give the bits of the unfused layer functions for
 * every thread count: work items are fixed runs / chunks of rows, each writing its own
 * partial or its own rows. */
#include <math.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "nn/model_internal.h"

#define BN_RB 128    /* rows per float partial sum (as layer_batchnorm.c) */
/* Rows per item of the row-parallel passes (no sums across rows: any cut gives the same
 * bits): 512, or 64 for batches under 4096 rows, so the text branch's ~560 rows make 9
 * items for two threads instead of 512 + 48. */
static int64_t rows_item(int64_t N)
{
    return N >= 4096 ? 512 : 64;
}
#define CB 256       /* channels per row buffer */

static inline uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

int64_t ef_bn_part_floats(int64_t N, int C)
{
    return 2 * ((N + BN_RB - 1) / BN_RB) * (int64_t)C;
}

/* ---- statistics --------------------------------------------------------------------- */

typedef struct {
    const float *x;
    const float *mu; /* NULL: sum of x; else sum of (x - mu)^2 */
    float *part;     /* (runs, C) */
    int64_t N;
    int C;
} stats_job;

static void stats_run(void *vctx, int64_t run, int thread)
{
    (void)thread;
    const stats_job *j = vctx;
    int C = j->C;
    int64_t n0 = run * BN_RB, n1 = n0 + BN_RB < j->N ? n0 + BN_RB : j->N;
    float *restrict pa = j->part + run * C;
    memset(pa, 0, (size_t)C * sizeof(float));
    if (!j->mu) {
        for (int64_t n = n0; n < n1; n++) {
            const float *restrict r = j->x + n * C;
            for (int c = 0; c < C; c++) pa[c] += r[c];
        }
    } else {
        const float *restrict mu = j->mu;
        for (int64_t n = n0; n < n1; n++) {
            const float *restrict r = j->x + n * C;
            for (int c = 0; c < C; c++) {
                float t = r[c] - mu[c];
                pa[c] += t * t;
            }
        }
    }
}

static void sum_runs(double *acc, const float *part, int64_t runs, int C)
{
    for (int c = 0; c < C; c++) acc[c] = 0.0;
    for (int64_t r = 0; r < runs; r++)
        for (int c = 0; c < C; c++) acc[c] += part[r * C + c];
}

int ef_bn_train_stats(ef_pool *pool, float *part, double *dbl, float *mean, float *rstd, float *running_mean,
                      float *running_var, const float *pre, int64_t N, int C, float momentum, float eps)
{
    int64_t runs = (N + BN_RB - 1) / BN_RB;
    stats_job j = {pre, NULL, part, N, C};
    ef_pool_run(pool, runs, stats_run, &j);
    sum_runs(dbl, part, runs, C);
    int bad = 0;
    for (int c = 0; c < C; c++) {
        bad |= !isfinite(dbl[c]);
        mean[c] = (float)(dbl[c] / (double)N);
    }
    j.mu = mean;
    ef_pool_run(pool, runs, stats_run, &j);
    sum_runs(dbl, part, runs, C);
    for (int c = 0; c < C; c++) {
        double var = dbl[c] / (double)N;
        rstd[c] = (float)(1.0 / sqrt(var + (double)eps));
        if (running_mean) running_mean[c] -= (running_mean[c] - mean[c]) * (1.0f - momentum);
        if (running_var) running_var[c] -= (running_var[c] - (float)var) * (1.0f - momentum);
    }
    return bad;
}

/* ---- affine + ReLU (+ dropout) -------------------------------------------------------- */

typedef struct {
    float *act, *xdrop;
    const uint8_t *mask;
    float dscale;
    const float *pre, *shift, *scale, *beta;
    int64_t N;
    int C;
    int *bad; /* (items) */
} apply_job;

static void apply_rows(void *vctx, int64_t item, int thread)
{
    (void)thread;
    const apply_job *j = vctx;
    int C = j->C;
    int64_t R = rows_item(j->N), n0 = item * R, n1 = n0 + R < j->N ? n0 + R : j->N;
    float chk[CB];
    int bad = 0;
    for (int c0 = 0; c0 < C; c0 += CB) {
        int cn = C - c0 < CB ? C - c0 : CB;
        const float *restrict sh = j->shift + c0, *restrict sc = j->scale + c0, *restrict be = j->beta + c0;
        for (int c = 0; c < cn; c++) chk[c] = 0.0f;
        for (int64_t n = n0; n < n1; n++) {
            const float *restrict x = j->pre + n * C + c0;
            float *restrict y = j->act + n * C + c0;
            for (int c = 0; c < cn; c++) {
                chk[c] += x[c] * 0.0f;
                float v = (x[c] - sh[c]) * sc[c] + be[c];
                uint32_t u = f2u(v);
                uint32_t is_nan = (u & 0x7fffffffu) > 0x7f800000u;
                uint32_t neg = (u >> 31) & ~is_nan;
                v = u2f(u & (neg - 1u));
                y[c] = v;
                chk[c] += v * 0.0f; /* NaN iff some x or v is NaN or Inf */
            }
            if (j->xdrop) {
                float *restrict d = j->xdrop + n * C + c0;
                const uint8_t *restrict m = j->mask + n * C + c0;
                for (int c = 0; c < cn; c++) d[c] = y[c] * (j->dscale * (float)m[c]);
            }
        }
        for (int c = 0; c < cn; c++) bad |= chk[c] != 0.0f;
    }
    j->bad[item] = bad;
}

int ef_bn_apply_relu(ef_pool *pool, int *bad_items, float *act, float *xdrop, const uint8_t *mask, float dscale,
                     const float *pre, const float *shift, const float *scale, const float *beta, int64_t N, int C)
{
    int64_t items = (N + rows_item(N) - 1) / rows_item(N);
    apply_job j = {act, xdrop, mask, dscale, pre, shift, scale, beta, N, C, bad_items};
    ef_pool_run(pool, items, apply_rows, &j);
    int bad = 0;
    for (int64_t i = 0; i < items; i++) bad |= bad_items[i];
    return bad;
}

/* ---- ReLU + BN backward --------------------------------------------------------------- */

typedef struct {
    const ef_grad_src *src;
    const float *act, *pre, *mu, *rs;
    const float *k0, *k1, *k2; /* pass 2 */
    float *part, *gout;
    int64_t N;
    int C;
} bwd_job;

/* g (cn) = incoming gradient of row n, channels [c0, c0 + cn), masked by the ReLU. */
static inline void row_grad(float *restrict g, const bwd_job *j, int64_t n, int *seq, int c0, int cn)
{
    const ef_grad_src *s = j->src;
    int C = j->C;
    if (s->dpooled) {
        while (s->offsets[*seq + 1] <= n) (*seq)++;
        int64_t T = s->offsets[*seq + 1] - s->offsets[*seq];
        float inv = (float)(1.0 / (double)T);
        const float *restrict d = s->dpooled + (int64_t)*seq * C + c0;
        for (int c = 0; c < cn; c++) g[c] = d[c] * inv;
    } else if (s->mask) {
        const float *restrict d = s->dact + n * C + c0;
        const uint8_t *restrict m = s->mask + n * C + c0;
        for (int c = 0; c < cn; c++) g[c] = d[c] * (s->dscale * (float)m[c]);
    } else {
        memcpy(g, s->dact + n * C + c0, (size_t)cn * sizeof(float));
    }
    const float *restrict a = j->act + n * C + c0;
    for (int c = 0; c < cn; c++) {
        uint32_t keep = 0u - (uint32_t)((int32_t)f2u(a[c]) > 0);
        g[c] = u2f(f2u(g[c]) & keep);
    }
}

static int first_seq(const ef_grad_src *s, int64_t n)
{
    if (!s->dpooled) return 0;
    int a = 0, b = s->B - 1;
    while (a < b) {
        int m = (a + b + 1) / 2;
        if (s->offsets[m] <= n) a = m;
        else b = m - 1;
    }
    return a;
}

static void bwd_sums_run(void *vctx, int64_t run, int thread)
{
    (void)thread;
    const bwd_job *j = vctx;
    int C = j->C;
    int64_t n0 = run * BN_RB, n1 = n0 + BN_RB < j->N ? n0 + BN_RB : j->N;
    float *restrict pa = j->part + run * 2 * C, *restrict pb = pa + C;
    memset(pa, 0, 2 * (size_t)C * sizeof(float));
    float g[CB];
    for (int c0 = 0; c0 < C; c0 += CB) {
        int cn = C - c0 < CB ? C - c0 : CB;
        int seq = first_seq(j->src, n0);
        const float *restrict mu = j->mu + c0, *restrict rs = j->rs + c0;
        for (int64_t n = n0; n < n1; n++) {
            row_grad(g, j, n, &seq, c0, cn);
            const float *restrict x = j->pre + n * C + c0;
            for (int c = 0; c < cn; c++) {
                pa[c0 + c] += g[c];
                pb[c0 + c] += g[c] * ((x[c] - mu[c]) * rs[c]);
            }
        }
    }
}

static void bwd_apply_rows(void *vctx, int64_t item, int thread)
{
    (void)thread;
    const bwd_job *j = vctx;
    int C = j->C;
    int64_t R = rows_item(j->N), n0 = item * R, n1 = n0 + R < j->N ? n0 + R : j->N;
    float g[CB];
    for (int c0 = 0; c0 < C; c0 += CB) {
        int cn = C - c0 < CB ? C - c0 : CB;
        int seq = first_seq(j->src, n0);
        const float *restrict mu = j->mu + c0, *restrict rs = j->rs + c0;
        const float *restrict k0 = j->k0 + c0, *restrict k1 = j->k1 + c0, *restrict k2 = j->k2 + c0;
        for (int64_t n = n0; n < n1; n++) {
            row_grad(g, j, n, &seq, c0, cn);
            const float *restrict x = j->pre + n * C + c0;
            float *restrict o = j->gout + n * C + c0;
            for (int c = 0; c < cn; c++) {
                float xhat = (x[c] - mu[c]) * rs[c];
                o[c] = 0.0f + k0[c] * (g[c] - k1[c] - xhat * k2[c]);
            }
        }
    }
}

void ef_bn_relu_backward(ef_pool *pool, float *part, double *dbl, float *kbuf, float *gout, float *dgamma,
                         float *dbeta, const ef_grad_src *src, const float *act, const float *pre, const float *gamma,
                         const float *mean, const float *rstd, int64_t N, int C)
{
    int64_t runs = (N + BN_RB - 1) / BN_RB;
    bwd_job j = {src, act, pre, mean, rstd, NULL, NULL, NULL, part, gout, N, C};
    ef_pool_run(pool, runs, bwd_sums_run, &j);
    double *sd = dbl, *sdx = dbl + C;
    for (int c = 0; c < C; c++) sd[c] = sdx[c] = 0.0;
    for (int64_t r = 0; r < runs; r++)
        for (int c = 0; c < C; c++) {
            sd[c] += part[r * 2 * C + c];
            sdx[c] += part[r * 2 * C + C + c];
        }
    for (int c = 0; c < C; c++) {
        if (dbeta) dbeta[c] += (float)sd[c];
        if (dgamma) dgamma[c] += (float)sdx[c];
    }
    if (!gout) return;
    float *k0 = kbuf, *k1 = kbuf + C, *k2 = kbuf + 2 * C;
    for (int c = 0; c < C; c++) {
        k0[c] = gamma[c] * rstd[c];
        k1[c] = (float)(sd[c] / (double)N);
        k2[c] = (float)(sdx[c] / (double)N);
    }
    j.k0 = k0, j.k1 = k1, j.k2 = k2;
    ef_pool_run(pool, (N + rows_item(N) - 1) / rows_item(N), bwd_apply_rows, &j);
}

/* ---- mean pooling --------------------------------------------------------------------- */

typedef struct {
    float *out;
    const float *inp;
    const int64_t *offsets;
    int C;
} pool_job;

static void pool_seq(void *vctx, int64_t b, int thread)
{
    (void)thread;
    const pool_job *j = vctx;
    ef_meanpool_forward(j->out + b * j->C, j->inp, j->offsets + b, 1, j->C);
}

void ef_meanpool_forward_pool(ef_pool *pool, float *out, const float *inp, const int64_t *offsets, int B, int C)
{
    pool_job j = {out, inp, offsets, C};
    ef_pool_run(pool, B, pool_seq, &j);
}
