/* One modality branch: blocks (dense per row or conv1d over time, dropout at the input,
 * batch norm, ReLU), masked mean pooling and an optional output dense, forward and
 * backward over a ragged batch. Frozen blocks always form a prefix of the branch (the
 * strategies guarantee it), so backward stops at the first frozen block and never needs
 * the gradient of a batch norm in inference mode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "nn/model_internal.h"

static int add_tensor(ef_params *p, const char *layer, const char *what, int ndim, int64_t d0, int64_t d1, int64_t d2,
                      ef_init_kind init, int fan_in, int fan_out, int buffer)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", layer, what);
    int64_t shape[3] = {d0, d1, d2};
    return ef_params_add(p, name, ndim, shape, init, fan_in, fan_out, buffer);
}

int ef_branch_add_block(ef_branch *br, ef_params *p, const char *layer, const char *paper, blk_kind kind, int C,
                        int OC, int K, int bn, float dropout)
{
    EF_ASSERT(br->nblk < 3);
    ef_block *b = &br->blk[br->nblk++];
    memset(b, 0, sizeof *b);
    snprintf(b->layer, sizeof b->layer, "%s", layer);
    snprintf(b->paper, sizeof b->paper, "%s", paper);
    b->kind = kind;
    b->C = C;
    b->OC = OC;
    b->K = kind == BLK_CONV ? K : 1;
    b->bn = bn;
    b->dropout = dropout;
    b->trainable = 1;
    b->igamma = b->ibeta = b->imean = b->ivar = -1;
    /* Keras' Glorot fans: dense (C, OC); conv1d (C*K, OC*K). */
    if (kind == BLK_DENSE)
        b->iw = add_tensor(p, layer, "weight", 2, OC, C, 0, EF_INIT_GLOROT, C, OC, 0);
    else
        b->iw = add_tensor(p, layer, "weight", 3, OC, C, K, EF_INIT_GLOROT, C * K, OC * K, 0);
    b->ib = add_tensor(p, layer, "bias", 1, OC, 0, 0, EF_INIT_ZEROS, 0, 0, 0);
    if (bn) {
        b->igamma = add_tensor(p, layer, "bn_gamma", 1, OC, 0, 0, EF_INIT_ONES, 0, 0, 0);
        b->ibeta = add_tensor(p, layer, "bn_beta", 1, OC, 0, 0, EF_INIT_ZEROS, 0, 0, 0);
        b->imean = add_tensor(p, layer, "bn_mean", 1, OC, 0, 0, EF_INIT_ZEROS, 0, 0, 1);
        b->ivar = add_tensor(p, layer, "bn_var", 1, OC, 0, 0, EF_INIT_ONES, 0, 0, 1);
        if (b->igamma < 0 || b->ibeta < 0 || b->imean < 0 || b->ivar < 0) return -1;
    }
    br->F = OC;
    return b->iw < 0 || b->ib < 0 ? -1 : 0;
}

int ef_branch_add_head(ef_branch *br, ef_params *p, int K)
{
    char layer[24];
    snprintf(layer, sizeof layer, "%s.out", br->name);
    br->has_head = 1;
    br->head_trainable = 1;
    br->K = K;
    br->ihw = add_tensor(p, layer, "weight", 2, K, br->F, 0, EF_INIT_GLOROT, br->F, K, 0);
    br->ihb = add_tensor(p, layer, "bias", 1, K, 0, 0, EF_INIT_ZEROS, 0, 0, 0);
    return br->ihw < 0 || br->ihb < 0 ? -1 : 0;
}

static int max_channels(const ef_branch *br)
{
    int mc = 1;
    for (int i = 0; i < br->nblk; i++) {
        if (br->blk[i].C > mc) mc = br->blk[i].C;
        if (br->blk[i].OC > mc) mc = br->blk[i].OC;
    }
    return mc;
}

static void free_rows(ef_branch *br)
{
    for (int i = 0; i < br->nblk; i++) {
        ef_block *b = &br->blk[i];
        free(b->xdrop);
        free(b->mask);
        free(b->pre);
        free(b->act);
        free(b->dact);
        b->xdrop = b->pre = b->act = b->dact = NULL;
        b->mask = NULL;
    }
    free(br->scratch);
    free(br->dxdrop);
    free(br->convws);
    free(br->bnpart);
    free(br->bndbl);
    free(br->bnk);
    free(br->bad_items);
    br->scratch = br->dxdrop = br->convws = br->bnpart = br->bnk = NULL;
    br->bndbl = NULL;
    br->bad_items = NULL;
    br->cap_rows = 0;
    br->convws_n = 0;
}

void ef_branch_free(ef_branch *br)
{
    free_rows(br);
    for (int i = 0; i < br->nblk; i++) {
        free(br->blk[i].mean);
        free(br->blk[i].rstd);
        br->blk[i].mean = br->blk[i].rstd = NULL;
    }
    free(br->pooled);
    free(br->dpooled);
    free(br->logits);
    free(br->dlogits);
    br->pooled = br->dpooled = br->logits = br->dlogits = NULL;
    br->cap_B = 0;
}

#define ALLOC_F(ptr, n) (((ptr) = malloc((size_t)(n) * sizeof(float))) != NULL)

ef_code ef_branch_reserve(ef_branch *br, int64_t N, int B, ef_error *err)
{
    int threads = ef_pool_threads(br->pool);
    if (N > br->cap_rows || threads != br->pool_threads) {
        free_rows(br);
        int64_t cap = N + N / 2; /* grow geometrically: batches differ in length */
        int mc = max_channels(br);
        int ok = 1;
        int64_t ws = 0;
        for (int i = 0; i < br->nblk && ok; i++) {
            ef_block *b = &br->blk[i];
            if (b->dropout > 0.0f) {
                ok = ok && ALLOC_F(b->xdrop, cap * b->C);
                ok = ok && ((b->mask = malloc((size_t)(cap * b->C))) != NULL);
            }
            ok = ok && ALLOC_F(b->pre, cap * b->OC) && ALLOC_F(b->act, cap * b->OC) && ALLOC_F(b->dact, cap * b->OC);
            int64_t w = ef_conv1d_workspace_floats(cap, b->C, b->OC, b->K, threads);
            if (w > ws) ws = w;
        }
        ok = ok && ALLOC_F(br->scratch, cap * mc) && ALLOC_F(br->dxdrop, cap * mc);
        ok = ok && ALLOC_F(br->bnpart, ef_bn_part_floats(cap, mc)) && ALLOC_F(br->bnk, 3 * mc);
        ok = ok && (br->bndbl = malloc(2 * (size_t)mc * sizeof(double))) != NULL;
        ok = ok && (br->bad_items = malloc((size_t)(cap / 64 + 1) * sizeof(int))) != NULL;
        if (ok && ws > 0) ok = ALLOC_F(br->convws, ws);
        if (!ok) {
            free_rows(br);
            return ef_fail(err, EF_ERR_NOMEM, "%s branch: cannot allocate activations for %lld rows", br->name,
                           (long long)N);
        }
        br->cap_rows = cap;
        br->convws_n = ws;
        br->pool_threads = threads;
    }
    if (B > br->cap_B) {
        int cap = B + B / 2;
        free(br->pooled);
        free(br->dpooled);
        free(br->logits);
        free(br->dlogits);
        br->pooled = br->dpooled = br->logits = br->dlogits = NULL;
        br->cap_B = 0;
        int ok = ALLOC_F(br->pooled, (int64_t)cap * br->F) && ALLOC_F(br->dpooled, (int64_t)cap * br->F);
        if (ok && br->has_head) ok = ALLOC_F(br->logits, (int64_t)cap * br->K) && ALLOC_F(br->dlogits, (int64_t)cap * br->K);
        for (int i = 0; i < br->nblk && ok; i++) {
            ef_block *b = &br->blk[i];
            if (!b->mean) ok = ALLOC_F(b->mean, b->OC) && ALLOC_F(b->rstd, b->OC);
        }
        if (!ok) return ef_fail(err, EF_ERR_NOMEM, "%s branch: out of memory", br->name);
        br->cap_B = cap;
    }
    return EF_OK;
}

/* Will block i apply dropout in a training forward? */
static int drops(const ef_block *b, int training)
{
    return training && b->trainable && b->dropout > 0.0f;
}

static float drop_scale(float rate)
{
    return rate < 1.0f ? 1.0f / (1.0f - rate) : 0.0f;
}

void ef_branch_forward(ef_branch *br, const ef_params *p, const float *input, const int64_t *offsets, int B,
                       int training, ef_rng *rng, float momentum, float eps)
{
    int64_t N = offsets[B] - offsets[0];
    br->input = input;
    br->offsets = offsets;
    br->B = B;
    br->N = N;
    const float *x = input;
    for (int i = 0; i < br->nblk; i++) br->blk[i].predropped = 0;
    for (int i = 0; i < br->nblk; i++) {
        ef_block *b = &br->blk[i];
        /* A frozen block is inference-only, its input dropout included (a pre-trained
         * branch is a fixed feature extractor; this also makes its outputs cacheable). */
        b->dropped = drops(b, training);
        if (b->dropped) {
            if (!b->predropped) ef_dropout_forward_pool(br->pool, b->xdrop, b->mask, x, N * b->C, b->dropout, rng);
            x = b->xdrop;
        }
        b->x = x;
        const float *w = ef_params_value(p, b->iw), *bias = ef_params_value(p, b->ib);
        /* Dense blocks are conv1d with K = 1: the same chunked, pooled GEMMs. */
        ef_conv1d_forward_ws(br->pool, b->pre, br->convws, x, w, bias, offsets, B, b->C, b->OC, b->K);
        b->bn_batch = 0;
        /* Per-channel affine before the ReLU: batch statistics (training), running ones
         * (inference and frozen layers, tf.keras trainable=False semantics) or none. */
        float *shift = br->bnk, *scale = br->bnk + b->OC, *beta = br->bnk + 2 * b->OC;
        b->bad_pre = 0;
        if (b->bn) {
            const float *g = ef_params_value(p, b->igamma), *be = ef_params_value(p, b->ibeta);
            float *rm = ef_params_value(p, b->imean), *rv = ef_params_value(p, b->ivar);
            if (training && b->trainable) {
                b->bad_pre = ef_bn_train_stats(br->pool, br->bnpart, br->bndbl, b->mean, b->rstd, rm, rv, b->pre, N,
                                               b->OC, momentum, eps);
                b->bn_batch = 1;
                for (int c = 0; c < b->OC; c++) shift[c] = b->mean[c], scale[c] = b->rstd[c] * g[c];
            } else { /* as ef_batchnorm_forward_infer */
                for (int c = 0; c < b->OC; c++) {
                    shift[c] = rm[c];
                    scale[c] = (float)(1.0 / sqrt((double)rv[c] + (double)eps)) * g[c];
                }
            }
            memcpy(beta, be, (size_t)b->OC * sizeof(float));
        } else { /* (x - 0) * 1 + 0 = x exactly: a plain ReLU */
            for (int c = 0; c < b->OC; c++) shift[c] = 0.0f, scale[c] = 1.0f, beta[c] = 0.0f;
        }
        /* One pass: affine + ReLU + the next block's dropout (its mask drawn first: the
         * generator sees the same draws in the same order as the unfused layers). */
        ef_block *nx = i + 1 < br->nblk ? &br->blk[i + 1] : NULL;
        float *xdrop = NULL;
        if (nx && drops(nx, training)) {
            ef_dropout_draw_mask_pool(br->pool, nx->mask, N * nx->C, nx->dropout, rng);
            nx->predropped = 1;
            xdrop = nx->xdrop;
        }
        b->bad_act = ef_bn_apply_relu(br->pool, br->bad_items, b->act, xdrop, xdrop ? nx->mask : NULL,
                                      xdrop ? drop_scale(nx->dropout) : 0.0f, b->pre, shift, scale, beta, N, b->OC);
        b->checked = 1;
        x = b->act;
    }
    ef_meanpool_forward_pool(br->pool, br->pooled, x, offsets, B, br->F);
    if (br->has_head)
        ef_dense_forward(br->logits, br->pooled, ef_params_value(p, br->ihw), ef_params_value(p, br->ihb), B, br->F,
                         br->K);
}

int ef_branch_any_trainable(const ef_branch *br)
{
    for (int i = 0; i < br->nblk; i++)
        if (br->blk[i].trainable) return 1;
    return br->has_head && br->head_trainable;
}

void ef_branch_sync_trainable(ef_branch *br, const ef_params *p)
{
    for (int i = 0; i < br->nblk; i++) br->blk[i].trainable = p->t[br->blk[i].iw].trainable;
    if (br->has_head) br->head_trainable = p->t[br->ihw].trainable;
}

/* The gradient of b->act as a plain (N, OC) matrix in b->dact (unfused blocks). */
static void materialise(ef_branch *br, ef_block *b, const ef_grad_src *src)
{
    int64_t n = br->N * b->OC;
    if (src->dpooled) {
        memset(b->dact, 0, (size_t)n * sizeof(float));
        ef_meanpool_backward(b->dact, src->dpooled, src->offsets, src->B, b->OC);
    } else if (src->mask) {
        for (int64_t k = 0; k < n; k++) b->dact[k] = 0.0f + src->dact[k] * (src->dscale * (float)src->mask[k]);
    } else if (src->dact != b->dact) {
        memcpy(b->dact, src->dact, (size_t)n * sizeof(float));
    }
}

void ef_branch_backward(ef_branch *br, ef_params *p)
{
    int B = br->B;
    int64_t N = br->N;
    int last = br->nblk - 1;
    int blocks_train = br->blk[last].trainable;
    if (br->has_head) {
        if (!br->head_trainable) return; /* frozen head: everything before it is frozen too */
        if (blocks_train) memset(br->dpooled, 0, (size_t)B * br->F * sizeof(float));
        ef_dense_backward(blocks_train ? br->dpooled : NULL, ef_params_gradient(p, br->ihw),
                          ef_params_gradient(p, br->ihb), br->dlogits, br->pooled, ef_params_value(p, br->ihw), B,
                          br->F, br->K);
    }
    if (!blocks_train) return;
    /* The gradient reaching block i's output, read in place by the fused pass. */
    ef_grad_src src = {.dpooled = br->dpooled, .offsets = br->offsets, .B = B};
    for (int i = last; i >= 0; i--) {
        ef_block *b = &br->blk[i];
        if (!b->trainable) break;
        const float *g;
        if (b->bn) {
            EF_ASSERT(b->bn_batch);
            ef_bn_relu_backward(br->pool, br->bnpart, br->bndbl, br->bnk, br->scratch, ef_params_gradient(p, b->igamma),
                                ef_params_gradient(p, b->ibeta), &src, b->act, b->pre, ef_params_value(p, b->igamma),
                                b->mean, b->rstd, N, b->OC);
            g = br->scratch;
        } else {
            materialise(br, b, &src);
            ef_relu_backward(b->dact, b->dact, b->act, N * b->OC);
            g = b->dact;
        }
        int need_dinp = i > 0 && br->blk[i - 1].trainable;
        float *dx = NULL;
        if (need_dinp) {
            dx = b->dropped ? br->dxdrop : br->blk[i - 1].dact;
            src = (ef_grad_src){.dact = dx, .mask = b->dropped ? b->mask : NULL,
                                .dscale = b->dropped ? drop_scale(b->dropout) : 1.0f};
        }
        const float *w = ef_params_value(p, b->iw);
        /* A bias followed by batch norm on batch statistics has a gradient of exactly 0
         * (BN subtracts the batch mean, so the loss does not depend on it). Computed in
         * float it is rounding residue (1e-8..1e-7 per step, measured), about Adam's eps,
         * which Adam would turn into steps of up to the learning rate in random
         * directions; leaving it 0 keeps the bias where it is, as the exact (float64)
         * reference does, and skips the column sums. */
        float *dw = ef_params_gradient(p, b->iw), *db = b->bn ? NULL : ef_params_gradient(p, b->ib);
        ef_conv1d_backward_set_ws(br->pool, dx, dw, db, br->convws, g, b->x, w, br->offsets, B, b->C, b->OC, b->K);
    }
}

static int nonfinite(const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 1;
    return 0;
}

const char *ef_branch_nonfinite(const ef_branch *br)
{
    static _Thread_local char name[48];
    for (int i = 0; i < br->nblk; i++) {
        const ef_block *b = &br->blk[i];
        int bad = b->checked ? b->bad_pre || b->bad_act
                             : nonfinite(b->pre, br->N * b->OC) || nonfinite(b->act, br->N * b->OC);
        if (bad) {
            snprintf(name, sizeof name, "%s (%s)", b->layer, b->paper);
            return name;
        }
    }
    if (nonfinite(br->pooled, (int64_t)br->B * br->F)) {
        snprintf(name, sizeof name, "%s.pool", br->name);
        return name;
    }
    if (br->has_head && nonfinite(br->logits, (int64_t)br->B * br->K)) {
        snprintf(name, sizeof name, "%s.out", br->name);
        return name;
    }
    return NULL;
}
