/* Dense (affine) layer on row-major matrices, forward and backward, with OpenBLAS sgemm.
 * Shapes: inp (N, C), w (OC, C) as PyTorch nn.Linear, b (OC), out (N, OC). */
#include <cblas.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/status.h"

void ef_dense_forward(float *out, const float *inp, const float *w, const float *b, int64_t N, int C, int OC)
{
    EF_ASSERT(N >= 0 && C > 0 && OC > 0);
    if (N == 0) return;
    /* Start from the bias broadcast over rows, then out += inp @ w^T in one GEMM. */
    float beta = 0.0f;
    if (b) {
        for (int64_t n = 0; n < N; n++) memcpy(out + n * OC, b, (size_t)OC * sizeof(float));
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)N, OC, C, 1.0f, inp, C, w, C, beta, out, OC);
}

void ef_dense_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                       int64_t N, int C, int OC)
{
    EF_ASSERT(N >= 0 && C > 0 && OC > 0);
    if (N == 0) return;
    /* dinp (N,C) += dout (N,OC) @ w (OC,C) */
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)N, C, OC, 1.0f, dout, OC, w, C, 1.0f, dinp,
                    C);
    /* dw (OC,C) += dout^T (OC,N) @ inp (N,C) */
    if (dw)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, (blasint)N, 1.0f, dout, OC, inp, C, 1.0f, dw, C);
    if (db) {
        /* Column sums, rows outer so memory is read in order. */
        for (int64_t n = 0; n < N; n++) {
            const float *d = dout + n * OC;
            for (int o = 0; o < OC; o++) db[o] += d[o];
        }
    }
}
