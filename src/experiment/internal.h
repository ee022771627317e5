/* Private pieces of the experiment module: settings access, the systems, the run plan. */
#ifndef EMOFUSE_EXPERIMENT_INTERNAL_H
#define EMOFUSE_EXPERIMENT_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "emofuse/experiment.h"
#include "emofuse/feature_store.h"
#include "emofuse/folds.h"
#include "emofuse/manifest.h"
#include "emofuse/nn_model.h"
#include "emofuse/report.h"
#include "emofuse/metrics.h"

#define EXP_DEFAULT_EPOCHS 20
#define EXP_MAX_LIST 32
#define EXP_NAME_MAX 96

struct ef_experiment {
    json_object *root;
};

/* settings.c: typed access (the schema guarantees the types). */
const char *exp_str(const ef_experiment *x, const char *key);
int exp_int(const ef_experiment *x, const char *key);
/* Items of a list setting (sub != NULL: a list inside a block such as figure2). */
int exp_list(const ef_experiment *x, const char *key, const char *sub, const char **items, int max);
bool exp_has_block(const ef_experiment *x, const char *key);
int exp_epochs(const ef_experiment *x, const char *system);
/* report.<key> (bootstrap, permutations, seed), fallback when absent. */
int exp_report_int(const ef_experiment *x, const char *key, int fallback);
/* exp_input bits of the feature stores the grid reads. */
int exp_needed_inputs(const ef_experiment *x);
/* The model block as plain JSON. json-c writes it into a buffer owned by the settings
 * object: main thread only (the plan derives every run's config before workers start). */
const char *exp_model_json(const ef_experiment *x);
typedef enum { EXP_SELECT_OFF, EXP_SELECT_TEST, EXP_SELECT_INNER } exp_select;
exp_select exp_selection(const ef_experiment *x);
#define EXP_MAX_CANDIDATES 64
/* epoch_candidates, ascending and unique. */
int exp_candidates(const ef_experiment *x, int *out, int max);

/* A system of the grid: what it trains and which features it reads. */
typedef enum { EXP_IN_AUDIO = 1, EXP_IN_BERT = 2, EXP_IN_GLOVE = 4 } exp_input;

typedef struct {
    char name[16];          /* audio, bert, glove, ef-cs, lf-pt, ... */
    ef_system sys;
    ef_strategy strat;
    int inputs;             /* exp_input bits */
    char text_system[8];    /* fusion: the text branch system ("bert"/"glove"); single: "" */
} exp_system;

ef_code exp_system_parse(const char *name, const char *fusion_text, exp_system *out, ef_error *err);
/* Model config of a system at a size variant ("small" halves every width, "large" doubles). */
ef_code exp_model_config(const ef_experiment *x, const exp_system *s, const char *variant, int text_dim,
                         int audio_dim, ef_model_config *cfg, ef_error *err);

/* One training run of the grid. */
typedef struct {
    exp_system sys;
    const char *variant, *protocol;
    int protocol_index;         /* into exp_plan.protocols */
    int seed;                   /* 1..seeds */
    int fold;                   /* fold index within the protocol's folds */
    int unit;                   /* runs of one unit (variant, protocol, seed, fold) run in order on one worker */
    int dep_text, dep_audio;    /* runs whose models PT/WS start from, -1 none */
    bool listed;                /* in the grid (else only a dependency of a listed run) */
    char name[EXP_NAME_MAX];    /* score folder: system[-variant][-protocol] */
    ef_model_config cfg;        /* the model, derived once while planning: the key hashes it and
                                   the worker trains exactly it (deriving it again on a worker
                                   thread would serialise the shared settings JSON, which json-c
                                   does into a buffer inside the object: a data race) */
    uint64_t key;               /* hash of everything that determines the run's result */
    char path[4400];            /* runs/<name>/seed<k>/<fold>-<key>.csv under OUT */
} exp_run;

typedef struct {
    const ef_experiment *x;
    char out[4096];
    ef_manifest *manifest;
    ef_store *audio, *bert, *glove;
    int n_protocols;
    const char *protocols[EXP_MAX_LIST];
    ef_folds *folds[EXP_MAX_LIST];
    exp_run *runs;
    int64_t n_runs;
    int n_units;
    bool bert_random;           /* the BERT store came from a randomly initialised encoder */
    int train_threads;          /* threads inside one training (cores / workers; results do not
                                   depend on it: ef_train is bit-identical for any count) */
} exp_plan;

/* plan.c: load OUT's manifest, stores and folds, and enumerate the runs with their keys. */
ef_code exp_plan_build(exp_plan *p, const ef_experiment *x, const char *out_dir, ef_error *err);
void exp_plan_free(exp_plan *p);
/* Test ids of a run's fold (pointers into the manifest). */
const ef_store *exp_text_store(const exp_plan *p, const exp_system *s);

/* run.c: train one run and write its scores (and model) atomically. */
typedef struct {
    double av_auc, av_rec;
    int64_t n_train, n_test;
    int epochs;                 /* the epoch whose scores the run kept */
    double seconds;
} exp_run_result;
ef_code exp_run_one(const exp_plan *p, const exp_run *r, exp_run_result *res, ef_error *err);
/* Path of a run's model file (next to its scores). */
void exp_run_model_path(const exp_run *r, char *buf, size_t n);
/* Test scores of one candidate epoch (select_epochs=test). */
void exp_run_epoch_path(const exp_run *r, int epoch, char *buf, size_t n);

/* report_page.c: OUT/report.html from the plan, Table 1 (with the note on its marks), the
 * significance section (HTML, may be NULL) and the figures' SVG files. */
ef_code exp_write_report_page(const exp_plan *p, const ef_table1_row *rows, int n_rows, const char *table_note,
                              const char *significance_html, const char *const *svgs, const char *const *captions,
                              int n_svgs, ef_error *err);

/* significance.c: the per-seed values of one Table 1 row. */
typedef struct {
    int n;
    int *seeds;
    double *avrec, *avauc;
} exp_seed_values;
/* Bootstrap intervals and pairwise tests of the rows (report_significance.h): fills the
 * rows' intervals and marks, *html (malloc'ed) and marks_note, and writes
 * OUT/significance.csv and OUT/intervals.csv. */
ef_code exp_significance(const exp_plan *p, ef_table1_row *rows, int n_rows, const exp_seed_values *sv, char **html,
                         char *marks_note, size_t note_cap, ef_error *err);

/* figures.c: the corpus name of the report and Figure 3's panel: the `corpus` setting, else
 * IEMOCAP (a session column), MSP-PODCAST (a split column), else the manifest's file name. */
void exp_corpus_name(const exp_plan *p, char *buf, size_t n);

/* figures.c: the figures of OUT from Table 1's per-seed AvAUCs. */
#include "emofuse/report_figures.h"
typedef struct {
    int n;
    const char *names[1024];       /* Table 1 row names */
    const double *auc[1024];       /* per-seed AvAUC of each row */
    int n_auc[1024];
    ef_fig_curve curves[64];       /* select_epochs=test: one per system */
    int n_curves;
} exp_fig_rows;
ef_code exp_write_figures(const exp_plan *p, const exp_fig_rows *fr, const char **svgs, const char **captions,
                          int *n_svgs, ef_error *err);

/* prepare.c: manifest, folds and feature stores inside OUT (idempotent, locked). */
ef_code exp_prepare(const ef_experiment *x, const char *out_dir, FILE *log, ef_error *err);
/* features.c: the feature stores the grid reads, in OUT/features/ (made or brought up to date). */
ef_code exp_prepare_features(const ef_experiment *x, const char *out_dir, FILE *log, ef_error *err);

#endif
