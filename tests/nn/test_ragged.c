/* Ragged batches versus the pad-and-mask formulation, and determinism.
 *
 * A small network conv(K=5) -> BN -> ReLU -> conv(K=4) -> meanpool -> dense -> weighted
 * cross-entropy runs (a) through the library on a ragged batch (rows back to back, no
 * padding) and (b) through a naive implementation in this file on a zero-padded
 * (B, TMAX, C) batch with a mask, where padding frames are zeroed after every layer,
 * batch statistics and means are taken over valid frames only, and the kernels read the
 * padding zeros. Lengths are unequal and include 1 and an empty sequence. Forward
 * outputs, the loss and every gradient must agree within 1e-5 + 1e-4 |ref| (float32,
 * different summation order).
 * Determinism: the same seed (Glorot init, dropout, Adam) gives bit-identical weights. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/nn_optim.h"
#include "testutil.h"

enum { B = 8, C = 7, H1 = 8, H2 = 6, K1 = 5, K2 = 4, NC = 4 };
static const int LENS[B] = {13, 1, 0, 7, 25, 2, 9, 4};
static int64_t OFFS[B + 1];
static int TMAX;
static int64_t N;

/* All parameters in one block (llm.c style), with pointers into it. */
typedef struct {
    float *w1, *b1;  /* (H1, C, K1), (H1) */
    float *g, *be;   /* (H1), (H1) */
    float *w2, *b2;  /* (H2, H1, K2), (H2) */
    float *wd, *bd;  /* (NC, H2), (NC) */
} net;

#define NPARAMS (H1 * C * K1 + H1 + 2 * H1 + H2 * H1 * K2 + H2 + NC * H2 + NC)
static const int64_t BLOCK_SIZES[8] = {H1 * C * K1, H1, H1, H1, H2 * H1 * K2, H2, NC * H2, NC};

static net net_view(float *p)
{
    net n;
    float **f[8] = {&n.w1, &n.b1, &n.g, &n.be, &n.w2, &n.b2, &n.wd, &n.bd};
    for (int i = 0; i < 8; i++) {
        *f[i] = p;
        p += BLOCK_SIZES[i];
    }
    return n;
}

static float *fz(int64_t n) { return calloc((size_t)(n ? n : 1), sizeof(float)); }

/* ---------------- (a) library, ragged ---------------- */

typedef struct {
    float *a1, *a2, *a3, *a4, *pool, *logits, *mean, *rstd, *rm, *rv, *probs, *dlogits;
    uint8_t *mask;
} acts;

static acts acts_new(void)
{
    acts a = {fz(N * H1), fz(N * H1), fz(N * H1), fz(N * H2), fz(B * H2), fz(B * NC), fz(H1), fz(H1), fz(H1),
              fz(H1), fz(B * NC), fz(B * NC), malloc((size_t)(N * H1))};
    for (int i = 0; i < H1; i++) a.rv[i] = 1.0f;
    return a;
}

static void acts_free(acts *a)
{
    float *f[] = {a->a1, a->a2, a->a3, a->a4, a->pool, a->logits, a->mean, a->rstd, a->rm, a->rv, a->probs,
                  a->dlogits};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) free(f[i]);
    free(a->mask);
}

/* Forward + backward; dropout (rate > 0) uses rng. Gradients ADD into grad (NPARAMS)
 * and dx (N, C). Returns the loss. */
static float lib_step(float *params, float *grad, float *dx, const float *x, const int32_t *y, const float *cw,
                      acts *a, float rate, ef_rng *rng)
{
    net p = net_view(params), g = net_view(grad);
    CHECK(ef_conv1d_forward(a->a1, x, p.w1, p.b1, OFFS, B, C, H1, K1, NULL) == EF_OK);
    ef_batchnorm_forward_train(a->a2, a->mean, a->rstd, a->rm, a->rv, a->a1, p.g, p.be, N, H1, 0.99f, 1e-3f);
    ef_relu_forward(a->a3, a->a2, N * H1);
    if (rate > 0) ef_dropout_forward(a->a3, a->mask, a->a3, N * H1, rate, rng);
    CHECK(ef_conv1d_forward(a->a4, a->a3, p.w2, p.b2, OFFS, B, H1, H2, K2, NULL) == EF_OK);
    ef_meanpool_forward(a->pool, a->a4, OFFS, B, H2);
    ef_dense_forward(a->logits, a->pool, p.wd, p.bd, B, H2, NC);
    float L = ef_weighted_xent_forward_backward(a->probs, a->dlogits, a->logits, y, cw, B, NC);

    float *dpool = fz(B * H2), *da4 = fz(N * H2), *da3 = fz(N * H1), *da1 = fz(N * H1);
    ef_dense_backward(dpool, g.wd, g.bd, a->dlogits, a->pool, p.wd, B, H2, NC);
    ef_meanpool_backward(da4, dpool, OFFS, B, H2);
    CHECK(ef_conv1d_backward(da3, g.w2, g.b2, da4, a->a3, p.w2, OFFS, B, H1, H2, K2, NULL) == EF_OK);
    if (rate > 0) ef_dropout_backward(da1, da3, a->mask, N * H1, rate), memcpy(da3, da1, (size_t)(N * H1) * 4);
    ef_relu_backward(da3, da3, a->a2, N * H1); /* in place; a2 > 0 <=> relu output > 0 */
    memset(da1, 0, (size_t)(N * H1) * sizeof(float));
    ef_batchnorm_backward(da1, g.g, g.be, da3, a->a1, p.g, a->mean, a->rstd, N, H1);
    CHECK(ef_conv1d_backward(dx, g.w1, g.b1, da1, x, p.w1, OFFS, B, C, H1, K1, NULL) == EF_OK);
    free(dpool), free(da4), free(da3), free(da1);
    return L;
}

/* ---------------- (b) naive, padded + mask ---------------- */

#define P(b, t, c, CC) (((int64_t)(b) * TMAX + (t)) * (CC) + (c))

static void pad_conv_fwd(float *out, const float *x, const float *w, const float *bias, int CI, int CO, int K)
{
    int pl = (K - 1) / 2;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < TMAX; t++)
            for (int o = 0; o < CO; o++) {
                double s = 0;
                if (t < LENS[b]) { /* padding frames stay zero: the mask */
                    s = bias[o];
                    for (int k = 0; k < K; k++) {
                        int src = t + k - pl;
                        if (src < 0 || src >= TMAX) continue; /* zero padding; frames >= len are zero */
                        for (int c = 0; c < CI; c++) s += (double)w[(o * CI + c) * K + k] * x[P(b, src, c, CI)];
                    }
                }
                out[P(b, t, o, CO)] = (float)s;
            }
}

static void pad_conv_bwd(float *dx, float *dw, float *db, const float *dout, const float *x, const float *w, int CI,
                         int CO, int K)
{
    int pl = (K - 1) / 2;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < LENS[b]; t++)
            for (int o = 0; o < CO; o++) {
                float d = dout[P(b, t, o, CO)];
                db[o] += d;
                for (int k = 0; k < K; k++) {
                    int src = t + k - pl;
                    if (src < 0 || src >= TMAX) continue;
                    for (int c = 0; c < CI; c++) {
                        if (src < LENS[b]) dx[P(b, src, c, CI)] += w[(o * CI + c) * K + k] * d;
                        dw[(o * CI + c) * K + k] += x[P(b, src, c, CI)] * d;
                    }
                }
            }
}

static float pad_step(const float *params, float *grad, float *dxp, const float *xp, const int32_t *y, const float *cw,
                      float *logits_out)
{
    net p = net_view((float *)params), g = net_view(grad);
    int64_t PN = (int64_t)B * TMAX;
    float *a1 = fz(PN * H1), *a2 = fz(PN * H1), *a3 = fz(PN * H1), *a4 = fz(PN * H2), *pool = fz(B * H2);
    double mean[H1], var[H1];
    pad_conv_fwd(a1, xp, p.w1, p.b1, C, H1, K1);
    int64_t cnt = 0;
    for (int b = 0; b < B; b++) cnt += LENS[b];
    for (int c = 0; c < H1; c++) {
        double s = 0, s2 = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < LENS[b]; t++) s += a1[P(b, t, c, H1)];
        mean[c] = s / cnt;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < LENS[b]; t++) s2 += pow(a1[P(b, t, c, H1)] - mean[c], 2);
        var[c] = s2 / cnt;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < LENS[b]; t++) {
                double v = (a1[P(b, t, c, H1)] - mean[c]) / sqrt(var[c] + 1e-3) * p.g[c] + p.be[c];
                a2[P(b, t, c, H1)] = (float)v;
                a3[P(b, t, c, H1)] = v > 0 ? (float)v : 0.0f;
            }
    }
    pad_conv_fwd(a4, a3, p.w2, p.b2, H1, H2, K2);
    for (int b = 0; b < B; b++)
        for (int c = 0; c < H2; c++) {
            double s = 0;
            for (int t = 0; t < LENS[b]; t++) s += a4[P(b, t, c, H2)];
            pool[b * H2 + c] = LENS[b] ? (float)(s / LENS[b]) : 0.0f;
        }
    double L = 0;
    float dlog[B * NC];
    for (int b = 0; b < B; b++) {
        double z[NC], mx = -1e300, se = 0;
        for (int k = 0; k < NC; k++) {
            z[k] = p.bd[k];
            for (int c = 0; c < H2; c++) z[k] += (double)p.wd[k * H2 + c] * pool[b * H2 + c];
            logits_out[b * NC + k] = (float)z[k];
            mx = z[k] > mx ? z[k] : mx;
        }
        for (int k = 0; k < NC; k++) se += exp(z[k] - mx);
        L += cw[y[b]] * (log(se) + mx - z[y[b]]);
        for (int k = 0; k < NC; k++)
            dlog[b * NC + k] = (float)(cw[y[b]] / B * (exp(z[k] - mx) / se - (k == y[b])));
    }
    /* backward */
    float dpool[B * H2] = {0};
    for (int b = 0; b < B; b++)
        for (int k = 0; k < NC; k++) {
            g.bd[k] += dlog[b * NC + k];
            for (int c = 0; c < H2; c++) {
                g.wd[k * H2 + c] += dlog[b * NC + k] * pool[b * H2 + c];
                dpool[b * H2 + c] += dlog[b * NC + k] * p.wd[k * H2 + c];
            }
        }
    float *da4 = fz(PN * H2), *da3 = fz(PN * H1), *da1 = fz(PN * H1);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < LENS[b]; t++)
            for (int c = 0; c < H2; c++) da4[P(b, t, c, H2)] = dpool[b * H2 + c] / LENS[b];
    pad_conv_bwd(da3, g.w2, g.b2, da4, a3, p.w2, H1, H2, K2);
    for (int c = 0; c < H1; c++) {
        double rstd = 1.0 / sqrt(var[c] + 1e-3), sd = 0, sdx = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < LENS[b]; t++) {
                double d = a2[P(b, t, c, H1)] > 0 ? da3[P(b, t, c, H1)] : 0.0;
                double xh = (a1[P(b, t, c, H1)] - mean[c]) * rstd;
                sd += d, sdx += d * xh;
            }
        g.be[c] += (float)sd, g.g[c] += (float)sdx;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < LENS[b]; t++) {
                double d = a2[P(b, t, c, H1)] > 0 ? da3[P(b, t, c, H1)] : 0.0;
                double xh = (a1[P(b, t, c, H1)] - mean[c]) * rstd;
                da1[P(b, t, c, H1)] = (float)(p.g[c] * rstd * (d - sd / cnt - xh * sdx / cnt));
            }
    }
    pad_conv_bwd(dxp, g.w1, g.b1, da1, xp, p.w1, C, H1, K1);
    free(a1), free(a2), free(a3), free(a4), free(pool), free(da4), free(da3), free(da1);
    return (float)(L / B);
}

static void init_params(float *params, uint64_t seed)
{
    ef_rng r;
    ef_rng_seed(&r, seed);
    net p = net_view(params);
    memset(params, 0, NPARAMS * sizeof(float));
    ef_glorot_uniform(p.w1, H1 * C * K1, C * K1, H1 * K1, &r);
    ef_glorot_uniform(p.w2, H2 * H1 * K2, H1 * K2, H2 * K2, &r);
    ef_glorot_uniform(p.wd, NC * H2, H2, NC, &r);
    for (int i = 0; i < H1; i++) p.g[i] = 1.0f, p.b1[i] = 0.1f * (float)(i % 3);
    for (int i = 0; i < H2; i++) p.b2[i] = -0.05f * (float)i;
    for (int i = 0; i < NC; i++) p.bd[i] = 0.01f * (float)i;
}

static void test_ragged_vs_padded(const float *x, const int32_t *y, const float *cw)
{
    float *params = fz(NPARAMS), *g1 = fz(NPARAMS), *g2 = fz(NPARAMS), *dx = fz(N * C);
    int64_t PN = (int64_t)B * TMAX;
    float *xp = fz(PN * C), *dxp = fz(PN * C), *dxp_rows = fz(N * C), *logits_pad = fz(B * NC);
    init_params(params, 5);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < LENS[b]; t++) memcpy(xp + P(b, t, 0, C), x + (OFFS[b] + t) * C, C * sizeof(float));
    acts a = acts_new();
    float L1 = lib_step(params, g1, dx, x, y, cw, &a, 0.0f, NULL);
    float L2 = pad_step(params, g2, dxp, xp, y, cw, logits_pad);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < LENS[b]; t++) memcpy(dxp_rows + (OFFS[b] + t) * C, dxp + P(b, t, 0, C), C * sizeof(float));
    ef_test_close("ragged vs padded: logits", a.logits, logits_pad, B * NC, 1e-5, 1e-4);
    ef_test_close("ragged vs padded: loss", &L1, &L2, 1, 1e-5, 1e-4);
    ef_test_close("ragged vs padded: dinp", dx, dxp_rows, (size_t)(N * C), 1e-5, 1e-4);
    const char *names[8] = {"conv1 w", "conv1 b", "gamma", "beta", "conv2 w", "conv2 b", "dense w", "dense b"};
    int64_t off = 0;
    for (int i = 0; i < 8; i++) {
        char what[64];
        snprintf(what, sizeof what, "ragged vs padded: d%s", names[i]);
        ef_test_close(what, g1 + off, g2 + off, (size_t)BLOCK_SIZES[i], 1e-5, 1e-4);
        off += BLOCK_SIZES[i];
    }
    /* The empty sequence pools to zeros and gets no gradient rows (it has none). */
    for (int c = 0; c < H2; c++) CHECK(a.pool[2 * H2 + c] == 0.0f);
    double gs = 0;
    for (int64_t i = 0; i < NPARAMS; i++) gs += fabs(g1[i]);
    CHECK_MSG(gs > 1e-2, "gradient magnitude %g", gs);
    acts_free(&a);
    free(params), free(g1), free(g2), free(dx), free(xp), free(dxp), free(dxp_rows), free(logits_pad);
}

/* Three Adam steps with dropout from a seed; returns the final parameters (NPARAMS). */
static float *train(const float *x, const int32_t *y, const float *cw, uint64_t seed)
{
    float *params = fz(NPARAMS), *grad = fz(NPARAMS), *dx = fz(N * C);
    init_params(params, seed);
    ef_rng rng;
    ef_rng_seed(&rng, seed + 1);
    ef_adam_config cfg = ef_adam_default_params();
    cfg.warmup_steps = 2;
    ef_adam opt;
    EF_ASSERT(ef_adam_init(&opt, NPARAMS, &cfg, NULL) == EF_OK);
    acts a = acts_new();
    for (int s = 0; s < 3; s++) {
        memset(grad, 0, NPARAMS * sizeof(float));
        memset(dx, 0, (size_t)(N * C) * sizeof(float));
        lib_step(params, grad, dx, x, y, cw, &a, 0.3f, &rng);
        CHECK(ef_check_finite(grad, NPARAMS) == -1);
        ef_adam_step(&opt, params, grad, NULL, NULL, 0);
    }
    /* Running statistics are part of the model state too: fold them in. */
    float *out = fz(NPARAMS + 2 * H1);
    memcpy(out, params, NPARAMS * sizeof(float));
    memcpy(out + NPARAMS, a.rm, H1 * sizeof(float));
    memcpy(out + NPARAMS + H1, a.rv, H1 * sizeof(float));
    acts_free(&a);
    ef_adam_free(&opt);
    free(params), free(grad), free(dx);
    return out;
}

static void test_determinism(const float *x, const int32_t *y, const float *cw)
{
    float *p1 = train(x, y, cw, 77), *p2 = train(x, y, cw, 77), *p3 = train(x, y, cw, 78);
    size_t bytes = (NPARAMS + 2 * H1) * sizeof(float);
    CHECK_MSG(memcmp(p1, p2, bytes) == 0, "same seed gave different weights");
    CHECK_MSG(memcmp(p1, p3, bytes) != 0, "different seeds gave identical weights");
    free(p1), free(p2), free(p3);
}

int main(void)
{
    OFFS[0] = 0;
    TMAX = 0;
    for (int b = 0; b < B; b++) {
        OFFS[b + 1] = OFFS[b] + LENS[b];
        if (LENS[b] > TMAX) TMAX = LENS[b];
    }
    N = OFFS[B];
    ef_rng r;
    ef_rng_seed(&r, 2024);
    float *x = fz(N * C);
    for (int64_t i = 0; i < N * C; i++) x[i] = (float)(ef_rng_normal(&r) + 0.5);
    int32_t y[B] = {0, 1, 2, 3, 1, 1, 0, 2};
    float cw[NC];
    ef_class_weights(cw, y, B, NC);
    test_ragged_vs_padded(x, y, cw);
    test_determinism(x, y, cw);
    free(x);
    return ef_test_exit();
}
