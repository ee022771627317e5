/* emofuse: speech emotion recognition from an utterance's audio and transcript.
 *
 * The one header a program includes. Load a model trained with `emofuse train` once,
 * then classify utterances: PCM (float or 16-bit, any rate, any channel count) or an
 * audio file, plus an optional UTF-8 transcript, give one probability per class.
 *
 *     ef_classifier_params p = ef_classifier_default_params();
 *     ef_classifier *c;
 *     ef_error err;
 *     if (ef_classifier_load(&c, "model.safetensors", &p, &err) != EF_OK) { puts(err.msg); ... }
 *     ef_result r;
 *     if (ef_classify_file(c, "utt.wav", "I can't believe you did that", &r, &err) == EF_OK)
 *         printf("%s %.3f\n", ef_classifier_label(c, r.label), r.probs[r.label]);
 *     ef_classifier_free(c);
 *
 * Features are computed exactly as `emofuse features audio|text` computed them for
 * training: the model file records the LLD parameters, the BERT encoder (folder, config
 * and vocabulary hashes, layers summed) or GloVe file, and the audio normalisation
 * statistics; a mismatching BERT folder or GloVe index is an error at load time.
 *
 * Errors: every function that can fail returns an ef_code and fills the caller's ef_error
 * (may be NULL) with one line "<file or object>: <cause>". The library never prints and
 * never exits.
 *
 * Thread safety: a loaded classifier is immutable; any number of threads may call
 * ef_classify* with the same classifier at the same time (each call takes its own model
 * workspace from an internal pool; tests/api/test_classifier.c runs 8 threads). OpenBLAS's
 * thread count is process-wide and BERT sets it for its GEMMs, so concurrent calls can
 * differ from sequential ones in the last float bits; callers that classify from many
 * threads at once should set params.n_threads = 1. */
#ifndef EMOFUSE_EMOFUSE_H
#define EMOFUSE_EMOFUSE_H

#include <stdint.h>

#include "emofuse/export.h"
#include "emofuse/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EMOFUSE_VERSION_MAJOR 0
#define EMOFUSE_VERSION_MINOR 1
#define EMOFUSE_VERSION_PATCH 0
#define EMOFUSE_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH */
#define EMOFUSE_VERSION_NUMBER (EMOFUSE_VERSION_MAJOR * 10000 + EMOFUSE_VERSION_MINOR * 100 + EMOFUSE_VERSION_PATCH)

/* The library's version at run time ("0.1.0"); compare with EMOFUSE_VERSION_STRING. */
EF_API const char *ef_version(void);
/* Same as EMOFUSE_VERSION_NUMBER of the library actually loaded. */
EF_API int ef_version_number(void);
/* Short name of a code ("I/O error"). */
EF_API const char *ef_status_name(ef_code code);

#define EF_MAX_CLASSES 16

typedef struct ef_classifier ef_classifier;

typedef struct {
    int n_threads;           /* threads of one call (LLDs of a batch, BERT GEMMs); 0 = all cores */
    const char *bert_folder; /* BERT folder (config.json, vocab.txt, model.safetensors) for
                                a model trained on BERT features; NULL = the folder recorded
                                at training time */
    const char *glove_path;  /* GloVe index (or the text file next to its "<file>.efidx")
                                for a model trained on GloVe features; NULL = recorded path */
    int batch_size;          /* utterances per model forward pass in ef_classify_batch (32) */
} ef_classifier_params;

/* n_threads 0, bert_folder NULL, glove_path NULL, batch_size 32. */
EF_API ef_classifier_params ef_classifier_default_params(void);

/* Load a model file written by `emofuse train` and what its text branch needs (the BERT
 * encoder, memory-mapped, or the GloVe index). p may be NULL (defaults). Errors: the
 * model file is not a valid model (EF_ERR_FORMAT/EF_ERR_IO); the BERT folder differs from
 * the one the features were made with (config or vocabulary hash, layers, hidden size:
 * EF_ERR_ARG, naming both); no BERT folder or GloVe file given or recorded (EF_ERR_ARG).
 * Model files written before provenance was recorded (no "emofuse.text_features" /
 * "emofuse.audio_features" metadata) are classified with the documented defaults:
 * ef_lld_default_params() and the last 4 BERT layers summed (docs/api.md). */
EF_API ef_code ef_classifier_load(ef_classifier **out, const char *model_path, const ef_classifier_params *p,
                                  ef_error *err);
EF_API void ef_classifier_free(ef_classifier *c);

/* The model: "text", "audio", "ef" (early fusion) or "lf" (late fusion). */
EF_API const char *ef_classifier_system(const ef_classifier *c);
/* 1 when the model takes a transcript / audio. A text model ignores audio; an audio model
 * ignores transcripts; a fusion model needs both. */
EF_API int ef_classifier_needs_text(const ef_classifier *c);
EF_API int ef_classifier_needs_audio(const ef_classifier *c);
/* K classes and their names in output order ("angry", "happy", "sad", "neutral"). */
EF_API int ef_classifier_n_classes(const ef_classifier *c);
EF_API const char *ef_classifier_label(const ef_classifier *c, int k);

typedef enum { EF_SAMPLES_F32 = 0, EF_SAMPLES_S16 = 1 } ef_sample_format;

/* One utterance: audio as interleaved PCM (samples != NULL) or as a file (audio_path),
 * and a transcript. Float samples are taken as decoded ([-1, 1]); int16 v is v / 32767,
 * as when the same samples are read from a 16-bit WAV file. */
typedef struct {
    const void *samples;      /* n_frames * channels interleaved values, or NULL */
    ef_sample_format format;
    int64_t n_frames;
    int sample_rate;          /* Hz, any (resampled to the model's rate) */
    int channels;             /* any (mixed to mono: channel mean) */
    const char *audio_path;   /* instead of samples: WAV/FLAC/OGG/... (libsndfile) */
    const char *transcript;   /* UTF-8, or NULL */
} ef_utterance;

typedef struct {
    int label;                    /* argmax of probs (first on ties), -1 when not classified */
    float probs[EF_MAX_CLASSES];  /* probs[0..K) sum to 1 */
} ef_result;

/* Classify one utterance. Errors (EF_ERR_ARG): a fusion or text model without a
 * transcript, an audio model without audio, a transcript with no tokens, audio shorter
 * than one pitch frame (60 ms); audio that cannot be decoded (EF_ERR_IO/EF_ERR_FORMAT). */
EF_API ef_code ef_classify(const ef_classifier *c, const ef_utterance *u, ef_result *out, ef_error *err);

/* Shorthands for ef_classify. transcript may be NULL. */
EF_API ef_code ef_classify_pcm_f32(const ef_classifier *c, const float *samples, int64_t n_frames, int sample_rate,
                                   int channels, const char *transcript, ef_result *out, ef_error *err);
EF_API ef_code ef_classify_pcm_s16(const ef_classifier *c, const int16_t *samples, int64_t n_frames,
                                   int sample_rate, int channels, const char *transcript, ef_result *out,
                                   ef_error *err);
EF_API ef_code ef_classify_file(const ef_classifier *c, const char *audio_path, const char *transcript,
                                ef_result *out, ef_error *err);

/* Classify n utterances at once: LLDs on n_threads threads, BERT over all transcripts
 * packed into large GEMMs, the model in batches of batch_size. out[i] is utterance i's
 * result (same numbers as ef_classify up to float rounding). errs (n entries, may be NULL)
 * receives each utterance's outcome. Returns EF_OK when every utterance was classified,
 * otherwise the code of the first failure with its message prefixed by "utterance <i>"
 * in err; the others are still classified (label -1 marks the failed ones). */
EF_API ef_code ef_classify_batch(const ef_classifier *c, const ef_utterance *u, int64_t n, ef_result *out,
                                 ef_error *errs, ef_error *err);

#ifdef __cplusplus
}
#endif

#endif
