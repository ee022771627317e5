/* Element-wise and row-wise activations: ReLU (forward/backward) and a numerically
 * stable row softmax. */
#include <math.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/status.h"

/* Both ReLU loops work on the bit patterns: branch-free (signs are random, so a branch
 * mispredicts half the time and cost 10x the arithmetic) and identical to
 * x > 0 ? x : 0 except that NaN propagates (NaN stays NaN, so ef_check_finite sees it)
 * and -0 maps to +0. */
static inline uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

void ef_relu_forward(float *out, const float *inp, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        uint32_t u = f2u(inp[i]);
        uint32_t is_nan = (u & 0x7fffffffu) > 0x7f800000u;
        uint32_t zero = (u >> 31) & ~is_nan; /* negative (or -0) and not NaN */
        out[i] = u2f(u & (zero - 1u));
    }
}

void ef_relu_backward(float *dinp, const float *dout, const float *out, int64_t n)
{
    /* Gradient passes where the forward output is > 0, i.e. its bits as int32 are > 0. */
    if (dinp == dout) { /* in place: mask the gradient */
        for (int64_t i = 0; i < n; i++) {
            uint32_t keep = 0u - (uint32_t)((int32_t)f2u(out[i]) > 0);
            dinp[i] = u2f(f2u(dinp[i]) & keep);
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        uint32_t keep = 0u - (uint32_t)((int32_t)f2u(out[i]) > 0);
        dinp[i] += u2f(f2u(dout[i]) & keep);
    }
}

void ef_softmax_forward(float *probs, const float *logits, int64_t N, int K)
{
    EF_ASSERT(K > 0);
    for (int64_t n = 0; n < N; n++) {
        const float *x = logits + n * K;
        float *p = probs + n * K;
        float mx = x[0];
        for (int k = 1; k < K; k++)
            if (x[k] > mx) mx = x[k];
        double sum = 0.0;
        for (int k = 0; k < K; k++) sum += exp((double)x[k] - mx);
        for (int k = 0; k < K; k++) p[k] = (float)(exp((double)x[k] - mx) / sum);
    }
}
