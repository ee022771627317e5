/* AVX2 + FMA chunk kernel of ef_bert_gemm, for x86-64 CPUs without AVX-512 (and for CI,
 * which forces it with EMOFUSE_CPU=avx2). Same design as bert_gemm_avx512.c with 8-float
 * ymm vectors: MR = 3 rows of X x NR = 4 rows of W = 12 accumulators + 3 X vectors + 1 W
 * vector, i.e. all 16 ymm registers; K tails through maskload (zeros beyond the row, no
 * read past it). The last pass of a block takes the 1-3 remaining rows (tile variants),
 * so no row of X is computed twice. The blocking is bert_gemm_blocking.c's, shared with the
 * AVX-512 kernel. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stdint.h>

#include "bert_gemm.h"
#include "bert_gemm_kernels.h"

#define TAVX2 __attribute__((target("avx2,fma")))

#define MR 3
#define NR 4
#define VL 8 /* floats per vector */
#define SMALL_M 32
#define KC_BIG 768
#define MB_BIG 126
#define PF_HINT _MM_HINT_T1

/* lanes [0, r) set, for r in [0, 8]: mask_tab + 8 - r */
static const int32_t mask_tab[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/* Sums of 4 vectors -> (sum a, sum b, sum c, sum d). */
TAVX2 static inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d)
{
    __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

/* As in bert_gemm_avx512.c: MRC rows of X (all valid, a constant in every caller). */
TAVX2 static inline __attribute__((always_inline)) void tile_body(const ef_gemm_args *g, const int MRC, int m0, int n0,
                                                                  int nr, int k0, int kb, int head, const float *pf,
                                                                  int pfn)
{
    const float *xr[MR], *wr[NR];
#pragma GCC unroll 8
    for (int i = 0; i < MRC; i++) xr[i] = g->X + (size_t)(m0 + i) * g->ldx + k0;
    for (int j = 0; j < NR; j++) wr[j] = g->W + (size_t)(n0 + (j < nr ? j : 0)) * g->ldw + k0;
    __m256 acc[MR][NR];
#pragma GCC unroll 8
    for (int i = 0; i < MRC; i++)
#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) acc[i][j] = _mm256_setzero_ps();
    int k = 0;
    if (head) { /* the first head < 8 columns: the W loads after them are 32-byte aligned */
        __m256i hm = _mm256_loadu_si256((const __m256i *)(mask_tab + 8 - head));
        __m256 xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MRC; i++) xv[i] = _mm256_maskload_ps(xr[i], hm);
        /* the partial first line of the next tile's rows (the loop below fetches from the next) */
#pragma GCC unroll 8
        for (int j = 0; j < pfn; j++) _mm_prefetch((const char *)(pf + (size_t)j * g->ldw), PF_HINT);

#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) {
            __m256 w = _mm256_maskload_ps(wr[j], hm);
#pragma GCC unroll 8
            for (int i = 0; i < MRC; i++) acc[i][j] = _mm256_fmadd_ps(xv[i], w, acc[i][j]);
        }
        k = head;
    }
    for (; k + 8 <= kb; k += 8) {
        __m256 xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MRC; i++) xv[i] = _mm256_loadu_ps(xr[i] + k);
        /* one prefetch per 64-byte line: every second 8-float step */
        if (!((k - head) & 8)) {
#pragma GCC unroll 8
            for (int j = 0; j < pfn; j++) _mm_prefetch((const char *)(pf + (size_t)j * g->ldw + k), PF_HINT);
        }
#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) {
            __m256 w = _mm256_loadu_ps(wr[j] + k);
#pragma GCC unroll 8
            for (int i = 0; i < MRC; i++) acc[i][j] = _mm256_fmadd_ps(xv[i], w, acc[i][j]);
        }
    }
    if (k < kb) {
        __m256i km = _mm256_loadu_si256((const __m256i *)(mask_tab + 8 - (kb - k)));
        __m256 xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MRC; i++) xv[i] = _mm256_maskload_ps(xr[i] + k, km);
#pragma GCC unroll 8
        for (int j = 0; j < pfn; j++) _mm_prefetch((const char *)(pf + (size_t)j * g->ldw + k), PF_HINT);

#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) {
            __m256 w = _mm256_maskload_ps(wr[j] + k, km);
#pragma GCC unroll 8
            for (int i = 0; i < MRC; i++) acc[i][j] = _mm256_fmadd_ps(xv[i], w, acc[i][j]);
        }
    }
    __m128i nm = _mm_loadu_si128((const __m128i *)(mask_tab + 8 - nr));
    __m128 alpha = _mm_set1_ps(g->alpha);
    int first = k0 == 0;
    __m128 bias = first && g->bias ? _mm_maskload_ps(g->bias + n0, nm) : _mm_setzero_ps();
#pragma GCC unroll 8
    for (int i = 0; i < MRC; i++) {
        float *o = g->out + (size_t)(m0 + i) * g->ldo + n0;
        __m128 s = _mm_mul_ps(hsum4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]), alpha);
        __m128 base = (!first || g->accumulate) ? _mm_maskload_ps(o, nm) : _mm_setzero_ps();
        _mm_maskstore_ps(o, nm, _mm_add_ps(_mm_add_ps(base, bias), s));
    }
}

/* One pass of mr = 1..MR rows (the last pass of a block takes the remainder, so no row is
 * computed twice); pfn = 0, 1 or NR rows of the next tile prefetched. */
#define TILE_FN(R)                                                                                              \
    TAVX2 static void tile##R(const ef_gemm_args *g, int m0, int n0, int nr, int k0, int kb, int head,          \
                              const float *pf, int pfn)                                                         \
    {                                                                                                           \
        if (pfn == 0) tile_body(g, R, m0, n0, nr, k0, kb, head, NULL, 0);                                       \
        else if (pfn == 1) tile_body(g, R, m0, n0, nr, k0, kb, head, pf, 1);                                    \
        else tile_body(g, R, m0, n0, nr, k0, kb, head, pf, NR);                                                 \
    }
TILE_FN(1)
TILE_FN(2)
TILE_FN(3)
#undef TILE_FN

TAVX2 static void tile(const ef_gemm_args *g, int m0, int mr, int n0, int nr, int k0, int kb, int head,
                       const float *pf, int pfn)
{
    if (mr == 1) tile1(g, m0, n0, nr, k0, kb, head, pf, pfn);
    else if (mr == 2) tile2(g, m0, n0, nr, k0, kb, head, pf, pfn);
    else tile3(g, m0, n0, nr, k0, kb, head, pf, pfn);
}

/* MB_BIG: a multiple of MR, so a block's passes are all full. */
const ef_gemm_kernel ef_bert_gemm_kernel_avx2 = {
    .tile = tile, .gelu = ef_bert_gelu_avx2, .mr = MR, .mr_max = MR, .nr = NR, .vec_floats = VL,
    .small_m = SMALL_M, .kc_big = KC_BIG, .mb_big = MB_BIG, .pf_ahead = 1,
};
#else
typedef int ef_bert_gemm_no_x86; /* ISO C: no empty translation unit */
#endif
