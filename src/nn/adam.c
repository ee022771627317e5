/* Adam with tf.keras semantics (epsilon-hat form), linear warm-up and block freezing;
 * plus the finite-value check used by the training loop. Formulas: nn_optim.h. */
#include <math.h>
#include <stdatomic.h>
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

/* The step size of step t, bias corrections included, in double (nn_optim.h). */
static float adam_alpha(float lr_t, float beta1, float beta2, int64_t t)
{
    double b1t = pow((double)beta1, (double)t), b2t = pow((double)beta2, (double)t);
    return (float)((double)lr_t * sqrt(1.0 - b2t) / (1.0 - b1t));
}

void ef_adam_update(float *p, float *m, float *v, const float *g, int64_t n, float lr_t, float beta1, float beta2,
                    float eps, int64_t t)
{
    adam_update_lanes(p, m, v, g, n, adam_alpha(lr_t, beta1, beta2, t), 1.0f - beta1, 1.0f - beta2, eps);
}

/* One item of a pooled step: the trainable parts of elements [i * ADAM_CHUNK, ...). 16K
 * elements = 64 KB per stream, about 12 items for the text model's 198k parameters;
 * the pool's contiguous shares give each core one half of the vectors. The update is
 * element-wise, so any cut gives the same bits. */
#define ADAM_CHUNK 16384

typedef struct {
    float *p, *m, *v;
    const float *g;
    const int64_t *off;    /* (nblocks + 1) block boundaries */
    const uint8_t *frozen; /* (nblocks) or NULL */
    int nblocks;
    int64_t n;
    float alpha, om1, om2, eps;
    int check;
    atomic_int bad;
} adam_job;

static void adam_item(void *vctx, int64_t item, int thread)
{
    (void)thread;
    adam_job *j = vctx;
    int64_t lo = item * ADAM_CHUNK, hi = lo + ADAM_CHUNK < j->n ? lo + ADAM_CHUNK : j->n;
    for (int i = 0; i < j->nblocks; i++) {
        int64_t a = j->off[i], z = j->off[i + 1];
        if (j->frozen && j->frozen[i]) continue;
        if (a < lo) a = lo;
        if (z > hi) z = hi;
        if (a >= z) continue;
        adam_update_lanes(j->p + a, j->m + a, j->v + a, j->g + a, z - a, j->alpha, j->om1, j->om2, j->eps);
        /* checked while the range is still in this core's cache */
        if (j->check && ef_check_finite(j->p + a, z - a) >= 0) atomic_store_explicit(&j->bad, 1, memory_order_relaxed);
    }
}

static int adam_step(ef_pool *pool, ef_adam *opt, float *params, const float *grads, const int64_t *block_offsets,
                     const uint8_t *frozen, int nblocks, int check)
{
    opt->t++;
    const ef_adam_config *c = &opt->cfg;
    float lr_t = ef_adam_lr_at(c, opt->t);
    const int64_t whole[2] = {0, opt->n}; /* no blocks: one trainable block, frozen ignored */
    if (!block_offsets) block_offsets = whole, frozen = NULL, nblocks = 1;
    adam_job j = {.p = params, .m = opt->m, .v = opt->v, .g = grads, .off = block_offsets, .frozen = frozen,
                  .nblocks = nblocks, .n = opt->n, .alpha = adam_alpha(lr_t, c->beta1, c->beta2, opt->t),
                  .om1 = 1.0f - c->beta1, .om2 = 1.0f - c->beta2, .eps = c->eps, .check = check};
    atomic_init(&j.bad, 0);
    ef_pool_run(pool, (opt->n + ADAM_CHUNK - 1) / ADAM_CHUNK, adam_item, &j);
    return atomic_load(&j.bad);
}

void ef_adam_step(ef_adam *opt, float *params, const float *grads, const int64_t *block_offsets,
                  const uint8_t *frozen, int nblocks)
{
    adam_step(NULL, opt, params, grads, block_offsets, frozen, nblocks, 0);
}

int ef_adam_step_pool(ef_pool *pool, ef_adam *opt, float *params, const float *grads, const int64_t *block_offsets,
                      const uint8_t *frozen, int nblocks)
{
    return adam_step(pool, opt, params, grads, block_offsets, frozen, nblocks, 1);
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
