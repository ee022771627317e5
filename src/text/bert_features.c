/* From word-piece ids to per word-piece BERT features (the paper: sum of the last four
 * hidden layers), for one text or a whole corpus.
 *
 * Every text becomes one or more chunks "[CLS] pieces[a..a+w) [SEP]". Texts longer than
 * P-2 word-pieces are split into windows of W = P-2 pieces whose starts are `stride`
 * apart (the last window is aligned to the end of the text), and each piece takes its
 * features from the window in which it is most central (largest distance to the nearer
 * window edge; ties go to the earlier window): the same "maximum context" rule that
 * HuggingFace uses for long-document question answering. [CLS] comes from the first
 * window, [SEP] from the last.
 *
 * Chunks are sorted by length and packed into batches of about batch_tokens tokens; with
 * the packed forward pass there is no padding at all. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "bert_model.h"
#include "emofuse/bert.h"
#include "emofuse/parallel.h"
#include "emofuse/progress.h"

ef_bert_feat_opts ef_bert_feat_default_params(void)
{
    return (ef_bert_feat_opts){.layer_first = -1,
                               .layer_count = 4,
                               .mean = 0,
                               .keep_special = 0,
                               .truncate = 0,
                               .window_stride = 0,
                               .n_threads = 0,
                               .batch_tokens = 1024,
                               .threading = EF_BERT_THREADS_BLAS};
}

typedef struct {
    int text;      /* index of the text */
    int a, w;      /* content pieces [a, a+w) */
    int lo, hi;    /* pieces [lo, hi) whose features this chunk provides */
    int first, last; /* provides [CLS] / [SEP] */
} chunk;

static int content_limit(const ef_bert_model *m) { return m->cfg.max_positions - 2; }

int ef_bert_feat_rows(const ef_bert_model *m, const ef_bert_feat_opts *o, int n)
{
    int W = content_limit(m);
    if (o->truncate && n > W) n = W;
    return n + (o->keep_special ? 2 : 0);
}

static int stride_of(const ef_bert_model *m, const ef_bert_feat_opts *o)
{
    int W = content_limit(m);
    int s = o->window_stride > 0 ? o->window_stride : W / 2;
    if (s < 1) s = 1;
    if (s > W) s = W;
    return s;
}

/* Window starts for a text of n > W pieces: 0, s, 2s, ... and a last one at n - W. */
static int window_starts(int n, int W, int s, int *starts)
{
    int k = 0;
    for (int a = 0;; a += s) {
        if (a + W >= n) {
            starts[k++] = n - W;
            break;
        }
        starts[k++] = a;
    }
    return k;
}

/* Append the chunks of one text (when out is NULL only count them). */
static int text_chunks(const ef_bert_model *m, const ef_bert_feat_opts *o, int text, int n, chunk *out)
{
    int W = content_limit(m);
    if (n <= W || o->truncate) {
        int w = n < W ? n : W;
        if (out) out[0] = (chunk){text, 0, w, 0, w, 1, 1};
        return 1;
    }
    int s = stride_of(m, o);
    int cnt = (n - W + s - 1) / s + 1;
    if (!out) return cnt + 1; /* upper bound */
    int *starts = malloc(sizeof *starts * (size_t)(cnt + 1));
    if (!starts) return -1;
    int k = window_starts(n, W, s, starts);
    for (int i = 0; i < k; i++) {
        /* Piece j belongs to the window where min(j - a, a + W - 1 - j) is largest. With
         * increasing starts the owned pieces form contiguous ranges; the boundary with
         * the next window is the midpoint of the overlap. */
        int a = starts[i];
        int lo = 0, hi = n;
        if (i > 0) {
            int pa = starts[i - 1];
            /* first j owned by i: the first j with (j - a) > (pa + W - 1 - j) */
            lo = (pa + W - 1 + a) / 2 + 1;
            if (lo < a) lo = a;
        }
        if (i + 1 < k) {
            int na = starts[i + 1];
            hi = (a + W - 1 + na) / 2 + 1;
            if (hi > a + W) hi = a + W;
        }
        out[i] = (chunk){text, a, W, lo, hi, i == 0, i == k - 1};
    }
    free(starts);
    return k;
}

typedef struct {
    const ef_bert_model *m;
    const ef_bert_feat_opts *o;
    const int32_t *const *pieces;
    float *const *out;
    const chunk *chunks;
    const int *order;     /* chunk indices sorted by length */
    const int *batch_at;  /* batch b = order[batch_at[b] .. batch_at[b+1]) */
    int max_tokens, max_seq;
    uint64_t mask;
    float scale;
    ef_bert_workspace **ws; /* per thread */
    float **sum;            /* per thread (max_tokens, C) */
    int32_t **ids;          /* per thread (max_tokens) */
    int **lens;             /* per thread (max_tokens) */
    ef_error *errs;         /* per thread */
    int failed;
} run_ctx;

static void run_batch(void *p, int64_t b, int thread)
{
    run_ctx *r = p;
    if (r->failed) return;
    const ef_bert_model *m = r->m;
    int C = m->cfg.hidden;
    int32_t *ids = r->ids[thread];
    int *lens = r->lens[thread];
    int nb = 0;
    size_t N = 0;
    for (int i = r->batch_at[b]; i < r->batch_at[b + 1]; i++) {
        const chunk *ch = &r->chunks[r->order[i]];
        ids[N++] = m->cls_id;
        /* An empty text has no pieces (NULL): memcpy from NULL is undefined even for 0 bytes. */
        if (ch->w > 0) memcpy(ids + N, r->pieces[ch->text] + ch->a, (size_t)ch->w * sizeof(int32_t));
        N += (size_t)ch->w;
        ids[N++] = m->sep_id;
        lens[nb++] = ch->w + 2;
    }
    float *sum = r->sum[thread];
    if (ef_bert_forward(m, r->ws[thread], ids, lens, nb, NULL, sum, r->mask, &r->errs[thread])) {
        r->failed = 1;
        return;
    }
    if (r->scale != 1.0f)
        for (size_t i = 0; i < N * (size_t)C; i++) sum[i] *= r->scale;
    /* Scatter: row 0 of a chunk is [CLS], rows 1..w its pieces, row w+1 [SEP]. */
    size_t row = 0;
    int ks = r->o->keep_special;
    for (int i = r->batch_at[b]; i < r->batch_at[b + 1]; i++) {
        const chunk *ch = &r->chunks[r->order[i]];
        float *dst = r->out[ch->text];
        if (ks && ch->first) memcpy(dst, sum + row * C, (size_t)C * sizeof(float));
        int n_out = ch->last ? ch->hi : 0; /* total pieces of the text when this is the last chunk */
        for (int j = ch->lo; j < ch->hi; j++)
            memcpy(dst + (size_t)(j + ks) * C, sum + (row + 1 + (size_t)(j - ch->a)) * C, (size_t)C * sizeof(float));
        if (ks && ch->last)
            memcpy(dst + (size_t)(n_out + 1) * C, sum + (row + (size_t)ch->w + 1) * C, (size_t)C * sizeof(float));
        row += (size_t)ch->w + 2;
    }
}

typedef struct {
    int w, idx;
} len_key;

static int cmp_len_desc(const void *x, const void *y)
{
    const len_key *a = x, *b = y;
    if (a->w != b->w) return a->w > b->w ? -1 : 1;
    return a->idx - b->idx; /* deterministic batches */
}

ef_code ef_bert_features(const ef_bert_model *m, const ef_bert_feat_opts *o, int n_texts,
                         const int32_t *const *pieces, const int *n, float *const *out, ef_error *err)
{
    int L = m->cfg.n_layers, C = m->cfg.hidden;
    int first = o->layer_first < 0 ? L - 3 : o->layer_first;
    if (first < 0) first = 0;
    int count = o->layer_count;
    if (o->layer_first < 0 && first + count - 1 > L) count = L - first + 1;
    if (count < 1 || first + count - 1 > L)
        return ef_fail(err, EF_ERR_ARG, "bert: layers %d..%d requested but the model has hidden states 0..%d", first,
                       first + count - 1, L);
    uint64_t mask = 0;
    for (int l = first; l < first + count; l++) mask |= 1ull << l;
    if (n_texts <= 0) return EF_OK;

    /* Empty texts produce only [CLS]/[SEP] rows (or none); they still run through BERT
     * so that keep_special rows are real. */
    int64_t n_chunks = 0;
    for (int i = 0; i < n_texts; i++) {
        if (n[i] < 0) return ef_fail(err, EF_ERR_ARG, "bert: text %d has a negative length", i);
        n_chunks += text_chunks(m, o, i, n[i], NULL);
    }
    chunk *chunks = malloc(sizeof *chunks * (size_t)n_chunks);
    int *order = malloc(sizeof *order * (size_t)n_chunks);
    int *batch_at = malloc(sizeof *batch_at * (size_t)(n_chunks + 1));
    ef_code rc = EF_OK;
    run_ctx r = {0};
    int n_threads = o->n_threads > 0 ? o->n_threads : ef_cpu_count();
    int par = o->threading != EF_BERT_THREADS_BLAS && n_threads > 1;
    int n_ws = par ? n_threads : 1;
    int saved_blas = openblas_get_num_threads();
    if (!chunks || !order || !batch_at) {
        rc = ef_fail(err, EF_ERR_NOMEM, "bert: out of memory");
        goto done;
    }
    int64_t k = 0;
    for (int i = 0; i < n_texts; i++) {
        int got = text_chunks(m, o, i, n[i], chunks + k);
        if (got < 0) {
            rc = ef_fail(err, EF_ERR_NOMEM, "bert: out of memory");
            goto done;
        }
        k += got;
    }
    n_chunks = k;
    len_key *keys = malloc(sizeof *keys * (size_t)n_chunks);
    if (!keys) {
        rc = ef_fail(err, EF_ERR_NOMEM, "bert: out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n_chunks; i++) keys[i] = (len_key){chunks[i].w, (int)i};
    qsort(keys, (size_t)n_chunks, sizeof *keys, cmp_len_desc);
    for (int64_t i = 0; i < n_chunks; i++) order[i] = keys[i].idx;
    free(keys);
    int batch_tokens = o->batch_tokens > 0 ? o->batch_tokens : 1024;
    int n_batches = 0, max_tokens = 0, max_seq = 0;
    for (int64_t i = 0; i < n_chunks;) {
        batch_at[n_batches++] = (int)i;
        int tok = 0;
        do {
            int len = chunks[order[i]].w + 2;
            if (len > max_seq) max_seq = len;
            tok += len;
            i++;
        } while (i < n_chunks && tok + chunks[order[i]].w + 2 <= batch_tokens);
        if (tok > max_tokens) max_tokens = tok;
    }
    batch_at[n_batches] = (int)n_chunks;
    if (n_ws > n_batches) n_ws = n_batches;

    r = (run_ctx){.m = m, .o = o, .pieces = pieces, .out = out, .chunks = chunks, .order = order,
                  .batch_at = batch_at, .max_tokens = max_tokens, .max_seq = max_seq, .mask = mask,
                  .scale = o->mean ? 1.0f / (float)count : 1.0f};
    r.ws = calloc((size_t)n_ws, sizeof *r.ws);
    r.sum = calloc((size_t)n_ws, sizeof *r.sum);
    r.ids = calloc((size_t)n_ws, sizeof *r.ids);
    r.lens = calloc((size_t)n_ws, sizeof *r.lens);
    r.errs = calloc((size_t)n_ws, sizeof *r.errs);
    if (!r.ws || !r.sum || !r.ids || !r.lens || !r.errs) {
        rc = ef_fail(err, EF_ERR_NOMEM, "bert: out of memory");
        goto done;
    }
    for (int t = 0; t < n_ws; t++) {
        /* BLAS mode: OpenBLAS threads in the GEMMs, our threads for the rest. */
        r.ws[t] = ef_bert_workspace_new_threads(&m->cfg, max_tokens, max_seq, par ? 1 : n_threads);
        r.sum[t] = malloc((size_t)max_tokens * C * sizeof(float));
        r.ids[t] = malloc((size_t)max_tokens * sizeof(int32_t));
        r.lens[t] = malloc((size_t)max_tokens * sizeof(int));
        if (!r.ws[t] || !r.sum[t] || !r.ids[t] || !r.lens[t]) {
            rc = ef_fail(err, EF_ERR_NOMEM, "bert: out of memory for a batch of %d tokens", max_tokens);
            goto done;
        }
    }
    if (par) {
        openblas_set_num_threads(1);
        ef_parallel_for(n_batches, n_ws, run_batch, &r);
    } else {
        openblas_set_num_threads(n_threads);
        for (int b = 0; b < n_batches && !r.failed && !ef_interrupted(); b++) run_batch(&r, b, 0);
    }
    openblas_set_num_threads(saved_blas);
    if (r.failed) {
        for (int t = 0; t < n_ws; t++)
            if (r.errs[t].code != EF_OK) {
                rc = r.errs[t].code;
                if (err) *err = r.errs[t];
                break;
            }
    } else if (ef_interrupted()) {
        rc = ef_fail(err, EF_ERR_INTERRUPTED, "bert: interrupted");
    }
done:
    for (int t = 0; r.ws && t < n_ws; t++) {
        ef_bert_workspace_free(r.ws[t]);
        free(r.sum[t]);
        free(r.ids[t]);
        free(r.lens[t]);
    }
    free(r.ws);
    free(r.sum);
    free(r.ids);
    free(r.lens);
    free(r.errs);
    free(chunks);
    free(order);
    free(batch_at);
    return rc;
}

ef_code ef_bert_hidden_states(const ef_bert_model *m, const ef_bert_feat_opts *o, const int32_t *pieces, int n,
                              float *all_hidden, int *T_out, ef_error *err)
{
    int L = m->cfg.n_layers, C = m->cfg.hidden, W = content_limit(m);
    if (n < 0) return ef_fail(err, EF_ERR_ARG, "bert: negative text length");
    int cnt = text_chunks(m, o, 0, n, NULL);
    chunk *chunks = malloc(sizeof *chunks * (size_t)cnt);
    if (!chunks) return ef_fail(err, EF_ERR_NOMEM, "bert: out of memory");
    cnt = text_chunks(m, o, 0, n, chunks);
    int nout = (o->truncate && n > W) ? W : n;
    int T = nout + 2;
    int Tc = (n < W ? n : W) + 2;
    ef_code rc = EF_OK;
    ef_bert_workspace *ws = ef_bert_workspace_new(&m->cfg, Tc, Tc);
    int32_t *ids = malloc((size_t)Tc * sizeof(int32_t));
    float *hs = malloc((size_t)(L + 1) * Tc * C * sizeof(float));
    if (cnt < 0 || !ws || !ids || !hs) {
        rc = ef_fail(err, EF_ERR_NOMEM, "bert: out of memory");
        goto done;
    }
    for (int i = 0; i < cnt; i++) {
        const chunk *ch = &chunks[i];
        int len = ch->w + 2;
        ids[0] = m->cls_id;
        memcpy(ids + 1, pieces + ch->a, (size_t)ch->w * sizeof(int32_t));
        ids[len - 1] = m->sep_id;
        if ((rc = ef_bert_forward(m, ws, ids, &len, 1, hs, NULL, 0, err))) goto done;
        for (int l = 0; l <= L; l++) {
            float *dst = all_hidden + (size_t)l * T * C;
            const float *src = hs + (size_t)l * len * C;
            if (ch->first) memcpy(dst, src, (size_t)C * sizeof(float));
            for (int j = ch->lo; j < ch->hi; j++)
                memcpy(dst + (size_t)(j + 1) * C, src + (size_t)(j - ch->a + 1) * C, (size_t)C * sizeof(float));
            if (ch->last) memcpy(dst + (size_t)(T - 1) * C, src + (size_t)(len - 1) * C, (size_t)C * sizeof(float));
        }
    }
    *T_out = T;
done:
    ef_bert_workspace_free(ws);
    free(ids);
    free(hs);
    free(chunks);
    return rc;
}
