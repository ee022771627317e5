/* Classifying utterances (emofuse.h): audio -> LLDs exactly as `emofuse features audio`
 * (ef_lld_file for files; ef_audio_convert + ef_lld_compute for PCM, the same steps),
 * transcript -> BERT word-piece features or GloVe vectors exactly as `emofuse features
 * text`, then the model as `emofuse predict` runs it (ef_predict, audio z-normalised with
 * the model's statistics). */
#include <stdlib.h>
#include <string.h>

#include "emofuse/metrics.h"
#include "emofuse/parallel.h"
#include "pipeline/classifier_internal.h"

typedef struct {
    const ef_classifier *c;
    const ef_utterance *u;
    float **audio, **text;
    int64_t *aT, *tT;
    ef_error *errs;  /* (n) per utterance; code != EF_OK = failed */
} batch_ctx;

static ef_code utterance_audio(const ef_classifier *c, const ef_utterance *u, float **rows, int64_t *T, ef_error *err)
{
    ef_code rc;
    if (u->samples) {
        float *x = NULL;
        int64_t n = 0;
        int fmt = u->format == EF_SAMPLES_S16 ? EF_PCM_S16 : EF_PCM_F32;
        if (u->format != EF_SAMPLES_S16 && u->format != EF_SAMPLES_F32)
            return ef_fail(err, EF_ERR_ARG, "audio buffer: unknown sample format %d", (int)u->format);
        rc = ef_audio_convert(u->samples, fmt, u->n_frames, u->channels, u->sample_rate, c->lld.sample_rate, &x, &n,
                              err);
        if (!rc) rc = ef_lld_compute(&c->lld, x, n, rows, T, err);
        free(x);
    } else if (u->audio_path) {
        rc = ef_lld_file(&c->lld, u->audio_path, rows, T, err);
    } else {
        return ef_fail(err, EF_ERR_ARG, "this %s model needs audio (samples or audio_path)",
                       ef_system_name(c->cfg.system));
    }
    if (!rc && *T == 0) {
        free(*rows);
        *rows = NULL;
        rc = ef_fail(err, EF_ERR_ARG, "%s: shorter than one pitch frame (%g s): no LLD frames",
                     u->audio_path && !u->samples ? u->audio_path : "audio buffer", c->lld.pitch_frame_size);
    }
    return rc;
}

static void audio_item(void *ctx, int64_t i, int thread)
{
    (void)thread;
    batch_ctx *b = ctx;
    if (b->errs[i].code) return;
    b->errs[i].code = utterance_audio(b->c, &b->u[i], &b->audio[i], &b->aT[i], &b->errs[i]);
}

static void glove_item(void *ctx, int64_t i, int thread)
{
    (void)thread;
    batch_ctx *b = ctx;
    if (b->errs[i].code) return;
    ef_code rc = ef_glove_embed_text(b->c->glove, b->u[i].transcript, &b->text[i], &b->tT[i], NULL, &b->errs[i]);
    if (!rc && b->tT[i] == 0) rc = ef_fail(&b->errs[i], EF_ERR_ARG, "transcript: no words");
    b->errs[i].code = rc;
}

/* BERT over every still-valid transcript in one ef_bert_features call, as the store
 * builder does for a batch of texts. A failure of the call fails all of them. */
static void bert_all(batch_ctx *b, int64_t n)
{
    const ef_classifier *c = b->c;
    int C = ef_bert_model_config(c->bert)->hidden;
    ef_tokenizer *tok = NULL;
    ef_token_ids *ids = calloc((size_t)n, sizeof *ids);
    const int32_t **pieces = calloc((size_t)n, sizeof *pieces);
    int *lens = calloc((size_t)n, sizeof *lens);
    float **outs = calloc((size_t)n, sizeof *outs);
    int64_t *which = calloc((size_t)n, sizeof *which);
    ef_error err = {0};
    ef_code rc = (!ids || !pieces || !lens || !outs || !which) ? ef_fail(&err, EF_ERR_NOMEM, "bert: out of memory")
                                                               : ef_tokenizer_create(&tok, c->vocab, &err);
    int m = 0;
    for (int64_t i = 0; !rc && i < n; i++) {
        if (b->errs[i].code) continue;
        const char *t = b->u[i].transcript;
        rc = ef_tokenizer_encode(tok, t, strlen(t), 0, &ids[m], &err);
        if (rc) break;
        int R = ef_bert_feat_rows(c->bert, &c->bopt, (int)ids[m].count);
        if (R <= 0) {
            ef_fail(&b->errs[i], EF_ERR_ARG, "transcript: no word-pieces");
            ef_token_ids_free(&ids[m]);
            continue;
        }
        b->tT[i] = R;
        if (!(b->text[i] = malloc(sizeof(float) * (size_t)R * (size_t)C))) {
            rc = ef_fail(&err, EF_ERR_NOMEM, "bert: out of memory");
            break;
        }
        pieces[m] = ids[m].id;
        lens[m] = (int)ids[m].count;
        outs[m] = b->text[i];
        which[m++] = i;
    }
    if (!rc && m > 0) rc = ef_bert_features(c->bert, &c->bopt, m, pieces, lens, outs, &err);
    if (rc)
        for (int64_t i = 0; i < n; i++)
            if (!b->errs[i].code) b->errs[i] = err;
    for (int k = 0; ids && k < m; k++) ef_token_ids_free(&ids[k]);
    if (ids && rc && m < n) ef_token_ids_free(&ids[m]);
    ef_tokenizer_free(tok);
    free(ids);
    free(pieces);
    free(lens);
    free(outs);
    free(which);
}

static ef_code classify_n(const ef_classifier *c, const ef_utterance *u, int64_t n, ef_result *out, ef_error *errs,
                          int64_t *first_failed)
{
    *first_failed = -1;
    int K = c->cfg.n_classes;
    batch_ctx b = {.c = c, .u = u, .errs = errs};
    b.audio = calloc((size_t)n, sizeof *b.audio);
    b.text = calloc((size_t)n, sizeof *b.text);
    b.aT = calloc((size_t)n, sizeof *b.aT);
    b.tT = calloc((size_t)n, sizeof *b.tT);
    const float **arows = calloc((size_t)n, sizeof *arows), **trows = calloc((size_t)n, sizeof *trows);
    int64_t *aT = calloc((size_t)n, sizeof *aT), *tT = calloc((size_t)n, sizeof *tT), *kept = calloc((size_t)n, sizeof *kept);
    float *probs = calloc((size_t)n * (size_t)K, sizeof *probs);
    ef_code rc = EF_OK;
    ef_model *m = NULL;
    for (int64_t i = 0; i < n; i++) {
        ef_error_clear(&errs[i]);
        out[i].label = -1;
        memset(out[i].probs, 0, sizeof out[i].probs);
        if (c->need_text && !u[i].transcript)
            ef_fail(&errs[i], EF_ERR_ARG, "this %s model needs a transcript", ef_system_name(c->cfg.system));
    }
    if (!b.audio || !b.text || !b.aT || !b.tT || !arows || !trows || !aT || !tT || !kept || !probs) {
        for (int64_t i = 0; i < n; i++) ef_fail(&errs[i], EF_ERR_NOMEM, "out of memory");
        goto done;
    }
    int threads = c->p.n_threads > 0 ? c->p.n_threads : ef_cpu_count();
    if (c->need_audio) ef_parallel_for(n, threads, audio_item, &b);
    if (c->need_text && c->bert) bert_all(&b, n);
    else if (c->need_text) ef_parallel_for(n, threads, glove_item, &b);

    int64_t nk = 0;
    for (int64_t i = 0; i < n; i++) {
        if (errs[i].code) continue;
        arows[nk] = b.audio[i];
        aT[nk] = b.aT[i];
        trows[nk] = b.text[i];
        tT[nk] = b.tT[i];
        kept[nk++] = i;
    }
    if (nk > 0) {
        ef_error e = {0};
        ef_dataset d = {.n = nk, .text_rows = c->need_text ? trows : NULL, .text_T = tT,
                        .audio_rows = c->need_audio ? arows : NULL, .audio_T = aT, .labels = NULL,
                        .audio_mean = c->meta.audio_mean, .audio_std = c->meta.audio_std};
        rc = ef_classifier_acquire((ef_classifier *)c, &m, &e);
        if (!rc) rc = ef_predict(m, &d, c->p.batch_size, probs, &e);
        if (m) ef_classifier_release((ef_classifier *)c, m);
        for (int64_t k = 0; k < nk; k++) {
            int64_t i = kept[k];
            if (rc) {
                errs[i] = e;
                continue;
            }
            memcpy(out[i].probs, probs + k * K, sizeof(float) * (size_t)K);
            out[i].label = ef_argmax(out[i].probs, K);
        }
    }
done:
    rc = EF_OK;
    for (int64_t i = 0; i < n; i++) {
        if (errs[i].code && *first_failed < 0) {
            *first_failed = i;
            rc = errs[i].code;
        }
        if (b.audio) free(b.audio[i]);
        if (b.text) free(b.text[i]);
    }
    free(b.audio);
    free(b.text);
    free(b.aT);
    free(b.tT);
    free(arows);
    free(trows);
    free(aT);
    free(tT);
    free(kept);
    free(probs);
    return rc;
}

ef_code ef_classify_batch(const ef_classifier *c, const ef_utterance *u, int64_t n, ef_result *out, ef_error *errs,
                          ef_error *err)
{
    if (!c || n < 0 || (n > 0 && (!u || !out))) return ef_fail(err, EF_ERR_ARG, "classify: invalid arguments");
    if (n == 0) return EF_OK;
    ef_error *e = errs ? errs : calloc((size_t)n, sizeof *e);
    if (!e) return ef_fail(err, EF_ERR_NOMEM, "classify: out of memory");
    int64_t bad;
    ef_code rc = classify_n(c, u, n, out, e, &bad);
    if (rc) ef_fail(err, rc, "utterance %lld: %s", (long long)bad, e[bad].msg);
    if (!errs) free(e);
    return rc;
}

ef_code ef_classify(const ef_classifier *c, const ef_utterance *u, ef_result *out, ef_error *err)
{
    if (!c || !u || !out) return ef_fail(err, EF_ERR_ARG, "classify: invalid arguments");
    ef_error e = {0};
    int64_t bad;
    ef_code rc = classify_n(c, u, 1, out, &e, &bad);
    if (rc && err) *err = e;
    return rc;
}

ef_code ef_classify_pcm_f32(const ef_classifier *c, const float *samples, int64_t n_frames, int sample_rate,
                            int channels, const char *transcript, ef_result *out, ef_error *err)
{
    ef_utterance u = {.samples = samples, .format = EF_SAMPLES_F32, .n_frames = n_frames, .sample_rate = sample_rate,
                      .channels = channels, .transcript = transcript};
    if (!samples && n_frames == 0) u.samples = "";
    return ef_classify(c, &u, out, err);
}

ef_code ef_classify_pcm_s16(const ef_classifier *c, const int16_t *samples, int64_t n_frames, int sample_rate,
                            int channels, const char *transcript, ef_result *out, ef_error *err)
{
    ef_utterance u = {.samples = samples, .format = EF_SAMPLES_S16, .n_frames = n_frames, .sample_rate = sample_rate,
                      .channels = channels, .transcript = transcript};
    if (!samples && n_frames == 0) u.samples = "";
    return ef_classify(c, &u, out, err);
}

ef_code ef_classify_file(const ef_classifier *c, const char *audio_path, const char *transcript, ef_result *out,
                         ef_error *err)
{
    ef_utterance u = {.audio_path = audio_path, .transcript = transcript};
    return ef_classify(c, &u, out, err);
}
