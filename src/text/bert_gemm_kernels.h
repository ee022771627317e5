/* Private to bert_gemm.c and its ISA-specific kernel files: the argument block of one
 * ef_bert_gemm call, the per-ISA micro-kernels, and the one blocking driver
 * (bert_gemm_blocking.c) that runs any of them over a chunk of output columns [n0, n1)
 * for all M rows, including bias / residual / alpha / fused GELU. */
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

/* One micro-kernel pass: out rows [m0, m0 + mr) x columns [n0, n0 + nr) (+)= alpha X W^T
 * over K columns [k0, k0 + kb), the first `head` of them masked so that the later W loads
 * are aligned; meanwhile pfn (0, 1 or nr_tile) rows of W from pf (same k range) are
 * prefetched. The first K block adds bias (and the residual when accumulating). */
typedef void (*ef_gemm_tile_fn)(const ef_gemm_args *g, int m0, int mr, int n0, int nr, int k0, int kb, int head,
                                const float *pf, int pfn);

/* What the blocking driver needs to know of an ISA's micro-kernel. */
typedef struct {
    ef_gemm_tile_fn tile;
    void (*gelu)(float *x, size_t n); /* fused GELU of the finished outputs */
    int mr;                           /* rows of X per pass */
    int mr_max;                       /* the widest tile: a block's remainder joins its last pass up to this */
    int nr;                           /* rows of W per tile */
    int vec_floats;                   /* floats per vector: W loads after the head align to it */
    int small_m;                      /* up to this many rows: no K or M blocking */
    int kc_big, mb_big;               /* K and M block sizes above small_m */
    int pf_ahead;                     /* tiles ahead whose W rows are prefetched */
} ef_gemm_kernel;

/* Output columns [n0, n1) of g with kernel k: the blocking of bert_gemm_blocking.c. */
void ef_bert_gemm_chunk(const ef_gemm_kernel *k, const ef_gemm_args *g, int n0, int n1);

#if defined(__x86_64__) || defined(__i386__)
extern const ef_gemm_kernel ef_bert_gemm_kernel_avx512;
extern const ef_gemm_kernel ef_bert_gemm_kernel_avx2;
/* Element-wise math of bert_math.c per ISA (n floats; in place for gelu). */
void ef_bert_gelu_avx512(float *x, size_t n);
void ef_bert_gelu_avx2(float *x, size_t n);
#endif

#endif
