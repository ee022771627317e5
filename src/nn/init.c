/* Weight initialisation and class weights: small pure functions used by every model. */
#include <math.h>
#include <string.h>

#include "emofuse/nn_layers.h"

void ef_glorot_uniform(float *w, int64_t n, int fan_in, int fan_out, ef_rng *rng)
{
    double limit = sqrt(6.0 / (double)(fan_in + fan_out));
    for (int64_t i = 0; i < n; i++) w[i] = (float)((2.0 * ef_rng_uniform(rng) - 1.0) * limit);
}

void ef_class_weights(float *w, const int32_t *labels, int64_t n, int K)
{
    int64_t counts[64] = {0};
    for (int64_t i = 0; i < n; i++)
        if (labels[i] >= 0 && labels[i] < K && labels[i] < 64) counts[labels[i]]++;
    for (int k = 0; k < K; k++) w[k] = counts[k] ? (float)((double)n / ((double)K * (double)counts[k])) : 0.0f;
}
