/* Private to the BERT encoder: the small-batch GEMM kernel and the vectorised element-wise
 * math (GELU, softmax) it fuses with. Both pick an AVX-512 or an AVX2+FMA path at run time
 * (__builtin_cpu_supports: by CPU features, not vendor) and fall back to OpenBLAS / libm on
 * other CPUs, so the binary is built without -march flags. See docs/bert.md, "Performance". */
#ifndef EMOFUSE_BERT_GEMM_H
#define EMOFUSE_BERT_GEMM_H

#include <stddef.h>

#include "emofuse/cpu_isa.h"

/* out (M, N; row stride ldo) = alpha * X (M, K; row stride ldx) . W^T + bias, with W (N, K;
 * row stride ldw) in torch's Linear (out, in) layout, used as it is stored (no packing:
 * each output is a dot product of two contiguous rows). bias (N) may be NULL.
 * accumulate = 1 adds to what out holds (residuals), 0 overwrites it.
 * gelu = 1 applies the exact GELU to the result. n_threads >= 1 splits N. */
void ef_bert_gemm(float *out, int ldo, const float *X, int ldx, const float *W, int ldw, const float *bias,
                  float alpha, int M, int N, int K, int accumulate, int gelu, int n_threads);

/* Instruction-set levels of the kernels, in increasing order: the core's (cpu_isa.h). */
enum { EF_BERT_ISA_GENERIC = EF_ISA_GENERIC, EF_BERT_ISA_AVX2 = EF_ISA_AVX2, EF_BERT_ISA_AVX512 = EF_ISA_AVX512 };
/* The best level this CPU supports (AVX2 needs avx2 + fma; AVX-512 also avx512f + avx512vl). */
int ef_bert_isa_cpu(void);
/* The level in use: the CPU's, capped by the environment (EMOFUSE_CPU=avx512|avx2|generic;
 * EMOFUSE_BERT_GEMM=blas = generic) and by ef_bert_isa_cap. */
int ef_bert_isa(void);
/* Tests: use at most this level (-1 = no cap). */
void ef_bert_isa_cap(int max);
/* "avx512", "avx2" or "generic". */
const char *ef_bert_isa_name(int level);
/* 1 when a SIMD kernel runs (ef_bert_isa() > generic), else 0 (OpenBLAS / libm). */
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
