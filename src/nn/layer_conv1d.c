/* 1-D convolution over time inside each sequence of a ragged batch, stride 1, Keras
 * padding='same' (left pad (K-1)/2, right pad K/2), forward and backward.
 *
 * Method: im2col over the whole ragged batch, in chunks of rows. Row t of the column
 * matrix holds the K-frame window around t, laid out (C, K) so that it matches the
 * weight layout w (OC, C, K) viewed as an (OC, C*K) matrix: no weight repacking, and one
 * large GEMM per chunk (inner dimension C*K) instead of B*K small ones. Frames outside the
 * row's own sequence are zero in the column matrix, which is exactly the pad-and-mask
 * result: sequence boundaries never leak. Chunking bounds the scratch memory. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/status.h"

/* Target scratch size per chunk in floats (4 MiB): large GEMMs, cache-friendly copies. */
#define CONV_CHUNK_FLOATS ((int64_t)1 << 20)

static int64_t chunk_rows(int64_t N, int C, int K)
{
    int64_t ck = (int64_t)C * K;
    int64_t r = CONV_CHUNK_FLOATS / ck;
    if (r < 16) r = 16;
    if (r > N) r = N;
    return r < 1 ? 1 : r;
}

int64_t ef_conv1d_workspace_floats(int64_t N, int C, int K)
{
    return chunk_rows(N, C, K) * (int64_t)C * K;
}

/* col (C*K) for local frame i of a sequence starting at row `start` with T frames. */
static void im2col_row(float *col, const float *inp, int64_t start, int64_t T, int64_t i, int C, int K)
{
    int pl = (K - 1) / 2;
    for (int k = 0; k < K; k++) {
        int64_t s = i + k - pl;
        if (s < 0 || s >= T) {
            for (int c = 0; c < C; c++) col[(int64_t)c * K + k] = 0.0f;
        } else {
            const float *src = inp + (start + s) * C;
            for (int c = 0; c < C; c++) col[(int64_t)c * K + k] = src[c];
        }
    }
}

static void col2im_row(float *dinp, const float *dcol, int64_t start, int64_t T, int64_t i, int C, int K)
{
    int pl = (K - 1) / 2;
    for (int k = 0; k < K; k++) {
        int64_t s = i + k - pl;
        if (s < 0 || s >= T) continue;
        float *dst = dinp + (start + s) * C;
        for (int c = 0; c < C; c++) dst[c] += dcol[(int64_t)c * K + k];
    }
}

/* Walks the rows of the ragged batch in order, filling `col` chunk by chunk and calling
 * flush(r0, rows) whenever a chunk is full. Keeps both passes in one place. */
typedef void (*chunk_fn)(void *ctx, int64_t r0, int64_t rows);

static void for_each_chunk(float *col, const float *inp, const int64_t *offsets, int B, int C, int K, int64_t R,
                           chunk_fn flush, void *ctx)
{
    int64_t ck = (int64_t)C * K;
    int64_t r0 = offsets[0], fill = 0;
    for (int b = 0; b < B; b++) {
        int64_t start = offsets[b], T = offsets[b + 1] - offsets[b];
        EF_ASSERT(T >= 0 && start == r0 + fill);
        for (int64_t i = 0; i < T; i++) {
            im2col_row(col + fill * ck, inp, start, T, i, C, K);
            if (++fill == R) {
                flush(ctx, r0, fill);
                r0 += fill;
                fill = 0;
            }
        }
    }
    if (fill) flush(ctx, r0, fill);
}

typedef struct {
    float *out, *col;
    const float *w, *b;
    int C, OC, K;
} fwd_ctx;

static void fwd_flush(void *vctx, int64_t r0, int64_t rows)
{
    fwd_ctx *x = vctx;
    int ck = x->C * x->K;
    float *out = x->out + r0 * x->OC;
    float beta = 0.0f;
    if (x->b) {
        for (int64_t r = 0; r < rows; r++) memcpy(out + r * x->OC, x->b, (size_t)x->OC * sizeof(float));
        beta = 1.0f;
    }
    /* out (rows,OC) = col (rows,CK) @ w^T (CK,OC) [+ bias] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)rows, x->OC, ck, 1.0f, x->col, ck, x->w, ck, beta,
                out, x->OC);
}

void ef_conv1d_forward_ws(float *out, float *work, const float *inp, const float *w, const float *b,
                          const int64_t *offsets, int B, int C, int OC, int K)
{
    EF_ASSERT(B >= 0 && C > 0 && OC > 0 && K > 0);
    int64_t N = offsets[B] - offsets[0];
    if (N <= 0) return;
    fwd_ctx x = {out, work, w, b, C, OC, K};
    for_each_chunk(work, inp, offsets, B, C, K, chunk_rows(N, C, K), fwd_flush, &x);
}

void ef_conv1d_forward(float *out, const float *inp, const float *w, const float *b, const int64_t *offsets, int B,
                       int C, int OC, int K)
{
    int64_t N = offsets[B] - offsets[0];
    if (N <= 0) return;
    float *work = malloc((size_t)ef_conv1d_workspace_floats(N, C, K) * sizeof(float));
    EF_ASSERT(work != NULL);
    ef_conv1d_forward_ws(out, work, inp, w, b, offsets, B, C, OC, K);
    free(work);
}

typedef struct {
    float *dinp, *dw, *col;
    const float *dout, *w;
    const int64_t *offsets;
    int B, C, OC, K;
    int seq; /* first sequence that may intersect the next chunk (col2im walks forward) */
} bwd_ctx;

static void bwd_flush(void *vctx, int64_t r0, int64_t rows)
{
    bwd_ctx *x = vctx;
    int ck = x->C * x->K;
    const float *dout = x->dout + r0 * x->OC;
    /* dw (OC,CK) += dout^T (OC,rows) @ col (rows,CK) */
    if (x->dw)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, x->OC, ck, (blasint)rows, 1.0f, dout, x->OC, x->col, ck,
                    1.0f, x->dw, ck);
    if (!x->dinp) return;
    /* dcol (rows,CK) = dout (rows,OC) @ w (OC,CK), reusing the column buffer, then
     * scatter-add each window back onto the frames it was read from. */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)rows, ck, x->OC, 1.0f, dout, x->OC, x->w, ck,
                0.0f, x->col, ck);
    for (int64_t r = 0; r < rows; r++) {
        int64_t t = r0 + r;
        while (x->offsets[x->seq + 1] <= t) x->seq++;
        int64_t start = x->offsets[x->seq], T = x->offsets[x->seq + 1] - start;
        col2im_row(x->dinp, x->col + r * ck, start, T, t - start, x->C, x->K);
    }
}

void ef_conv1d_backward_ws(float *dinp, float *dw, float *db, float *work, const float *dout, const float *inp,
                           const float *w, const int64_t *offsets, int B, int C, int OC, int K)
{
    EF_ASSERT(B >= 0 && C > 0 && OC > 0 && K > 0);
    int64_t N = offsets[B] - offsets[0];
    if (N <= 0) return;
    if (db) {
        const float *d = dout + offsets[0] * OC;
        for (int64_t n = 0; n < N; n++)
            for (int o = 0; o < OC; o++) db[o] += d[n * OC + o];
    }
    if (!dinp && !dw) return;
    bwd_ctx x = {dinp, dw, work, dout, w, offsets, B, C, OC, K, 0};
    for_each_chunk(work, inp, offsets, B, C, K, chunk_rows(N, C, K), bwd_flush, &x);
}

void ef_conv1d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                        const int64_t *offsets, int B, int C, int OC, int K)
{
    int64_t N = offsets[B] - offsets[0];
    if (N <= 0) return;
    float *work = malloc((size_t)ef_conv1d_workspace_floats(N, C, K) * sizeof(float));
    EF_ASSERT(work != NULL);
    ef_conv1d_backward_ws(dinp, dw, db, work, dout, inp, w, offsets, B, C, OC, K);
    free(work);
}
