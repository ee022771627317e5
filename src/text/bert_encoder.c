/* BERT forward pass over a packed batch (no padding rows), plus a naive triple-loop
 * version kept as the test oracle. Dense layers and both attention products go through
 * ef_bert_gemm (bert_gemm.c: AVX-512 or AVX2 kernel on the weights in place, fused
 * bias/residual/GELU; OpenBLAS on other CPUs).
 *
 * Layout: the B sequences of a batch are stored back to back, N = sum(lens) rows of C
 * floats. Dense layers are single GEMMs over all N rows; attention is computed per
 * sequence and head over that sequence's own rows, so no token ever attends to another
 * sequence (what a padding mask does) and no FLOP is spent on padding. */
#include <cblas.h>
#undef I /* cblas.h pulls in complex.h; I is our intermediate size */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bert_gemm.h"
#include "bert_model.h"
#include "emofuse/bert.h"
#include "emofuse/parallel.h"
#include "emofuse/progress.h"

struct ef_bert_workspace {
    int max_tokens, max_seq, C, I;
    float *x;      /* (N, C) current hidden state */
    float *q, *k, *v; /* (N, C) each */
    float *ctx;    /* (N, C) attention context */
    float *h1;     /* (N, C) after attention block */
    float *ff;     /* (N, I) intermediate activations */
    float *scores; /* (n_threads, max_seq, max_seq) one head's attention matrix per thread */
    float *vt;     /* (n_threads, D, max_seq) one head's values transposed, per thread */
    size_t *offs;  /* (max_tokens + 1) first row of each sequence */
    int n_threads; /* threads for attention and element-wise work (GEMMs: OpenBLAS's own) */
    /* The 7 activation buffers above point into these 64-byte aligned blocks (16 floats of
     * slack each), at the offset of the model's weights modulo 64 bytes (ws_align): the
     * kernel aligns its W loads, and X then shares that alignment (no split loads). */
    float *raw[7];
    int align_floats;
};

static float **ws_slot(ef_bert_workspace *ws, int i)
{
    float **slots[7] = {&ws->x, &ws->q, &ws->k, &ws->v, &ws->ctx, &ws->h1, &ws->ff};
    return slots[i];
}

/* Point the activation buffers at offset off (floats, 0..15) from a 64-byte boundary. */
static void ws_align(ef_bert_workspace *ws, int off)
{
    ws->align_floats = off;
    for (int i = 0; i < 7; i++) *ws_slot(ws, i) = ws->raw[i] + off;
}

static float *alloc_act(size_t floats)
{
    size_t bytes = (floats + 16) * sizeof(float);
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

ef_bert_workspace *ef_bert_workspace_new(const ef_bert_config *cfg, int max_tokens, int max_seq)
{
    return ef_bert_workspace_new_threads(cfg, max_tokens, max_seq, 1);
}

ef_bert_workspace *ef_bert_workspace_new_threads(const ef_bert_config *cfg, int max_tokens, int max_seq, int n_threads)
{
    if (max_tokens < 1 || max_seq < 1 || n_threads < 1) return NULL;
    ef_bert_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    size_t N = (size_t)max_tokens, C = (size_t)cfg->hidden, I = (size_t)cfg->intermediate;
    ws->max_tokens = max_tokens;
    ws->max_seq = max_seq;
    ws->C = cfg->hidden;
    ws->I = cfg->intermediate;
    for (int i = 0; i < 7; i++) ws->raw[i] = alloc_act(N * (i == 6 ? I : C));
    ws->n_threads = n_threads;
    ws->scores = malloc((size_t)n_threads * (size_t)max_seq * (size_t)max_seq * sizeof(float));
    ws->offs = malloc((N + 1) * sizeof(size_t));
    ws->vt = malloc((size_t)n_threads * (size_t)(cfg->hidden / cfg->n_heads) * (size_t)max_seq * sizeof(float));
    if (!ws->raw[0] || !ws->raw[1] || !ws->raw[2] || !ws->raw[3] || !ws->raw[4] || !ws->raw[5] || !ws->raw[6] ||
        !ws->scores || !ws->offs || !ws->vt) {
        ef_bert_workspace_free(ws);
        return NULL;
    }
    ws_align(ws, 0);
    return ws;
}

void ef_bert_workspace_free(ef_bert_workspace *ws)
{
    if (!ws) return;
    for (int i = 0; i < 7; i++) free(ws->raw[i]);
    free(ws->scores);
    free(ws->vt);
    free(ws->offs);
    free(ws);
}

/* In place over N rows of C: y = (x - mean) / sqrt(var + eps) * g + b (biased variance,
 * as torch.nn.LayerNorm). Two passes in double for the statistics: rows are short. */
static void layernorm_inplace(float *x, const float *g, const float *b, int N, int C, float eps)
{
    for (int i = 0; i < N; i++) {
        float *r = x + (size_t)i * C;
        double s = 0.0;
        for (int j = 0; j < C; j++) s += r[j];
        double mean = s / C;
        double v = 0.0;
        for (int j = 0; j < C; j++) {
            double d = r[j] - mean;
            v += d * d;
        }
        float rstd = (float)(1.0 / sqrt(v / C + (double)eps));
        float m = (float)mean;
        for (int j = 0; j < C; j++) r[j] = (r[j] - m) * rstd * g[j] + b[j];
    }
}

/* out (N, O) = in (N, K) . W^T + bias (+ out when accumulate) (GELU'd when gelu), W (O, K)
 * row-major (torch Linear layout). */
static void linear(const ef_bert_workspace *ws, float *out, const float *in, const float *W, const float *bias, int N,
                   int O, int K, int accumulate, int gelu)
{
    ef_bert_gemm(out, O, in, K, W, K, bias, 1.0f, N, O, K, accumulate, gelu, ws->n_threads);
}

typedef struct {
    ef_bert_workspace *ws;
    const int *lens;
    int C, NH, D;
    float scale;
} attn_ctx;

/* All heads of sequence b; thread t uses its own scores buffer. */
static void attention_item(void *p, int64_t b, int t)
{
    const attn_ctx *a = p;
    ef_bert_workspace *ws = a->ws;
    int T = a->lens[b], C = a->C, D = a->D;
    size_t off = ws->offs[b];
    float *scores = ws->scores + (size_t)t * ws->max_seq * ws->max_seq;
    float *vt = ws->vt + (size_t)t * D * ws->max_seq;
    const int fast = ef_bert_gemm_fast();
    for (int h = 0; h < a->NH; h++) {
        const float *qh = ws->q + off * C + (size_t)h * D;
        const float *kh = ws->k + off * C + (size_t)h * D;
        const float *vh = ws->v + off * C + (size_t)h * D;
        float *ch = ws->ctx + off * C + (size_t)h * D;
        ef_bert_gemm(scores, T, qh, C, kh, C, NULL, a->scale, T, T, D, 0, 0, 1);
        ef_bert_softmax_rows(scores, T, T, T);
        if (fast) {
            /* ctx_h = P v_h through the kernel (no OpenBLAS packing per head and call),
             * which wants the right operand as rows over the summed index: v_h transposed
             * (T D copies against T^2 D FMAs). */
            for (int j = 0; j < T; j++)
                for (int d = 0; d < D; d++) vt[(size_t)d * T + j] = vh[(size_t)j * C + d];
            ef_bert_gemm(ch, C, scores, T, vt, T, NULL, 1.0f, T, D, T, 0, 0, 1);
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, T, 1.0f, scores, T, vh, C, 0.0f, ch, C);
        }
    }
}

/* Row-wise work split into blocks of rows: LayerNorm (g != NULL) or GELU. */
#define ROW_BLOCK 32
typedef struct {
    float *x;
    const float *g, *b;
    int N, width;
    float eps;
} rows_ctx;

static void rows_item(void *p, int64_t blk, int t)
{
    (void)t;
    const rows_ctx *r = p;
    int r0 = (int)blk * ROW_BLOCK, n = r->N - r0 < ROW_BLOCK ? r->N - r0 : ROW_BLOCK;
    float *x = r->x + (size_t)r0 * r->width;
    if (r->g) layernorm_inplace(x, r->g, r->b, n, r->width, r->eps);
    else ef_bert_gelu(x, (size_t)n * r->width);
}

static void rows_par(const ef_bert_workspace *ws, int N, float *x, const float *g, const float *b, int width, float eps)
{
    rows_ctx r = {x, g, b, N, width, eps};
    int64_t blocks = (N + ROW_BLOCK - 1) / ROW_BLOCK;
    if (ws->n_threads > 1 && blocks > 1) {
        ef_parallel_for(blocks, ws->n_threads, rows_item, &r);
    } else {
        if (g) layernorm_inplace(x, g, b, N, width, eps);
        else ef_bert_gelu(x, (size_t)N * width);
    }
}

static void embed(const ef_bert_model *m, float *x, const int32_t *ids, const int *lens, int B)
{
    int C = m->cfg.hidden;
    size_t row = 0;
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < lens[b]; t++, row++) {
            float *r = x + row * (size_t)C;
            const float *w = m->wte + (size_t)ids[row] * C;
            const float *p = m->wpe + (size_t)t * C;
            const float *tt = m->tte; /* token type 0: single-segment input */
            for (int j = 0; j < C; j++) r[j] = w[j] + p[j] + tt[j];
        }
    }
}

static ef_code check_batch(const ef_bert_model *m, const ef_bert_workspace *ws, const int32_t *ids, const int *lens,
                           int B, int *N_out, ef_error *err)
{
    int64_t N = 0;
    for (int b = 0; b < B; b++) {
        if (lens[b] < 1 || lens[b] > m->cfg.max_positions || (ws && lens[b] > ws->max_seq))
            return ef_fail(err, EF_ERR_ARG, "bert: sequence %d has %d tokens (allowed 1..%d)", b, lens[b],
                           ws && ws->max_seq < m->cfg.max_positions ? ws->max_seq : m->cfg.max_positions);
        N += lens[b];
    }
    if (ws && N > ws->max_tokens)
        return ef_fail(err, EF_ERR_ARG, "bert: batch of %lld tokens exceeds the workspace (%d)", (long long)N,
                       ws->max_tokens);
    for (int64_t i = 0; i < N; i++)
        if (ids[i] < 0 || ids[i] >= m->cfg.vocab_size)
            return ef_fail(err, EF_ERR_ARG, "bert: token id %d at position %lld is outside the vocabulary [0, %d)",
                           ids[i], (long long)i, m->cfg.vocab_size);
    *N_out = (int)N;
    return EF_OK;
}

static void emit(float *all_hidden, float *layer_sum, uint64_t mask, int l, const float *x, size_t nc)
{
    if (all_hidden) memcpy(all_hidden + (size_t)l * nc, x, nc * sizeof(float));
    if (layer_sum && (mask >> l & 1u))
        for (size_t i = 0; i < nc; i++) layer_sum[i] += x[i];
}

ef_code ef_bert_forward(const ef_bert_model *m, ef_bert_workspace *ws, const int32_t *ids, const int *lens, int B,
                        float *all_hidden, float *layer_sum, uint64_t sum_mask, ef_error *err)
{
    int N = 0; /* set by check_batch; GCC -O3 cannot see that ef_fail never returns EF_OK */
    ef_code rc = check_batch(m, ws, ids, lens, B, &N, err);
    if (rc) return rc;
    const ef_bert_config *c = &m->cfg;
    int C = c->hidden, I = c->intermediate, NH = c->n_heads, D = C / NH;
    size_t nc = (size_t)N * C;
    float scale = 1.0f / sqrtf((float)D);
    uintptr_t wa = (uintptr_t)m->layers[0].q_w;
    int off = (wa & 3u) ? 0 : (int)((wa & 63u) / 4u);
    if (off != ws->align_floats) ws_align(ws, off); /* scratch buffers: contents need not move */
    float *x = ws->x;
    ws->offs[0] = 0;
    for (int b = 0; b < B; b++) ws->offs[b + 1] = ws->offs[b] + (size_t)lens[b];
    attn_ctx ac = {ws, lens, C, NH, D, scale};

    if (layer_sum) memset(layer_sum, 0, nc * sizeof(float));
    embed(m, x, ids, lens, B);
    layernorm_inplace(x, m->emb_ln_g, m->emb_ln_b, N, C, c->layer_norm_eps);
    emit(all_hidden, layer_sum, sum_mask, 0, x, nc);

    for (int l = 0; l < c->n_layers; l++) {
        const ef_bert_layer *ly = &m->layers[l];
        /* q, k, v (N, C) = x . W^T + b */
        linear(ws, ws->q, x, ly->q_w, ly->q_b, N, C, C, 0, 0);
        linear(ws, ws->k, x, ly->k_w, ly->k_b, N, C, C, 0, 0);
        linear(ws, ws->v, x, ly->v_w, ly->v_b, N, C, C, 0, 0);
        /* Per sequence and head: ctx_h (T, D) = softmax(q_h k_h^T / sqrt(D)) v_h. */
        if (ws->n_threads > 1) {
            int saved = openblas_get_num_threads();
            openblas_set_num_threads(1); /* small GEMMs, already one sequence per thread */
            ef_parallel_for(B, ws->n_threads, attention_item, &ac);
            openblas_set_num_threads(saved);
        } else {
            for (int b = 0; b < B; b++) attention_item(&ac, b, 0);
        }
        /* h1 = LayerNorm(x + ctx . Wo^T + bo) */
        memcpy(ws->h1, x, nc * sizeof(float));
        linear(ws, ws->h1, ws->ctx, ly->ao_w, ly->ao_b, N, C, C, 1, 0);
        rows_par(ws, N, ws->h1, ly->ln1_g, ly->ln1_b, C, c->layer_norm_eps);
        /* ff (N, I) = gelu(h1 . W1^T + b1) (GELU fused into the kernel when it runs);
         * x = LayerNorm(h1 + ff . W2^T + b2) */
        int fused = ef_bert_gemm_fast();
        linear(ws, ws->ff, ws->h1, ly->fc_w, ly->fc_b, N, I, C, 0, fused);
        if (!fused) rows_par(ws, N, ws->ff, NULL, NULL, I, 0.0f);
        memcpy(x, ws->h1, nc * sizeof(float));
        linear(ws, x, ws->ff, ly->proj_w, ly->proj_b, N, C, I, 1, 0);
        rows_par(ws, N, x, ly->ln2_g, ly->ln2_b, C, c->layer_norm_eps);
        emit(all_hidden, layer_sum, sum_mask, l + 1, x, nc);
    }
    /* A parallel section stops handing out work on SIGINT: the states are then garbage. */
    if (ws->n_threads > 1 && ef_interrupted()) return ef_fail(err, EF_ERR_INTERRUPTED, "bert: interrupted");
    return EF_OK;
}

/* ---- Naive oracle: plain loops in double accumulators, one sequence. ---------------- */

static void naive_linear(float *out, const float *in, const float *W, const float *bias, int T, int O, int K)
{
    for (int t = 0; t < T; t++)
        for (int o = 0; o < O; o++) {
            double s = bias[o];
            for (int k = 0; k < K; k++) s += (double)in[(size_t)t * K + k] * W[(size_t)o * K + k];
            out[(size_t)t * O + o] = (float)s;
        }
}

ef_code ef_bert_forward_naive(const ef_bert_model *m, const int32_t *ids, int T, float *all_hidden, ef_error *err)
{
    int N;
    ef_code rc = check_batch(m, NULL, ids, &T, 1, &N, err);
    if (rc) return rc;
    const ef_bert_config *c = &m->cfg;
    int C = c->hidden, I = c->intermediate, NH = c->n_heads, D = C / NH;
    size_t tc = (size_t)T * C;
    float *x = malloc(tc * sizeof(float)), *q = malloc(tc * sizeof(float)), *k = malloc(tc * sizeof(float));
    float *v = malloc(tc * sizeof(float)), *ctx = malloc(tc * sizeof(float)), *h = malloc(tc * sizeof(float));
    float *ff = malloc((size_t)T * I * sizeof(float));
    double *p = malloc((size_t)T * sizeof(double));
    if (!x || !q || !k || !v || !ctx || !h || !ff || !p) {
        rc = ef_fail(err, EF_ERR_NOMEM, "bert: out of memory");
        goto done;
    }
    embed(m, x, ids, &T, 1);
    layernorm_inplace(x, m->emb_ln_g, m->emb_ln_b, T, C, c->layer_norm_eps);
    memcpy(all_hidden, x, tc * sizeof(float));
    for (int l = 0; l < c->n_layers; l++) {
        const ef_bert_layer *ly = &m->layers[l];
        naive_linear(q, x, ly->q_w, ly->q_b, T, C, C);
        naive_linear(k, x, ly->k_w, ly->k_b, T, C, C);
        naive_linear(v, x, ly->v_w, ly->v_b, T, C, C);
        for (int hd = 0; hd < NH; hd++)
            for (int i = 0; i < T; i++) {
                double mx = -INFINITY, sum = 0.0;
                for (int j = 0; j < T; j++) {
                    double s = 0.0;
                    for (int d = 0; d < D; d++)
                        s += (double)q[(size_t)i * C + hd * D + d] * k[(size_t)j * C + hd * D + d];
                    p[j] = s / sqrt((double)D);
                    if (p[j] > mx) mx = p[j];
                }
                for (int j = 0; j < T; j++) sum += (p[j] = exp(p[j] - mx));
                for (int d = 0; d < D; d++) {
                    double s = 0.0;
                    for (int j = 0; j < T; j++) s += p[j] / sum * v[(size_t)j * C + hd * D + d];
                    ctx[(size_t)i * C + hd * D + d] = (float)s;
                }
            }
        naive_linear(h, ctx, ly->ao_w, ly->ao_b, T, C, C);
        for (size_t i = 0; i < tc; i++) h[i] += x[i];
        layernorm_inplace(h, ly->ln1_g, ly->ln1_b, T, C, c->layer_norm_eps);
        naive_linear(ff, h, ly->fc_w, ly->fc_b, T, I, C);
        for (size_t i = 0; i < (size_t)T * I; i++) ff[i] = (float)(0.5 * ff[i] * (1.0 + erf(ff[i] / sqrt(2.0))));
        naive_linear(x, ff, ly->proj_w, ly->proj_b, T, C, I);
        for (size_t i = 0; i < tc; i++) x[i] += h[i];
        layernorm_inplace(x, ly->ln2_g, ly->ln2_b, T, C, c->layer_norm_eps);
        memcpy(all_hidden + (size_t)(l + 1) * tc, x, tc * sizeof(float));
    }
done:
    free(x);
    free(q);
    free(k);
    free(v);
    free(ctx);
    free(h);
    free(ff);
    free(p);
    return rc;
}
