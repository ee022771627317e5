/* Neural-network layers: forward and backward passes in plain C, llm.c style.
 *
 * Conventions (every function):
 * - outputs first, then inputs, then weights, then dimensions;
 * - caller-owned buffers, no allocation inside kernels;
 * - backward ADDS into gradient buffers (+=): the caller zeroes them once per step;
 *   dinp may be NULL when the input's gradient is not needed (first layer, frozen input).
 * - Ragged batches: B sequences stored back to back as rows, sequence b occupying rows
 *   [offsets[b], offsets[b+1]) of an (N, C) row-major matrix, N = offsets[B]. Every
 *   result equals the pad-and-mask formulation (padding frames ignored), with no padding
 *   computed at all.
 * Dimension letters: B sequences, N rows (time steps over all sequences), C input
 * channels, OC output channels, K kernel size / number of classes.
 */
#ifndef EMOFUSE_NN_LAYERS_H
#define EMOFUSE_NN_LAYERS_H

#include <stdint.h>

#include "emofuse/rng.h"
#include "emofuse/status.h"
#include "emofuse/thread_pool.h"

/* Dense (affine) applied to each row: out (N,OC) = inp (N,C) @ w^T (C,OC) + b.
 * w: (OC, C) as in PyTorch nn.Linear; b: (OC) or NULL. Used per time step and per
 * utterance (N = B). */
void ef_dense_forward(float *out, const float *inp, const float *w, const float *b, int64_t N, int C, int OC);
void ef_dense_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                       int64_t N, int C, int OC);

/* 1-D convolution over time inside each sequence, stride 1, "same" zero padding
 * (left pad (K-1)/2, right pad K/2, as Keras padding='same'), w: (OC, C, K), b: (OC).
 * K = 3..6 runs Winograd minimal filtering (error up to ~3e-6 of the sum of |products|
 * per element, docs/nn-layers.md), other K chunked GEMMs; environment EMOFUSE_CONV=gemm
 * forces the GEMMs for every K. */
ef_code ef_conv1d_forward(float *out, const float *inp, const float *w, const float *b, const int64_t *offsets,
                          int B, int C, int OC, int K, ef_error *err);
ef_code ef_conv1d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                           const int64_t *offsets, int B, int C, int OC, int K, ef_error *err);
/* The two functions above allocate a scratch buffer per call (EF_ERR_NOMEM, outputs
 * untouched, when it cannot be had) and run on the calling thread. The _ws variants take it from the caller instead and
 * may spread the work over a thread pool (NULL: the caller's thread): `work` must hold
 * ef_conv1d_workspace_floats(N, C, OC, K, ef_pool_threads(pool)) floats,
 * N = offsets[B] - offsets[0]; it is overwritten. The work is cut into fixed chunks of
 * rows whatever the thread count, so results are bit-identical for every pool size and
 * to the allocating versions. */
int64_t ef_conv1d_workspace_floats(int64_t N, int C, int OC, int K, int threads);
void ef_conv1d_forward_ws(ef_pool *pool, float *out, float *work, const float *inp, const float *w, const float *b,
                          const int64_t *offsets, int B, int C, int OC, int K);
void ef_conv1d_backward_ws(ef_pool *pool, float *dinp, float *dw, float *db, float *work, const float *dout,
                           const float *inp, const float *w, const int64_t *offsets, int B, int C, int OC, int K);
/* As ef_conv1d_backward_ws but dinp (when not NULL) is SET to the input gradient instead
 * of added to (saves the caller zeroing it). */
void ef_conv1d_backward_set_ws(ef_pool *pool, float *dinp, float *dw, float *db, float *work, const float *dout,
                               const float *inp, const float *w, const int64_t *offsets, int B, int C, int OC,
                               int K);

/* ReLU, branch-free. NaN propagates (stays NaN), -0 gives +0. In place (out == inp) allowed. */
void ef_relu_forward(float *out, const float *inp, int64_t n);
/* Uses the forward output (out > 0) as the mask. dinp += masked dout; in place
 * (dinp == dout) instead SETS dinp to the masked gradient. */
void ef_relu_backward(float *dinp, const float *dout, const float *out, int64_t n);

/* Batch normalisation over the N valid rows, per channel (Keras defaults momentum 0.99,
 * eps 1e-3). Training: normalise with the batch mean and biased variance, save mean and
 * rstd = 1/sqrt(var + eps) (C) for backward, and update running statistics as Keras does
 *   running -= (running - batch) * (1 - momentum)
 * with the BIASED batch variance (tf.keras BatchNormalization removes the fused kernel's
 * Bessel correction before the update; PyTorch would use the unbiased one). running_mean
 * / running_var may be NULL (no update). Requires N >= 1.
 * Inference: normalise with the running statistics. */
void ef_batchnorm_forward_train(float *out, float *mean, float *rstd, float *running_mean, float *running_var,
                                const float *inp, const float *gamma, const float *beta, int64_t N, int C,
                                float momentum, float eps);
void ef_batchnorm_forward_infer(float *out, const float *inp, const float *gamma, const float *beta,
                                const float *running_mean, const float *running_var, int64_t N, int C, float eps);
void ef_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                           const float *gamma, const float *mean, const float *rstd, int64_t N, int C);

/* Inverted dropout: keep with probability 1-rate, scale kept values by 1/(1-rate).
 * mask (n) records kept elements (1) so backward and tests can replay it (forward may
 * take mask NULL when no backward follows). rng is the explicit generator state: one
 * ef_rng_uniform draw per element, element i kept iff draw >= rate. rate 0 copies and
 * draws nothing; rate 1 drops everything. In-place (out == inp) is allowed. */
void ef_dropout_forward(float *out, uint8_t *mask, const float *inp, int64_t n, float rate, ef_rng *rng);
/* The mask alone (rate in (0, 1]): exactly the draws and mask of ef_dropout_forward, for
 * callers that apply it fused with other element-wise work. */
void ef_dropout_draw_mask(uint8_t *mask, int64_t n, float rate, ef_rng *rng);
/* The two above on a thread pool (NULL: the caller's thread): the same mask and output
 * bytes and the same final generator state for every thread count (each block of draws
 * starts from the state jumped ahead by ef_rng_advance). out != inp. */
void ef_dropout_draw_mask_pool(ef_pool *pool, uint8_t *mask, int64_t n, float rate, ef_rng *rng);
void ef_dropout_forward_pool(ef_pool *pool, float *out, uint8_t *mask, const float *inp, int64_t n, float rate,
                             ef_rng *rng);
void ef_dropout_backward(float *dinp, const float *dout, const uint8_t *mask, int64_t n, float rate);

/* Masked mean pooling over time: out (B, C) = mean of each sequence's rows (an empty
 * sequence gives zeros). */
void ef_meanpool_forward(float *out, const float *inp, const int64_t *offsets, int B, int C);
void ef_meanpool_backward(float *dinp, const float *dout, const int64_t *offsets, int B, int C);

/* Concatenate along channels: out (N, C1+C2) = [a (N,C1) | b (N,C2)]; da/db may be NULL. */
void ef_concat_forward(float *out, const float *a, const float *b, int64_t N, int C1, int C2);
void ef_concat_backward(float *da, float *db, const float *dout, int64_t N, int C1, int C2);

/* Row-wise softmax, numerically stable (max subtracted, sums in double). */
void ef_softmax_forward(float *probs, const float *logits, int64_t N, int K);

/* Class-weighted softmax cross-entropy, averaged as Keras does with class_weight:
 *   loss = sum_b w[y_b] * (-log p_b[y_b]) / B
 * probs (B,K) is written (softmax of logits); dlogits (B,K) is SET (not added) to the
 * gradient of loss w.r.t. logits. class_w (K) may be NULL (all 1). probs or dlogits may
 * be NULL (evaluation). Labels must be in [0, K). Returns the loss. */
float ef_weighted_xent_forward_backward(float *probs, float *dlogits, const float *logits, const int32_t *labels,
                                        const float *class_w, int B, int K);

/* Inverse-frequency class weights from training labels, normalised so that the weights
 * average to 1 over the training samples: w_k = n / (K_present * n_k) (= n / (K * n_k)
 * when every class occurs; scikit-learn's 'balanced' over the classes seen). Classes
 * absent from the training labels get weight 0; labels outside [0, K) are ignored. */
void ef_class_weights(float *w, const int32_t *labels, int64_t n, int K);

/* Glorot/Xavier uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)), one ef_rng_uniform
 * draw per weight in order. Keras conv kernels: fan_in = C*K, fan_out = OC*K. */
void ef_glorot_uniform(float *w, int64_t n, int fan_in, int fan_out, ef_rng *rng);

#endif
