/* Private to bert_gemm.c and its ISA-specific kernel files: the argument block of one
 * ef_bert_gemm call and the per-ISA chunk kernels (each computes output columns
 * [n0, n1) for all M rows, including bias / residual / alpha / fused GELU). */
#ifndef EMOFUSE_BERT_GEMM_KERNELS_H
#define EMOFUSE_BERT_GEMM_KERNELS_H

#include <stddef.h>

typedef struct {
    float *out;
    const float *X, *W, *bias;
    int ldo, ldx, ldw, M, N, K, accumulate, gelu;
    float alpha;
} ef_gemm_args;

/* W rows per parallel work item (one chunk): the chunk's W slab (NCHUNK x kc) stays in L2 */
#define EF_GEMM_NCHUNK 64

#if defined(__x86_64__) || defined(__i386__)
void ef_bert_gemm_chunk_avx512(const ef_gemm_args *g, int n0, int n1);
void ef_bert_gemm_chunk_avx2(const ef_gemm_args *g, int n0, int n1);
/* Element-wise math of bert_math.c per ISA (n floats; in place for gelu). */
void ef_bert_gelu_avx512(float *x, size_t n);
void ef_bert_gelu_avx2(float *x, size_t n);
#endif

#endif
