/* Corpus readers: IEMOCAP, MSP-PODCAST and user-written manifests (with a label map)
 * into one in-memory table that is written out as a manifest CSV (the format of
 * manifest.h), ready for `features`, `folds` and training.
 *
 * Every reader validates what it reads: a folder without the corpus's layout, an
 * utterance without audio, a duplicate id or a label file without the needed columns is
 * an error naming the file (and line). Nothing is written unless reading succeeded, and
 * ef_corpus_write is atomic. docs/corpora.md describes the layouts and the counts a real
 * copy gives. */
#ifndef EMOFUSE_CORPUS_H
#define EMOFUSE_CORPUS_H

#include <stdbool.h>
#include <stdint.h>

#include "emofuse/status.h"

/* ---- Label maps: lines `raw=class`; '#' starts a comment; blank lines are ignored. ---- */
typedef struct ef_label_map ef_label_map;

/* Read a label-map file. Errors name file:line (a line without '=', an empty side, a raw
 * label listed twice with different classes). */
ef_code ef_label_map_load(ef_label_map **out, const char *path, ef_error *err);
/* Parse a map from text: entries separated by newlines or commas ("calm=neutral,fearful=sad").
 * `name` is used in error messages. */
ef_code ef_label_map_parse(ef_label_map **out, const char *text, const char *name, ef_error *err);
void ef_label_map_free(ef_label_map *m);
/* The class of a raw label (exact, case-sensitive match), NULL when not listed. */
const char *ef_label_map_lookup(const ef_label_map *m, const char *raw);
int ef_label_map_size(const ef_label_map *m);

/* ---- Reading ---- */
typedef struct {
    bool all_labels;                /* keep every utterance with its raw label */
    const ef_label_map *label_map;  /* NULL: the reader's 4-class default (see below) */
    const char *label_column;       /* manifest reader: column of raw labels ("emotion") */
} ef_corpus_params;

/* all_labels false, no map, label_column "emotion". Default maps: IEMOCAP ang->angry,
 * hap/exc->happy, sad->sad, neu->neutral; MSP-PODCAST A/H/S/N; manifests keep angry,
 * happy, sad, neutral as they are. Everything else is dropped and counted. */
ef_corpus_params ef_corpus_default_params(void);

#define EF_CORPUS_MAX_LABELS 64

typedef struct {
    char name[48];
    int64_t count;
} ef_label_count;

/* What a reader found, for the caller to print. */
typedef struct {
    char root[4096];         /* folder the corpus was found in (absolute) */
    int64_t rows;            /* utterances kept */
    int n_kept, n_dropped;
    ef_label_count kept[EF_CORPUS_MAX_LABELS];     /* per written emotion, sorted by name */
    ef_label_count dropped[EF_CORPUS_MAX_LABELS];  /* per raw label dropped, sorted by name */
    int64_t missing_transcripts;  /* kept utterances with no transcript */
    int64_t skipped_lines;        /* header-like lines that did not parse (IEMOCAP) */
    int sessions_found;           /* IEMOCAP: bit n-1 set when SessionN was read */
} ef_corpus_summary;

typedef struct ef_corpus ef_corpus;

/* IEMOCAP_full_release: `dir` holds Session1..5/ or any folder above it (up to 4 levels,
 * as tarballs nest IEMOCAP_full_release/ twice). Columns: id, audio, speaker, emotion,
 * transcript, session, dialog, script. Speaker = "SesNN_F|M" from the gender letter of
 * the id's final group; script = "" for improvised dialogues, else 1, 2 or 3. */
ef_code ef_corpus_read_iemocap(ef_corpus **out, const char *dir, const ef_corpus_params *p, ef_error *err);
/* MSP-PODCAST: `dir` holds Labels/labels_consensus.csv (v2) or labels_concensus.csv
 * (v1.x), Audios/ and optionally Transcripts/. Columns: id, audio, speaker, emotion,
 * transcript, split, gender. */
ef_code ef_corpus_read_msp_podcast(ef_corpus **out, const char *dir, const ef_corpus_params *p, ef_error *err);
/* A user's manifest CSV (id, audio, ... any columns): labels mapped through the label map
 * (p->label_column), unmapped rows dropped, every kept row's audio must exist. */
ef_code ef_corpus_read_manifest(ef_corpus **out, const char *path, const ef_corpus_params *p, ef_error *err);

const ef_corpus_summary *ef_corpus_get_summary(const ef_corpus *c);
int64_t ef_corpus_rows(const ef_corpus *c);
int ef_corpus_columns(const ef_corpus *c);
const char *ef_corpus_column_name(const ef_corpus *c, int col);
/* Cell text; the audio column holds absolute paths. */
const char *ef_corpus_cell(const ef_corpus *c, int64_t row, int col);

/* Write the manifest (atomically: temporary file, then rename). Audio paths are written
 * relative to the manifest's folder when the audio lies inside it, absolute otherwise.
 * Rows are sorted by id. */
ef_code ef_corpus_write(const ef_corpus *c, const char *manifest_path, ef_error *err);
void ef_corpus_free(ef_corpus *c);

#endif
