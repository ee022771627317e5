/* Benchmark of one training step (forward + backward + Adam) of the paper's audio branch
 * built from the emofuse layers on a ragged batch:
 *   conv(D=36 -> F, K) -> BN -> ReLU -> dropout 0.5 -> conv(F -> F, K) -> BN -> ReLU
 *   -> mean pool -> dense(F -> 4) -> weighted cross-entropy, Adam.
 * Lengths 150 + (b * 7919) % 351 frames, i.e. spread over [150, 500] (RAVDESS-like
 * utterances at 100 frames/s), the same in the PyTorch script.
 * The PyTorch counterpart (padded + masked, the Keras way) is bench/bench_nn_layers_torch.py;
 * bench/run_nn_layers.sh runs both side by side and prints the ratio.
 * usage: bench_nn_layers [B [F [K [steps [seed]]]]]   (OpenBLAS threads: OPENBLAS_NUM_THREADS) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emofuse/nn_layers.h"
#include "emofuse/nn_optim.h"
#include "emofuse/progress.h"
#include "emofuse/rng.h"

#define D 36
#define NCLS 4

/* Process CPU time: robust to other processes sharing the cores (wall time is not). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *fz(int64_t n) { return calloc((size_t)(n ? n : 1), sizeof(float)); }

int main(int argc, char **argv)
{
    int B = argc > 1 ? atoi(argv[1]) : 32, F = argc > 2 ? atoi(argv[2]) : 128, K = argc > 3 ? atoi(argv[3]) : 3;
    int steps = argc > 4 ? atoi(argv[4]) : 20;
    uint64_t seed = argc > 5 ? strtoull(argv[5], NULL, 10) : 1;
    ef_rng rng;
    ef_rng_seed(&rng, seed);
    int64_t *offs = malloc((size_t)(B + 1) * sizeof(int64_t));
    offs[0] = 0;
    for (int b = 0; b < B; b++) offs[b + 1] = offs[b] + 150 + ((int64_t)b * 7919) % 351;
    int64_t N = offs[B];
    float *x = fz(N * D);
    for (int64_t i = 0; i < N * D; i++) x[i] = (float)ef_rng_normal(&rng);
    int32_t *y = malloc((size_t)B * sizeof(int32_t));
    for (int b = 0; b < B; b++) y[b] = (int32_t)ef_rng_below(&rng, NCLS);
    float cw[NCLS];
    ef_class_weights(cw, y, B, NCLS);

    /* parameters: one block, gradients mirror it */
    int64_t sz[10] = {(int64_t)F * D * K, F, F, F, (int64_t)F * F * K, F, F, F, (int64_t)NCLS * F, NCLS};
    int64_t np = 0, off[11];
    for (int i = 0; i < 10; i++) off[i] = np, np += sz[i];
    off[10] = np;
    float *p = fz(np), *g = fz(np);
    float *w1 = p + off[0], *b1 = p + off[1], *g1 = p + off[2], *be1 = p + off[3], *w2 = p + off[4], *b2 = p + off[5];
    float *g2 = p + off[6], *be2 = p + off[7], *wd = p + off[8], *bd = p + off[9];
    ef_glorot_uniform(w1, sz[0], D * K, F * K, &rng);
    ef_glorot_uniform(w2, sz[4], F * K, F * K, &rng);
    ef_glorot_uniform(wd, sz[8], F, NCLS, &rng);
    for (int i = 0; i < F; i++) g1[i] = g2[i] = 1.0f;

    float *a1 = fz(N * F), *a2 = fz(N * F), *a3 = fz(N * F), *a4 = fz(N * F), *a5 = fz(N * F), *a6 = fz(N * F);
    float *m1 = fz(F), *r1 = fz(F), *m2 = fz(F), *r2 = fz(F), *rm1 = fz(F), *rv1 = fz(F), *rm2 = fz(F), *rv2 = fz(F);
    float *pool = fz(B * F), *logits = fz(B * NCLS), *dlog = fz(B * NCLS), *dpool = fz(B * F);
    float *d6 = fz(N * F), *d5 = fz(N * F), *d4 = fz(N * F), *d3 = fz(N * F), *d1 = fz(N * F);
    uint8_t *mask = malloc((size_t)(N * F));
    int64_t ws = ef_conv1d_workspace_floats(N, F > D ? F : D, F, K, 1);
    float *work = fz(ws);
    ef_adam_config cfg = ef_adam_default_params();
    cfg.lr = 7e-4f;
    ef_adam opt;
    ef_adam_init(&opt, np, &cfg, NULL);

    double t_fwd = 0, t_bwd = 0, t_opt = 0, loss = 0, cpu = 0;
    for (int s = 0; s < steps + 1; s++) { /* step 0 is a warm-up, not timed */
        double c0 = cpu_now(), t0 = ef_now();
        ef_conv1d_forward_ws(NULL, a1, work, x, w1, b1, offs, B, D, F, K);
        ef_batchnorm_forward_train(a2, m1, r1, rm1, rv1, a1, g1, be1, N, F, 0.99f, 1e-3f);
        ef_relu_forward(a2, a2, N * F);
        ef_dropout_forward(a3, mask, a2, N * F, 0.5f, &rng);
        ef_conv1d_forward_ws(NULL, a4, work, a3, w2, b2, offs, B, F, F, K);
        ef_batchnorm_forward_train(a5, m2, r2, rm2, rv2, a4, g2, be2, N, F, 0.99f, 1e-3f);
        ef_relu_forward(a6, a5, N * F);
        ef_meanpool_forward(pool, a6, offs, B, F);
        ef_dense_forward(logits, pool, wd, bd, B, F, NCLS);
        loss = ef_weighted_xent_forward_backward(NULL, dlog, logits, y, cw, B, NCLS);
        double t1 = ef_now();
        memset(g, 0, (size_t)np * sizeof(float));
        memset(dpool, 0, (size_t)(B * F) * sizeof(float));
        memset(d6, 0, (size_t)(N * F) * sizeof(float));
        memset(d4, 0, (size_t)(N * F) * sizeof(float));
        memset(d3, 0, (size_t)(N * F) * sizeof(float));
        memset(d1, 0, (size_t)(N * F) * sizeof(float));
        ef_dense_backward(dpool, g + off[8], g + off[9], dlog, pool, wd, B, F, NCLS);
        ef_meanpool_backward(d6, dpool, offs, B, F);
        ef_relu_backward(d6, d6, a6, N * F);
        ef_batchnorm_backward(d4, g + off[6], g + off[7], d6, a4, g2, m2, r2, N, F);
        ef_conv1d_backward_ws(NULL, d3, g + off[4], g + off[5], work, d4, a3, w2, offs, B, F, F, K);
        memset(d5, 0, (size_t)(N * F) * sizeof(float));
        ef_dropout_backward(d5, d3, mask, N * F, 0.5f);
        ef_relu_backward(d5, d5, a2, N * F);
        ef_batchnorm_backward(d1, g + off[2], g + off[3], d5, a1, g1, m1, r1, N, F);
        ef_conv1d_backward_ws(NULL, NULL, g + off[0], g + off[1], work, d1, x, w1, offs, B, D, F, K);
        double t2 = ef_now();
        ef_adam_step(&opt, p, g, NULL, NULL, 0);
        double t3 = ef_now();
        if (s > 0) t_fwd += t1 - t0, t_bwd += t2 - t1, t_opt += t3 - t2, cpu += cpu_now() - c0;
    }
    double per = (t_fwd + t_bwd + t_opt) / steps;
    printf("emofuse  B=%d frames=%lld F=%d K=%d params=%lld steps=%d\n", B, (long long)N, F, K, (long long)np, steps);
    printf("emofuse  step %.2f ms wall (forward %.2f, backward %.2f, adam %.3f), %.2f ms cpu  %.0f frames/s wall  "
           "%.0f frames/cpu-s  loss %.4f\n",
           per * 1e3, t_fwd / steps * 1e3, t_bwd / steps * 1e3, t_opt / steps * 1e3, cpu / steps * 1e3,
           (double)N / per, (double)N / (cpu / steps), loss);
    float *bufs[] = {x, p, g, a1, a2, a3, a4, a5, a6, m1, r1, m2, r2, rm1, rv1, rm2, rv2, pool, logits, dlog, dpool,
                     d6, d5, d4, d3, d1, work};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(offs), free(y), free(mask);
    ef_adam_free(&opt);
    return 0;
}
