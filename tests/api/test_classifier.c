/* The classifier of emofuse.h on a small early-fusion model built here (random weights,
 * random BERT): PCM in every form (float, int16, stereo, 44.1 kHz) gives exactly the
 * numbers of the same samples read from a WAV file (int16 and float WAV); batch = one by one (to float
 * rounding); 8 threads classifying at once with one classifier give the sequential
 * results (to float rounding: 1e-5); errors (no transcript, empty audio, old model file without a BERT
 * folder, wrong BERT folder) are codes with messages, never prints. */
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/bert.h"
#include "emofuse/emofuse.h"
#include "emofuse/nn_model.h"
#include "emofuse/pipeline.h"
#include "testutil.h"

#define RATE 44100
#define N_UTT 6

static const char *texts[N_UTT] = {"you did this again", "what a lovely day", "I miss her so much",
                                   "the bus leaves at nine", "stop it now", "we won the match"};
static float *pcm[N_UTT];   /* stereo 44.1 kHz */
static int16_t *pcm16[N_UTT];
static int64_t frames[N_UTT];
static char wav[N_UTT][512], wavf[N_UTT][512]; /* 16-bit and float WAV files */

static void make_audio(const char *dir)
{
    for (int u = 0; u < N_UTT; u++) {
        frames[u] = RATE / 2 + u * 2000;
        pcm[u] = malloc(sizeof(float) * 2 * (size_t)frames[u]);
        pcm16[u] = malloc(sizeof(int16_t) * 2 * (size_t)frames[u]);
        for (int64_t i = 0; i < frames[u]; i++)
            for (int c = 0; c < 2; c++) {
                double v = 0.3 * sin(2 * M_PI * (150 + 60 * u + c) * i / RATE) * (1 + 0.3 * sin(i * 0.001 * (u + 1)));
                pcm16[u][2 * i + c] = (int16_t)lrint(v * 32767);
                pcm[u][2 * i + c] = (float)(v * 0.9);
            }
        snprintf(wav[u], sizeof wav[u], "%s/u%d.wav", dir, u);
        SF_INFO info = {.samplerate = RATE, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
        SNDFILE *f = sf_open(wav[u], SFM_WRITE, &info);
        CHECK(f != NULL);
        CHECK(sf_writef_short(f, pcm16[u], frames[u]) == frames[u]);
        sf_close(f);
        snprintf(wavf[u], sizeof wavf[u], "%s/u%d_f.wav", dir, u);
        info = (SF_INFO){.samplerate = RATE, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
        f = sf_open(wavf[u], SFM_WRITE, &info);
        CHECK(f != NULL);
        CHECK(sf_writef_float(f, pcm[u], frames[u]) == frames[u]);
        sf_close(f);
    }
}

/* An ef model with random weights over BERT features (hidden 32) and the 36 LLDs. */
static void make_model(const char *path, const char *bert_dir, int with_provenance)
{
    ef_error err = {0};
    ef_model_config cfg = ef_model_config_default_params(EF_SYS_EF);
    cfg.text.input_dim = 32;
    ef_model *m = NULL;
    CHECK(ef_model_create(&m, &cfg, &err) == EF_OK);
    ef_rng rng;
    ef_rng_seed(&rng, 7);
    ef_params_init(ef_model_params(m), NULL, &rng);
    ef_model_meta meta;
    memset(&meta, 0, sizeof meta);
    strcpy(meta.text_kind, "bert");
    strcpy(meta.audio_kind, "audio-lld");
    meta.n_labels = 4;
    const char *names[4] = {"angry", "happy", "sad", "neutral"};
    for (int k = 0; k < 4; k++) strcpy(meta.labels[k], names[k]);
    float mean[36], std[36];
    for (int d = 0; d < 36; d++) {
        mean[d] = 0.1f * (float)d;
        std[d] = 1.0f + 0.05f * (float)d;
    }
    meta.audio_mean = mean;
    meta.audio_std = std;
    char cfgjson[2048];
    if (with_provenance) {
        char ch[17], vh[17];
        CHECK(ef_bert_identity(bert_dir, ch, vh, &err) == EF_OK);
        snprintf(cfgjson, sizeof cfgjson,
                 "{\"extractor\":\"emofuse-bert-1\",\"model\":\"%s\",\"layers\":2,\"hidden\":32,\"vocab\":%d,"
                 "\"layer_first\":-1,\"layer_count\":2,\"mean\":0,\"keep_special\":0,\"truncate\":0,"
                 "\"config_fnv\":\"%s\",\"vocab_fnv\":\"%s\"}",
                 bert_dir, 0, ch, vh);
        /* the vocabulary size: read it from the folder */
        ef_bert_config bc;
        char p[600];
        snprintf(p, sizeof p, "%s/config.json", bert_dir);
        CHECK(ef_bert_config_load(&bc, p, &err) == EF_OK);
        snprintf(cfgjson, sizeof cfgjson,
                 "{\"extractor\":\"emofuse-bert-1\",\"model\":\"%s\",\"layers\":2,\"hidden\":32,\"vocab\":%d,"
                 "\"layer_first\":-1,\"layer_count\":2,\"mean\":0,\"keep_special\":0,\"truncate\":0,"
                 "\"config_fnv\":\"%s\",\"vocab_fnv\":\"%s\"}",
                 bert_dir, bc.vocab_size, ch, vh);
        meta.text_features = cfgjson;
        meta.audio_features = "{\"extractor\":\"emofuse-lld-1\",\"sample_rate\":16000,\"frame_step\":0.01,"
                              "\"frame_size\":0.032,\"pitch_frame_size\":0.06,\"smooth_window\":3,"
                              "\"delta_window\":2}";
    }
    CHECK_MSG(ef_model_save(m, &meta, path, &err) == EF_OK, "%s", err.msg);
    ef_model_free(m);
}

static int same(const ef_result *a, const ef_result *b)
{
    return a->label == b->label && memcmp(a->probs, b->probs, sizeof a->probs) == 0;
}

static int close_results(const ef_result *a, const ef_result *b, double tol)
{
    for (int k = 0; k < 4; k++)
        if (fabs((double)a->probs[k] - (double)b->probs[k]) > tol) return 0;
    return 1;
}

typedef struct {
    const ef_classifier *c;
    const ef_result *ref, *ref_f;
    int bad, seed;
} thread_arg;

static void *worker(void *p)
{
    thread_arg *a = p;
    for (int rep = 0; rep < 12; rep++) {
        int u = (a->seed + rep) % N_UTT;
        ef_result r;
        ef_error err;
        ef_code rc = rep % 2 ? ef_classify_pcm_f32(a->c, pcm[u], frames[u], RATE, 2, texts[u], &r, &err)
                             : ef_classify_pcm_s16(a->c, pcm16[u], frames[u], RATE, 2, texts[u], &r, &err);
        /* To float rounding, not bit for bit: OpenBLAS's thread count is process-wide, and
         * a concurrent call's BERT changes it under another call's GEMMs. */
        if (rc != EF_OK || !close_results(&r, rep % 2 ? &a->ref_f[u] : &a->ref[u], 1e-5)) a->bad++;
    }
    return NULL;
}

int main(void)
{
    const char *dir = ef_test_tmpdir();
    char bert[512], bert2[512], model[512], old_model[512];
    snprintf(bert, sizeof bert, "%s/bert", dir);
    snprintf(bert2, sizeof bert2, "%s/bert2", dir);
    snprintf(model, sizeof model, "%s/ef.model", dir);
    snprintf(old_model, sizeof old_model, "%s/old.model", dir);
    ef_error err = {0};
    ef_bert_random_params bp = {.layers = 2, .hidden = 32, .heads = 4, .intermediate = 64, .max_positions = 64,
                                .seed = 3};
    CHECK(ef_bert_write_random(bert, texts, N_UTT, &bp, &err) == EF_OK);
    const char *other[1] = {"entirely different words"};
    CHECK(ef_bert_write_random(bert2, other, 1, &bp, &err) == EF_OK);
    make_audio(dir);
    make_model(model, bert, 1);
    make_model(old_model, bert, 0);

    CHECK(strcmp(ef_version(), EMOFUSE_VERSION_STRING) == 0);
    CHECK(ef_version_number() == EMOFUSE_VERSION_NUMBER);
    ef_classifier_params p = ef_classifier_default_params();
    CHECK(p.n_threads == 0 && p.bert_folder == NULL && p.glove_path == NULL && p.batch_size == 32);
    p.n_threads = 1;
    ef_classifier *c = NULL;
    CHECK_MSG(ef_classifier_load(&c, model, &p, &err) == EF_OK, "%s", err.msg);
    if (!c) return ef_test_exit();
    CHECK(strcmp(ef_classifier_system(c), "ef") == 0);
    CHECK(ef_classifier_needs_text(c) && ef_classifier_needs_audio(c));
    CHECK(ef_classifier_n_classes(c) == 4 && strcmp(ef_classifier_label(c, 2), "sad") == 0);
    CHECK(ef_classifier_label(c, 4) == NULL);

    /* Every PCM form = the WAV file, bit for bit. */
    ef_result ref[N_UTT], ref_f[N_UTT], r;
    for (int u = 0; u < N_UTT; u++) {
        CHECK_MSG(ef_classify_file(c, wav[u], texts[u], &ref[u], &err) == EF_OK, "%s", err.msg);
        float s = 0;
        for (int k = 0; k < 4; k++) s += ref[u].probs[k];
        CHECK(fabsf(s - 1) < 1e-5f && ref[u].label >= 0 && ref[u].label < 4);
        CHECK_MSG(ef_classify_file(c, wavf[u], texts[u], &ref_f[u], &err) == EF_OK, "%s", err.msg);
        CHECK(ef_classify_pcm_f32(c, pcm[u], frames[u], RATE, 2, texts[u], &r, &err) == EF_OK && same(&r, &ref_f[u]));
        CHECK(ef_classify_pcm_s16(c, pcm16[u], frames[u], RATE, 2, texts[u], &r, &err) == EF_OK && same(&r, &ref[u]));
    }
    CHECK(!same(&ref[0], &ref[1])); /* the inputs matter */

    /* Batch = one by one (to float rounding: other GEMM shapes). */
    ef_utterance us[N_UTT];
    ef_result br[N_UTT];
    ef_error berr[N_UTT];
    for (int u = 0; u < N_UTT; u++)
        us[u] = (ef_utterance){.samples = pcm16[u], .format = EF_SAMPLES_S16, .n_frames = frames[u],
                               .sample_rate = RATE, .channels = 2, .transcript = texts[u]};
    CHECK(ef_classify_batch(c, us, N_UTT, br, berr, &err) == EF_OK);
    for (int u = 0; u < N_UTT; u++) CHECK_MSG(close_results(&br[u], &ref[u], 1e-5), "batch utterance %d", u);
    /* A failing utterance in a batch: its error, the others classified. */
    us[2].transcript = NULL;
    us[4].n_frames = 100; /* 2 ms: no LLD frame */
    CHECK(ef_classify_batch(c, us, N_UTT, br, berr, &err) == EF_ERR_ARG);
    CHECK_MSG(strstr(err.msg, "utterance 2: ") && strstr(err.msg, "needs a transcript"), "%s", err.msg);
    CHECK(br[2].label == -1 && berr[2].code == EF_ERR_ARG && br[4].label == -1 && berr[4].code == EF_ERR_ARG);
    CHECK_MSG(strstr(berr[4].msg, "shorter than one pitch frame") != NULL, "%s", berr[4].msg);
    CHECK(berr[0].code == EF_OK && close_results(&br[0], &ref[0], 1e-5));

    /* Errors of single calls. */
    CHECK(ef_classify_file(c, wav[0], NULL, &r, &err) == EF_ERR_ARG && strstr(err.msg, "needs a transcript"));
    CHECK(ef_classify_file(c, "/nonexistent.wav", "hi", &r, &err) != EF_OK && strstr(err.msg, "/nonexistent.wav"));
    CHECK(ef_classify_pcm_f32(c, pcm[0], frames[0], 0, 2, "hi", &r, &err) == EF_ERR_ARG);
    CHECK(ef_classify_pcm_f32(c, pcm[0], frames[0], RATE, 2, "", &r, &err) == EF_ERR_ARG &&
          strstr(err.msg, "no word-pieces"));

    /* 8 threads at once, one classifier: the sequential numbers. */
    pthread_t th[8];
    thread_arg ta[8];
    for (int t = 0; t < 8; t++) {
        ta[t] = (thread_arg){.c = c, .ref = ref, .ref_f = ref_f, .seed = t};
        CHECK(pthread_create(&th[t], NULL, worker, &ta[t]) == 0);
    }
    for (int t = 0; t < 8; t++) {
        pthread_join(th[t], NULL);
        CHECK_MSG(ta[t].bad == 0, "thread %d: %d results differ", t, ta[t].bad);
    }
    ef_classifier_free(c);

    /* Recorded BERT folder used when none is given; another folder is refused. */
    ef_classifier_params q = ef_classifier_default_params();
    q.n_threads = 1;
    CHECK(ef_classifier_load(&c, model, &q, &err) == EF_OK);
    ef_classifier_free(c);
    q.bert_folder = bert2;
    CHECK(ef_classifier_load(&c, model, &q, &err) == EF_ERR_ARG && c == NULL);
    CHECK_MSG(strstr(err.msg, "bert2") != NULL, "%s", err.msg);
    /* An old model file (no recorded features): needs the folder, then the defaults. */
    q.bert_folder = NULL;
    CHECK(ef_classifier_load(&c, old_model, &q, &err) == EF_ERR_ARG && strstr(err.msg, "bert_folder"));
    q.bert_folder = bert;
    CHECK_MSG(ef_classifier_load(&c, old_model, &q, &err) == EF_OK, "%s", err.msg);
    ef_classifier_free(c);
    CHECK(ef_classifier_load(&c, "/nonexistent.model", NULL, &err) != EF_OK && strstr(err.msg, "/nonexistent.model"));

    for (int u = 0; u < N_UTT; u++) {
        free(pcm[u]);
        free(pcm16[u]);
    }
    return ef_test_exit();
}
