/* BERT encoder vs the independent PyTorch reference (tests/reference/bert_reference.py,
 * fixtures in tests/fixtures/bert/): every layer's hidden states of the tiny model within
 * |a-b| <= 1e-4 + 1e-4|ref|, for single sequences, packed batch mixes, the naive oracle,
 * BF16/F16 checkpoints, windows for long texts, and the feature API's threading modes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/text/bert_gemm.h"
#include "emofuse/bert.h"
#include "text/bert_model.h"
#include "emofuse/safetensors.h"
#include "testutil.h"

#define ATOL 1e-4
#define RTOL 1e-4
#define NSEQ 6

static ef_safetensors_file *ref;

static const ef_safetensors_tensor *get(const char *name)
{
    const ef_safetensors_tensor *t = ef_safetensors_find(ref, name);
    if (!t) {
        fprintf(stderr, "fixture tensor '%s' missing\n", name);
        exit(1);
    }
    return t;
}

static ef_bert_model *load(const char *sub)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/bert/%s", ef_test_fixtures_dir(), sub);
    ef_bert_model *m = NULL;
    ef_error err = {0};
    ef_code rc = ef_bert_load(&m, dir, &err);
    CHECK_MSG(rc == EF_OK, "%s", err.msg);
    if (!m) exit(ef_test_exit());
    return m;
}

/* Sequence s's states (L+1, T, C) out of a packed batch's states (L+1, N, C). */
static void extract(float *dst, const float *all, int L, int N, int row0, int T, int C)
{
    for (int l = 0; l <= L; l++)
        memcpy(dst + (size_t)l * T * C, all + ((size_t)l * N + row0) * C, (size_t)T * C * sizeof(float));
}

static void test_single_and_naive(const ef_bert_model *m)
{
    int L = m->cfg.n_layers, C = m->cfg.hidden;
    ef_bert_workspace *ws = ef_bert_workspace_new(&m->cfg, 64, 64);
    CHECK(ws != NULL);
    float *hs = malloc((size_t)(L + 1) * 64 * C * sizeof(float));
    for (int s = 0; s < NSEQ; s++) {
        char nm[64], what[64];
        snprintf(nm, sizeof nm, "seq%d.input_ids", s);
        const ef_safetensors_tensor *ids = get(nm);
        snprintf(nm, sizeof nm, "seq%d.hidden", s);
        const ef_safetensors_tensor *h = get(nm);
        int T = (int)ids->shape[0];
        ef_error err = {0};
        CHECK_MSG(ef_bert_forward(m, ws, ids->data, &T, 1, hs, NULL, 0, &err) == EF_OK, "%s", err.msg);
        snprintf(what, sizeof what, "seq%d (T=%d) all layers", s, T);
        CHECK(ef_test_close(what, hs, h->data, (size_t)(L + 1) * T * C, ATOL, RTOL));
        CHECK_MSG(ef_bert_forward_naive(m, ids->data, T, hs, &err) == EF_OK, "%s", err.msg);
        snprintf(what, sizeof what, "seq%d naive oracle", s);
        CHECK(ef_test_close(what, hs, h->data, (size_t)(L + 1) * T * C, ATOL, RTOL));
    }
    free(hs);
    ef_bert_workspace_free(ws);
}

/* Several groupings and orders of the sequences in one packed batch must give each
 * sequence exactly its single-sequence states. */
static void test_batch_mixes(const ef_bert_model *m)
{
    int L = m->cfg.n_layers, C = m->cfg.hidden;
    static const int mixes[][NSEQ + 1] = {
        {6, 0, 1, 2, 3, 4, 5}, {6, 5, 4, 3, 2, 1, 0}, {3, 5, 0, 3, -1, -1, -1}, {2, 1, 1, -1, -1, -1, -1},
        {4, 4, 2, 4, 0, -1, -1},
    };
    ef_bert_workspace *ws1 = ef_bert_workspace_new(&m->cfg, 512, 64);
    /* Odd mixes run attention and LayerNorm/GELU on 3 threads (ef_parallel_for). */
    ef_bert_workspace *ws3 = ef_bert_workspace_new_threads(&m->cfg, 512, 64, 3), *ws = ws1;
    float *all = malloc((size_t)(L + 1) * 512 * C * sizeof(float));
    float *sum = malloc((size_t)512 * C * sizeof(float));
    float *one = malloc((size_t)(L + 1) * 64 * C * sizeof(float));
    int32_t ids[512];
    for (size_t k = 0; k < sizeof mixes / sizeof mixes[0]; k++) {
        int B = mixes[k][0], lens[NSEQ], N = 0;
        ws = (k & 1) ? ws3 : ws1;
        for (int b = 0; b < B; b++) {
            char nm[64];
            snprintf(nm, sizeof nm, "seq%d.input_ids", mixes[k][1 + b]);
            const ef_safetensors_tensor *t = get(nm);
            lens[b] = (int)t->shape[0];
            memcpy(ids + N, t->data, (size_t)lens[b] * sizeof(int32_t));
            N += lens[b];
        }
        ef_error err = {0};
        /* mask: states 1 and 2 */
        CHECK_MSG(ef_bert_forward(m, ws, ids, lens, B, all, sum, 0x6, &err) == EF_OK, "%s", err.msg);
        int row = 0;
        for (int b = 0; b < B; b++) {
            char nm[64], what[96];
            snprintf(nm, sizeof nm, "seq%d.hidden", mixes[k][1 + b]);
            const float *h = get(nm)->data;
            int T = lens[b];
            extract(one, all, L, N, row, T, C);
            snprintf(what, sizeof what, "mix %zu seq %d", k, mixes[k][1 + b]);
            CHECK(ef_test_close(what, one, h, (size_t)(L + 1) * T * C, ATOL, RTOL));
            float *ref_sum = malloc((size_t)T * C * sizeof(float));
            for (size_t i = 0; i < (size_t)T * C; i++) ref_sum[i] = h[(size_t)T * C + i] + h[(size_t)2 * T * C + i];
            snprintf(what, sizeof what, "mix %zu seq %d layer sum 1+2", k, mixes[k][1 + b]);
            CHECK(ef_test_close(what, sum + (size_t)row * C, ref_sum, (size_t)T * C, 2 * ATOL, RTOL));
            free(ref_sum);
            row += T;
        }
    }
    /* Out-of-vocabulary ids and over-long sequences are argument errors, not crashes. */
    ef_error err = {0};
    int32_t bad[3] = {2, 100, 3};
    int T = 3;
    CHECK(ef_bert_forward(m, ws, bad, &T, 1, NULL, NULL, 0, &err) == EF_ERR_ARG);
    CHECK(strstr(err.msg, "outside the vocabulary") != NULL);
    T = 65;
    CHECK(ef_bert_forward(m, ws, ids, &T, 1, NULL, NULL, 0, &err) == EF_ERR_ARG);
    free(all);
    free(sum);
    free(one);
    ef_bert_workspace_free(ws1);
    ef_bert_workspace_free(ws3);
}

static void test_half_precision(void)
{
    const char *subs[2] = {"tiny-bf16", "tiny-f16"}, *keys[2] = {"bf16.hidden", "f16.hidden"};
    for (int i = 0; i < 2; i++) {
        ef_bert_model *m = load(subs[i]);
        int L = m->cfg.n_layers, C = m->cfg.hidden;
        const ef_safetensors_tensor *ids = get("seq4.input_ids");
        int T = (int)ids->shape[0];
        ef_bert_workspace *ws = ef_bert_workspace_new(&m->cfg, T, T);
        float *hs = malloc((size_t)(L + 1) * T * C * sizeof(float));
        ef_error err = {0};
        CHECK_MSG(ef_bert_forward(m, ws, ids->data, &T, 1, hs, NULL, 0, &err) == EF_OK, "%s", err.msg);
        CHECK(ef_test_close(keys[i], hs, get(keys[i])->data, (size_t)(L + 1) * T * C, ATOL, RTOL));
        /* Converted once at load: the model owns an F32 copy of every weight. */
        CHECK(m->owned != NULL && m->owned_floats * sizeof(float) == m->weight_bytes);
        free(hs);
        ef_bert_workspace_free(ws);
        ef_bert_free(m);
    }
}

static void test_windows(const ef_bert_model *m)
{
    int L = m->cfg.n_layers, C = m->cfg.hidden;
    const ef_safetensors_tensor *p = get("long.pieces");
    int n = (int)p->shape[0];
    ef_bert_feat_opts o = ef_bert_feat_default_params();
    float *hs = malloc((size_t)(L + 1) * (n + 2) * C * sizeof(float));
    int T = 0;
    ef_error err = {0};
    CHECK_MSG(ef_bert_hidden_states(m, &o, p->data, n, hs, &T, &err) == EF_OK, "%s", err.msg);
    CHECK(T == n + 2);
    CHECK(ef_test_close("long text windows (stride 31)", hs, get("long.hidden")->data, (size_t)(L + 1) * T * C, ATOL,
                        RTOL));
    o.window_stride = 20;
    o.layer_first = 1;
    o.layer_count = 2;
    CHECK(ef_bert_feat_rows(m, &o, n) == n);
    float *f = malloc((size_t)n * C * sizeof(float));
    const int32_t *pieces[1] = {p->data};
    float *outs[1] = {f};
    CHECK_MSG(ef_bert_features(m, &o, 1, pieces, &n, outs, &err) == EF_OK, "%s", err.msg);
    CHECK(ef_test_close("long text features (stride 20, layers 1+2)", f, get("long.features_s20_l1n2")->data,
                        (size_t)n * C, 2 * ATOL, RTOL));
    /* Corpus path with windows and [CLS]/[SEP] rows: sum of all states of long.hidden. */
    o = ef_bert_feat_default_params();
    o.keep_special = 1;
    o.batch_tokens = 100; /* one window per batch */
    CHECK(ef_bert_feat_rows(m, &o, n) == n + 2);
    float *fk = malloc((size_t)(n + 2) * C * sizeof(float)), *want = malloc((size_t)(n + 2) * C * sizeof(float));
    const float *lh = get("long.hidden")->data;
    for (size_t i = 0; i < (size_t)(n + 2) * C; i++)
        want[i] = lh[i] + lh[(size_t)(n + 2) * C + i] + lh[(size_t)2 * (n + 2) * C + i];
    outs[0] = fk;
    CHECK_MSG(ef_bert_features(m, &o, 1, pieces, &n, outs, &err) == EF_OK, "%s", err.msg);
    CHECK(ef_test_close("long text features with [CLS]/[SEP] rows", fk, want, (size_t)(n + 2) * C, 3 * ATOL, RTOL));
    free(fk);
    free(want);
    /* Truncation keeps the first P-2 pieces: the states of one window of them. */
    o = ef_bert_feat_default_params();
    o.truncate = 1;
    CHECK(ef_bert_feat_rows(m, &o, n) == 62);
    CHECK_MSG(ef_bert_hidden_states(m, &o, p->data, n, hs, &T, &err) == EF_OK, "%s", err.msg);
    CHECK(T == 64);
    ef_bert_workspace *ws = ef_bert_workspace_new(&m->cfg, 64, 64);
    float *h2 = malloc((size_t)(L + 1) * 64 * C * sizeof(float));
    int32_t ids[64];
    ids[0] = m->cls_id;
    memcpy(ids + 1, p->data, 62 * sizeof(int32_t));
    ids[63] = m->sep_id;
    int len = 64;
    CHECK(ef_bert_forward(m, ws, ids, &len, 1, h2, NULL, 0, &err) == EF_OK);
    CHECK(ef_test_close("truncated text", hs, h2, (size_t)(L + 1) * 64 * C, 0, 0));
    free(h2);
    ef_bert_workspace_free(ws);
    free(f);
    free(hs);
}

/* The corpus API: all sequences + the long text together, in both threading modes and
 * with tiny batches, sum and mean, with and without [CLS]/[SEP] rows. */
static void test_features_api(const ef_bert_model *m)
{
    int L = m->cfg.n_layers, C = m->cfg.hidden;
    int n[NSEQ];
    const int32_t *pieces[NSEQ];
    float *out[NSEQ];
    for (int s = 0; s < NSEQ; s++) {
        char nm[64];
        snprintf(nm, sizeof nm, "seq%d.input_ids", s);
        const ef_safetensors_tensor *t = get(nm);
        n[s] = (int)t->shape[0] - 2;
        pieces[s] = (const int32_t *)t->data + 1;
        out[s] = malloc((size_t)(n[s] + 2) * C * sizeof(float));
    }
    for (int mode = 0; mode < 8; mode++) {
        ef_bert_feat_opts o = ef_bert_feat_default_params();
        o.threading = (mode & 1) ? EF_BERT_THREADS_BLAS : EF_BERT_THREADS_SEQUENCES;
        o.n_threads = (mode & 2) ? 1 : 2;
        o.batch_tokens = (mode & 4) ? 70 : 1024;
        o.keep_special = mode & 1;
        o.mean = (mode >> 1) & 1;
        ef_error err = {0};
        CHECK_MSG(ef_bert_features(m, &o, NSEQ, pieces, n, out, &err) == EF_OK, "%s", err.msg);
        for (int s = 0; s < NSEQ; s++) {
            char nm[64], what[96];
            snprintf(nm, sizeof nm, "seq%d.hidden", s);
            const float *h = get(nm)->data;
            int T = n[s] + 2, rows = ef_bert_feat_rows(m, &o, n[s]), r0 = o.keep_special ? 0 : 1;
            CHECK(rows == (o.keep_special ? T : n[s]));
            /* Default layers for a 2-layer model: the last 4 clamp to states 0..2. */
            float *want = malloc((size_t)T * C * sizeof(float));
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < C; j++) {
                    float acc = 0;
                    for (int l = 0; l <= L; l++) acc += h[((size_t)l * T + r0 + r) * C + j];
                    want[(size_t)r * C + j] = o.mean ? acc / (float)(L + 1) : acc;
                }
            snprintf(what, sizeof what, "features mode %d seq %d", mode, s);
            CHECK(ef_test_close(what, out[s], want, (size_t)rows * C, 3 * ATOL, RTOL));
            free(want);
        }
    }
    ef_bert_feat_opts o = ef_bert_feat_default_params();
    o.layer_first = 2;
    o.layer_count = 2;
    ef_error err = {0};
    CHECK(ef_bert_features(m, &o, NSEQ, pieces, n, out, &err) == EF_ERR_ARG);
    CHECK(strstr(err.msg, "layers 2..3") != NULL);
    for (int s = 0; s < NSEQ; s++) free(out[s]);
}

int main(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bert/expected.safetensors", ef_test_fixtures_dir());
    ef_error err = {0};
    if (ef_safetensors_open(&ref, path, &err) != EF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    /* EMOFUSE_CPU=avx2|generic (ctest test_bert_encoder_avx2/_generic) caps the kernel */
    printf("kernel: %s (CPU supports %s)\n", ef_bert_isa_name(ef_bert_isa()), ef_bert_isa_name(ef_bert_isa_cpu()));
    ef_bert_model *m = load("tiny");
    CHECK(m->cfg.n_layers == 2 && m->cfg.hidden == 32 && m->cfg.n_heads == 4 && m->cfg.vocab_size == 100);
    CHECK(m->cls_id == 2 && m->sep_id == 3);
    CHECK(m->owned == NULL); /* F32 used in place from the mmap */
    test_single_and_naive(m);
    test_batch_mixes(m);
    test_half_precision();
    test_windows(m);
    test_features_api(m);
    ef_bert_free(m);
    ef_safetensors_close(ref);
    return ef_test_exit();
}
