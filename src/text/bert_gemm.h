/* Private to the BERT encoder: the small-batch GEMM kernel and the vectorised element-wise
 * math (GELU, softmax) it fuses with. Both pick an AVX-512 path at run time
 * (__builtin_cpu_supports) and fall back to OpenBLAS / libm on other x86-64 or other CPUs,
 * so the binary is built without -march flags. See docs/bert.md, "Performance". */
#ifndef EMOFUSE_BERT_GEMM_H
#define EMOFUSE_BERT_GEMM_H

#include <stddef.h>

/* out (M, N; row stride ldo) = alpha * X (M, K; row stride ldx) . W^T + bias, with W (N, K;
 * row stride ldw) in torch's Linear (out, in) layout, used as it is stored (no packing:
 * each output is a dot product of two contiguous rows). bias (N) may be NULL.
 * accumulate = 1 adds to what out holds (residuals), 0 overwrites it.
 * gelu = 1 applies the exact GELU to the result. n_threads >= 1 splits N. */
void ef_bert_gemm(float *out, int ldo, const float *X, int ldx, const float *W, int ldw, const float *bias,
                  float alpha, int M, int N, int K, int accumulate, int gelu, int n_threads);

/* 1 when the AVX-512 kernels run (CPU support and EMOFUSE_BERT_GEMM != "blas"), else 0. */
int ef_bert_gemm_fast(void);
/* Tests: force the portable path (1) or restore automatic dispatch (0). */
void ef_bert_gemm_force_portable(int on);

/* x[i] = 0.5 x (1 + erf(x / sqrt 2)) (exact GELU) for n floats. */
void ef_bert_gelu(float *x, size_t n);
/* Row-wise softmax in place over rows rows of n floats (row stride ld). */
void ef_bert_softmax_rows(float *s, int rows, int n, int ld);
/* Vectorised erf / exp on n floats (the kernels the two functions above use; exposed
 * for the accuracy test). Portable path: erff / expf. */
void ef_bert_erf_vec(float *out, const float *in, size_t n);
void ef_bert_exp_vec(float *out, const float *in, size_t n);

#endif
