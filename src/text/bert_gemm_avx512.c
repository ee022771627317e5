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
 * Blocking, per chunk of EF_GEMM_NCHUNK W rows: K in blocks of kc, M in blocks of mb rows,
 * then W tiles (4 rows x kc) with the mb rows under each; the next tile's rows are
 * prefetched (into L2) spread over the passes.
 * - M <= SMALL_M (batch-1 texts, the weights stream from DRAM): kc = K and mb = M, the
 *   longest sequential W streams (measured best on the AMD EPYC).
 * - M > SMALL_M (compute-bound): kc = KC_BIG = 768, mb = MB_BIG = 128: the W tile
 *   (4 x 768 floats, 12 KB) stays in L1 for all passes and the X slab (mb x kc, 384 KB)
 *   in L2. Measured on the AMD EPYC (1 thread, CPU time, M = 64 / 128, one BERT layer
 *   per call): kc = 256 or 384 lose 15-25% (each K block adds an hsum epilogue and a
 *   read-modify-write of the outputs), mb = 8 or 16 (X block "in L1") 3-10% (Zen 4's
 *   32 KB L1 holds neither 16 x 768 X rows nor 8 rows plus the W tile); so the blocking
 *   stayed, and the robustness fix is the alignment below. */
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

/* Row count of pass p of a block of mc rows split into passes of mr rows: the remainder
 * joins the last full pass while that stays <= MR_MAX rows (17 = 4+4+4+5), else it is a
 * pass of its own (19 = 4+4+4+4+3); never rows computed twice. */
static int pass_count(int mc, int mr)
{
    int full = mc / mr, rem = mc % mr;
    if (full == 0) return 1;
    return rem && mr + rem > MR_MAX ? full + 1 : full;
}

static int pass_rows(int mc, int mr, int p, int passes)
{
    if (p < passes - 1) return mr;
    return mc - p * mr;
}

T512 void ef_bert_gemm_chunk_avx512(const ef_gemm_args *g, int n0, int n1)
{
    const int big = g->M > SMALL_M;
    const int kc = big ? KC_BIG : g->K, mb = big ? MB_BIG : g->M, mr = MR;
    for (int k0 = 0; k0 < g->K; k0 += kc) {
        int kb = g->K - k0 < kc ? g->K - k0 : kc;
        /* Compute-bound sizes (M > SMALL_M): peel head columns so that every later W load
         * is 64-byte aligned. Safetensors data is only 8-byte aligned (BERT-base: 8 mod 64),
         * so each unaligned load splits a cache line, which Intel cores pay for with a second
         * L1 access; the encoder gives X the same alignment (bert_encoder.c, ws_align). Not
         * for M <= SMALL_M: the loads wait for DRAM there, and the peel measured 10% slower
         * on the AMD EPYC. All W rows share the alignment when the stride is a multiple of
         * the vector. */
        int head = 0;
        if (big && g->ldw % VL == 0 && ((uintptr_t)g->W & 3u) == 0)
            head = (int)(((64u - ((uintptr_t)(g->W + k0) & 63u)) & 63u) / 4u);
        if (head >= kb) head = 0;
        for (int mb0 = 0; mb0 < g->M; mb0 += mb) {
            int mc = g->M - mb0 < mb ? g->M - mb0 : mb;
            int passes = pass_count(mc, mr);
            for (int n = n0; n < n1; n += NR) {
                int nr = n1 - n < NR ? n1 - n : NR;
                /* the next tile's NR rows, one row per pass (or all in the first pass) */
                int can_pf = n + (PF_AHEAD + 1) * NR <= g->N;
                const float *next = g->W + (size_t)(n + PF_AHEAD * NR) * g->ldw + k0;
                for (int p = 0; p < passes; p++) {
                    int m0 = mb0 + p * mr, rows = pass_rows(mc, mr, p, passes);
                    if (!can_pf) tile(g, m0, rows, n, nr, k0, kb, head, NULL, 0);
                    else if (passes >= NR) {
                        if (p < NR) tile(g, m0, rows, n, nr, k0, kb, head, next + (size_t)p * g->ldw, 1);
                        else tile(g, m0, rows, n, nr, k0, kb, head, NULL, 0);
                    } else if (p == 0) tile(g, m0, rows, n, nr, k0, kb, head, next, NR);
                    else tile(g, m0, rows, n, nr, k0, kb, head, NULL, 0);
                }
            }
        }
    }
    if (g->gelu)
        for (int m = 0; m < g->M; m++) ef_bert_gelu_avx512(g->out + (size_t)m * g->ldo + n0, (size_t)(n1 - n0));
}
#else
typedef int ef_bert_gemm_no_x86; /* ISO C: no empty translation unit */
#endif
