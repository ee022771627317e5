/* Pipeline: the feature stores of a corpus. From a manifest to a feature store of acoustic
 * LLDs (ef_pipeline_audio_features) or of BERT / GloVe embeddings of its transcripts
 * (ef_pipeline_text_features), exactly as `emofuse features audio|text` builds them, and
 * the joining of sharded stores (ef_pipeline_merge_features, `emofuse features merge`).
 *
 * Every build is resumable and incremental (ef_store_build, feature_store.h): an existing
 * store at store_path is updated, reusing each utterance whose input fingerprint (audio:
 * resolved path, size and mtime of the file, or with verify_content its size and FNV-1a
 * hash of its bytes; text: FNV-1a hash of the transcript, always) and extraction config
 * (metadata emofuse.config) are unchanged; an interrupted build keeps its finished
 * utterances in "<store_path>.parts/" and the next call resumes. The format is described
 * in docs/feature-store.md.
 *
 * Shards: shard i of n (1-based) is the contiguous block of manifest rows
 * [floor((i-1) N / n), floor(i N / n)), in manifest order (N = manifest rows). A shard's
 * store is a complete, valid store of just those utterances with the same config as an
 * unsharded build, so merging shards 1..n in that order gives the unsharded store byte for
 * byte (same tensors, same order, same metadata).
 *
 * Errors: EF_ERR_ARG only for an invalid request (parameters, shard,
 * neither or both text models, layers the BERT model does not have), detected
 * before any store is written; EF_ERR_INTERRUPTED after Ctrl-C (finished utterances are kept); other codes for files
 * that cannot be read or written. Utterances whose input cannot be decoded are not an
 * error of the call: they are listed in report->store.failures and the others are stored. */
#ifndef EMOFUSE_PIPELINE_FEATURES_H
#define EMOFUSE_PIPELINE_FEATURES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "emofuse/audio.h"
#include "emofuse/bert.h"
#include "emofuse/feature_store.h"
#include "emofuse/manifest.h"
#include "emofuse/status.h"

/* Store kinds (metadata emofuse.kind). */
#define EF_STORE_KIND_AUDIO "audio-lld"
#define EF_STORE_KIND_BERT "bert"
#define EF_STORE_KIND_GLOVE "glove"

typedef struct {
    int threads;        /* worker threads, 0 = all cores (BERT: threads inside the encoder) */
    int shard_index;    /* 1-based shard of shard_count; 1 of 1 = every manifest row */
    int shard_count;
    FILE *progress;     /* progress bar (terminal) or periodic lines; NULL = silent */
    FILE *log;          /* one-line notes ("building GloVe index X (once)"); NULL = silent */
    bool verify_content; /* audio: key reuse on a hash of each file's bytes, not path+mtime */
} ef_pipeline_feature_opts;

/* threads 0, shard 1 of 1, progress and log NULL. */
ef_pipeline_feature_opts ef_pipeline_feature_default_params(void);

/* EF_ERR_ARG unless 1 <= index <= count. */
ef_code ef_pipeline_shard_check(int index, int count, ef_error *err);
/* The manifest rows [*first, *end) of shard index of count for n rows (see above); an
 * empty range when count > n for some shards. The shard must be valid. */
void ef_pipeline_shard_range(int64_t n, int index, int count, int64_t *first, int64_t *end);

typedef struct {
    ef_store_build_report store; /* per-utterance outcome; store.total = rows of the shard */
    int64_t manifest_rows;       /* N */
    int64_t first_row, end_row;  /* the shard: manifest rows [first_row, end_row) */
    int64_t words, oov_words;    /* GloVe: words embedded in this call (extracted utterances
                                    only) and how many of them had no vector (zero rows) */
} ef_pipeline_feature_report;

/* Frees the failure messages; safe on a zeroed report. */
void ef_pipeline_feature_report_free(ef_pipeline_feature_report *r);

/* The 36 LLDs (audio.h) of every row's `audio` file of the shard into the store at
 * store_path: kind "audio-lld", dims 36, emofuse.columns the LLD names, emofuse.config the
 * parameters of p (JSON; the voice-quality method is named only when it is not the
 * default). report is always filled (zeroed on an early error) and must be freed with
 * ef_pipeline_feature_report_free. */
ef_code ef_pipeline_audio_features(ef_pipeline_feature_report *report, const char *store_path,
                                   const ef_manifest *m, const ef_lld_params *p,
                                   const ef_pipeline_feature_opts *o, ef_error *err);

typedef struct {
    const char *column;      /* manifest column holding the text ("transcript") */
    const char *bert_model;  /* HuggingFace BERT folder (config.json, vocab.txt,
                                model.safetensors), or NULL */
    const char *glove;       /* GloVe text release or an index built from it, or NULL; a text
                                file is indexed once into "<glove>.efidx" next to it and the
                                index is reused afterwards. Exactly one of bert_model, glove. */
    ef_bert_feat_opts bert;  /* BERT: layers, mean, keep_special, truncate (n_threads is
                                taken from ef_pipeline_feature_opts.threads) */
    int bert_batch;          /* BERT: texts per encoder call (256), packed into large GEMMs */
} ef_pipeline_text_params;

/* column "transcript", no model, ef_bert_feat_default_params(), bert_batch 256. */
ef_pipeline_text_params ef_pipeline_text_default_params(void);

/* BERT word-piece features (kind "bert", D = the model's hidden size) or GloVe word
 * vectors (kind "glove", D = the vectors' size; words outside the vocabulary get zero
 * rows, counted in report->words / oov_words) of every row's text in the shard. An empty
 * text gives T = 0. Report as for ef_pipeline_audio_features. */
ef_code ef_pipeline_text_features(ef_pipeline_feature_report *report, const char *store_path,
                                  const ef_manifest *m, const ef_pipeline_text_params *tp,
                                  const ef_pipeline_feature_opts *o, ef_error *err);

/* Join the stores part_paths[0..n_parts) (e.g. the shards of one corpus) into one store
 * at out_path, written atomically (temporary file, then rename). Every part must have the
 * first part's kind, dims, emofuse.columns and emofuse.config, its build must be finished
 * (no "<part>.parts/" folder), and no utterance id may be in two parts; the error names
 * the offending part. Tensors keep their order: part by part, in the order given, so
 * shards 1..n merged in order equal the unsharded store. Tensor data is written straight
 * from the parts' memory mappings (never copied to the heap); memory is proportional to
 * the number of utterances. *n_utterances (may be NULL) receives the merged count. */
ef_code ef_pipeline_merge_features(int64_t *n_utterances, const char *out_path, const char *const *part_paths,
                                   int n_parts, ef_error *err);

#endif
