/* NN layers against the independent PyTorch reference (tests/reference/
 * nn_layers_reference.py -> tests/fixtures/nn/layers_ref.safetensors): dense, conv1d
 * 'same' with K = 1, 3, 4, 6 on a ragged batch, batch norm train/infer with Keras
 * semantics, masked mean pool, weighted cross-entropy, Adam with warm-up and freezing.
 * Plus properties without a torch counterpart: dropout, Glorot, class weights, concat,
 * the finite check, and backward accumulation (+=); Adam on a thread pool against the
 * serial step, bit for bit.
 * Tolerance: |c - ref| <= 1e-5 + 1e-5 |ref| (float32 both sides; sums in different order). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/nn_optim.h"
#include "emofuse/safetensors.h"
#include "emofuse/thread_pool.h"
#include "testutil.h"

#define ATOL 1e-5
#define RTOL 1e-5

static ef_safetensors_file *g_st;

/* Copy of a fixture tensor as float (the mapping may be unaligned), checking its size. */
static float *getf(const char *name, int64_t n)
{
    const ef_safetensors_tensor *t = ef_safetensors_find(g_st, name);
    if (!t) {
        fprintf(stderr, "fixture tensor '%s' missing\n", name);
        exit(1);
    }
    EF_ASSERT(t->dtype == EF_DT_F32);
    int64_t count = (int64_t)(t->nbytes / 4);
    if (n >= 0 && count != n) {
        fprintf(stderr, "fixture tensor '%s': %lld elements, expected %lld\n", name, (long long)count, (long long)n);
        exit(1);
    }
    float *p = malloc((size_t)(count ? count : 1) * sizeof(float));
    memcpy(p, t->data, t->nbytes);
    return p;
}

static int32_t *geti(const char *name, int64_t *n)
{
    const ef_safetensors_tensor *t = ef_safetensors_find(g_st, name);
    EF_ASSERT(t && t->dtype == EF_DT_I32);
    *n = (int64_t)(t->nbytes / 4);
    int32_t *p = malloc(t->nbytes);
    memcpy(p, t->data, t->nbytes);
    return p;
}

static float *zeros(int64_t n) { return calloc((size_t)(n ? n : 1), sizeof(float)); }

static void test_dense(void)
{
    const int64_t N = 7;
    const int C = 5, OC = 4;
    float *x = getf("dense.inp", N * C), *w = getf("dense.w", OC * C), *b = getf("dense.b", OC);
    float *ref = getf("dense.out", N * OC), *dout = getf("dense.dout", N * OC);
    float *rdx = getf("dense.dinp", N * C), *rdw = getf("dense.dw", OC * C), *rdb = getf("dense.db", OC);
    float *out = zeros(N * OC), *dx = zeros(N * C), *dw = zeros(OC * C), *db = zeros(OC);
    ef_dense_forward(out, x, w, b, N, C, OC);
    ef_test_close("dense out", out, ref, (size_t)(N * OC), ATOL, RTOL);
    ef_dense_backward(dx, dw, db, dout, x, w, N, C, OC);
    ef_test_close("dense dinp", dx, rdx, (size_t)(N * C), ATOL, RTOL);
    ef_test_close("dense dw", dw, rdw, (size_t)(OC * C), ATOL, RTOL);
    ef_test_close("dense db", db, rdb, (size_t)OC, ATOL, RTOL);
    /* Backward accumulates: a second call doubles every gradient. */
    ef_dense_backward(dx, dw, db, dout, x, w, N, C, OC);
    for (int i = 0; i < N * C; i++) rdx[i] *= 2;
    for (int i = 0; i < OC * C; i++) rdw[i] *= 2;
    for (int i = 0; i < OC; i++) rdb[i] *= 2;
    ef_test_close("dense dinp x2", dx, rdx, (size_t)(N * C), 2 * ATOL, RTOL);
    ef_test_close("dense dw x2", dw, rdw, (size_t)(OC * C), 2 * ATOL, RTOL);
    ef_test_close("dense db x2", db, rdb, (size_t)OC, 2 * ATOL, RTOL);
    /* No bias: out = x w^T. */
    ef_dense_forward(out, x, w, NULL, N, C, OC);
    for (int64_t n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) ref[n * OC + o] -= b[o];
    ef_test_close("dense out (no bias)", out, ref, (size_t)(N * OC), ATOL, RTOL);
    free(x), free(w), free(b), free(ref), free(dout), free(rdx), free(rdw), free(rdb);
    free(out), free(dx), free(dw), free(db);
}

static void test_conv(const int64_t *offs, int B)
{
    const int C = 3, OC = 4;
    int64_t N = offs[B];
    const int ks[] = {1, 3, 4, 6};
    for (int ki = 0; ki < 4; ki++) {
        int K = ks[ki];
        char nm[64], what[64];
#define G(field, n) (snprintf(nm, sizeof nm, "conv%d.%s", K, field), getf(nm, n))
        float *x = G("inp", N * C), *w = G("w", OC * C * K), *b = G("b", OC), *ref = G("out", N * OC);
        float *dout = G("dout", N * OC), *rdx = G("dinp", N * C), *rdw = G("dw", OC * C * K), *rdb = G("db", OC);
#undef G
        float *out = zeros(N * OC), *dx = zeros(N * C), *dw = zeros(OC * C * K), *db = zeros(OC);
        CHECK(ef_conv1d_forward(out, x, w, b, offs, B, C, OC, K, NULL) == EF_OK);
        snprintf(what, sizeof what, "conv K=%d out", K);
        ef_test_close(what, out, ref, (size_t)(N * OC), ATOL, RTOL);
        CHECK(ef_conv1d_backward(dx, dw, db, dout, x, w, offs, B, C, OC, K, NULL) == EF_OK);
        snprintf(what, sizeof what, "conv K=%d dinp", K);
        ef_test_close(what, dx, rdx, (size_t)(N * C), ATOL, RTOL);
        snprintf(what, sizeof what, "conv K=%d dw", K);
        ef_test_close(what, dw, rdw, (size_t)(OC * C * K), ATOL, RTOL);
        snprintf(what, sizeof what, "conv K=%d db", K);
        ef_test_close(what, db, rdb, (size_t)OC, ATOL, RTOL);
        /* The workspace variants give the same bits. */
        float *out2 = zeros(N * OC), *dx2 = zeros(N * C), *dw2 = zeros(OC * C * K), *db2 = zeros(OC);
        float *work = zeros(ef_conv1d_workspace_floats(N, C, OC, K, 1));
        ef_conv1d_forward_ws(NULL, out2, work, x, w, b, offs, B, C, OC, K);
        ef_conv1d_backward_ws(NULL, dx2, dw2, db2, work, dout, x, w, offs, B, C, OC, K);
        CHECK(memcmp(out, out2, (size_t)(N * OC) * sizeof(float)) == 0);
        CHECK(memcmp(dx, dx2, (size_t)(N * C) * sizeof(float)) == 0);
        CHECK(memcmp(dw, dw2, (size_t)(OC * C * K) * sizeof(float)) == 0);
        /* dinp NULL and dw NULL are allowed and leave the other gradients as before. */
        memset(dw2, 0, (size_t)(OC * C * K) * sizeof(float));
        CHECK(ef_conv1d_backward(NULL, dw2, NULL, dout, x, w, offs, B, C, OC, K, NULL) == EF_OK);
        CHECK(memcmp(dw, dw2, (size_t)(OC * C * K) * sizeof(float)) == 0);
        memset(dx2, 0, (size_t)(N * C) * sizeof(float));
        CHECK(ef_conv1d_backward(dx2, NULL, NULL, dout, x, w, offs, B, C, OC, K, NULL) == EF_OK);
        CHECK(memcmp(dx, dx2, (size_t)(N * C) * sizeof(float)) == 0);
        free(x), free(w), free(b), free(ref), free(dout), free(rdx), free(rdw), free(rdb);
        free(out), free(dx), free(dw), free(db), free(out2), free(dx2), free(dw2), free(db2), free(work);
    }
}

static void test_batchnorm(int64_t N)
{
    const int C = 6;
    float *x = getf("bn.inp", N * C), *g = getf("bn.gamma", C), *be = getf("bn.beta", C);
    float *rm = getf("bn.running_mean0", C), *rv = getf("bn.running_var0", C);
    float *ref = getf("bn.out", N * C), *rmean = getf("bn.mean", C), *rrstd = getf("bn.rstd", C);
    float *rm1 = getf("bn.running_mean1", C), *rv1 = getf("bn.running_var1", C);
    float *rinf = getf("bn.out_infer", N * C), *dout = getf("bn.dout", N * C);
    float *rdx = getf("bn.dinp", N * C), *rdg = getf("bn.dgamma", C), *rdb = getf("bn.dbeta", C);
    float *out = zeros(N * C), *mean = zeros(C), *rstd = zeros(C), *dx = zeros(N * C), *dg = zeros(C),
          *db = zeros(C);
    ef_batchnorm_forward_train(out, mean, rstd, rm, rv, x, g, be, N, C, 0.99f, 1e-3f);
    ef_test_close("bn out", out, ref, (size_t)(N * C), ATOL, RTOL);
    ef_test_close("bn mean", mean, rmean, (size_t)C, ATOL, RTOL);
    ef_test_close("bn rstd", rstd, rrstd, (size_t)C, ATOL, RTOL);
    ef_test_close("bn running mean", rm, rm1, (size_t)C, ATOL, RTOL);
    ef_test_close("bn running var (biased, Keras)", rv, rv1, (size_t)C, ATOL, RTOL);
    ef_batchnorm_forward_infer(out, x, g, be, rm, rv, N, C, 1e-3f);
    ef_test_close("bn infer out", out, rinf, (size_t)(N * C), ATOL, RTOL);
    ef_batchnorm_backward(dx, dg, db, dout, x, g, mean, rstd, N, C);
    ef_test_close("bn dinp", dx, rdx, (size_t)(N * C), ATOL, RTOL);
    ef_test_close("bn dgamma", dg, rdg, (size_t)C, ATOL, RTOL);
    ef_test_close("bn dbeta", db, rdb, (size_t)C, ATOL, RTOL);
    /* NULL running statistics: no update, same output. */
    ef_batchnorm_forward_train(out, mean, rstd, NULL, NULL, x, g, be, N, C, 0.99f, 1e-3f);
    ef_test_close("bn out (no running)", out, ref, (size_t)(N * C), ATOL, RTOL);
    free(x), free(g), free(be), free(rm), free(rv), free(ref), free(rmean), free(rrstd), free(rm1), free(rv1);
    free(rinf), free(dout), free(rdx), free(rdg), free(rdb), free(out), free(mean), free(rstd), free(dx), free(dg),
        free(db);
}

static void test_pool(const int64_t *offs, int B)
{
    const int C = 5;
    int64_t N = offs[B];
    float *x = getf("pool.inp", N * C), *ref = getf("pool.out", B * C), *dout = getf("pool.dout", B * C);
    float *rdx = getf("pool.dinp", N * C), *out = zeros(B * C), *dx = zeros(N * C);
    ef_meanpool_forward(out, x, offs, B, C);
    ef_test_close("pool out", out, ref, (size_t)(B * C), ATOL, RTOL);
    ef_meanpool_backward(dx, dout, offs, B, C);
    ef_test_close("pool dinp", dx, rdx, (size_t)(N * C), ATOL, RTOL);
    free(x), free(ref), free(dout), free(rdx), free(out), free(dx);
}

static void test_xent(void)
{
    const int B = 9, K = 4;
    int64_t nl;
    int32_t *labels = geti("xent.labels", &nl);
    CHECK(nl == B);
    float *logits = getf("xent.logits", B * K), *cw = getf("xent.class_w", K), *rloss = getf("xent.loss", 1);
    float *rp = getf("xent.probs", B * K), *rd = getf("xent.dlogits", B * K);
    float *rl2 = getf("xent.loss_unweighted", 1), *rd2 = getf("xent.dlogits_unweighted", B * K);
    float *p = zeros(B * K), *d = zeros(B * K), *sm = zeros(B * K);
    float loss = ef_weighted_xent_forward_backward(p, d, logits, labels, cw, B, K);
    ef_test_close("xent loss", &loss, rloss, 1, ATOL, RTOL);
    ef_test_close("xent probs", p, rp, (size_t)(B * K), ATOL, RTOL);
    ef_test_close("xent dlogits", d, rd, (size_t)(B * K), ATOL, RTOL);
    ef_softmax_forward(sm, logits, B, K);
    ef_test_close("softmax", sm, rp, (size_t)(B * K), ATOL, RTOL);
    loss = ef_weighted_xent_forward_backward(NULL, d, logits, labels, NULL, B, K);
    ef_test_close("xent loss unweighted", &loss, rl2, 1, ATOL, RTOL);
    ef_test_close("xent dlogits unweighted", d, rd2, (size_t)(B * K), ATOL, RTOL);
    /* The fixture's class weights are ef_class_weights' formula on its labels. */
    float w[4];
    ef_class_weights(w, labels, B, K);
    ef_test_close("class weights vs reference", w, cw, 4, 1e-7, 1e-6);
    /* Extreme logits: finite loss, no NaN in the gradient. */
    float big[4] = {1000.0f, -1000.0f, 0.0f, 500.0f};
    int32_t y1 = 1;
    loss = ef_weighted_xent_forward_backward(p, d, big, &y1, NULL, 1, 4);
    CHECK_MSG(fabsf(loss - 2000.0f) < 1e-3f, "loss %g", loss);
    CHECK(ef_check_finite(d, 4) == -1);
    free(labels), free(logits), free(cw), free(rloss), free(rp), free(rd), free(rl2), free(rd2), free(p), free(d),
        free(sm);
}

/* ef_adam_step_pool on pools of 1, 2 and 3 threads gives the serial step's bits on
 * 100k parameters (7 items of 16k) in blocks that straddle the items, one frozen; it
 * reports a NaN it made, and not an Inf gradient in the frozen block it skips. */
static void test_adam_pool(void)
{
    const int64_t n = 100000;
    const int64_t blocks[6] = {0, 10, 20000, 50001, 50002, n};
    const uint8_t frozen[5] = {0, 0, 1, 0, 0};
    ef_rng r;
    ef_rng_seed(&r, 5);
    float *p0 = malloc(n * sizeof(float)), *g = malloc(3 * n * sizeof(float));
    for (int64_t i = 0; i < n; i++) p0[i] = (float)ef_rng_normal(&r);
    for (int64_t i = 0; i < 3 * n; i++) g[i] = (float)(ef_rng_normal(&r) * 1e-2);
    ef_adam_config cfg = ef_adam_default_params();
    cfg.warmup_steps = 2;
    float *ps = malloc(n * sizeof(float)), *pp = malloc(n * sizeof(float));
    ef_adam serial;
    CHECK(ef_adam_init(&serial, n, &cfg, NULL) == EF_OK);
    memcpy(ps, p0, n * sizeof(float));
    for (int t = 0; t < 3; t++) ef_adam_step(&serial, ps, g + t * n, blocks, frozen, 5);
    for (int threads = 1; threads <= 3; threads++) {
        ef_pool *pool = NULL;
        CHECK(ef_pool_create(&pool, threads, NULL) == EF_OK);
        ef_adam opt;
        CHECK(ef_adam_init(&opt, n, &cfg, NULL) == EF_OK);
        memcpy(pp, p0, n * sizeof(float));
        int bad = 0;
        for (int t = 0; t < 3; t++) bad |= ef_adam_step_pool(pool, &opt, pp, g + t * n, blocks, frozen, 5);
        CHECK(!bad && opt.t == 3);
        CHECK(memcmp(pp, ps, n * sizeof(float)) == 0 && memcmp(opt.m, serial.m, n * sizeof(float)) == 0 &&
              memcmp(opt.v, serial.v, n * sizeof(float)) == 0);
        CHECK(memcmp(pp + 20000, p0 + 20000, 30001 * sizeof(float)) == 0); /* frozen block untouched */
        float keep_frozen = g[30000], keep_last = g[n - 1];
        g[30000] = INFINITY; /* in the frozen block: skipped, not reported */
        CHECK(ef_adam_step_pool(pool, &opt, pp, g, blocks, frozen, 5) == 0);
        g[30000] = keep_frozen;
        g[n - 1] = INFINITY; /* Inf / Inf in the last item: reported */
        CHECK(ef_adam_step_pool(pool, &opt, pp, g, blocks, frozen, 5) != 0 && isnan(pp[n - 1]));
        g[n - 1] = keep_last;
        ef_adam_free(&opt);
        ef_pool_free(pool);
    }
    ef_adam_free(&serial);
    free(p0), free(g), free(ps), free(pp);
}

static void test_adam(void)
{
    const int NP = 10, STEPS = 6;
    int64_t nb;
    int32_t *blk32 = geti("adam.blocks", &nb);
    int64_t blocks[4];
    for (int i = 0; i < 4; i++) blocks[i] = blk32[i];
    const ef_safetensors_tensor *ft = ef_safetensors_find(g_st, "adam.frozen");
    EF_ASSERT(ft && ft->dtype == EF_DT_U8 && ft->nbytes == (size_t)STEPS * 3);
    const uint8_t *frozen = ft->data;
    float *p0 = getf("adam.params0", NP), *grads = getf("adam.grads", STEPS * NP);
    for (int W = 0; W <= 3; W += 3) {
        char nm[32];
        snprintf(nm, sizeof nm, "adam.params_w%d", W);
        float *ref = getf(nm, STEPS * NP);
        ef_adam_config cfg = ef_adam_default_params();
        cfg.lr = 0.01f;
        cfg.warmup_steps = W;
        ef_adam opt;
        CHECK(ef_adam_init(&opt, NP, &cfg, NULL) == EF_OK);
        float p[10];
        memcpy(p, p0, sizeof p);
        for (int t = 0; t < STEPS; t++) {
            ef_adam_step(&opt, p, grads + t * NP, blocks, frozen + 3 * t, 3);
            char what[48];
            snprintf(what, sizeof what, "adam W=%d step %d", W, t + 1);
            ef_test_close(what, p, ref + t * NP, NP, 1e-6, 1e-6);
        }
        CHECK(opt.t == STEPS);
        /* Always-frozen block 2: parameters and moments untouched. */
        for (int i = 7; i < 10; i++) CHECK(p[i] == p0[i] && opt.m[i] == 0.0f && opt.v[i] == 0.0f);
        ef_adam_free(&opt);
        free(ref);
    }
    ef_adam_config d = ef_adam_default_params();
    CHECK(d.lr == 1e-3f && d.beta1 == 0.9f && d.beta2 == 0.999f && d.eps == 1e-7f && d.warmup_steps == 40);
    CHECK(fabsf(ef_adam_lr_at(&d, 1) - 1e-3f / 40) < 1e-12f);
    CHECK(fabsf(ef_adam_lr_at(&d, 20) - 0.5e-3f) < 1e-12f);
    CHECK(ef_adam_lr_at(&d, 40) == 1e-3f && ef_adam_lr_at(&d, 1000) == 1e-3f);
    d.warmup_steps = 0;
    CHECK(ef_adam_lr_at(&d, 1) == 1e-3f);
    d.beta1 = 1.0f;
    ef_adam bad;
    ef_error err = {0};
    CHECK(ef_adam_init(&bad, 5, &d, &err) == EF_ERR_ARG && strstr(err.msg, "adam") != NULL);
    free(blk32), free(p0), free(grads);
}

static void test_finite(void)
{
    float x[6] = {0, 1, -2, 3, 4, 5};
    CHECK(ef_check_finite(x, 6) == -1);
    CHECK(ef_check_finite(x, 0) == -1);
    x[4] = INFINITY;
    CHECK(ef_check_finite(x, 6) == 4);
    x[2] = NAN;
    CHECK(ef_check_finite(x, 6) == 2);
    x[0] = -INFINITY;
    CHECK(ef_check_finite(x, 6) == 0);
}

static void test_dropout(void)
{
    const int64_t n = 200000;
    const float rate = 0.3f;
    float *x = zeros(n), *y = zeros(n), *y2 = zeros(n), *dx = zeros(n), *g = zeros(n);
    uint8_t *mask = malloc((size_t)n), *mask2 = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(i % 17) - 8.0f, g[i] = 1.0f;
    ef_rng r1, r2;
    ef_rng_seed(&r1, 7);
    ef_rng_seed(&r2, 7);
    ef_dropout_forward(y, mask, x, n, rate, &r1);
    ef_dropout_forward(y2, mask2, x, n, rate, &r2);
    CHECK(memcmp(mask, mask2, (size_t)n) == 0 && memcmp(y, y2, (size_t)n * sizeof(float)) == 0);
    int64_t kept = 0, bad = 0;
    for (int64_t i = 0; i < n; i++) {
        kept += mask[i];
        float want = mask[i] ? x[i] / (1.0f - rate) : 0.0f;
        if (fabsf(y[i] - want) > 1e-6f * (1 + fabsf(want))) bad++;
    }
    /* 5 sigma of a binomial(n, 0.7) fraction: sqrt(0.21/n) ~ 0.001. */
    CHECK_MSG(fabs((double)kept / n - 0.7) < 0.005, "kept fraction %g", (double)kept / n);
    CHECK(bad == 0);
    /* The inlined generator advances as ef_rng_u64 does: one draw per element, and each
     * element kept iff its ef_rng_uniform draw >= rate. */
    ef_rng r3;
    ef_rng_seed(&r3, 7);
    int64_t mism = 0;
    for (int64_t i = 0; i < n; i++) mism += mask[i] != (ef_rng_uniform(&r3) >= rate);
    CHECK(mism == 0 && memcmp(r3.s, r1.s, sizeof r1.s) == 0);
    /* ef_dropout_draw_mask: the same mask and the same generator state. */
    ef_rng_seed(&r3, 7);
    ef_dropout_draw_mask(mask2, n, rate, &r3);
    CHECK(memcmp(mask, mask2, (size_t)n) == 0 && memcmp(r3.s, r1.s, sizeof r1.s) == 0);
    ef_dropout_backward(dx, g, mask, n, rate);
    bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (dx[i] != (mask[i] ? 1.0f / (1.0f - rate) : 0.0f)) bad++;
    CHECK(bad == 0);
    /* rate 0: copy, mask all ones; in place allowed. */
    ef_dropout_forward(y, mask, x, n, 0.0f, &r1);
    CHECK(memcmp(y, x, (size_t)n * sizeof(float)) == 0 && mask[0] == 1 && mask[n - 1] == 1);
    memcpy(y2, x, (size_t)n * sizeof(float));
    ef_rng_seed(&r1, 7);
    ef_dropout_forward(y2, mask, y2, n, rate, &r1);
    ef_rng_seed(&r2, 7);
    ef_dropout_forward(y, mask2, x, n, rate, &r2);
    CHECK(memcmp(y, y2, (size_t)n * sizeof(float)) == 0);
    free(x), free(y), free(y2), free(dx), free(g), free(mask), free(mask2);
}

static void test_init(void)
{
    const int64_t n = 100000;
    float *w = zeros(n);
    ef_rng r;
    ef_rng_seed(&r, 3);
    ef_glorot_uniform(w, n, 40, 20, &r);
    double lim = sqrt(6.0 / 60.0), s = 0, s2 = 0;
    int out = 0;
    for (int64_t i = 0; i < n; i++) {
        if (fabsf(w[i]) > lim) out++;
        s += w[i], s2 += (double)w[i] * w[i];
    }
    CHECK(out == 0);
    CHECK_MSG(fabs(s / n) < 0.005, "mean %g", s / n);
    /* Var of U(-l, l) is l^2/3 = 2/(fan_in+fan_out). */
    CHECK_MSG(fabs(s2 / n / (2.0 / 60.0) - 1.0) < 0.02, "var ratio %g", s2 / n / (2.0 / 60.0));
    float w2[8];
    ef_rng_seed(&r, 3);
    ef_glorot_uniform(w2, 8, 40, 20, &r);
    CHECK(memcmp(w, w2, sizeof w2) == 0);
    /* Class weights: w_k = n / (K_present * n_k); absent classes 0; mean over samples 1. */
    int32_t lab[6] = {0, 0, 0, 1, 2, 2};
    float cw[4];
    ef_class_weights(cw, lab, 6, 4);
    float want[4] = {6.0f / 9.0f, 2.0f, 1.0f, 0.0f};
    ef_test_close("class weights (one class absent)", cw, want, 4, 1e-7, 1e-6);
    double avg = 0;
    for (int i = 0; i < 6; i++) avg += cw[lab[i]];
    CHECK(fabs(avg / 6 - 1.0) < 1e-6);
    free(w);
}

static void test_concat(void)
{
    float a[6] = {1, 2, 3, 4, 5, 6}, b[4] = {-1, -2, -3, -4}, out[10], da[6] = {0}, db[4] = {0};
    ef_concat_forward(out, a, b, 2, 3, 2);
    float want[10] = {1, 2, 3, -1, -2, 4, 5, 6, -3, -4};
    CHECK(memcmp(out, want, sizeof out) == 0);
    ef_concat_backward(da, db, want, 2, 3, 2);
    CHECK(memcmp(da, a, sizeof a) == 0 && memcmp(db, b, sizeof b) == 0);
    ef_concat_backward(NULL, db, want, 2, 3, 2);
    CHECK(db[3] == -8.0f);
    /* relu: forward/backward, in place masks. */
    float x[4] = {-1, 0, 2, 3}, y[4], g[4] = {1, 1, 1, 1}, dx[4] = {0};
    ef_relu_forward(y, x, 4);
    ef_relu_backward(dx, g, y, 4);
    CHECK(y[0] == 0 && y[1] == 0 && y[2] == 2 && dx[0] == 0 && dx[1] == 0 && dx[2] == 1 && dx[3] == 1);
    ef_relu_backward(g, g, y, 4);
    CHECK(g[0] == 0 && g[1] == 0 && g[2] == 1);
    /* NaN propagates through ReLU (either sign bit), -0 becomes +0, -inf 0, +inf stays. */
    float z[5] = {NAN, -NAN, -0.0f, -INFINITY, INFINITY}, zo[5];
    ef_relu_forward(zo, z, 5);
    CHECK(isnan(zo[0]) && isnan(zo[1]) && zo[2] == 0.0f && !signbit(zo[2]) && zo[3] == 0.0f && zo[4] == INFINITY);
}

/* Naive oracles (double accumulation) at sizes where the conv im2col runs in several
 * chunks (C*K = 4096 -> 256 rows per chunk; 5 chunks whose edges fall inside sequences). */
static void naive_conv_fwd(double *out, const float *x, const float *w, const float *b, const int64_t *offs, int B,
                           int C, int OC, int K)
{
    int pl = (K - 1) / 2;
    for (int s = 0; s < B; s++)
        for (int64_t t = offs[s]; t < offs[s + 1]; t++)
            for (int o = 0; o < OC; o++) {
                double acc = b[o];
                for (int k = 0; k < K; k++) {
                    int64_t src = t + k - pl;
                    if (src < offs[s] || src >= offs[s + 1]) continue;
                    for (int c = 0; c < C; c++) acc += (double)w[((int64_t)o * C + c) * K + k] * x[src * C + c];
                }
                out[t * OC + o] = acc;
            }
}

static void naive_conv_bwd(double *dx, double *dw, double *db, const float *dout, const float *x, const float *w,
                           const int64_t *offs, int B, int C, int OC, int K)
{
    int pl = (K - 1) / 2;
    for (int s = 0; s < B; s++)
        for (int64_t t = offs[s]; t < offs[s + 1]; t++)
            for (int o = 0; o < OC; o++) {
                double d = dout[t * OC + o];
                db[o] += d;
                for (int k = 0; k < K; k++) {
                    int64_t src = t + k - pl;
                    if (src < offs[s] || src >= offs[s + 1]) continue;
                    for (int c = 0; c < C; c++) {
                        dx[src * C + c] += d * w[((int64_t)o * C + c) * K + k];
                        dw[((int64_t)o * C + c) * K + k] += d * x[src * C + c];
                    }
                }
            }
}

static float *rnd(ef_rng *r, int64_t n, double scale)
{
    float *p = zeros(n);
    for (int64_t i = 0; i < n; i++) p[i] = (float)(ef_rng_normal(r) * scale);
    return p;
}

static float *d2f(const double *d, int64_t n)
{
    float *p = zeros(n);
    for (int64_t i = 0; i < n; i++) p[i] = (float)d[i];
    return p;
}

static void test_oracles(void)
{
    ef_rng r;
    ef_rng_seed(&r, 31);
    enum { B = 9, C = 512, OC = 8, K = 8 };
    const int lens[B] = {300, 1, 255, 2, 17, 400, 1, 250, 90};
    int64_t offs[B + 1] = {0};
    for (int b = 0; b < B; b++) offs[b + 1] = offs[b] + lens[b];
    int64_t N = offs[B];
    CHECK(N > 1024); /* several chunks (8 of 176 rows at this N) really happen */
    float *x = rnd(&r, N * C, 1), *w = rnd(&r, OC * C * K, 0.05), *b = rnd(&r, OC, 1), *dout = rnd(&r, N * OC, 1);
    double *ro = calloc((size_t)(N * OC), 8), *rdx = calloc((size_t)(N * C), 8), *rdw = calloc(OC * C * K, 8);
    double rdb[OC] = {0};
    naive_conv_fwd(ro, x, w, b, offs, B, C, OC, K);
    naive_conv_bwd(rdx, rdw, rdb, dout, x, w, offs, B, C, OC, K);
    float *out = zeros(N * OC), *dx = zeros(N * C), *dw = zeros(OC * C * K), *db = zeros(OC);
    CHECK(ef_conv1d_forward(out, x, w, b, offs, B, C, OC, K, NULL) == EF_OK);
    CHECK(ef_conv1d_backward(dx, dw, db, dout, x, w, offs, B, C, OC, K, NULL) == EF_OK);
    /* On a pool of 3 threads: the same bits (fixed chunks, partials reduced in order). */
    {
        ef_pool *pool;
        CHECK(ef_pool_create(&pool, 3, NULL) == EF_OK);
        float *work = zeros(ef_conv1d_workspace_floats(N, C, OC, K, 3));
        float *o3 = zeros(N * OC), *dx3 = zeros(N * C), *dw3 = zeros(OC * C * K), *db3 = zeros(OC);
        ef_conv1d_forward_ws(pool, o3, work, x, w, b, offs, B, C, OC, K);
        ef_conv1d_backward_ws(pool, dx3, dw3, db3, work, dout, x, w, offs, B, C, OC, K);
        CHECK(memcmp(o3, out, (size_t)(N * OC) * sizeof(float)) == 0);
        CHECK(memcmp(dx3, dx, (size_t)(N * C) * sizeof(float)) == 0);
        CHECK(memcmp(dw3, dw, (size_t)(OC * C * K) * sizeof(float)) == 0);
        CHECK(memcmp(db3, db, (size_t)OC * sizeof(float)) == 0);
        /* The _set variant writes dinp (garbage before) with the same values. */
        for (int64_t i = 0; i < N * C; i++) dx3[i] = 1e30f;
        ef_conv1d_backward_set_ws(pool, dx3, NULL, NULL, work, dout, x, w, offs, B, C, OC, K);
        CHECK(memcmp(dx3, dx, (size_t)(N * C) * sizeof(float)) == 0);
        ef_pool_free(pool);
        free(work), free(o3), free(dx3), free(dw3), free(db3);
    }
    float *f;
    ef_test_close("conv oracle (chunked) out", out, f = d2f(ro, N * OC), (size_t)(N * OC), 1e-4, 1e-4), free(f);
    ef_test_close("conv oracle (chunked) dinp", dx, f = d2f(rdx, N * C), (size_t)(N * C), 1e-4, 1e-4), free(f);
    ef_test_close("conv oracle (chunked) dw", dw, f = d2f(rdw, OC * C * K), OC * C * K, 1e-4, 1e-4), free(f);
    ef_test_close("conv oracle (chunked) db", db, f = d2f(rdb, OC), OC, 1e-4, 1e-4), free(f);
    free(x), free(w), free(b), free(dout), free(ro), free(rdx), free(rdw), free(out), free(dx), free(dw), free(db);

    /* dense oracle, sizes not multiples of any SIMD width */
    enum { DN = 301, DC = 203, DO = 37 };
    x = rnd(&r, DN * DC, 1), w = rnd(&r, DO * DC, 0.1), b = rnd(&r, DO, 1), dout = rnd(&r, DN * DO, 1);
    double *o2 = calloc(DN * DO, 8), *dx2 = calloc(DN * DC, 8), *dw2 = calloc(DO * DC, 8), db2[DO] = {0};
    for (int n = 0; n < DN; n++)
        for (int o = 0; o < DO; o++) {
            double acc = b[o], d = dout[n * DO + o];
            for (int c = 0; c < DC; c++) {
                acc += (double)x[n * DC + c] * w[o * DC + c];
                dx2[n * DC + c] += d * w[o * DC + c];
                dw2[o * DC + c] += d * x[n * DC + c];
            }
            o2[n * DO + o] = acc;
            db2[o] += d;
        }
    out = zeros(DN * DO), dx = zeros(DN * DC), dw = zeros(DO * DC), db = zeros(DO);
    ef_dense_forward(out, x, w, b, DN, DC, DO);
    ef_dense_backward(dx, dw, db, dout, x, w, DN, DC, DO);
    ef_test_close("dense oracle out", out, f = d2f(o2, DN * DO), DN * DO, 1e-4, 1e-4), free(f);
    ef_test_close("dense oracle dinp", dx, f = d2f(dx2, DN * DC), DN * DC, 1e-4, 1e-4), free(f);
    ef_test_close("dense oracle dw", dw, f = d2f(dw2, DO * DC), DO * DC, 1e-4, 1e-4), free(f);
    ef_test_close("dense oracle db", db, f = d2f(db2, DO), DO, 1e-4, 1e-4), free(f);
    free(x), free(w), free(b), free(dout), free(o2), free(dx2), free(dw2), free(out), free(dx), free(dw), free(db);
}

int main(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/nn/layers_ref.safetensors", ef_test_fixtures_dir());
    ef_error err = {0};
    if (ef_safetensors_open(&g_st, path, &err) != EF_OK) {
        fprintf(stderr, "cannot open fixture: %s\n", err.msg);
        return 1;
    }
    int64_t nb;
    int32_t *o32 = geti("ragged.offsets", &nb);
    int B = (int)nb - 1;
    int64_t offs[16];
    for (int i = 0; i <= B; i++) offs[i] = o32[i];
    free(o32);
    test_dense();
    test_conv(offs, B);
    test_batchnorm(offs[B]);
    test_pool(offs, B);
    test_xent();
    test_adam();
    test_adam_pool();
    test_finite();
    test_dropout();
    test_init();
    test_concat();
    test_oracles();
    ef_safetensors_close(g_st);
    return ef_test_exit();
}
