/* Adam with tf.keras semantics (epsilon-hat form), linear warm-up and block freezing;
 * plus the finite-value check used by the training loop. Formulas: nn_optim.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_optim.h"
#include "emofuse/cpu_isa.h"

ef_adam_config ef_adam_default_params(void)
{
    ef_adam_config c = {1e-3f, 0.9f, 0.999f, 1e-7f, 40};
    return c;
}

ef_code ef_adam_init(ef_adam *opt, int64_t n, const ef_adam_config *cfg, ef_error *err)
{
    memset(opt, 0, sizeof *opt);
    if (n < 0 || !cfg || cfg->warmup_steps < 0 || !(cfg->lr >= 0.0f) || !(cfg->beta1 >= 0.0f && cfg->beta1 < 1.0f) ||
        !(cfg->beta2 >= 0.0f && cfg->beta2 < 1.0f) || !(cfg->eps >= 0.0f))
        return ef_fail(err, EF_ERR_ARG, "adam: invalid configuration");
    opt->cfg = *cfg;
    opt->n = n;
    size_t bytes = (size_t)(n ? n : 1) * sizeof(float);
    opt->m = calloc(1, bytes);
    opt->v = calloc(1, bytes);
    if (!opt->m || !opt->v) {
        ef_adam_free(opt);
        return ef_fail(err, EF_ERR_NOMEM, "adam: cannot allocate moments for %lld parameters", (long long)n);
    }
    return EF_OK;
}

void ef_adam_free(ef_adam *opt)
{
    free(opt->m);
    free(opt->v);
    opt->m = opt->v = NULL;
}

float ef_adam_lr_at(const ef_adam_config *cfg, int64_t t)
{
    if (cfg->warmup_steps <= 0 || t >= cfg->warmup_steps) return cfg->lr;
    if (t <= 0) return 0.0f;
    return (float)((double)cfg->lr * (double)t / (double)cfg->warmup_steps);
}

/* Built per instruction set and picked at load time (GCC's target_clones): the update is
 * element-wise, with correctly rounded sqrt and division in every width, so every clone
 * gives the same bits; the wider ones halve or quarter a step the optimiser runs alone
 * (it was a twentieth of a 2-thread text epoch). Static, so that the clones' resolver is
 * not exported from the library (test_install checks its symbols). */
EF_TARGET_CLONES
static void adam_update_lanes(float *p, float *m, float *v, const float *g, int64_t n, float alpha, float om1,
                              float om2, float eps)
{
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i];
        m[i] += (gi - m[i]) * om1;
        v[i] += (gi * gi - v[i]) * om2;
        p[i] -= alpha * m[i] / (sqrtf(v[i]) + eps);
    }
}

void ef_adam_update(float *p, float *m, float *v, const float *g, int64_t n, float lr_t, float beta1, float beta2,
                    float eps, int64_t t)
{
    double b1t = pow((double)beta1, (double)t), b2t = pow((double)beta2, (double)t);
    float alpha = (float)((double)lr_t * sqrt(1.0 - b2t) / (1.0 - b1t));
    adam_update_lanes(p, m, v, g, n, alpha, 1.0f - beta1, 1.0f - beta2, eps);
}

void ef_adam_step(ef_adam *opt, float *params, const float *grads, const int64_t *block_offsets,
                  const uint8_t *frozen, int nblocks)
{
    opt->t++;
    const ef_adam_config *c = &opt->cfg;
    float lr_t = ef_adam_lr_at(c, opt->t);
    if (!block_offsets) {
        ef_adam_update(params, opt->m, opt->v, grads, opt->n, lr_t, c->beta1, c->beta2, c->eps, opt->t);
        return;
    }
    for (int i = 0; i < nblocks; i++) {
        if (frozen && frozen[i]) continue;
        int64_t a = block_offsets[i], len = block_offsets[i + 1] - a;
        if (len <= 0) continue;
        ef_adam_update(params + a, opt->m + a, opt->v + a, grads + a, len, lr_t, c->beta1, c->beta2, c->eps, opt->t);
    }
}

int64_t ef_check_finite(const float *x, int64_t n)
{
    /* x * 0 is 0 for finite x and NaN for NaN/Inf: blocks of 16 lanes summed without a
     * branch (vectorised), the first bad index searched only in a block that has one. */
    for (int64_t i0 = 0; i0 < n; i0 += 1024) {
        int64_t len = n - i0 < 1024 ? n - i0 : 1024, j = 0;
        float lane[16] = {0};
        for (; j + 16 <= len; j += 16)
            for (int l = 0; l < 16; l++) lane[l] += x[i0 + j + l] * 0.0f;
        int bad = 0;
        for (int l = 0; l < 16; l++) bad |= lane[l] != 0.0f;
        for (; j < len; j++) bad |= !isfinite(x[i0 + j]);
        if (bad)
            for (int64_t i = i0; i < i0 + len; i++)
                if (!isfinite(x[i])) return i;
    }
    return -1;
}
