/* Small-batch GEMM for the BERT encoder: out = alpha X W^T + bias (+ out) (+ GELU) with
 * W in torch's (out, in) layout used in place.
 *
 * Why not cblas_sgemm: at batch-1 sizes (M = 16 tokens) OpenBLAS spends as long re-packing
 * each 768x768 / 3072x768 weight matrix on every call as it spends multiplying (perf: 44%
 * in sgemm_incopy). Here each output element is the dot product of two CONTIGUOUS rows
 * (a row of X and a row of W), so W needs no packing at all: the stored layout already is
 * the panel layout of this kernel, and the weights stay in the read-only mmap (no copy, no
 * extra memory, no load time).
 *
 * Micro-kernel (AVX-512): MR rows of X x NR = 4 rows of W, MR*4 zmm accumulators over
 * 16-float K steps (masked loads for the K tail), then each group of 4 accumulators is
 * reduced (hadd tree) to the 4 contiguous outputs of one row, which are stored with bias /
 * residual added in the same pass. Rows beyond M or N are served by repeating a valid row
 * (results dropped), so odd sizes need no extra code path.
 * Blocking (chunk_item): W in chunks of NCHUNK rows (one chunk = one parallel work item),
 * loop over W tiles with all rows of X under each tile, next tile prefetched; see there.
 * The GELU epilogue runs on the chunk while it is still in cache.
 *
 * OpenBLAS path: no AVX-512, EMOFUSE_BERT_GEMM=blas, or M >= BLAS_MIN_M (large packed
 * batches, where OpenBLAS's packing is amortised and its kernel is faster):
 * bias/residual written first, cblas_sgemm with beta = 1, then ef_bert_gelu. */
#include <cblas.h>
#undef I
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EF_X86 1
#endif
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bert_gemm.h"
#include "emofuse/parallel.h"

#define T512 __attribute__((target("avx512f,avx512vl,fma")))

#ifndef MR
#define MR 4
#endif
#define NR 4
#ifndef KC
#define KC 768 /* K block when M > SMALL_M */
#endif
#define NCHUNK 64
#ifndef BLAS_MIN_M
#define BLAS_MIN_M 256 /* from this many rows OpenBLAS's packed kernel is faster (101 vs 72 GFLOP/s
                          at 1024x768x3072, 1 thread): its packing cost is amortised */
#endif
#ifndef MC
#define MC 128 /* M block */
#endif
#ifndef SMALL_M
#define SMALL_M 32  /* up to this many rows: no K blocking */
#endif
#ifndef PF_HINT
#define PF_HINT _MM_HINT_T1 /* into L2: measured 76 vs 65 GFLOP/s with T0 at M = 16 */
#endif
#ifndef PF_AHEAD
#define PF_AHEAD 1
#endif

static atomic_int g_fast = -1;   /* -1 unknown, 0 portable, 1 AVX-512 */
static atomic_int g_forced = 0; /* tests: force the portable path */

int ef_bert_gemm_fast(void)
{
    if (atomic_load_explicit(&g_forced, memory_order_relaxed)) return 0;
    int f = atomic_load_explicit(&g_fast, memory_order_relaxed);
    if (f < 0) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        f = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
#else
        f = 0;
#endif
        const char *env = getenv("EMOFUSE_BERT_GEMM");
        if (env && strcmp(env, "blas") == 0) f = 0;
        atomic_store_explicit(&g_fast, f, memory_order_relaxed);
    }
    return f;
}

void ef_bert_gemm_force_portable(int on) { atomic_store_explicit(&g_forced, on ? 1 : 0, memory_order_relaxed); }

typedef struct {
    float *out;
    const float *X, *W, *bias;
    int ldo, ldx, ldw, M, N, K, accumulate, gelu;
    float alpha;
} gemm_args;

#ifdef EF_X86
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


/* out[m0.., n0..] (mr x nr valid) (+)= alpha * sum_k X[m, k0+k] W[n, k0+k] for k < kb. */
T512 static inline __attribute__((always_inline)) void tile_body(const gemm_args *g, int m0, int mr, int n0, int nr,
                                                                 int k0, int kb, const float *pf, int pfn)
{
    const float *xr[MR], *wr[NR];
    for (int i = 0; i < MR; i++) xr[i] = g->X + (size_t)(m0 + (i < mr ? i : 0)) * g->ldx + k0;
    for (int j = 0; j < NR; j++) wr[j] = g->W + (size_t)(n0 + (j < nr ? j : 0)) * g->ldw + k0;
    __m512 acc[MR][NR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) acc[i][j] = _mm512_setzero_ps();
    int k = 0;
    for (; k + 16 <= kb; k += 16) {
        __m512 xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MR; i++) xv[i] = _mm512_loadu_ps(xr[i] + k);
#pragma GCC unroll 8
        for (int j = 0; j < pfn; j++) _mm_prefetch((const char *)(pf + (size_t)j * g->ldw + k), PF_HINT);
#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) {
            __m512 w = _mm512_loadu_ps(wr[j] + k);
#pragma GCC unroll 8
            for (int i = 0; i < MR; i++) acc[i][j] = _mm512_fmadd_ps(xv[i], w, acc[i][j]);
        }
    }
    if (k < kb) {
        __mmask16 km = (__mmask16)((1u << (kb - k)) - 1u);
        __m512 xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MR; i++) xv[i] = _mm512_maskz_loadu_ps(km, xr[i] + k);
#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) {
            __m512 w = _mm512_maskz_loadu_ps(km, wr[j] + k);
#pragma GCC unroll 8
            for (int i = 0; i < MR; i++) acc[i][j] = _mm512_fmadd_ps(xv[i], w, acc[i][j]);
        }
    }
    __mmask8 nm = (__mmask8)((1u << nr) - 1u);
    __m128 alpha = _mm_set1_ps(g->alpha);
    int first = k0 == 0;
    __m128 bias = first && g->bias ? _mm_maskz_loadu_ps(nm, g->bias + n0) : _mm_setzero_ps();
    for (int i = 0; i < mr; i++) {
        float *o = g->out + (size_t)(m0 + i) * g->ldo + n0;
        __m128 s = _mm_mul_ps(hsum4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]), alpha);
        __m128 base = (!first || g->accumulate) ? _mm_maskz_loadu_ps(nm, o) : _mm_setzero_ps();
        _mm_mask_storeu_ps(o, nm, _mm_add_ps(_mm_add_ps(base, bias), s));
    }
}

/* pf: pfn (0, 1 or NR) rows of W, same k range, fetched while this tile computes (the
 * next tile's rows: DRAM latency hidden behind this tile's FMAs). */
T512 static void tile(const gemm_args *g, int m0, int mr, int n0, int nr, int k0, int kb)
{
    tile_body(g, m0, mr, n0, nr, k0, kb, NULL, 0);
}

T512 static void tile_pf1(const gemm_args *g, int m0, int mr, int n0, int nr, int k0, int kb, const float *pf)
{
    tile_body(g, m0, mr, n0, nr, k0, kb, pf, 1);
}

T512 static void tile_pfn(const gemm_args *g, int m0, int mr, int n0, int nr, int k0, int kb, const float *pf)
{
    tile_body(g, m0, mr, n0, nr, k0, kb, pf, NR);
}

T512 static void chunk_item(void *p, int64_t item, int thread)
{
    (void)thread;
    const gemm_args *g = p;
    int n0 = (int)item * NCHUNK, n1 = n0 + NCHUNK < g->N ? n0 + NCHUNK : g->N;
    /* The loop runs over W tiles (NR rows x kc) with all M rows under each, so W is read
     * from memory once per call, and the NEXT tile's rows are prefetched (into L2) spread
     * over the m passes (one row per pass) so that memory traffic is even while the FMAs
     * run. Few rows (batch-1 texts): kc = K, the longest sequential streams (measured best);
     * more rows: kc = KC keeps the X slab (M x kc) in L2/L3. */
    int kc = g->M <= SMALL_M ? g->K : KC;
    for (int k0 = 0; k0 < g->K; k0 += kc) {
        int kb = g->K - k0 < kc ? g->K - k0 : kc;
        /* M in blocks of MC rows: the X slab (MC x kc) and the chunk's W slab (NCHUNK x kc)
         * both stay in L2 */
        for (int mc0 = 0; mc0 < g->M; mc0 += MC) {
            int mc = g->M - mc0 < MC ? g->M - mc0 : MC;
            int passes = (mc + MR - 1) / MR;
            for (int n = n0; n < n1; n += NR) {
                int nr = n1 - n < NR ? n1 - n : NR;
                int can_pf = n + NR * (PF_AHEAD + 1) <= g->N; /* NR full rows PF_AHEAD tiles ahead exist */
                const float *next = g->W + (size_t)(n + NR * PF_AHEAD) * g->ldw + k0;
                for (int p = 0; p < passes; p++) {
                    int m0 = mc0 + p * MR, mr = mc0 + mc - m0 < MR ? mc0 + mc - m0 : MR;
                    if (!can_pf) tile(g, m0, mr, n, nr, k0, kb);
                    else if (passes >= NR) {
                        if (p < NR) tile_pf1(g, m0, mr, n, nr, k0, kb, next + (size_t)p * g->ldw);
                        else tile(g, m0, mr, n, nr, k0, kb);
                    } else if (p == 0) tile_pfn(g, m0, mr, n, nr, k0, kb, next);
                    else tile(g, m0, mr, n, nr, k0, kb);
                }
            }
        }
    }
    if (g->gelu)
        for (int m = 0; m < g->M; m++) ef_bert_gelu(g->out + (size_t)m * g->ldo + n0, (size_t)(n1 - n0));
}

#else /* not x86: ef_bert_gemm_fast() is 0, never called */
static void chunk_item(void *p, int64_t item, int thread) { (void)p; (void)item; (void)thread; }
#endif

typedef struct {
    float *out;
    int ldo, M, N;
} gelu_rows;

/* GELU over rows [32 blk, 32 blk + 32) of the portable path's output. */
static void gelu_item(void *p, int64_t blk, int thread)
{
    (void)thread;
    const gelu_rows *r = p;
    int m1 = (int)blk * 32 + 32 < r->M ? (int)blk * 32 + 32 : r->M;
    for (int m = (int)blk * 32; m < m1; m++) ef_bert_gelu(r->out + (size_t)m * r->ldo, (size_t)r->N);
}

void ef_bert_gemm(float *out, int ldo, const float *X, int ldx, const float *W, int ldw, const float *bias,
                  float alpha, int M, int N, int K, int accumulate, int gelu, int n_threads)
{
    if (M <= 0 || N <= 0) return;
    if (K <= 0) { /* empty product: only bias / accumulate / GELU */
        for (int m = 0; m < M; m++) {
            float *o = out + (size_t)m * ldo;
            for (int n = 0; n < N; n++) o[n] = (accumulate ? o[n] : 0.0f) + (bias ? bias[n] : 0.0f);
            if (gelu) ef_bert_gelu(o, (size_t)N);
        }
        return;
    }
    if (ef_bert_gemm_fast() && M < BLAS_MIN_M) {
        gemm_args g = {out, X, W, bias, ldo, ldx, ldw, M, N, K, accumulate, gelu, alpha};
        int64_t items = (N + NCHUNK - 1) / NCHUNK;
        if (n_threads > 1 && items > 1) ef_parallel_for(items, n_threads, chunk_item, &g);
        else
            for (int64_t it = 0; it < items; it++) chunk_item(&g, it, 0);
        return;
    }
    /* Portable: bias (and residual) written first, then one SGEMM with beta = 1. */
    for (int m = 0; m < M; m++) {
        float *o = out + (size_t)m * ldo;
        if (!accumulate) {
            if (bias) memcpy(o, bias, (size_t)N * sizeof(float));
            else memset(o, 0, (size_t)N * sizeof(float));
        } else if (bias) {
            for (int n = 0; n < N; n++) o[n] += bias[n];
        }
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, alpha, X, ldx, W, ldw, 1.0f, out, ldo);
    if (gelu) {
        gelu_rows r = {out, ldo, M, N};
        int64_t blocks = (M + 31) / 32;
        if (n_threads > 1 && blocks > 1) ef_parallel_for(blocks, n_threads, gelu_item, &r);
        else
            for (int64_t b = 0; b < blocks; b++) gelu_item(&r, b, 0);
    }
}
