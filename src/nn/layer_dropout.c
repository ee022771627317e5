/* Inverted dropout with an explicit generator, so a run replays from its seed. */
#include <math.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/rng.h"
#include "emofuse/status.h"

/* The draw loops run ef_rng_step (rng.h) on a local copy of the state, so the loop makes
 * no call per element and the state stays in registers; the copy is written back, so the
 * generator advances exactly as n calls of ef_rng_u64 would (test_layers checks it). */

/* One 64-bit draw per element, kept iff its uniform (u >> 11) * 2^-53 >= rate, i.e.
 * (u >> 11) >= ceil(rate * 2^53) in integers (exact: rate * 2^53 is a scaling by a
 * power of two). rate 1 drops everything; the draws still happen so the generator
 * advances the same way whatever the rate. */
void ef_dropout_draw_mask(uint8_t *mask, int64_t n, float rate, ef_rng *rng)
{
    EF_ASSERT(rate > 0.0f && rate <= 1.0f);
    uint64_t thr = (uint64_t)ceil((double)rate * 0x1.0p53);
    uint64_t s[4] = {rng->s[0], rng->s[1], rng->s[2], rng->s[3]};
    for (int64_t i = 0; i < n; i++) mask[i] = (uint8_t)((ef_rng_step(s) >> 11) >= thr);
    for (int i = 0; i < 4; i++) rng->s[i] = s[i];
}

void ef_dropout_forward(float *out, uint8_t *mask, const float *inp, int64_t n, float rate, ef_rng *rng)
{
    EF_ASSERT(rate >= 0.0f && rate <= 1.0f);
    if (rate == 0.0f) {
        if (out != inp) memmove(out, inp, (size_t)n * sizeof(float));
        if (mask) memset(mask, 1, (size_t)n);
        return;
    }
    /* Branch-free body: keep/drop is random, a branch would mispredict. */
    float scale = rate < 1.0f ? 1.0f / (1.0f - rate) : 0.0f;
    uint64_t thr = (uint64_t)ceil((double)rate * 0x1.0p53);
    uint64_t s[4] = {rng->s[0], rng->s[1], rng->s[2], rng->s[3]};
    for (int64_t i = 0; i < n; i++) {
        uint32_t keep = (ef_rng_step(s) >> 11) >= thr;
        if (mask) mask[i] = (uint8_t)keep;
        out[i] = inp[i] * (scale * (float)keep);
    }
    for (int i = 0; i < 4; i++) rng->s[i] = s[i];
}

void ef_dropout_backward(float *dinp, const float *dout, const uint8_t *mask, int64_t n, float rate)
{
    if (rate == 0.0f) {
        for (int64_t i = 0; i < n; i++) dinp[i] += dout[i];
        return;
    }
    float scale = rate < 1.0f ? 1.0f / (1.0f - rate) : 0.0f;
    for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * (scale * (float)mask[i]);
}

/* ---- on a thread pool ------------------------------------------------------------------
 * The n draws are cut into fixed blocks of DROP_BLOCK; block i starts from the caller's
 * state advanced by i * DROP_BLOCK draws (ef_rng_advance: a few GF(2) matrix-vector
 * products, as i * 2^16 has few set bits), so every element gets the draw it gets in the
 * serial loop: the mask and output bytes are those of ef_dropout_forward /
 * ef_dropout_draw_mask for every thread count, and the caller's generator ends advanced by
 * n draws, as there. */
#define DROP_BLOCK 65536

typedef struct {
    float *out;
    uint8_t *mask;
    const float *inp;
    int64_t n;
    uint64_t thr;
    float scale;
    ef_rng start;
} drop_job;

static void drop_block(void *vctx, int64_t item, int thread)
{
    (void)thread;
    const drop_job *j = vctx;
    int64_t i0 = item * DROP_BLOCK, i1 = i0 + DROP_BLOCK < j->n ? i0 + DROP_BLOCK : j->n;
    ef_rng r = j->start;
    ef_rng_advance(&r, (uint64_t)i0);
    uint64_t s[4] = {r.s[0], r.s[1], r.s[2], r.s[3]};
    uint64_t thr = j->thr;
    if (!j->out) {
        for (int64_t i = i0; i < i1; i++) j->mask[i] = (uint8_t)((ef_rng_step(s) >> 11) >= thr);
        return;
    }
    float scale = j->scale;
    for (int64_t i = i0; i < i1; i++) {
        uint32_t keep = (ef_rng_step(s) >> 11) >= thr;
        if (j->mask) j->mask[i] = (uint8_t)keep;
        j->out[i] = j->inp[i] * (scale * (float)keep);
    }
}

static void run_blocks(ef_pool *pool, drop_job *j, ef_rng *rng)
{
    j->start = *rng;
    ef_pool_run(pool, (j->n + DROP_BLOCK - 1) / DROP_BLOCK, drop_block, j);
    ef_rng_advance(rng, (uint64_t)j->n);
}

void ef_dropout_draw_mask_pool(ef_pool *pool, uint8_t *mask, int64_t n, float rate, ef_rng *rng)
{
    EF_ASSERT(rate > 0.0f && rate <= 1.0f);
    drop_job j = {.mask = mask, .n = n, .thr = (uint64_t)ceil((double)rate * 0x1.0p53)};
    run_blocks(pool, &j, rng);
}

void ef_dropout_forward_pool(ef_pool *pool, float *out, uint8_t *mask, const float *inp, int64_t n, float rate,
                             ef_rng *rng)
{
    EF_ASSERT(rate >= 0.0f && rate <= 1.0f);
    if (rate == 0.0f) {
        ef_dropout_forward(out, mask, inp, n, rate, rng);
        return;
    }
    EF_ASSERT(out != inp); /* blocks run in any order: no in-place */
    drop_job j = {.out = out, .mask = mask, .inp = inp, .n = n, .thr = (uint64_t)ceil((double)rate * 0x1.0p53),
                  .scale = rate < 1.0f ? 1.0f / (1.0f - rate) : 0.0f};
    run_blocks(pool, &j, rng);
}
