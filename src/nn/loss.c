/* Class-weighted softmax cross-entropy with Keras' class_weight normalisation
 * (sum of weighted per-sample losses divided by the batch size, not by the weight sum). */
#include <math.h>

#include "emofuse/nn_layers.h"
#include "emofuse/status.h"

float ef_weighted_xent_forward_backward(float *probs, float *dlogits, const float *logits, const int32_t *labels,
                                        const float *class_w, int B, int K)
{
    EF_ASSERT(B > 0 && K > 0);
    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        const float *x = logits + (int64_t)b * K;
        int y = labels[b];
        EF_ASSERT(y >= 0 && y < K);
        float mx = x[0];
        for (int k = 1; k < K; k++)
            if (x[k] > mx) mx = x[k];
        double sum = 0.0;
        for (int k = 0; k < K; k++) sum += exp((double)x[k] - mx);
        double lse = log(sum) + mx;
        double wy = class_w ? (double)class_w[y] : 1.0;
        /* -log p_y = logsumexp(x) - x_y: exact even when p_y underflows. */
        loss += wy * (lse - (double)x[y]);
        double g = wy / (double)B;
        for (int k = 0; k < K; k++) {
            double p = exp((double)x[k] - lse);
            if (probs) probs[(int64_t)b * K + k] = (float)p;
            if (dlogits) dlogits[(int64_t)b * K + k] = (float)(g * (p - (k == y ? 1.0 : 0.0)));
        }
    }
    return (float)(loss / (double)B);
}
