/* Weight initialisation and class weights: small pure functions used by every model. */
#include <math.h>
#include <string.h>

#include "emofuse/nn_layers.h"

void ef_glorot_uniform(float *w, int64_t n, int fan_in, int fan_out, ef_rng *rng)
{
    /* One 53-bit uniform draw per weight, so the values depend only on the seed and the
     * order of initialisation. (2u - 1) l lies in [-l, l). */
    double limit = sqrt(6.0 / (double)(fan_in + fan_out));
    for (int64_t i = 0; i < n; i++) w[i] = (float)((2.0 * ef_rng_uniform(rng) - 1.0) * limit);
}

void ef_class_weights(float *w, const int32_t *labels, int64_t n, int K)
{
    /* Balanced weights over the classes present (scikit-learn's 'balanced' on the classes
     * seen): w_k = n / (K_present * n_k), so sum over samples of w[y] = n exactly. Labels
     * outside [0, K) are ignored. Counting class by class keeps it allocation-free for
     * any K (two passes of n * K compares: nothing next to an epoch). */
    int64_t valid = 0;
    int present = 0;
    for (int k = 0; k < K; k++) {
        int64_t c = 0;
        for (int64_t i = 0; i < n; i++) c += labels[i] == k;
        valid += c;
        present += c > 0;
    }
    for (int k = 0; k < K; k++) {
        int64_t c = 0;
        for (int64_t i = 0; i < n; i++) c += labels[i] == k;
        w[k] = c ? (float)((double)valid / ((double)present * (double)c)) : 0.0f;
    }
}
