/* Experiments: the paper's evaluation grid (systems x model-size variants x fold
 * protocols x seeds x folds) from one settings file, run resumably, shardably and in
 * parallel, with every finished run's test scores stored the moment it ends.
 *
 * Settings are JSON (docs/experiments.md lists every key); any key can be overridden
 * with "KEY=VALUE" assignments (ef_experiment_set), e.g. "seeds=3", "systems=audio,bert",
 * "epochs.audio=30", "figure2=off". The final settings are written to OUT/experiment.json.
 *
 * OUT layout:
 *   experiment.json          the settings that produced the results
 *   manifest.csv             the checked manifest (label map applied)
 *   folds/<protocol>.csv     the folds of each protocol (fold,id,role)
 *   features/<kind>.safetensors  feature stores (audio LLDs, BERT, GloVe)
 *   runs/<name>/seed<k>/<fold>-<key>.csv  one run's test scores; <key> hashes every
 *                            setting that produced them, so changed settings never mix
 *   scores/<name>/seed<k>.csv merged test-fold scores of one seed: id,fold,label,p_<class>...
 *   table1.md, table1.csv    median and IQR over seeds of AvRec and AvAUC per system, with
 *                            bootstrap intervals and significance marks
 *   seeds.csv                every system's per-seed AvRec and AvAUC
 *   significance.csv, intervals.csv  the pairwise tests and intervals (docs/evaluation.md)
 *   report.html, fig*.svg/pdf/png    the report page and the figures (docs/report.md) */
#ifndef EMOFUSE_EXPERIMENT_H
#define EMOFUSE_EXPERIMENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "emofuse/status.h"

typedef struct ef_experiment ef_experiment;

/* Default settings, or a named preset's ("pepino2020": the paper's Table 1 and Figure 2
 * grid). NULL preset = defaults. */
ef_code ef_experiment_new(ef_experiment **out, const char *preset, ef_error *err);
void ef_experiment_free(ef_experiment *x);
/* Override settings with a JSON file's keys (unknown keys and wrong types are errors). */
ef_code ef_experiment_load(ef_experiment *x, const char *path, ef_error *err);
/* One "KEY=VALUE" override; lists are comma-separated, "off"/"null" clears a block. */
ef_code ef_experiment_set(ef_experiment *x, const char *assignment, ef_error *err);
/* Complete settings as pretty JSON (malloc'ed), NULL on allocation failure. */
char *ef_experiment_json(const ef_experiment *x);
/* Check settings for consistency (systems known, inputs they need given, ...). */
ef_code ef_experiment_validate(const ef_experiment *x, ef_error *err);

typedef struct {
    int jobs;                 /* trainings at once (0 = all cores); BLAS runs single-threaded */
    int threads_per_run;      /* threads inside each training (0 = the cores left over:
                                 cores / jobs, at least 1); results are the same for any value */
    int shard_index;          /* 1-based shard of shard_count; 1 of 1 = everything */
    int shard_count;
    FILE *log;                /* progress and one line per finished run; NULL = silent */
} ef_experiment_opts;

ef_experiment_opts ef_experiment_default_params(void);

typedef struct {
    int64_t runs_total;       /* runs in the whole grid */
    int64_t runs_shard;       /* runs of this shard */
    int64_t runs_reused;      /* found finished (resumed) */
    int64_t runs_done;        /* trained now */
    double seconds;
} ef_experiment_status;

/* Run (or resume) the experiment into out_dir, then write the tables of whatever has
 * finished (ef_experiment_report). EF_ERR_INTERRUPTED after Ctrl-C: finished runs stay. */
ef_code ef_experiment_run(const ef_experiment *x, const char *out_dir, const ef_experiment_opts *o,
                          ef_experiment_status *st, ef_error *err);

/* Merge the finished runs of out_dir (any shards) into scores/ and write table1.md and
 * table1.csv. *complete (may be NULL) tells whether every run of the grid had finished. */
ef_code ef_experiment_report(const char *out_dir, FILE *log, bool *complete, ef_error *err);

/* Figure 3 of several experiments side by side (e.g. IEMOCAP and MSP-PODCAST): writes
 * dir/fig3.{svg,pdf,png} with one panel per OUT, in the given order, titled with its corpus
 * name (the `corpus` setting, else IEMOCAP / MSP-PODCAST recognised from the manifest's
 * columns, else the manifest's name), from each OUT's experiment.json, manifest.csv and
 * seeds.csv (written by ef_experiment_report). Creates dir when missing. */
ef_code ef_experiment_fig3(const char *const *out_dirs, int n, const char *dir, ef_error *err);

#endif
