/* Finite-difference check of every full model (text, audio, ef, lf) under every strategy
 * on tiny dimensions: the analytic gradient of the class-weighted loss w.r.t. each
 * trainable tensor (through ragged conv1d, batch norm in training mode, dropout with a
 * replayed mask, mean pooling, fusion heads) against central differences computed in
 * double precision from float losses. Also: frozen tensors get no gradient, ragged
 * batching does not leak between sequences, and a training step leaves frozen weights and
 * their batch-norm statistics untouched. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/nn_model.h"
#include "testutil.h"

#define B 3
static const int64_t text_off[B + 1] = {0, 2, 6, 7};   /* lengths 2, 4, 1 */
static const int64_t audio_off[B + 1] = {0, 5, 8, 14}; /* lengths 5, 3, 6 */
static const int32_t labels[B] = {2, 0, 2};
static const float class_w[4] = {0.7f, 1.3f, 0.9f, 2.0f};
static float text_x[7 * 5], audio_x[14 * 3];

static ef_model_config tiny(ef_system sys)
{
    ef_model_config c = ef_model_config_default_params(sys);
    c.text.input_dim = 5;
    c.text.dense_units = 4;
    c.text.conv1_filters = 3;
    c.text.conv1_kernel = 3;
    c.text.conv2_filters = 3;
    c.text.conv2_kernel = 2; /* even kernel: asymmetric 'same' padding */
    c.text.dropout = 0.25f;
    c.audio.input_dim = 3;
    c.audio.conv1_filters = 4;
    c.audio.conv1_kernel = 3;
    c.audio.conv2_filters = 3;
    c.audio.conv2_kernel = 2;
    c.audio.dropout = 0.5f;
    c.fusion_hidden = 5;
    return c;
}

static ef_batch batch_of(void)
{
    ef_batch b = {B, text_x, text_off, audio_x, audio_off};
    return b;
}

/* Loss of one training forward with a replayed dropout mask. */
static double loss_of(ef_model *m, float *dlogits)
{
    ef_rng rng;
    ef_rng_seed(&rng, 99);
    ef_batch b = batch_of();
    const float *logits;
    ef_error err;
    ef_code rc = ef_model_forward(m, &b, 1, &rng, &logits, &err);
    EF_ASSERT(rc == EF_OK);
    float probs[B * 4], dl[B * 4];
    float l = ef_weighted_xent_forward_backward(probs, dlogits ? dlogits : dl, logits, labels, class_w, B, 4);
    return (double)l;
}

static void randomise(ef_model *m, uint64_t seed)
{
    ef_rng rng;
    ef_rng_seed(&rng, seed);
    ef_params *p = ef_model_params(m);
    ef_params_init(p, NULL, &rng);
    /* Non-trivial biases, BN affine parameters and running statistics. */
    for (int i = 0; i < p->n; i++) {
        float *x = ef_params_value(p, i);
        const char *n = p->t[i].name;
        for (int64_t j = 0; j < p->t[i].numel; j++) {
            double u = ef_rng_uniform(&rng);
            if (strstr(n, "bias") || strstr(n, "bn_beta") || strstr(n, "bn_mean")) x[j] = (float)(0.4 * (u - 0.5));
            else if (strstr(n, "bn_gamma")) x[j] = (float)(0.6 + 0.8 * u);
            else if (strstr(n, "bn_var")) x[j] = (float)(0.5 + u);
            else x[j] *= 1.5f;
        }
    }
}

static void check_model(ef_system sys, ef_strategy strat)
{
    ef_model_config cfg = tiny(sys);
    ef_model *m;
    ef_error err;
    CHECK(ef_model_create(&m, &cfg, &err) == EF_OK);
    CHECK(ef_model_set_strategy(m, strat, &err) == EF_OK);
    randomise(m, 7 + (uint64_t)sys * 10 + (uint64_t)strat);
    ef_params *p = ef_model_params(m);

    float dlogits[B * 4];
    ef_params_zero_grad(p);
    loss_of(m, dlogits);
    ef_model_backward(m, dlogits);
    float *analytic = malloc((size_t)p->n_params * sizeof(float));
    memcpy(analytic, p->grad, (size_t)p->n_params * sizeof(float));

    const double h = 1e-3; /* smaller than the distance to most ReLU kinks */
    int n_trainable = 0;
    for (int i = 0; i < p->n; i++) {
        const ef_tensor_info *t = &p->t[i];
        if (t->buffer) continue;
        const float *ga = analytic + t->offset;
        if (!t->trainable) {
            int zero = 1;
            for (int64_t j = 0; j < t->numel; j++) zero &= ga[j] == 0.0f;
            CHECK_MSG(zero, "%s/%s: frozen tensor %s received a gradient", ef_system_name(sys), ef_strategy_name(strat),
                      t->name);
            continue;
        }
        n_trainable++;
        float *x = ef_params_value(p, i);
        double num2 = 0, diff2 = 0, ana2 = 0, worst = 0;
        int64_t worst_j = 0;
        for (int64_t j = 0; j < t->numel; j++) {
            float keep = x[j];
            x[j] = (float)(keep + h);
            double lp = loss_of(m, NULL);
            x[j] = (float)(keep - h);
            double lm = loss_of(m, NULL);
            x[j] = keep;
            double dx = ((double)(float)(keep + h) - (double)(float)(keep - h));
            double g = (lp - lm) / dx;
            double d = fabs(g - ga[j]);
            num2 += g * g;
            ana2 += (double)ga[j] * ga[j];
            diff2 += d * d;
            if (d > worst) {
                worst = d;
                worst_j = j;
            }
        }
        /* Relative error of the whole tensor's gradient (robust to an isolated ReLU kink),
         * plus an element bound. */
        double scale = fmax(sqrt(num2), sqrt(ana2));
        double rel = sqrt(diff2) / fmax(scale, 1e-12);
        CHECK_MSG(sqrt(diff2) <= 2e-4 * sqrt((double)t->numel) + 1e-2 * scale &&
                      worst < 5e-3 + 5e-2 * fabs(analytic[t->offset + worst_j]),
                  "%s/%s: %s rel err %.3g, worst element %lld diff %.3g (analytic %.6g)", ef_system_name(sys),
                  ef_strategy_name(strat), t->name, rel, (long long)worst_j, worst,
                  (double)analytic[t->offset + worst_j]);
    }
    CHECK(n_trainable > 0);
    free(analytic);
    ef_model_free(m);
}

/* Inference logits of a sequence inside a ragged batch equal those of the sequence alone. */
static void check_no_leak(ef_system sys)
{
    ef_model_config cfg = tiny(sys);
    ef_model *m;
    ef_error err;
    CHECK(ef_model_create(&m, &cfg, &err) == EF_OK);
    randomise(m, 3);
    ef_batch b = batch_of();
    const float *logits;
    CHECK(ef_model_forward(m, &b, 0, NULL, &logits, &err) == EF_OK);
    float all[B * 4];
    memcpy(all, logits, sizeof all);
    for (int i = 0; i < B; i++) {
        int64_t to[2] = {0, text_off[i + 1] - text_off[i]}, ao[2] = {0, audio_off[i + 1] - audio_off[i]};
        ef_batch one = {1, text_x + text_off[i] * 5, to, audio_x + audio_off[i] * 3, ao};
        CHECK(ef_model_forward(m, &one, 0, NULL, &logits, &err) == EF_OK);
        char what[64];
        snprintf(what, sizeof what, "%s sequence %d alone vs in batch", ef_system_name(sys), i);
        CHECK(ef_test_close(what, logits, all + i * 4, 4, 1e-6, 1e-5));
    }
    ef_model_free(m);
}

/* A pt/ws step changes only the trainable tensors, and frozen BN statistics stay put. */
static void check_frozen_step(ef_system sys, ef_strategy strat)
{
    ef_model_config cfg = tiny(sys);
    ef_model *m;
    ef_error err;
    CHECK(ef_model_create(&m, &cfg, &err) == EF_OK);
    CHECK(ef_model_set_strategy(m, strat, &err) == EF_OK);
    randomise(m, 11);
    ef_params *p = ef_model_params(m);
    float *d0 = malloc((size_t)p->n_params * sizeof(float)), *b0 = malloc((size_t)p->n_buf * sizeof(float));
    memcpy(d0, p->data, (size_t)p->n_params * sizeof(float));
    memcpy(b0, p->buf, (size_t)p->n_buf * sizeof(float));
    ef_train_state *st;
    CHECK(ef_train_state_new(&st, m, 1e-2f, 0, &err) == EF_OK);
    ef_rng rng;
    ef_rng_seed(&rng, 5);
    ef_batch b = batch_of();
    float loss;
    CHECK(ef_train_step(m, st, &b, labels, class_w, &rng, &loss, &err) == EF_OK);
    for (int i = 0; i < p->n; i++) {
        const ef_tensor_info *t = &p->t[i];
        const float *before = (t->buffer ? b0 : d0) + t->offset, *after = ef_params_value(p, i);
        int same = memcmp(before, after, (size_t)t->numel * sizeof(float)) == 0;
        /* A BN buffer changes iff its layer trains; its layer's weight tells. */
        int layer_trains = t->trainable;
        if (t->buffer) {
            char wname[64];
            snprintf(wname, sizeof wname, "%.*s.weight", (int)(strrchr(t->name, '.') - t->name), t->name);
            layer_trains = p->t[ef_params_find(p, wname)].trainable;
        }
        /* Trainable weights must move; a conv bias before BN has a ~0 gradient, so
         * only "did not move although frozen" is demanded of the rest. */
        if (!layer_trains) CHECK_MSG(same, "%s/%s: %s changed although frozen", ef_system_name(sys),
                                     ef_strategy_name(strat), t->name);
        else if (strstr(t->name, ".weight"))
            CHECK_MSG(!same, "%s/%s: trainable %s did not change", ef_system_name(sys), ef_strategy_name(strat),
                      t->name);
    }
    ef_train_state_free(st);
    free(d0);
    free(b0);
    ef_model_free(m);
}

int main(void)
{
    ef_rng rng;
    ef_rng_seed(&rng, 1234);
    for (size_t i = 0; i < sizeof text_x / sizeof text_x[0]; i++) text_x[i] = (float)ef_rng_normal(&rng);
    for (size_t i = 0; i < sizeof audio_x / sizeof audio_x[0]; i++) audio_x[i] = (float)ef_rng_normal(&rng);

    check_model(EF_SYS_TEXT, EF_STRAT_CS);
    check_model(EF_SYS_AUDIO, EF_STRAT_CS);
    for (int s = EF_STRAT_CS; s <= EF_STRAT_WS; s++) {
        check_model(EF_SYS_EF, (ef_strategy)s);
        check_model(EF_SYS_LF, (ef_strategy)s);
    }
    for (int s = EF_SYS_TEXT; s <= EF_SYS_LF; s++) check_no_leak((ef_system)s);
    for (int s = EF_STRAT_PT; s <= EF_STRAT_WS; s++) {
        check_frozen_step(EF_SYS_EF, (ef_strategy)s);
        check_frozen_step(EF_SYS_LF, (ef_strategy)s);
    }
    /* Single-modality systems refuse pt/ws. */
    ef_model_config c = tiny(EF_SYS_TEXT);
    ef_model *m;
    ef_error err;
    CHECK(ef_model_create(&m, &c, &err) == EF_OK);
    CHECK(ef_model_set_strategy(m, EF_STRAT_PT, &err) == EF_ERR_ARG);
    ef_model_free(m);
    return ef_test_exit();
}
