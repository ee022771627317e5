/* Backward passes against central finite differences in DOUBLE precision.
 *
 * For every layer the test holds a naive double-precision shadow of the forward pass.
 * The objective is L = sum(out * R) for a fixed random R (or the loss itself for the
 * cross-entropy); the numerical gradient (L(x+h) - L(x-h)) / 2h, h = 1e-5, is exact to
 * ~1e-9 in double, so what is measured is the float backward of the library (fed
 * dout = R) against the true gradient. Inputs are float-representable, so the shadow and
 * the library evaluate the same function; the shadows are also checked against the
 * float forwards. Ragged batches have unequal lengths including a length-1 sequence and
 * kernels longer than it.
 * Tolerance: |analytic - numeric| <= 1e-4 + 1e-4 |numeric| (float32 backward). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "testutil.h"

#define H 1e-5
#define ATOL 1e-4
#define RTOL 1e-4

static ef_rng g_rng;

static double *drand_vec(int64_t n, double scale)
{
    double *x = malloc((size_t)n * sizeof(double));
    /* Round to float so both precisions see identical inputs. */
    for (int64_t i = 0; i < n; i++) x[i] = (float)(ef_rng_normal(&g_rng) * scale);
    return x;
}

static float *to_f(const double *x, int64_t n)
{
    float *y = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) y[i] = (float)x[i];
    return y;
}

static float *fzeros(int64_t n) { return calloc((size_t)(n ? n : 1), sizeof(float)); }

typedef double (*objective_fn)(void *ctx);

/* Numerical gradient of f w.r.t. x (n) compared with the library's float gradient. */
static void gradcheck(const char *what, objective_fn f, void *ctx, double *x, int64_t n, const float *analytic)
{
    double *num = malloc((size_t)n * sizeof(double)), *ana = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        double save = x[i];
        x[i] = save + H;
        double fp = f(ctx);
        x[i] = save - H;
        double fm = f(ctx);
        x[i] = save;
        num[i] = (fp - fm) / (2 * H);
        ana[i] = analytic[i];
    }
    ef_test_close_d(what, ana, num, (size_t)n, ATOL, RTOL);
    free(num), free(ana);
}

static double dot(const double *a, const double *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* ---------------- double shadows ---------------- */

static void dense_d(double *out, const double *x, const double *w, const double *b, int64_t N, int C, int OC)
{
    for (int64_t n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double s = b ? b[o] : 0;
            for (int c = 0; c < C; c++) s += x[n * C + c] * w[o * C + c];
            out[n * OC + o] = s;
        }
}

static void conv_d(double *out, const double *x, const double *w, const double *b, const int64_t *offs, int B,
                   int C, int OC, int K)
{
    int pl = (K - 1) / 2;
    for (int bb = 0; bb < B; bb++) {
        int64_t s0 = offs[bb], T = offs[bb + 1] - s0;
        for (int64_t t = 0; t < T; t++)
            for (int o = 0; o < OC; o++) {
                double s = b[o];
                for (int k = 0; k < K; k++) {
                    int64_t src = t + k - pl;
                    if (src < 0 || src >= T) continue;
                    for (int c = 0; c < C; c++) s += w[((int64_t)o * C + c) * K + k] * x[(s0 + src) * C + c];
                }
                out[(s0 + t) * OC + o] = s;
            }
    }
}

static void bn_d(double *out, const double *x, const double *g, const double *be, int64_t N, int C, double eps)
{
    for (int c = 0; c < C; c++) {
        double m = 0, v = 0;
        for (int64_t n = 0; n < N; n++) m += x[n * C + c];
        m /= N;
        for (int64_t n = 0; n < N; n++) v += (x[n * C + c] - m) * (x[n * C + c] - m);
        v /= N;
        for (int64_t n = 0; n < N; n++) out[n * C + c] = (x[n * C + c] - m) / sqrt(v + eps) * g[c] + be[c];
    }
}

static void pool_d(double *out, const double *x, const int64_t *offs, int B, int C)
{
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (int64_t t = offs[b]; t < offs[b + 1]; t++) s += x[t * C + c];
            out[b * C + c] = s / (double)(offs[b + 1] - offs[b]);
        }
}

static double xent_d(const double *logits, const int32_t *y, const double *cw, int B, int K)
{
    double L = 0;
    for (int b = 0; b < B; b++) {
        const double *x = logits + (int64_t)b * K;
        double mx = x[0], s = 0;
        for (int k = 1; k < K; k++) mx = x[k] > mx ? x[k] : mx;
        for (int k = 0; k < K; k++) s += exp(x[k] - mx);
        L += (cw ? cw[y[b]] : 1.0) * (log(s) + mx - x[y[b]]);
    }
    return L / B;
}

/* ---------------- per-layer checks ---------------- */

typedef struct {
    double *x, *w, *b, *r, *out;
    const int64_t *offs;
    int B, C, OC, K;
    int64_t N;
} lin_ctx;

static double dense_obj(void *v)
{
    lin_ctx *c = v;
    dense_d(c->out, c->x, c->w, c->b, c->N, c->C, c->OC);
    return dot(c->out, c->r, c->N * c->OC);
}

static double conv_obj(void *v)
{
    lin_ctx *c = v;
    conv_d(c->out, c->x, c->w, c->b, c->offs, c->B, c->C, c->OC, c->K);
    return dot(c->out, c->r, c->N * c->OC);
}

static void check_dense(void)
{
    lin_ctx c = {0};
    c.N = 6, c.C = 5, c.OC = 3;
    c.x = drand_vec(c.N * c.C, 1), c.w = drand_vec(c.OC * c.C, 0.5), c.b = drand_vec(c.OC, 1);
    c.r = drand_vec(c.N * c.OC, 1), c.out = malloc((size_t)(c.N * c.OC) * sizeof(double));
    float *x = to_f(c.x, c.N * c.C), *w = to_f(c.w, c.OC * c.C), *b = to_f(c.b, c.OC), *r = to_f(c.r, c.N * c.OC);
    float *out = fzeros(c.N * c.OC), *dx = fzeros(c.N * c.C), *dw = fzeros(c.OC * c.C), *db = fzeros(c.OC);
    ef_dense_forward(out, x, w, b, c.N, c.C, c.OC);
    dense_obj(&c);
    float *outd = to_f(c.out, c.N * c.OC);
    ef_test_close("dense forward vs double shadow", out, outd, (size_t)(c.N * c.OC), 1e-5, 1e-5);
    ef_dense_backward(dx, dw, db, r, x, w, c.N, c.C, c.OC);
    gradcheck("dense dinp", dense_obj, &c, c.x, c.N * c.C, dx);
    gradcheck("dense dw", dense_obj, &c, c.w, c.OC * c.C, dw);
    gradcheck("dense db", dense_obj, &c, c.b, c.OC, db);
    free(c.x), free(c.w), free(c.b), free(c.r), free(c.out);
    free(x), free(w), free(b), free(r), free(out), free(dx), free(dw), free(db), free(outd);
}

static void check_conv(int K)
{
    static const int64_t offs[] = {0, 4, 5, 11, 13, 20}; /* lengths 4, 1, 6, 2, 7 */
    lin_ctx c = {0};
    c.B = 5, c.C = 3, c.OC = 4, c.K = K, c.offs = offs, c.N = offs[5];
    c.x = drand_vec(c.N * c.C, 1), c.w = drand_vec(c.OC * c.C * K, 0.5), c.b = drand_vec(c.OC, 1);
    c.r = drand_vec(c.N * c.OC, 1), c.out = malloc((size_t)(c.N * c.OC) * sizeof(double));
    float *x = to_f(c.x, c.N * c.C), *w = to_f(c.w, c.OC * c.C * K), *b = to_f(c.b, c.OC);
    float *r = to_f(c.r, c.N * c.OC), *out = fzeros(c.N * c.OC), *dx = fzeros(c.N * c.C);
    float *dw = fzeros(c.OC * c.C * K), *db = fzeros(c.OC);
    CHECK(ef_conv1d_forward(out, x, w, b, offs, c.B, c.C, c.OC, K, NULL) == EF_OK);
    conv_obj(&c);
    float *outd = to_f(c.out, c.N * c.OC);
    char what[64];
    snprintf(what, sizeof what, "conv K=%d forward vs double shadow", K);
    ef_test_close(what, out, outd, (size_t)(c.N * c.OC), 1e-5, 1e-5);
    CHECK(ef_conv1d_backward(dx, dw, db, r, x, w, offs, c.B, c.C, c.OC, K, NULL) == EF_OK);
    snprintf(what, sizeof what, "conv K=%d dinp", K);
    gradcheck(what, conv_obj, &c, c.x, c.N * c.C, dx);
    snprintf(what, sizeof what, "conv K=%d dw", K);
    gradcheck(what, conv_obj, &c, c.w, c.OC * c.C * K, dw);
    snprintf(what, sizeof what, "conv K=%d db", K);
    gradcheck(what, conv_obj, &c, c.b, c.OC, db);
    free(c.x), free(c.w), free(c.b), free(c.r), free(c.out);
    free(x), free(w), free(b), free(r), free(out), free(dx), free(dw), free(db), free(outd);
}

typedef struct {
    double *x, *g, *be, *r, *out;
    int64_t N;
    int C;
} bn_ctx;

static double bn_obj(void *v)
{
    bn_ctx *c = v;
    bn_d(c->out, c->x, c->g, c->be, c->N, c->C, 1e-3);
    return dot(c->out, c->r, c->N * c->C);
}

static void check_bn(void)
{
    bn_ctx c = {0};
    c.N = 13, c.C = 4; /* 13 valid rows of a ragged batch, e.g. lengths 4, 1, 6, 2 */
    c.x = drand_vec(c.N * c.C, 1.5), c.g = drand_vec(c.C, 1), c.be = drand_vec(c.C, 1);
    for (int64_t i = 0; i < c.N * c.C; i++) c.x[i] = (float)(c.x[i] + 2.0); /* nonzero mean */
    c.r = drand_vec(c.N * c.C, 1), c.out = malloc((size_t)(c.N * c.C) * sizeof(double));
    float *x = to_f(c.x, c.N * c.C), *g = to_f(c.g, c.C), *be = to_f(c.be, c.C), *r = to_f(c.r, c.N * c.C);
    float *out = fzeros(c.N * c.C), *mean = fzeros(c.C), *rstd = fzeros(c.C), *dx = fzeros(c.N * c.C);
    float *dg = fzeros(c.C), *db = fzeros(c.C);
    ef_batchnorm_forward_train(out, mean, rstd, NULL, NULL, x, g, be, c.N, c.C, 0.99f, 1e-3f);
    bn_obj(&c);
    float *outd = to_f(c.out, c.N * c.C);
    ef_test_close("bn forward vs double shadow", out, outd, (size_t)(c.N * c.C), 1e-5, 1e-5);
    ef_batchnorm_backward(dx, dg, db, r, x, g, mean, rstd, c.N, c.C);
    gradcheck("bn dinp", bn_obj, &c, c.x, c.N * c.C, dx);
    gradcheck("bn dgamma", bn_obj, &c, c.g, c.C, dg);
    gradcheck("bn dbeta", bn_obj, &c, c.be, c.C, db);
    free(c.x), free(c.g), free(c.be), free(c.r), free(c.out);
    free(x), free(g), free(be), free(r), free(out), free(mean), free(rstd), free(dx), free(dg), free(db), free(outd);
}

typedef struct {
    double *x, *r, *out;
    const int64_t *offs;
    int B, C;
} pool_ctx;

static double pool_obj(void *v)
{
    pool_ctx *c = v;
    pool_d(c->out, c->x, c->offs, c->B, c->C);
    return dot(c->out, c->r, (int64_t)c->B * c->C);
}

static void check_pool(void)
{
    static const int64_t offs[] = {0, 4, 5, 11, 13};
    pool_ctx c = {0};
    c.offs = offs, c.B = 4, c.C = 3;
    int64_t N = offs[4];
    c.x = drand_vec(N * c.C, 1), c.r = drand_vec(c.B * c.C, 1), c.out = malloc((size_t)(c.B * c.C) * sizeof(double));
    float *x = to_f(c.x, N * c.C), *r = to_f(c.r, c.B * c.C), *dx = fzeros(N * c.C);
    ef_meanpool_backward(dx, r, offs, c.B, c.C);
    gradcheck("meanpool dinp", pool_obj, &c, c.x, N * c.C, dx);
    free(c.x), free(c.r), free(c.out), free(x), free(r), free(dx);
}

typedef struct {
    double *logits, *cw;
    const int32_t *y;
    int B, K;
} xent_ctx;

static double xent_obj(void *v)
{
    xent_ctx *c = v;
    return xent_d(c->logits, c->y, c->cw, c->B, c->K);
}

static void check_xent(void)
{
    static const int32_t y[7] = {0, 2, 2, 1, 3, 2, 0};
    xent_ctx c = {0};
    c.B = 7, c.K = 4, c.y = y;
    c.logits = drand_vec(c.B * c.K, 2);
    float cwf[4];
    ef_class_weights(cwf, y, 7, 4);
    c.cw = malloc(4 * sizeof(double));
    for (int k = 0; k < 4; k++) c.cw[k] = cwf[k];
    float *lg = to_f(c.logits, c.B * c.K), *d = fzeros(c.B * c.K);
    float L = ef_weighted_xent_forward_backward(NULL, d, lg, y, cwf, c.B, c.K);
    double Ld = xent_obj(&c);
    CHECK_MSG(fabs(L - Ld) <= 1e-6 + 1e-6 * fabs(Ld), "xent loss %g vs double %g", L, Ld);
    gradcheck("weighted xent dlogits", xent_obj, &c, c.logits, c.B * c.K, d);
    free(c.logits), free(c.cw), free(lg), free(d);
}

/* ---------------- a whole ragged network ----------------
 * conv(K=4) -> BN -> ReLU -> dropout(fixed mask) -> meanpool -> dense -> weighted xent,
 * checking dinp, conv w/b, gamma/beta and dense w/b of the composed backward. */
typedef struct {
    double *x, *cw_, *cb, *g, *be, *dw_, *db_, *cls;
    const uint8_t *mask;
    const int64_t *offs;
    const int32_t *y;
    int B, C, H1, K, NC;
    int64_t N;
    double *a1, *a2, *pool, *logits;
} net_ctx;

static double net_obj(void *v)
{
    net_ctx *c = v;
    conv_d(c->a1, c->x, c->cw_, c->cb, c->offs, c->B, c->C, c->H1, c->K);
    bn_d(c->a2, c->a1, c->g, c->be, c->N, c->H1, 1e-3);
    for (int64_t i = 0; i < c->N * c->H1; i++) {
        double r = c->a2[i] > 0 ? c->a2[i] : 0;
        c->a2[i] = c->mask[i] ? r / (1.0 - 0.25) : 0.0;
    }
    pool_d(c->pool, c->a2, c->offs, c->B, c->H1);
    dense_d(c->logits, c->pool, c->dw_, c->db_, c->B, c->H1, c->NC);
    return xent_d(c->logits, c->y, c->cls, c->B, c->NC);
}

static void check_network(void)
{
    static const int64_t offs[] = {0, 5, 6, 9, 17, 19}; /* 5, 1, 3, 8, 2 */
    static const int32_t y[5] = {1, 0, 2, 1, 1};
    net_ctx c = {0};
    c.offs = offs, c.y = y, c.B = 5, c.C = 3, c.H1 = 6, c.K = 4, c.NC = 3, c.N = offs[5];
    int64_t N = c.N;
    c.x = drand_vec(N * c.C, 1), c.cw_ = drand_vec(c.H1 * c.C * c.K, 0.4), c.cb = drand_vec(c.H1, 0.3);
    c.g = drand_vec(c.H1, 1), c.be = drand_vec(c.H1, 0.5);
    for (int i = 0; i < c.H1; i++) c.g[i] = (float)(1.0 + 0.3 * c.g[i]), c.be[i] = (float)(c.be[i] + 0.3);
    c.dw_ = drand_vec(c.NC * c.H1, 0.5), c.db_ = drand_vec(c.NC, 0.2);
    float clsf[3];
    ef_class_weights(clsf, y, 5, 3);
    c.cls = malloc(3 * sizeof(double));
    for (int k = 0; k < 3; k++) c.cls[k] = clsf[k];
    c.a1 = malloc((size_t)(N * c.H1) * sizeof(double)), c.a2 = malloc((size_t)(N * c.H1) * sizeof(double));
    c.pool = malloc((size_t)(c.B * c.H1) * sizeof(double)), c.logits = malloc((size_t)(c.B * c.NC) * sizeof(double));

    /* float forward through the library */
    float *x = to_f(c.x, N * c.C), *cw = to_f(c.cw_, c.H1 * c.C * c.K), *cb = to_f(c.cb, c.H1);
    float *g = to_f(c.g, c.H1), *be = to_f(c.be, c.H1), *dw = to_f(c.dw_, c.NC * c.H1), *db = to_f(c.db_, c.NC);
    float *a1 = fzeros(N * c.H1), *a2 = fzeros(N * c.H1), *a3 = fzeros(N * c.H1), *a4 = fzeros(N * c.H1);
    float *mean = fzeros(c.H1), *rstd = fzeros(c.H1), *pool = fzeros(c.B * c.H1), *logits = fzeros(c.B * c.NC);
    uint8_t *mask = malloc((size_t)(N * c.H1));
    ef_rng drng;
    ef_rng_seed(&drng, 99);
    CHECK(ef_conv1d_forward(a1, x, cw, cb, offs, c.B, c.C, c.H1, c.K, NULL) == EF_OK);
    ef_batchnorm_forward_train(a2, mean, rstd, NULL, NULL, a1, g, be, N, c.H1, 0.99f, 1e-3f);
    ef_relu_forward(a3, a2, N * c.H1);
    ef_dropout_forward(a4, mask, a3, N * c.H1, 0.25f, &drng);
    c.mask = mask;
    ef_meanpool_forward(pool, a4, offs, c.B, c.H1);
    ef_dense_forward(logits, pool, dw, db, c.B, c.H1, c.NC);
    float *dlogits = fzeros(c.B * c.NC);
    float L = ef_weighted_xent_forward_backward(NULL, dlogits, logits, y, clsf, c.B, c.NC);
    double Ld = net_obj(&c);
    CHECK_MSG(fabs(L - Ld) <= 1e-5 + 1e-5 * fabs(Ld), "network loss %g vs double %g", L, Ld);

    /* float backward */
    float *gdw = fzeros(c.NC * c.H1), *gdb = fzeros(c.NC), *gpool = fzeros(c.B * c.H1), *ga4 = fzeros(N * c.H1);
    float *ga3 = fzeros(N * c.H1), *ga2 = fzeros(N * c.H1), *ga1 = fzeros(N * c.H1), *gg = fzeros(c.H1);
    float *gbe = fzeros(c.H1), *gcw = fzeros(c.H1 * c.C * c.K), *gcb = fzeros(c.H1), *gx = fzeros(N * c.C);
    ef_dense_backward(gpool, gdw, gdb, dlogits, pool, dw, c.B, c.H1, c.NC);
    ef_meanpool_backward(ga4, gpool, offs, c.B, c.H1);
    ef_dropout_backward(ga3, ga4, mask, N * c.H1, 0.25f);
    ef_relu_backward(ga2, ga3, a3, N * c.H1);
    ef_batchnorm_backward(ga1, gg, gbe, ga2, a1, g, mean, rstd, N, c.H1);
    CHECK(ef_conv1d_backward(gx, gcw, gcb, ga1, x, cw, offs, c.B, c.C, c.H1, c.K, NULL) == EF_OK);
    gradcheck("network dinp", net_obj, &c, c.x, N * c.C, gx);
    gradcheck("network conv w", net_obj, &c, c.cw_, c.H1 * c.C * c.K, gcw);
    gradcheck("network conv b (cancelled by BN: ~0)", net_obj, &c, c.cb, c.H1, gcb);
    gradcheck("network gamma", net_obj, &c, c.g, c.H1, gg);
    gradcheck("network beta", net_obj, &c, c.be, c.H1, gbe);
    gradcheck("network dense w", net_obj, &c, c.dw_, c.NC * c.H1, gdw);
    gradcheck("network dense b", net_obj, &c, c.db_, c.NC, gdb);
    /* The gradient is not trivially zero. */
    double s = 0;
    for (int64_t i = 0; i < N * c.C; i++) s += fabs(gx[i]);
    CHECK_MSG(s > 1e-3, "network dinp magnitude %g", s);

    free(c.x), free(c.cw_), free(c.cb), free(c.g), free(c.be), free(c.dw_), free(c.db_), free(c.cls);
    free(c.a1), free(c.a2), free(c.pool), free(c.logits);
    free(x), free(cw), free(cb), free(g), free(be), free(dw), free(db), free(a1), free(a2), free(a3), free(a4);
    free(mean), free(rstd), free(pool), free(logits), free(mask), free(dlogits), free(gdw), free(gdb), free(gpool);
    free(ga4), free(ga3), free(ga2), free(ga1), free(gg), free(gbe), free(gcw), free(gcb), free(gx);
}

int main(void)
{
    ef_rng_seed(&g_rng, 12345);
    check_dense();
    for (int K = 1; K <= 5; K++) check_conv(K);
    check_bn();
    check_pool();
    check_xent();
    check_network();
    return ef_test_exit();
}
