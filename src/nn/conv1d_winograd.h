/* Internal to src/nn: the Winograd path of the 1-D convolution (conv1d_winograd.c) and
 * the row chunking it shares with the GEMM path (layer_conv1d.c). The public contract is
 * ef_conv1d_* in nn_layers.h; layer_conv1d.c chooses the path. */
#ifndef EMOFUSE_NN_CONV1D_WINOGRAD_H
#define EMOFUSE_NN_CONV1D_WINOGRAD_H

#include <stdint.h>

#include "emofuse/thread_pool.h"

/* Rows per chunk (work item) of both paths: 512 rows keep a weight-gradient GEMM's
 * packed panel in a 1 MB L2 (measured 90 vs 73 GFLOP/s at 2016 rows on AMD EPYC).
 * Smaller batches (text: about 560 tokens per 32 utterances) are cut into about 8 chunks
 * of whole 16-row units, at least 32 rows (5 chunks of 128 rows gave text 1.15x on 2
 * threads). The chunking depends on N only, never on the thread count, so neither do
 * the results. */
#define EF_CONV_R 512

/* Nominal chunk length: it sets the number of chunks. */
static inline int64_t ef_conv_chunk_len(int64_t N)
{
    if (N >= 4096) return EF_CONV_R;
    int64_t r = ((N + 7) / 8 + 15) / 16 * 16;
    return r < 32 ? 32 : r;
}

static inline int64_t ef_conv_n_chunks(int64_t N)
{
    return (N + ef_conv_chunk_len(N) - 1) / ef_conv_chunk_len(N);
}

/* First row of chunk i (i = ef_conv_n_chunks(N) gives N). Below 4096 rows the 16-row
 * units are spread evenly over the chunks (563 rows: 64, 80, 64, ... 67), not cut into
 * full chunks and a stub (7 x 80 + 3): two threads' contiguous halves then hold 288 and
 * 275 rows, where the stub left one thread 320 and the other 243 (a dense section's
 * speed-up capped at 1.76x). Every chunk is 1..EF_CONV_R rows. */
static inline int64_t ef_conv_chunk_start(int64_t N, int64_t i)
{
    int64_t n = ef_conv_n_chunks(N);
    if (i >= n) return N;
    if (N >= 4096) return i * EF_CONV_R;
    return 16 * (i * ((N + 15) / 16) / n);
}

/* An upper bound of ef_conv_n_chunks(n) for every n <= N (n_chunks is not monotone: 16
 * chunks of 256 rows at 4095, 8 of 512 at 4096). */
static inline int64_t ef_conv_max_chunks(int64_t N)
{
    return (N + EF_CONV_R - 1) / EF_CONV_R + 16;
}

static inline int64_t ef_conv_round16(int64_t n)
{
    return (n + 15) / 16 * 16;
}

/* Kernel sizes the Winograd path takes (3..6: F(6,3), F(5,4), F(4,5), F(3,6)). */
int ef_conv1d_winograd_fits(int K);
/* Workspace of the Winograd path, in floats (same arguments as ef_conv1d_workspace_floats). */
int64_t ef_conv1d_winograd_workspace_floats(int64_t N, int C, int OC, int K, int threads);
/* As ef_conv1d_forward_ws / conv_backward of layer_conv1d.c, for a K that fits; dinp is
 * set (set_dinp) or added to; dw and db are added to; any gradient may be NULL. */
void ef_conv1d_winograd_forward(ef_pool *pool, float *out, float *work, const float *inp, const float *w,
                                const float *b, const int64_t *offsets, int B, int C, int OC, int K);
void ef_conv1d_winograd_backward(ef_pool *pool, float *dinp, int set_dinp, float *dw, float *db, float *work,
                                 const float *dout, const float *inp, const float *w, const int64_t *offsets, int B,
                                 int C, int OC, int K);

#endif
