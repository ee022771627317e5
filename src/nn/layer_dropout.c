/* Inverted dropout with an explicit generator, so a run replays from its seed. */
#include <math.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/status.h"

void ef_dropout_forward(float *out, uint8_t *mask, const float *inp, int64_t n, float rate, ef_rng *rng)
{
    EF_ASSERT(rate >= 0.0f && rate <= 1.0f);
    if (rate == 0.0f) {
        if (out != inp) memmove(out, inp, (size_t)n * sizeof(float));
        if (mask) memset(mask, 1, (size_t)n);
        return;
    }
    /* One 64-bit draw per element, kept iff its uniform (u >> 11) * 2^-53 >= rate, i.e.
     * (u >> 11) >= ceil(rate * 2^53) in integers (exact: rate * 2^53 is a scaling by a
     * power of two). Branch-free body: keep/drop is random, a branch would mispredict.
     * rate 1 drops everything; the draws still happen so the generator advances the
     * same way whatever the rate. */
    float scale = rate < 1.0f ? 1.0f / (1.0f - rate) : 0.0f;
    uint64_t thr = (uint64_t)ceil((double)rate * 0x1.0p53);
    for (int64_t i = 0; i < n; i++) {
        uint32_t keep = (ef_rng_u64(rng) >> 11) >= thr;
        if (mask) mask[i] = (uint8_t)keep;
        out[i] = inp[i] * (scale * (float)keep);
    }
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
