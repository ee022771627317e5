/* 1-D convolution over time inside each sequence of a ragged batch, stride 1, Keras
 * padding='same' (left pad pl = (K-1)/2, right pad K/2), forward and backward.
 * Kernels 3..6 go to the Winograd path (conv1d_winograd.c: 2.25-2.5x fewer
 * multiplications) unless EMOFUSE_CONV=gemm; this file is the GEMM path, for every K.
 *
 * Method (profiled on the audio branch, bench/README.md): rows are processed in fixed
 * chunks (32-512 rows by batch size, ef_conv_chunk_start), each chunk one work item of an
 * optional thread pool; the chunks never depend on the thread count, so neither do the
 * results.
 * - Forward, "GEMM then shift-add": Z = X @ Wz^T with Wz (K*OC, C) gives, for every input
 *   row u, its contribution Z[u][k] (OC) to the output row u - k + pl; then
 *   out[t] = b + sum_k Z[t + k - pl][k] over the k whose source row lies in t's own
 *   sequence. One GEMM per chunk whose A operand is the input itself (no im2col: the
 *   column matrix would be K times the input and had to be packed again by BLAS), plus
 *   the chunk's K - 1 halo rows.
 * - Input gradient, the same gather: V = dY @ Wv with Wv (OC, K*C) gives V[t][k] (C), the
 *   contribution of output row t to input row t + k - pl; dX[s] = sum_k V[s - k + pl][k]
 *   within s's sequence. Each chunk writes only its own rows of dX.
 * - Weight gradient: im2col in (K, C) layout, where the window of an interior row is one
 *   contiguous run of K*C floats of the input (a memcpy), then dWkc (OC, K*C) = dY^T @ col
 *   per chunk into the chunk's own partial; the partials are summed in chunk order and
 *   transposed into w's (OC, C, K) layout. Rows outside the row's sequence are zero in the
 *   column matrix: sequence boundaries never leak.
 * The two weight repacks (Wz, Wv) are O(OC*C*K) per call, negligible next to the GEMMs. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/status.h"
#include "nn/conv1d_winograd.h"

/* Chunking (ef_conv_chunk_start, shared with the Winograd path): conv1d_winograd.h. */
static int64_t round16(int64_t n)
{
    return ef_conv_round16(n);
}

static int64_t n_chunks(int64_t N)
{
    return ef_conv_n_chunks(N);
}

static int64_t max_chunks(int64_t N)
{
    return ef_conv_max_chunks(N);
}

/* The Winograd path (conv1d_winograd.c) for kernel sizes it takes, unless the
 * environment says EMOFUSE_CONV=gemm (the chunked GEMMs below for every K: a reference
 * and a fallback, read at every call). */
static int use_winograd(int K)
{
    if (!ef_conv1d_winograd_fits(K)) return 0;
    const char *e = getenv("EMOFUSE_CONV");
    return !(e && strcmp(e, "gemm") == 0);
}

/* Per-thread scratch: Z (R + K - 1 rows of K*OC), V (R + K - 1 rows of K*C) or the
 * column matrix (R rows of K*C). */
static int64_t thread_floats(int C, int OC, int K)
{
    int64_t rows = EF_CONV_R + K - 1;
    int64_t a = rows * K * (int64_t)OC, b = rows * K * (int64_t)C;
    return round16(a > b ? a : b);
}

int64_t ef_conv1d_workspace_floats(int64_t N, int C, int OC, int K, int threads)
{
    if (threads < 1) threads = 1;
    int64_t wsz = round16((int64_t)OC * C * K);
    int64_t parts = max_chunks(N > 0 ? N : 1);
    int64_t wino = ef_conv1d_winograd_fits(K) ? ef_conv1d_winograd_workspace_floats(N, C, OC, K, threads) : 0;
    int64_t gemm = 2 * wsz + threads * thread_floats(C, OC, K) + parts * round16((int64_t)OC * C * K) + parts * round16(OC);
    return gemm > wino ? gemm : wino;
}

typedef struct {
    float *out, *dinp, *dw, *db;
    const float *inp, *dout, *w, *b;
    const int64_t *offsets;
    int B, C, OC, K;
    int64_t lo, hi; /* rows [lo, hi) */
    float *wz, *wv, *scratch, *pdw, *pdb;
    int64_t scratch_n;
    int set_dinp; /* 1: dinp is written, not added to */
} conv_job;

static void carve(conv_job *j, float *work, int threads)
{
    int64_t wsz = round16((int64_t)j->OC * j->C * j->K);
    j->wz = work;
    j->wv = work + wsz;
    j->scratch = work + 2 * wsz;
    j->scratch_n = thread_floats(j->C, j->OC, j->K);
    j->pdw = j->scratch + threads * j->scratch_n;
    j->pdb = j->pdw + max_chunks(j->hi - j->lo) * wsz;
}

/* Sequence holding row t (offsets ascending; binary search). */
static int seq_of(const int64_t *offsets, int B, int64_t t)
{
    int a = 0, b = B - 1;
    while (a < b) {
        int m = (a + b + 1) / 2;
        if (offsets[m] <= t) a = m;
        else b = m - 1;
    }
    return a;
}

static void chunk_rows(const conv_job *j, int64_t item, int64_t *r0, int64_t *r1)
{
    *r0 = j->lo + ef_conv_chunk_start(j->hi - j->lo, item);
    *r1 = j->lo + ef_conv_chunk_start(j->hi - j->lo, item + 1);
}

static inline float bias_of(const conv_job *j, int c)
{
    return j->b ? j->b[c] : 0.0f;
}

static void fwd_chunk(void *vctx, int64_t item, int thread)
{
    const conv_job *j = vctx;
    int C = j->C, OC = j->OC, K = j->K, pl = (K - 1) / 2, pr = K / 2;
    int64_t r0, r1;
    chunk_rows(j, item, &r0, &r1);
    int64_t z0 = r0 - pl > j->lo ? r0 - pl : j->lo, z1 = r1 + pr < j->hi ? r1 + pr : j->hi;
    if (K == 1) { /* a dense layer per row: straight into out, no shift-add */
        float *o = j->out + r0 * OC;
        for (int64_t t = 0; t < r1 - r0; t++) {
            if (j->b) memcpy(o + t * OC, j->b, (size_t)OC * sizeof(float));
            else memset(o + t * OC, 0, (size_t)OC * sizeof(float));
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)(r1 - r0), OC, C, 1.0f, j->inp + r0 * C, C, j->w,
                    C, 1.0f, o, OC);
        return;
    }
    float *Z = j->scratch + thread * j->scratch_n;
    int KO = K * OC;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)(z1 - z0), KO, C, 1.0f, j->inp + z0 * C, C, j->wz,
                C, 0.0f, Z, KO);
    int b = seq_of(j->offsets, j->B, r0);
    for (int64_t t = r0; t < r1; t++) {
        while (j->offsets[b + 1] <= t) b++;
        int64_t s = j->offsets[b], e = j->offsets[b + 1];
        int k0 = (int)(s - t + pl > 0 ? s - t + pl : 0);
        int k1 = (int)(e - t + pl < K ? e - t + pl : K);
        float *restrict o = j->out + t * OC;
        const float *zr = Z + (t - pl - z0) * KO; /* row t - pl, where k = 0 would read */
        if (k0 == 0 && k1 == K && (K == 3 || K == 5)) {
            /* Interior row: one pass, the same additions in the same order as below. */
            const float *restrict a = zr, *restrict b1 = zr + KO + OC, *restrict b2 = zr + 2 * (KO + OC);
            if (K == 3)
                for (int c = 0; c < OC; c++) o[c] = ((bias_of(j, c) + a[c]) + b1[c]) + b2[c];
            else {
                const float *restrict b3 = zr + 3 * (KO + OC), *restrict b4 = zr + 4 * (KO + OC);
                for (int c = 0; c < OC; c++) o[c] = ((((bias_of(j, c) + a[c]) + b1[c]) + b2[c]) + b3[c]) + b4[c];
            }
            continue;
        }
        for (int c = 0; c < OC; c++) o[c] = bias_of(j, c);
        for (int k = k0; k < k1; k++) {
            const float *restrict z = zr + (int64_t)k * (KO + OC);
            for (int c = 0; c < OC; c++) o[c] += z[c];
        }
    }
}

void ef_conv1d_forward_ws(ef_pool *pool, float *out, float *work, const float *inp, const float *w, const float *b,
                          const int64_t *offsets, int B, int C, int OC, int K)
{
    EF_ASSERT(B >= 0 && C > 0 && OC > 0 && K > 0);
    int64_t N = offsets[B] - offsets[0];
    if (N <= 0) return;
    if (use_winograd(K)) {
        ef_conv1d_winograd_forward(pool, out, work, inp, w, b, offsets, B, C, OC, K);
        return;
    }
    conv_job j = {.out = out, .inp = inp, .w = w, .b = b, .offsets = offsets, .B = B, .C = C, .OC = OC, .K = K,
                  .lo = offsets[0], .hi = offsets[B]};
    carve(&j, work, ef_pool_threads(pool));
    /* Wz[k*OC + o][c] = w[o][c][k] */
    if (K > 1)
        for (int o = 0; o < OC; o++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < K; k++) j.wz[((int64_t)k * OC + o) * C + c] = w[((int64_t)o * C + c) * K + k];
    ef_pool_run(pool, n_chunks(N), fwd_chunk, &j);
}

ef_code ef_conv1d_forward(float *out, const float *inp, const float *w, const float *b, const int64_t *offsets,
                          int B, int C, int OC, int K, ef_error *err)
{
    int64_t N = offsets[B] - offsets[0];
    if (N <= 0) return EF_OK;
    size_t floats = (size_t)ef_conv1d_workspace_floats(N, C, OC, K, 1);
    float *work = malloc(floats * sizeof(float));
    if (!work) return ef_fail(err, EF_ERR_NOMEM, "conv1d: cannot allocate %zu floats of scratch", floats);
    ef_conv1d_forward_ws(NULL, out, work, inp, w, b, offsets, B, C, OC, K);
    free(work);
    return EF_OK;
}

/* col (R, K*C) of rows [r0, r1): the (K, C) window of each row, zero outside its sequence. */
static void im2col_kc(float *col, const conv_job *j, int64_t r0, int64_t r1)
{
    int C = j->C, K = j->K, pl = (K - 1) / 2;
    int64_t KC = (int64_t)K * C;
    int b = seq_of(j->offsets, j->B, r0);
    for (int64_t t = r0; t < r1; t++) {
        while (j->offsets[b + 1] <= t) b++;
        int64_t s = j->offsets[b], e = j->offsets[b + 1];
        float *dst = col + (t - r0) * KC;
        int64_t u0 = t - pl, u1 = t - pl + K; /* source rows [u0, u1) */
        if (u0 >= s && u1 <= e) {
            memcpy(dst, j->inp + u0 * C, (size_t)KC * sizeof(float));
            continue;
        }
        int64_t v0 = u0 > s ? u0 : s, v1 = u1 < e ? u1 : e; /* non-empty: row t itself is inside */
        memset(dst, 0, (size_t)((v0 - u0) * C) * sizeof(float));
        memcpy(dst + (v0 - u0) * C, j->inp + v0 * C, (size_t)((v1 - v0) * C) * sizeof(float));
        memset(dst + (v1 - u0) * C, 0, (size_t)((u1 - v1) * C) * sizeof(float));
    }
}

static void bwd_chunk(void *vctx, int64_t item, int thread)
{
    const conv_job *j = vctx;
    int C = j->C, OC = j->OC, K = j->K, pl = (K - 1) / 2, pr = K / 2;
    int64_t KC = (int64_t)K * C;
    int64_t r0, r1;
    chunk_rows(j, item, &r0, &r1);
    float *scr = j->scratch + thread * j->scratch_n;
    const float *dout = j->dout;
    if (j->db) {
        float *pdb = j->pdb + item * round16(OC);
        memset(pdb, 0, (size_t)OC * sizeof(float));
        for (int64_t t = r0; t < r1; t++)
            for (int o = 0; o < OC; o++) pdb[o] += dout[t * OC + o];
    }
    if (j->dw) {
        const float *col = K == 1 ? j->inp + r0 * C : scr; /* K = 1: the input is its own im2col */
        if (K > 1) im2col_kc(scr, j, r0, r1);
        /* dWkc (OC, KC) = dY^T (OC, rows) @ col (rows, KC) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, (blasint)KC, (blasint)(r1 - r0), 1.0f,
                    dout + r0 * OC, OC, col, (blasint)KC, 0.0f, j->pdw + item * round16((int64_t)OC * KC),
                    (blasint)KC);
    }
    if (!j->dinp) return;
    if (K == 1) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)(r1 - r0), C, OC, 1.0f, dout + r0 * OC, OC,
                    j->w, C, j->set_dinp ? 0.0f : 1.0f, j->dinp + r0 * C, C);
        return;
    }
    /* V rows [v0, v1): output rows whose windows reach rows [r0, r1). */
    int64_t v0 = r0 - pr > j->lo ? r0 - pr : j->lo, v1 = r1 + pl < j->hi ? r1 + pl : j->hi;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)(v1 - v0), (blasint)KC, OC, 1.0f,
                dout + v0 * OC, OC, j->wv, (blasint)KC, 0.0f, scr, (blasint)KC);
    int b = seq_of(j->offsets, j->B, r0);
    for (int64_t s = r0; s < r1; s++) {
        while (j->offsets[b + 1] <= s) b++;
        int64_t st = j->offsets[b], e = j->offsets[b + 1];
        /* output rows t = s - k + pl inside [st, e) */
        int k0 = (int)(s + pl - e + 1 > 0 ? s + pl - e + 1 : 0);
        int k1 = (int)(s + pl - st + 1 < K ? s + pl - st + 1 : K);
        float *restrict g = j->dinp + s * C;
        const float *vr = scr + (s + pl - v0) * KC; /* row s + pl, where k = 0 would read */
        if (k0 == 0 && k1 == K && (K == 3 || K == 5)) {
            /* Interior row: one pass, the additions of the loop below in its order. */
            int64_t st = KC - C; /* one row back, one k block on */
            const float *restrict a = vr, *restrict b1 = vr - st, *restrict b2 = vr - 2 * st;
            if (K == 3)
                for (int c = 0; c < C; c++) g[c] = (((j->set_dinp ? 0.0f : g[c]) + a[c]) + b1[c]) + b2[c];
            else {
                const float *restrict b3 = vr - 3 * st, *restrict b4 = vr - 4 * st;
                for (int c = 0; c < C; c++)
                    g[c] = (((((j->set_dinp ? 0.0f : g[c]) + a[c]) + b1[c]) + b2[c]) + b3[c]) + b4[c];
            }
            continue;
        }
        if (j->set_dinp) memset(g, 0, (size_t)C * sizeof(float));
        for (int k = k0; k < k1; k++) {
            const float *restrict v = vr - (int64_t)k * (KC - C);
            for (int c = 0; c < C; c++) g[c] += v[c];
        }
    }
}

/* dw[o][c][k] += sum over chunks of pdw[chunk][o][k*C + c], one item per o. */
typedef struct {
    const conv_job *j;
    int64_t parts;
} reduce_ctx;

static void reduce_dw(void *vctx, int64_t o, int thread)
{
    (void)thread;
    const reduce_ctx *r = vctx;
    const conv_job *j = r->j;
    int C = j->C, K = j->K;
    int64_t KC = (int64_t)K * C, stride = round16((int64_t)j->OC * KC);
    float acc[1024];
    for (int k = 0; k < K; k++)
        for (int c0 = 0; c0 < C; c0 += 1024) {
            int cn = C - c0 < 1024 ? C - c0 : 1024;
            const float *first = j->pdw + o * KC + (int64_t)k * C + c0;
            memcpy(acc, first, (size_t)cn * sizeof(float));
            for (int64_t p = 1; p < r->parts; p++) {
                const float *restrict src = first + p * stride;
                for (int c = 0; c < cn; c++) acc[c] += src[c];
            }
            float *dst = j->dw + (o * C + c0) * K + k;
            if (K == 1)
                for (int c = 0; c < cn; c++) dst[c] += acc[c];
            else
                for (int c = 0; c < cn; c++) dst[(int64_t)c * K] += acc[c];
        }
}

static void conv_backward(ef_pool *pool, float *dinp, int set_dinp, float *dw, float *db, float *work,
                          const float *dout, const float *inp, const float *w, const int64_t *offsets, int B, int C,
                          int OC, int K)
{
    EF_ASSERT(B >= 0 && C > 0 && OC > 0 && K > 0);
    int64_t N = offsets[B] - offsets[0];
    if (N <= 0) return;
    if (!dinp && !dw && !db) return;
    if (use_winograd(K)) {
        ef_conv1d_winograd_backward(pool, dinp, set_dinp, dw, db, work, dout, inp, w, offsets, B, C, OC, K);
        return;
    }
    conv_job j = {.dinp = dinp, .dw = dw, .db = db, .dout = dout, .inp = inp, .w = w, .offsets = offsets, .B = B,
                  .C = C, .OC = OC, .K = K, .lo = offsets[0], .hi = offsets[B], .set_dinp = set_dinp};
    carve(&j, work, ef_pool_threads(pool));
    if (dinp && K > 1) /* Wv[o][k*C + c] = w[o][c][k] */
        for (int o = 0; o < OC; o++)
            for (int c = 0; c < C; c++)
                for (int k = 0; k < K; k++)
                    j.wv[((int64_t)o * K + k) * C + c] = w[((int64_t)o * C + c) * K + k];
    int64_t parts = n_chunks(N);
    ef_pool_run(pool, parts, bwd_chunk, &j);
    if (db)
        for (int64_t p = 0; p < parts; p++)
            for (int o = 0; o < OC; o++) db[o] += j.pdb[p * round16(OC) + o];
    if (dw) {
        reduce_ctx r = {&j, parts};
        ef_pool_run(pool, OC, reduce_dw, &r);
    }
}

void ef_conv1d_backward_ws(ef_pool *pool, float *dinp, float *dw, float *db, float *work, const float *dout,
                           const float *inp, const float *w, const int64_t *offsets, int B, int C, int OC, int K)
{
    conv_backward(pool, dinp, 0, dw, db, work, dout, inp, w, offsets, B, C, OC, K);
}

void ef_conv1d_backward_set_ws(ef_pool *pool, float *dinp, float *dw, float *db, float *work, const float *dout,
                               const float *inp, const float *w, const int64_t *offsets, int B, int C, int OC,
                               int K)
{
    conv_backward(pool, dinp, 1, dw, db, work, dout, inp, w, offsets, B, C, OC, K);
}

ef_code ef_conv1d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                           const int64_t *offsets, int B, int C, int OC, int K, ef_error *err)
{
    int64_t N = offsets[B] - offsets[0];
    if (N <= 0) return EF_OK;
    size_t floats = (size_t)ef_conv1d_workspace_floats(N, C, OC, K, 1);
    float *work = malloc(floats * sizeof(float));
    if (!work) return ef_fail(err, EF_ERR_NOMEM, "conv1d: cannot allocate %zu floats of scratch", floats);
    ef_conv1d_backward_ws(NULL, dinp, dw, db, work, dout, inp, w, offsets, B, C, OC, K);
    free(work);
    return EF_OK;
}
