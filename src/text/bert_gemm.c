/* Small-batch GEMM for the BERT encoder: out = alpha X W^T + bias (+ out) (+ GELU) with
 * W in torch's (out, in) layout used in place; this file holds the dispatch and the
 * OpenBLAS path, the kernels are in bert_gemm_avx512.c and bert_gemm_avx2.c.
 *
 * Why not cblas_sgemm: at batch-1 sizes (M = 16 tokens) OpenBLAS spends as long re-packing
 * each 768x768 / 3072x768 weight matrix on every call as it spends multiplying (perf: 44%
 * in sgemm_incopy). Here each output element is the dot product of two CONTIGUOUS rows
 * (a row of X and a row of W), so W needs no packing at all: the stored layout already is
 * the panel layout of the kernels, and the weights stay in the read-only mmap (no copy, no
 * extra memory, no load time). W is split into chunks of EF_GEMM_NCHUNK rows (one chunk =
 * one parallel work item); the GELU epilogue runs on a chunk while it is still in cache.
 *
 * Dispatch by what the CPU has (emofuse/cpu_isa.h: cpuid, never by vendor):
 * AVX-512F/VL + FMA -> the AVX-512 kernel, else AVX2 + FMA -> the AVX2 kernel, else
 * OpenBLAS. EMOFUSE_CPU=avx512|avx2|generic caps the level (CI runs the BERT reference
 * tests once per level; other values: no cap), EMOFUSE_BERT_GEMM=blas is the same as
 * generic. The environment is read once, at the first call.
 *
 * OpenBLAS path: generic level, or M >= BLAS_MIN_M (large packed batches, where OpenBLAS's
 * packing is amortised and its kernel is faster): bias/residual written first, cblas_sgemm
 * with beta = 1, then ef_bert_gelu. */
#include <cblas.h>
#undef I
#if defined(__x86_64__) || defined(__i386__)
#define EF_X86 1
#endif
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bert_gemm.h"
#include "bert_gemm_kernels.h"
#include "emofuse/cpu_isa.h"
#include "emofuse/parallel.h"

#ifndef BLAS_MIN_M
#define BLAS_MIN_M 256 /* from this many rows OpenBLAS's packed kernel is faster (101 vs 72 GFLOP/s
                          at 1024x768x3072, 1 thread): its packing cost is amortised */
#endif

static atomic_int g_env = -1;   /* -1 unknown, else the cap from the environment */
static atomic_int g_cap = EF_BERT_ISA_AVX512; /* tests: ef_bert_isa_cap */

int ef_bert_isa_cpu(void) { return (int)ef_isa_cpu(); }

/* EMOFUSE_CPU (the core's cap, shared with the audio kernels), and EMOFUSE_BERT_GEMM=blas,
 * the same as generic for BERT alone. */
static int env_cap(void)
{
    int c = atomic_load_explicit(&g_env, memory_order_relaxed);
    if (c < 0) {
        c = (int)ef_isa_env_cap();
        const char *gemm = getenv("EMOFUSE_BERT_GEMM");
        if (gemm && strcmp(gemm, "blas") == 0) c = EF_BERT_ISA_GENERIC;
        atomic_store_explicit(&g_env, c, memory_order_relaxed);
    }
    return c;
}

int ef_bert_isa(void)
{
    int f = ef_bert_isa_cpu(), e = env_cap(), c = atomic_load_explicit(&g_cap, memory_order_relaxed);
    if (e < f) f = e;
    return c < f ? c : f;
}

void ef_bert_isa_cap(int max)
{
    atomic_store_explicit(&g_cap, max < 0 ? EF_BERT_ISA_AVX512 : max, memory_order_relaxed);
}

const char *ef_bert_isa_name(int level) { return ef_isa_name((ef_isa)level); }

int ef_bert_gemm_fast(void) { return ef_bert_isa() > EF_BERT_ISA_GENERIC; }

void ef_bert_gemm_force_portable(int on) { ef_bert_isa_cap(on ? EF_BERT_ISA_GENERIC : -1); }

typedef struct {
    const ef_gemm_args *g;
    int isa;
} chunk_job;

static void chunk_item(void *p, int64_t item, int thread)
{
    (void)thread;
    const chunk_job *j = p;
    int n0 = (int)item * EF_GEMM_NCHUNK, n1 = n0 + EF_GEMM_NCHUNK < j->g->N ? n0 + EF_GEMM_NCHUNK : j->g->N;
#ifdef EF_X86
    ef_bert_gemm_chunk(j->isa >= EF_BERT_ISA_AVX512 ? &ef_bert_gemm_kernel_avx512 : &ef_bert_gemm_kernel_avx2, j->g,
                       n0, n1);
#else
    (void)n0;
    (void)n1;
#endif
}

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
    int isa = ef_bert_isa();
    if (isa > EF_BERT_ISA_GENERIC && M < BLAS_MIN_M) {
        ef_gemm_args g = {out, X, W, bias, ldo, ldx, ldw, M, N, K, accumulate, gelu, alpha};
        chunk_job j = {&g, isa};
        int64_t items = (N + EF_GEMM_NCHUNK - 1) / EF_GEMM_NCHUNK;
        if (n_threads > 1 && items > 1) ef_parallel_for(items, n_threads, chunk_item, &j);
        else
            for (int64_t it = 0; it < items; it++) chunk_item(&j, it, 0);
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
