/* The C models and training step against the PyTorch reference
 * (tests/reference/nn_models_reference.py, float64): from identical initial weights, 10
 * Adam steps on one fixed ragged batch for text-cs, audio-cs, ef-{cs,pt,ws} and
 * lf-{cs,pt,ws}; the loss of every step and the final weights and batch-norm statistics
 * must agree.
 * Tolerance: |c - ref| <= 1e-6 + 1e-4 |ref| everywhere except the biases of layers
 * followed by batch norm and the running means that absorb them: their exact gradient is
 * 0 (BN removes a constant shift), so what Adam does with the float rounding residue
 * (about 1e-9, against eps 1e-7) is noise of up to ~lr/100 per step; they get atol 2e-4. */
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_model.h"
#include "emofuse/safetensors.h"
#include "testutil.h"

static char dir[4096];

static const ef_safetensors_tensor *need(const ef_safetensors_file *f, const char *name)
{
    const ef_safetensors_tensor *t = ef_safetensors_find(f, name);
    if (!t) {
        fprintf(stderr, "%s: missing tensor %s\n", ef_safetensors_path(f), name);
        exit(1);
    }
    return t;
}

static int bn_absorbed(const ef_params *p, const char *name)
{
    size_t n = strlen(name);
    char layer[64];
    if (n > 5 && strcmp(name + n - 5, ".bias") == 0) {
        snprintf(layer, sizeof layer, "%.*s.bn_gamma", (int)(n - 5), name);
        return ef_params_find(p, layer) >= 0;
    }
    return n > 8 && strcmp(name + n - 8, ".bn_mean") == 0;
}

static void run_case(const char *system, const char *strategy, const ef_safetensors_file *inp, const char *cfg_json)
{
    char path[4200];
    ef_error err;
    ef_model_config cfg = ef_model_config_default_params(EF_SYS_TEXT);
    CHECK(ef_system_parse(system, &cfg.system) == 0);
    CHECK(ef_model_config_from_json(&cfg, cfg_json, "inputs config", &err) == EF_OK);
    ef_model *m;
    CHECK(ef_model_create(&m, &cfg, &err) == EF_OK);
    ef_params *p = ef_model_params(m);

    ef_safetensors_file *init, *fin;
    snprintf(path, sizeof path, "%s/init_%s.safetensors", dir, system);
    CHECK_MSG(ef_safetensors_open(&init, path, &err) == EF_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/final_%s_%s.safetensors", dir, system, strategy);
    CHECK_MSG(ef_safetensors_open(&fin, path, &err) == EF_OK, "%s", err.msg);
    CHECK(ef_safetensors_count(init) == p->n);
    for (int i = 0; i < p->n; i++) {
        const ef_safetensors_tensor *t;
        CHECK_MSG(ef_safetensors_expect(init, p->t[i].name, p->t[i].ndim, p->t[i].shape, &t, &err) == EF_OK, "%s",
                  err.msg);
        memcpy(ef_params_value(p, i), t->data, (size_t)p->t[i].numel * sizeof(float));
    }
    ef_strategy strat;
    CHECK(ef_strategy_parse(strategy, &strat) == 0);
    CHECK(ef_model_set_strategy(m, strat, &err) == EF_OK);
    float lr = (float)atof(ef_safetensors_meta(fin, "lr"));
    int warmup = atoi(ef_safetensors_meta(fin, "warmup_steps"));

    const ef_safetensors_tensor *tt = need(inp, "text"), *at = need(inp, "audio");
    int B = (int)need(inp, "labels")->shape[0];
    int64_t toff[16], aoff[16];
    int32_t labels[16];
    float cw[16];
    memcpy(toff, need(inp, "text_offsets")->data, (size_t)(B + 1) * sizeof(int64_t));
    memcpy(aoff, need(inp, "audio_offsets")->data, (size_t)(B + 1) * sizeof(int64_t));
    memcpy(labels, need(inp, "labels")->data, (size_t)B * sizeof(int32_t));
    memcpy(cw, need(inp, "class_weights")->data, (size_t)cfg.n_classes * sizeof(float));
    ef_batch b = {B, tt->data, toff, at->data, aoff};

    const ef_safetensors_tensor *lt = need(fin, "losses");
    int steps = (int)lt->shape[0];
    float losses[64];
    ef_train_state *st;
    CHECK(ef_train_state_new(&st, m, lr, warmup, &err) == EF_OK);
    ef_rng rng;
    ef_rng_seed(&rng, 1);
    for (int s = 0; s < steps && s < 64; s++)
        CHECK_MSG(ef_train_step(m, st, &b, labels, cw, &rng, &losses[s], &err) == EF_OK, "%s", err.msg);
    ef_train_state_free(st);

    char what[160];
    snprintf(what, sizeof what, "%s-%s losses", system, strategy);
    CHECK(ef_test_close(what, losses, lt->data, (size_t)steps, 1e-6, 1e-4));
    CHECK(ef_safetensors_count(fin) == p->n + 1);
    for (int i = 0; i < p->n; i++) {
        const ef_safetensors_tensor *t;
        CHECK_MSG(ef_safetensors_expect(fin, p->t[i].name, p->t[i].ndim, p->t[i].shape, &t, &err) == EF_OK, "%s",
                  err.msg);
        snprintf(what, sizeof what, "%s-%s %s", system, strategy, p->t[i].name);
        double atol = bn_absorbed(p, p->t[i].name) ? 2e-4 : 1e-6;
        CHECK(ef_test_close(what, ef_params_value(p, i), t->data, (size_t)p->t[i].numel, atol, 1e-4));
    }
    ef_safetensors_close(init);
    ef_safetensors_close(fin);
    ef_model_free(m);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/models", ef_test_fixtures_dir());
    char path[4200];
    snprintf(path, sizeof path, "%s/inputs.safetensors", dir);
    ef_safetensors_file *inp;
    ef_error err;
    if (ef_safetensors_open(&inp, path, &err) != EF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const char *cfg = ef_safetensors_meta(inp, "config");
    CHECK(cfg != NULL);
    static const char *const cases[][2] = {{"text", "cs"}, {"audio", "cs"}, {"ef", "cs"}, {"ef", "pt"},
                                           {"ef", "ws"},   {"lf", "cs"},    {"lf", "pt"}, {"lf", "ws"}};
    for (size_t i = 0; cfg && i < sizeof cases / sizeof cases[0]; i++) run_case(cases[i][0], cases[i][1], inp, cfg);
    ef_safetensors_close(inp);
    return ef_test_exit();
}
