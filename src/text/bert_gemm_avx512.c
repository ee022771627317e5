/* AVX-512 chunk kernel of ef_bert_gemm (see bert_gemm.c for the design and the dispatch).
 *
 * Micro-kernel: up to MR = 6 rows of X x NR = 4 rows of W, 6*4 zmm accumulators over
 * 16-float K steps (masked loads for the K tail), then each group of 4 accumulators is
 * reduced (hadd tree) to the 4 contiguous outputs of one row, stored with bias / residual
 * added in the same pass. Rows beyond N are served by repeating a valid row (results
 * dropped); rows of X never are: a block's remainder joins its last pass (17 = 6+6+5),
 * through tile variants for 1..6 rows. Measured on the AMD EPYC (Zen 4, 1 thread, CPU
 * time, whole BERT-base forward) against the earlier MR = 4 kernel that padded the last
 * pass with repeated rows: 17 tokens 60-61 -> 69-74 GFLOP/s, 64 tokens 67-75 -> 87,
 * 128 tokens 67-72 -> 80-86, 16 tokens unchanged (71-73); MR = 5 was slower at 16-17
 * tokens, MR = 8 spills registers; prefetching 2 or 4 tiles ahead instead of 1: no change.
 *
 * The blocking around it is bert_gemm_blocking.c's, shared with the AVX2 kernel; this file
 * gives it the tile and its sizes (ef_bert_gemm_kernel_avx512). */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stdint.h>

#include "bert_gemm.h"
#include "bert_gemm_kernels.h"

#define T512 __attribute__((target("avx512f,avx512vl,fma")))

#ifndef MR
#define MR 6 /* rows of X per pass: 24 accumulators + 6 X + 1 W = 31 of the 32 zmm */
#endif
#define MR_MAX 6 /* the widest tile: a pass takes 1..MR_MAX rows */
#ifndef PF_AHEAD
#define PF_AHEAD 1 /* tiles ahead whose W rows are prefetched */
#endif
#define NR 4
#define VL 16 /* floats per vector */
#ifndef SMALL_M
#define SMALL_M 32 /* up to this many rows: no K or M blocking */
#endif
#ifndef KC_BIG
#define KC_BIG 768
#endif
#ifndef MB_BIG
#define MB_BIG 128
#endif
#ifndef PF_HINT
#define PF_HINT _MM_HINT_T1 /* into L2: measured 76 vs 65 GFLOP/s with T0 at M = 16 */
#endif

/* Sums of 4 vectors -> (sum a, sum b, sum c, sum d). */
T512 static inline __m128 hsum4(__m512 a, __m512 b, __m512 c, __m512 d)
{
#define HALF(v) _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)))
    __m256 ab = _mm256_hadd_ps(HALF(a), HALF(b));
    __m256 cd = _mm256_hadd_ps(HALF(c), HALF(d));
#undef HALF
    __m256 abcd = _mm256_hadd_ps(ab, cd); /* [a0 b0 c0 d0 | a1 b1 c1 d1] partial sums */
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

/* out[m0.. m0+MRC, n0..] (nr valid) (+)= alpha * sum_k X[m, k0+k] W[n, k0+k] for k < kb;
 * pfn rows of W starting at pf (stride ldw, same k range) are prefetched meanwhile. MRC
 * (rows of X, all valid) is a constant in every caller, so the loops over it unroll and
 * the MRC x NR accumulators live in registers. */
T512 static inline __attribute__((always_inline)) void tile_body(const ef_gemm_args *g, const int MRC, int m0, int n0,
                                                                 int nr, int k0, int kb, int head, const float *pf,
                                                                 int pfn)
{
    const float *xr[MR_MAX], *wr[NR];
#pragma GCC unroll 8
    for (int i = 0; i < MRC; i++) xr[i] = g->X + (size_t)(m0 + i) * g->ldx + k0;
    for (int j = 0; j < NR; j++) wr[j] = g->W + (size_t)(n0 + (j < nr ? j : 0)) * g->ldw + k0;
    __m512 acc[MR_MAX][NR];
#pragma GCC unroll 8
    for (int i = 0; i < MRC; i++)
#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) acc[i][j] = _mm512_setzero_ps();
    int k = 0;
    if (head) { /* the first head < 16 columns: the W loads after them are 64-byte aligned */
        __mmask16 hm = (__mmask16)((1u << head) - 1u);
        __m512 xv[MR_MAX];
#pragma GCC unroll 8
        for (int i = 0; i < MRC; i++) xv[i] = _mm512_maskz_loadu_ps(hm, xr[i]);
        /* the partial first line of the next tile's rows (the loop below fetches from the next) */
#pragma GCC unroll 8
        for (int j = 0; j < pfn; j++) _mm_prefetch((const char *)(pf + (size_t)j * g->ldw), PF_HINT);

#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) {
            __m512 w = _mm512_maskz_loadu_ps(hm, wr[j]);
#pragma GCC unroll 8
            for (int i = 0; i < MRC; i++) acc[i][j] = _mm512_fmadd_ps(xv[i], w, acc[i][j]);
        }
        k = head;
    }
    for (; k + 16 <= kb; k += 16) {
        __m512 xv[MR_MAX];
#pragma GCC unroll 8
        for (int i = 0; i < MRC; i++) xv[i] = _mm512_loadu_ps(xr[i] + k);
#pragma GCC unroll 8
        for (int j = 0; j < pfn; j++) _mm_prefetch((const char *)(pf + (size_t)j * g->ldw + k), PF_HINT);
#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) {
            __m512 w = _mm512_loadu_ps(wr[j] + k);
#pragma GCC unroll 8
            for (int i = 0; i < MRC; i++) acc[i][j] = _mm512_fmadd_ps(xv[i], w, acc[i][j]);
        }
    }
    if (k < kb) {
        __mmask16 km = (__mmask16)((1u << (kb - k)) - 1u);
        __m512 xv[MR_MAX];
#pragma GCC unroll 8
        for (int i = 0; i < MRC; i++) xv[i] = _mm512_maskz_loadu_ps(km, xr[i] + k);
#pragma GCC unroll 8
        for (int j = 0; j < pfn; j++) _mm_prefetch((const char *)(pf + (size_t)j * g->ldw + k), PF_HINT);

#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) {
            __m512 w = _mm512_maskz_loadu_ps(km, wr[j] + k);
#pragma GCC unroll 8
            for (int i = 0; i < MRC; i++) acc[i][j] = _mm512_fmadd_ps(xv[i], w, acc[i][j]);
        }
    }
    __mmask8 nm = (__mmask8)((1u << nr) - 1u);
    __m128 alpha = _mm_set1_ps(g->alpha);
    int first = k0 == 0;
    __m128 bias = first && g->bias ? _mm_maskz_loadu_ps(nm, g->bias + n0) : _mm_setzero_ps();
#pragma GCC unroll 8
    for (int i = 0; i < MRC; i++) {
        float *o = g->out + (size_t)(m0 + i) * g->ldo + n0;
        __m128 s = _mm_mul_ps(hsum4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]), alpha);
        __m128 base = (!first || g->accumulate) ? _mm_maskz_loadu_ps(nm, o) : _mm_setzero_ps();
        _mm_mask_storeu_ps(o, nm, _mm_add_ps(_mm_add_ps(base, bias), s));
    }
}

/* One pass of mr = 1..MR_MAX rows; pfn = 0, 1 or NR rows of the next tile prefetched. */
#define TILE_FN(R)                                                                                              \
    T512 static void tile##R(const ef_gemm_args *g, int m0, int n0, int nr, int k0, int kb, int head,           \
                             const float *pf, int pfn)                                                          \
    {                                                                                                           \
        if (pfn == 0) tile_body(g, R, m0, n0, nr, k0, kb, head, NULL, 0);                                       \
        else if (pfn == 1) tile_body(g, R, m0, n0, nr, k0, kb, head, pf, 1);                                    \
        else tile_body(g, R, m0, n0, nr, k0, kb, head, pf, NR);                                                 \
    }
TILE_FN(1)
TILE_FN(2)
TILE_FN(3)
TILE_FN(4)
TILE_FN(5)
TILE_FN(6)
#undef TILE_FN

T512 static void tile(const ef_gemm_args *g, int m0, int mr, int n0, int nr, int k0, int kb, int head,
                      const float *pf, int pfn)
{
    switch (mr) {
    case 1: tile1(g, m0, n0, nr, k0, kb, head, pf, pfn); break;
    case 2: tile2(g, m0, n0, nr, k0, kb, head, pf, pfn); break;
    case 3: tile3(g, m0, n0, nr, k0, kb, head, pf, pfn); break;
    case 4: tile4(g, m0, n0, nr, k0, kb, head, pf, pfn); break;
    case 5: tile5(g, m0, n0, nr, k0, kb, head, pf, pfn); break;
    default: tile6(g, m0, n0, nr, k0, kb, head, pf, pfn); break;
    }
}

const ef_gemm_kernel ef_bert_gemm_kernel_avx512 = {
    .tile = tile, .gelu = ef_bert_gelu_avx512, .mr = MR, .mr_max = MR_MAX, .nr = NR, .vec_floats = VL,
    .small_m = SMALL_M, .kc_big = KC_BIG, .mb_big = MB_BIG, .pf_ahead = PF_AHEAD,
};
#else
typedef int ef_bert_gemm_no_x86; /* ISO C: no empty translation unit */
#endif
