/* The blocking of ef_bert_gemm, one copy for every ISA (the micro-kernels differ only in
 * vector width and register count: bert_gemm_avx512.c, bert_gemm_avx2.c). Per chunk of
 * EF_GEMM_NCHUNK W rows: K in blocks of kc, M in blocks of mb rows, then W tiles (nr rows
 * x kc) with the mb rows under each, the next tile's rows prefetched (into L2) spread over
 * the passes.
 * - M <= small_m (batch-1 texts, the weights stream from DRAM): kc = K and mb = M, the
 *   longest sequential W streams (measured best on the AMD EPYC).
 * - M > small_m (compute-bound): kc = kc_big = 768, mb = mb_big: the W tile (4 x 768
 *   floats, 12 KB) stays in L1 for all passes and the X slab (mb x kc) in L2. Measured on
 *   the AMD EPYC (1 thread, CPU time, M = 64 / 128, one BERT layer per call): kc = 256 or
 *   384 lose 15-25% (each K block adds an hsum epilogue and a read-modify-write of the
 *   outputs), mb = 8 or 16 (X block "in L1") 3-10%.
 * The tile is called through a pointer: one call covers mr x nr outputs over up to 768 K
 * steps, so the indirect call is noise. */
#include <stdint.h>

#include "bert_gemm_kernels.h"

/* Row count of pass p of a block of mc rows split into passes of mr rows: the remainder
 * joins the last full pass while that stays <= mr_max rows (mr 4, mr_max 6: 17 = 4+4+4+5),
 * else it is a pass of its own (19 = 4+4+4+4+3); never rows computed twice. */
static int pass_count(int mc, int mr, int mr_max)
{
    int full = mc / mr, rem = mc % mr;
    if (full == 0) return 1;
    return rem && mr + rem > mr_max ? full + 1 : full;
}

static int pass_rows(int mc, int mr, int p, int passes) { return p < passes - 1 ? mr : mc - p * mr; }

void ef_bert_gemm_chunk(const ef_gemm_kernel *kn, const ef_gemm_args *g, int n0, int n1)
{
    const int big = g->M > kn->small_m, nr_tile = kn->nr;
    const int kc = big ? kn->kc_big : g->K, mb = big ? kn->mb_big : g->M;
    const unsigned align = 4u * (unsigned)kn->vec_floats;
    for (int k0 = 0; k0 < g->K; k0 += kc) {
        int kb = g->K - k0 < kc ? g->K - k0 : kc;
        /* Compute-bound sizes (M > small_m): peel head columns so that every later W load
         * is vector-aligned. Safetensors data is only 8-byte aligned (BERT-base: 8 mod 64),
         * so each unaligned load splits a cache line, which Intel cores pay for with a second
         * L1 access; the encoder gives X the same alignment (bert_encoder.c, ws_align). Not
         * for M <= small_m: the loads wait for DRAM there, and the peel measured 10% slower
         * on the AMD EPYC. All W rows share the alignment when the stride is a multiple of
         * the vector. */
        int head = 0;
        if (big && g->ldw % kn->vec_floats == 0 && ((uintptr_t)g->W & 3u) == 0)
            head = (int)(((align - ((uintptr_t)(g->W + k0) & (align - 1u))) & (align - 1u)) / 4u);
        if (head >= kb) head = 0;
        for (int mb0 = 0; mb0 < g->M; mb0 += mb) {
            int mc = g->M - mb0 < mb ? g->M - mb0 : mb;
            int passes = pass_count(mc, kn->mr, kn->mr_max);
            for (int n = n0; n < n1; n += nr_tile) {
                int nr = n1 - n < nr_tile ? n1 - n : nr_tile;
                /* the next tile's rows, one row per pass (or all in the first pass) */
                int can_pf = n + (kn->pf_ahead + 1) * nr_tile <= g->N;
                const float *next = g->W + (size_t)(n + kn->pf_ahead * nr_tile) * g->ldw + k0;
                for (int p = 0; p < passes; p++) {
                    int m0 = mb0 + p * kn->mr, rows = pass_rows(mc, kn->mr, p, passes);
                    if (!can_pf) kn->tile(g, m0, rows, n, nr, k0, kb, head, NULL, 0);
                    else if (passes >= nr_tile) {
                        if (p < nr_tile) kn->tile(g, m0, rows, n, nr, k0, kb, head, next + (size_t)p * g->ldw, 1);
                        else kn->tile(g, m0, rows, n, nr, k0, kb, head, NULL, 0);
                    } else if (p == 0) kn->tile(g, m0, rows, n, nr, k0, kb, head, next, nr_tile);
                    else kn->tile(g, m0, rows, n, nr, k0, kb, head, NULL, 0);
                }
            }
        }
    }
    if (g->gelu)
        for (int m = 0; m < g->M; m++) kn->gelu(g->out + (size_t)m * g->ldo + n0, (size_t)(n1 - n0));
}
