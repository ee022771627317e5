/* Adam optimiser with tf.keras semantics, linear learning-rate warm-up, per-block
 * freezing, and a NaN/Inf check for parameters and gradients.
 *
 * Update at step t (1-based, counted over all steps taken, frozen blocks or not, like
 * Keras' optimizer.iterations), for every element of every trainable block:
 *   lr_t  = lr * min(1, t / W)            (W = warmup_steps; W = 0: lr_t = lr)
 *   alpha = lr_t * sqrt(1 - beta2^t) / (1 - beta1^t)
 *   m    += (g - m) * (1 - beta1)
 *   v    += (g*g - v) * (1 - beta2)
 *   p    -= alpha * m / (sqrt(v) + eps)
 * This is Keras' "epsilon hat" form (eps added to sqrt(v), not to sqrt(v_hat) as in
 * PyTorch; equivalent to PyTorch with eps_torch = eps / sqrt(1 - beta2^t)). Step 1 uses
 * lr / W, so the very first step already moves the weights; step W and later use lr.
 * Frozen blocks: parameters and moments are left untouched (not decayed either).
 * beta powers and alpha are computed in double, the element update in float. */
#ifndef EMOFUSE_NN_OPTIM_H
#define EMOFUSE_NN_OPTIM_H

#include <stdint.h>

#include "emofuse/status.h"
#include "emofuse/thread_pool.h"

typedef struct {
    float lr;         /* 1e-3 */
    float beta1;      /* 0.9 */
    float beta2;      /* 0.999 */
    float eps;        /* 1e-7 (Keras default) */
    int warmup_steps; /* 40; 0 = no warm-up */
} ef_adam_config;

ef_adam_config ef_adam_default_params(void);

typedef struct {
    ef_adam_config cfg;
    int64_t n;  /* number of parameters */
    int64_t t;  /* steps taken so far */
    float *m;   /* (n) first moment, owned */
    float *v;   /* (n) second moment, owned */
} ef_adam;

/* Zeroed moments for n parameters, t = 0. Fails with EF_ERR_ARG / EF_ERR_NOMEM. */
ef_code ef_adam_init(ef_adam *opt, int64_t n, const ef_adam_config *cfg, ef_error *err);
void ef_adam_free(ef_adam *opt);

/* Learning rate used at 1-based step t (warm-up applied). */
float ef_adam_lr_at(const ef_adam_config *cfg, int64_t t);

/* One step over params/grads (n). Blocks partition [0, n): block i is
 * [block_offsets[i], block_offsets[i+1]), block_offsets[0] = 0, block_offsets[nblocks] = n;
 * frozen[i] != 0 skips block i. block_offsets == NULL means one trainable block (frozen
 * is then ignored); frozen == NULL means nothing frozen. Increments opt->t first. */
void ef_adam_step(ef_adam *opt, float *params, const float *grads, const int64_t *block_offsets,
                  const uint8_t *frozen, int nblocks);

/* ef_adam_step with the elements split over a thread pool (NULL: the caller alone), the
 * same bits for every thread count; returns nonzero when some updated parameter is NaN
 * or +-Inf afterwards (each range is checked right after its update, while it is in
 * cache; which tensor is the caller's to find). */
int ef_adam_step_pool(ef_pool *pool, ef_adam *opt, float *params, const float *grads, const int64_t *block_offsets,
                      const uint8_t *frozen, int nblocks);

/* The element update alone for one contiguous range at step t (for callers that keep
 * their own moments). lr_t is the warmed-up learning rate of that step. */
void ef_adam_update(float *p, float *m, float *v, const float *g, int64_t n, float lr_t, float beta1, float beta2,
                    float eps, int64_t t);

/* Index of the first NaN or +-Inf in x (n), or -1 when all are finite. */
int64_t ef_check_finite(const float *x, int64_t n);

#endif
