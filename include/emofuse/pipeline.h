/* Pipeline: from a corpus's feature stores and manifest to what the models consume.
 * Today: dataset assembly shared by `emofuse train`, `emofuse predict` and the
 * experiment runner (which utterances are usable, their rows in the memory-mapped stores,
 * their class indices), and opening a store with a check of what it holds. */
#ifndef EMOFUSE_PIPELINE_H
#define EMOFUSE_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "emofuse/audio.h"
#include "emofuse/bert.h"
#include "emofuse/feature_store.h"
#include "emofuse/manifest.h"
#include "emofuse/nn_model.h"
#include "emofuse/status.h"

/* Open a feature store that must hold text features ("bert" or "glove") when want_text,
 * else audio LLDs ("audio-lld"). Errors name the file and what it holds instead. */
ef_code ef_pipeline_open_store(ef_store **out, const char *path, bool want_text, ef_error *err);

typedef struct {
    const ef_store *text, *audio;   /* the inputs the model takes; either may be NULL */
    const ef_manifest *manifest;    /* labels from its `emotion` column; NULL = no labels */
    const char *const *classes;     /* class names in output order (NULL = angry, happy,
                                       sad, neutral); a manifest label maps to the paper's
                                       4 classes (exc -> happy) and then by name */
    int n_classes;
    bool require_label;             /* training: utterances without a class are skipped */
} ef_pipeline_data_opts;

typedef struct {
    ef_dataset d;                   /* n, rows into the stores, labels (-1 = none) */
    const char **ids;               /* (n) the kept ids, pointers into the caller's list */
    int64_t per_class[16];          /* kept utterances per class */
    int64_t skipped_label;          /* require_label: utterances without a class */
    int64_t skipped_empty;          /* no tokens or no frames: nothing for the model */
    int64_t unlabelled;             /* kept, but no class (inference only) */
    /* storage behind d */
    const float **text_rows, **audio_rows;
    int64_t *text_T, *audio_T;
    int32_t *labels;
} ef_pipeline_data;

/* Assemble the listed ids. Every id must be in the manifest (when given) and in the
 * stores; the error names the manifest or store. Audio normalisation is left to the
 * caller (d.audio_mean / d.audio_std). */
ef_code ef_pipeline_data_assemble(ef_pipeline_data *out, const char *const *ids, int64_t n_ids,
                                  const ef_pipeline_data_opts *o, ef_error *err);
void ef_pipeline_data_free(ef_pipeline_data *d);

/* ---- provenance of features (src/pipeline/provenance.c) ---------------------------- */

/* Record in meta (text_features / audio_features, replacing what was there) the
 * emofuse.config of the stores a model is trained on (either may be NULL), so that the
 * classifier (emofuse.h) extracts features exactly as they were extracted. */
ef_code ef_pipeline_record_features(ef_model_meta *meta, const ef_store *text, const ef_store *audio,
                                    ef_error *err);

/* Identity of a BERT folder: FNV-1a 64 of the bytes of its config.json and vocab.txt as
 * 16 hex digits each (recorded in BERT stores as "config_fnv" / "vocab_fnv"). */
ef_code ef_bert_identity(const char *dir, char config_hex[17], char vocab_hex[17], ef_error *err);

/* LLD parameters from a recorded audio config (JSON of an "emofuse-lld-1" store); NULL
 * gives ef_lld_default_params() (model files older than the record). `what` names the
 * source in errors. */
ef_code ef_pipeline_lld_params_of(const char *config, ef_lld_params *p, const char *what, ef_error *err);

/* What a recorded text config says: BERT ("emofuse-bert-1": folder, size, hashes when
 * recorded, layers combined) or GloVe ("emofuse-glove-1": file, words, dim). NULL gives
 * neither flag, the default BERT options and -1 sizes (nothing to check). */
typedef struct {
    int is_bert, is_glove;
    char path[1024];          /* the BERT folder or GloVe file used at extraction */
    int layers, hidden, vocab; /* BERT L, C, V; GloVe: hidden = dim */
    int64_t words;            /* GloVe vocabulary size */
    char config_fnv[17], vocab_fnv[17]; /* "" when not recorded (stores before the hashes) */
    ef_bert_feat_opts bert;   /* layer_first, layer_count, mean, keep_special, truncate */
} ef_pipeline_text_source;
ef_code ef_pipeline_text_source_of(const char *config, ef_pipeline_text_source *s, const char *what,
                                   ef_error *err);

#endif
