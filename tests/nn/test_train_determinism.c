/* Training is a function of its seed: the same seed gives bit-identical weights and
 * batch-norm statistics (for one thread and for any ef_train_options.threads), another
 * seed gives other weights. Also: the
 * pre-trained / warm-start path (branches copied from separately trained models stay
 * frozen; the PT cache gives the same weights as running the frozen branches), model files (save/load round trip bit for bit, with predictions; corrupt,
 * mismatched or truncated files are refused with a message naming the problem), and the
 * NaN stop naming step and layer. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_model.h"
#include "emofuse/safetensors.h"
#include "testutil.h"

#define N_UTT 48
#define DT 8
#define DA 5

static float *text_rows[N_UTT], *audio_rows[N_UTT];
static int64_t text_T[N_UTT], audio_T[N_UTT];
static int32_t labels[N_UTT];
static float amean[DA], astd[DA];

static ef_model_config small(ef_system sys)
{
    ef_model_config c = ef_model_config_default_params(sys);
    c.text.input_dim = DT;
    c.text.dense_units = 6;
    c.text.conv1_filters = 5;
    c.text.conv2_filters = 4;
    c.audio.input_dim = DA;
    c.audio.conv1_filters = 6;
    c.audio.conv2_filters = 4;
    c.fusion_hidden = 7;
    return c;
}

static ef_dataset dataset(void)
{
    ef_dataset d = {N_UTT, (const float *const *)text_rows, text_T, (const float *const *)audio_rows, audio_T, labels,
                    amean, astd};
    return d;
}

static ef_model *train(ef_system sys, ef_strategy s, uint64_t seed, const ef_model *tm, const ef_model *am)
{
    ef_model_config c = small(sys);
    ef_model *m;
    ef_error err;
    CHECK(ef_model_create(&m, &c, &err) == EF_OK);
    if (tm) CHECK_MSG(ef_model_copy_branch(m, tm, "text", &err) == EF_OK, "%s", err.msg);
    if (am) CHECK_MSG(ef_model_copy_branch(m, am, "audio", &err) == EF_OK, "%s", err.msg);
    ef_train_options o = ef_train_default_params(sys, s);
    o.epochs = 3;
    o.batch_size = 8;
    o.seed = seed;
    o.lr = 5e-3f;
    ef_dataset d = dataset();
    double loss = 0;
    ef_code rc = ef_train(m, &d, &o, &loss, &err);
    CHECK_MSG(rc == EF_OK, "%s", err.msg);
    CHECK(isfinite(loss) && loss > 0);
    return m;
}

/* PT from the branch models tm/am, with the cached branch outputs or without. */
static ef_model *train_pt(ef_system sys, const ef_model *tm, const ef_model *am, int no_cache)
{
    ef_model_config c = small(sys);
    ef_model *m;
    ef_error err;
    CHECK(ef_model_create(&m, &c, &err) == EF_OK);
    CHECK(ef_model_copy_branch(m, tm, "text", &err) == EF_OK);
    CHECK(ef_model_copy_branch(m, am, "audio", &err) == EF_OK);
    ef_train_options o = ef_train_default_params(sys, EF_STRAT_PT);
    o.epochs = 3;
    o.batch_size = 8;
    o.seed = 5;
    o.no_pt_cache = no_cache;
    ef_dataset d = dataset();
    CHECK_MSG(ef_train(m, &d, &o, NULL, &err) == EF_OK, "%s", err.msg);
    return m;
}

static int same_weights(ef_model *a, ef_model *b)
{
    ef_params *p = ef_model_params(a), *q = ef_model_params(b);
    return p->n_params == q->n_params && p->n_buf == q->n_buf &&
           memcmp(p->data, q->data, (size_t)p->n_params * sizeof(float)) == 0 &&
           memcmp(p->buf, q->buf, (size_t)p->n_buf * sizeof(float)) == 0;
}

static void check_determinism(void)
{
    for (int sys = EF_SYS_TEXT; sys <= EF_SYS_LF; sys++) {
        ef_model *a = train((ef_system)sys, EF_STRAT_CS, 42, NULL, NULL);
        ef_model *b = train((ef_system)sys, EF_STRAT_CS, 42, NULL, NULL);
        ef_model *c = train((ef_system)sys, EF_STRAT_CS, 43, NULL, NULL);
        CHECK_MSG(same_weights(a, b), "%s: same seed, different weights", ef_system_name((ef_system)sys));
        CHECK_MSG(!same_weights(a, c), "%s: different seeds, same weights", ef_system_name((ef_system)sys));
        ef_model_free(a);
        ef_model_free(b);
        ef_model_free(c);
    }
}

/* One training on 1, 2 and 3 threads (ef_train_options.threads): bit-identical weights
 * and BN statistics. Batches of the whole set (about 860 audio rows: two conv chunks of
 * 512 rows and seven BN runs of 128) so the work really is split. */
static void check_threads(void)
{
    for (int sys = EF_SYS_TEXT; sys <= EF_SYS_LF; sys++) {
        ef_model *ms[3];
        for (int t = 0; t < 3; t++) {
            ef_model_config c = small((ef_system)sys);
            ef_error err;
            CHECK(ef_model_create(&ms[t], &c, &err) == EF_OK);
            ef_train_options o = ef_train_default_params((ef_system)sys, EF_STRAT_CS);
            o.epochs = 3;
            o.batch_size = N_UTT;
            o.seed = 9;
            o.lr = 5e-3f;
            o.threads = t + 1;
            ef_dataset d = dataset();
            CHECK_MSG(ef_train(ms[t], &d, &o, NULL, &err) == EF_OK, "%s", err.msg);
        }
        CHECK(openblas_get_num_threads() == 1); /* restored after the pooled runs */
        CHECK_MSG(same_weights(ms[0], ms[1]) && same_weights(ms[0], ms[2]), "%s: weights depend on the thread count",
                  ef_system_name((ef_system)sys));
        for (int t = 0; t < 3; t++) ef_model_free(ms[t]);
    }
}

/* pt / ws from trained single-modality models: frozen tensors keep the pre-trained values. */
static void check_pretrained(void)
{
    ef_model *tm = train(EF_SYS_TEXT, EF_STRAT_CS, 1, NULL, NULL);
    ef_model *am = train(EF_SYS_AUDIO, EF_STRAT_CS, 2, NULL, NULL);
    for (int sys = EF_SYS_EF; sys <= EF_SYS_LF; sys++)
        for (int s = EF_STRAT_PT; s <= EF_STRAT_WS; s++) {
            ef_model *m = train((ef_system)sys, (ef_strategy)s, 3, tm, am);
            ef_params *p = ef_model_params(m);
            int n_frozen = 0, n_trained = 0;
            for (int i = 0; i < p->n; i++) {
                const char *name = p->t[i].name;
                if (strncmp(name, "fusion.", 7) == 0) continue;
                ef_model *src = name[0] == 't' ? tm : am;
                int j = ef_params_find(ef_model_params(src), name);
                CHECK(j >= 0);
                if (j < 0) continue;
                int same = memcmp(ef_params_value(p, i), ef_params_value(ef_model_params(src), j),
                                  (size_t)p->t[i].numel * sizeof(float)) == 0;
                int frozen = s == EF_STRAT_PT || strstr(name, ".t1.") || strstr(name, ".t2.") || strstr(name, ".a1.");
                if (frozen) {
                    n_frozen++;
                    CHECK_MSG(same, "%s-%s: frozen %s changed", ef_system_name((ef_system)sys),
                              ef_strategy_name((ef_strategy)s), name);
                } else if (strstr(name, ".weight")) {
                    n_trained++;
                    CHECK_MSG(!same, "%s-%s: warm-started %s did not train", ef_system_name((ef_system)sys),
                              ef_strategy_name((ef_strategy)s), name);
                }
            }
            CHECK(n_frozen > 0);
            CHECK(s == EF_STRAT_PT || n_trained > 0);
            ef_model_free(m);
        }
    /* Shape mismatch between a pre-trained model and the fusion config is refused. */
    ef_model_config c = small(EF_SYS_EF);
    c.text.dense_units = 9;
    ef_model *m;
    ef_error err;
    CHECK(ef_model_create(&m, &c, &err) == EF_OK);
    CHECK(ef_model_copy_branch(m, tm, "text", &err) == EF_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "text.t1.weight") != NULL, "%s", err.msg);
    ef_model_free(m);
    ef_model_free(tm);
    ef_model_free(am);
}

static ef_model_meta meta_for(void)
{
    ef_model_meta meta;
    memset(&meta, 0, sizeof meta);
    strcpy(meta.text_kind, "bert");
    strcpy(meta.audio_kind, "audio-lld");
    meta.n_labels = 4;
    strcpy(meta.labels[0], "angry");
    strcpy(meta.labels[1], "happy");
    strcpy(meta.labels[2], "sad");
    strcpy(meta.labels[3], "neutral");
    meta.audio_mean = amean;
    meta.audio_std = astd;
    return meta;
}

static void expect_load_error(const char *path, const char *needle)
{
    ef_model *m = NULL;
    ef_model_meta meta;
    ef_error err;
    ef_code rc = ef_model_load(&m, &meta, path, &err);
    CHECK_MSG(rc != EF_OK && m == NULL, "%s loaded although broken", path);
    if (rc != EF_OK) CHECK_MSG(strstr(err.msg, needle) != NULL, "error '%s' does not mention '%s'", err.msg, needle);
    ef_model_free(m);
}

/* Write a copy of a valid model file with one change. */
static void write_variant(const char *src, const char *dst, const char *drop, const char *nan_tensor,
                          const char *extra, const char *format)
{
    ef_safetensors_file *f;
    ef_error err;
    CHECK(ef_safetensors_open(&f, src, &err) == EF_OK);
    ef_safetensors_writer *w = ef_safetensors_writer_new();
    float *bufs[64];
    int nb = 0;
    for (int64_t i = 0; i < ef_safetensors_count(f); i++) {
        const ef_safetensors_tensor *t = ef_safetensors_get(f, i);
        if (drop && strcmp(t->name, drop) == 0) continue;
        float *copy = malloc(t->nbytes);
        memcpy(copy, t->data, t->nbytes);
        if (nan_tensor && strcmp(t->name, nan_tensor) == 0) copy[0] = NAN;
        bufs[nb++] = copy;
        CHECK(ef_safetensors_writer_add(w, t->name, t->dtype, t->ndim, t->shape, copy, &err) == EF_OK);
    }
    if (extra) {
        static const float x[2] = {1, 2};
        CHECK(ef_safetensors_writer_add(w, extra, EF_DT_F32, 1, (int64_t[]){2}, x, &err) == EF_OK);
    }
    for (int64_t i = 0; i < ef_safetensors_meta_count(f); i++) {
        const char *k, *v;
        ef_safetensors_meta_at(f, i, &k, &v);
        if (format && strcmp(k, "emofuse.format") == 0) v = format;
        CHECK(ef_safetensors_writer_meta(w, k, v, &err) == EF_OK);
    }
    CHECK_MSG(ef_safetensors_writer_save(w, dst, &err) == EF_OK, "%s", err.msg);
    ef_safetensors_writer_free(w);
    for (int i = 0; i < nb; i++) free(bufs[i]);
    ef_safetensors_close(f);
}

static void check_model_file(void)
{
    ef_model *m = train(EF_SYS_EF, EF_STRAT_CS, 5, NULL, NULL);
    ef_model_meta meta = meta_for();
    char path[4096], bad[4096];
    snprintf(path, sizeof path, "%s/ef.safetensors", ef_test_tmpdir());
    ef_error err;
    CHECK_MSG(ef_model_save(m, &meta, path, &err) == EF_OK, "%s", err.msg);

    ef_model *l;
    ef_model_meta lm;
    CHECK_MSG(ef_model_load(&l, &lm, path, &err) == EF_OK, "%s", err.msg);
    if (!l) return;
    CHECK(same_weights(m, l));
    char *j1 = ef_model_config_to_json(ef_model_config_of(m)), *j2 = ef_model_config_to_json(ef_model_config_of(l));
    CHECK(strcmp(j1, j2) == 0);
    free(j1);
    free(j2);
    CHECK(lm.n_labels == 4 && strcmp(lm.labels[1], "happy") == 0 && strcmp(lm.text_kind, "bert") == 0 &&
          strcmp(lm.audio_kind, "audio-lld") == 0);
    CHECK(lm.audio_mean && memcmp(lm.audio_mean, amean, sizeof amean) == 0 && memcmp(lm.audio_std, astd, sizeof astd) == 0);
    float p1[N_UTT * 4], p2[N_UTT * 4];
    ef_dataset d = dataset();
    CHECK(ef_predict(m, &d, 7, p1, &err) == EF_OK);
    CHECK(ef_predict(l, &d, 16, p2, &err) == EF_OK);
    CHECK(ef_test_close("predictions after reload (other batch size)", p2, p1, N_UTT * 4, 1e-6, 1e-5));
    for (int i = 0; i < N_UTT; i++) {
        float s = p1[4 * i] + p1[4 * i + 1] + p1[4 * i + 2] + p1[4 * i + 3];
        CHECK(fabsf(s - 1.0f) < 1e-5f);
    }
    ef_model_meta_free(&lm);
    ef_model_free(l);

    snprintf(bad, sizeof bad, "%s/bad.safetensors", ef_test_tmpdir());
    write_variant(path, bad, "audio.a2.bn_var", NULL, NULL, NULL);
    expect_load_error(bad, "audio.a2.bn_var");
    write_variant(path, bad, NULL, "fusion.out.weight", NULL, NULL);
    expect_load_error(bad, "NaN");
    write_variant(path, bad, NULL, NULL, "text.t9.weight", NULL);
    expect_load_error(bad, "unexpected tensor 'text.t9.weight'");
    write_variant(path, bad, NULL, NULL, NULL, "something-else");
    expect_load_error(bad, "not an emofuse model");
    /* Truncated file. */
    FILE *in = fopen(path, "rb"), *out = fopen(bad, "wb");
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf, in);
    fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
    expect_load_error(bad, "bad.safetensors");
    /* A model of another system's config with these tensors: shapes disagree. */
    ef_model_config c2 = small(EF_SYS_EF);
    c2.fusion_hidden = 3;
    ef_model *m2;
    CHECK(ef_model_create(&m2, &c2, &err) == EF_OK);
    snprintf(buf, sizeof buf, "%s", "");
    char other[4096];
    snprintf(other, sizeof other, "%s/other.safetensors", ef_test_tmpdir());
    CHECK(ef_model_save(m2, &meta, other, &err) == EF_OK);
    ef_model_free(m2);
    write_variant(other, bad, NULL, NULL, NULL, NULL);
    /* Swap in the trained model's config: every fusion tensor now has the wrong shape. */
    {
        ef_safetensors_file *f;
        CHECK(ef_safetensors_open(&f, other, &err) == EF_OK);
        ef_safetensors_writer *w = ef_safetensors_writer_new();
        for (int64_t i = 0; i < ef_safetensors_count(f); i++) {
            const ef_safetensors_tensor *t = ef_safetensors_get(f, i);
            ef_safetensors_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data, &err);
        }
        char *cj = ef_model_config_to_json(ef_model_config_of(m));
        for (int64_t i = 0; i < ef_safetensors_meta_count(f); i++) {
            const char *k, *v;
            ef_safetensors_meta_at(f, i, &k, &v);
            ef_safetensors_writer_meta(w, k, strcmp(k, "emofuse.config") == 0 ? cj : v, &err);
        }
        CHECK(ef_safetensors_writer_save(w, bad, &err) == EF_OK);
        ef_safetensors_writer_free(w);
        free(cj);
        ef_safetensors_close(f);
    }
    expect_load_error(bad, "wrong shape");
    ef_model_free(m);
}

static void check_nan_stop(void)
{
    ef_model_config c = small(EF_SYS_AUDIO);
    ef_model *m;
    ef_error err;
    CHECK(ef_model_create(&m, &c, &err) == EF_OK);
    float keep = audio_rows[3][2];
    audio_rows[3][2] = NAN;
    ef_train_options o = ef_train_default_params(EF_SYS_AUDIO, EF_STRAT_CS);
    o.epochs = 1;
    o.batch_size = N_UTT; /* one step: the NaN is in step 1 */
    ef_dataset d = dataset();
    ef_code rc = ef_train(m, &d, &o, NULL, &err);
    CHECK(rc == EF_ERR_NUMERIC);
    CHECK_MSG(strstr(err.msg, "step 1") && strstr(err.msg, "audio.a1"), "message: %s", err.msg);
    audio_rows[3][2] = keep;
    /* Labels out of range and empty sequences are refused up front. */
    labels[0] = 7;
    CHECK(ef_train(m, &d, &o, NULL, &err) == EF_ERR_ARG);
    labels[0] = 1;
    int64_t T = audio_T[5];
    audio_T[5] = 0;
    CHECK(ef_train(m, &d, &o, NULL, &err) == EF_ERR_ARG);
    audio_T[5] = T;
    ef_model_free(m);
}

/* The PT cache trains on the frozen branches' outputs computed once: the weights must
 * equal those of running the branches every step (the audio branch has dropout 0.5 at
 * a frozen block's input, which a frozen block does not apply). */
static void check_pt_cache(void)
{
    ef_model *tm = train(EF_SYS_TEXT, EF_STRAT_CS, 1, NULL, NULL);
    ef_model *am = train(EF_SYS_AUDIO, EF_STRAT_CS, 2, NULL, NULL);
    CHECK(small(EF_SYS_AUDIO).audio.dropout > 0);
    for (int sys = EF_SYS_EF; sys <= EF_SYS_LF; sys++) {
        ef_model *a = train_pt((ef_system)sys, tm, am, 0), *b = train_pt((ef_system)sys, tm, am, 1);
        ef_params *p = ef_model_params(a), *q = ef_model_params(b);
        double worst = 0;
        for (int64_t i = 0; i < p->n_params; i++) worst = fmax(worst, fabs((double)p->data[i] - q->data[i]));
        CHECK_MSG(worst <= 1e-6, "%s-pt: cached and uncached weights differ by %g", ef_system_name((ef_system)sys),
                  worst);
        CHECK(memcmp(p->buf, q->buf, (size_t)p->n_buf * sizeof(float)) == 0);
        ef_model_free(a);
        ef_model_free(b);
    }
    ef_model_free(tm);
    ef_model_free(am);
}

int main(void)
{
    openblas_set_num_threads(1); /* bit-identity is promised for one thread */
    ef_rng rng;
    ef_rng_seed(&rng, 77);
    for (int i = 0; i < N_UTT; i++) {
        text_T[i] = 1 + (int64_t)ef_rng_below(&rng, 9);
        audio_T[i] = 3 + (int64_t)ef_rng_below(&rng, 30);
        labels[i] = (int32_t)ef_rng_below(&rng, 4);
        text_rows[i] = malloc((size_t)(text_T[i] * DT) * sizeof(float));
        audio_rows[i] = malloc((size_t)(audio_T[i] * DA) * sizeof(float));
        /* Class-dependent means so that training has something to learn. */
        for (int64_t j = 0; j < text_T[i] * DT; j++) text_rows[i][j] = (float)(ef_rng_normal(&rng) + 0.5 * labels[i]);
        for (int64_t j = 0; j < audio_T[i] * DA; j++)
            audio_rows[i][j] = (float)(3.0 + 2.0 * ef_rng_normal(&rng) - 0.7 * labels[i]);
    }
    for (int c = 0; c < DA; c++) {
        amean[c] = 2.0f;
        astd[c] = 2.5f;
    }
    check_determinism();
    check_threads();
    check_pretrained();
    check_pt_cache();
    check_model_file();
    check_nan_stop();
    for (int i = 0; i < N_UTT; i++) {
        free(text_rows[i]);
        free(audio_rows[i]);
    }
    return ef_test_exit();
}
