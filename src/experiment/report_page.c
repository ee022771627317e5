/* OUT/report.html: gathers what a reviewer needs from OUT (settings, corpus, folds,
 * which runs are missing, timings, warnings) and hands it to the report module with
 * Table 1 and the figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emofuse/csv.h"
#include "emofuse/report_html.h"
#include "experiment/internal.h"

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return strdup("(missing)");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int c;
    while (mem && (c = fgetc(fp)) != EOF) fputc(c, mem);
    fclose(fp);
    if (mem) fclose(mem);
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Class counts and speakers of the manifest. */
static char *corpus_text(const exp_plan *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    const ef_manifest *m = p->manifest;
    int ecol = ef_manifest_column(m, "emotion"), scol = ef_manifest_column(m, "speaker");
    int64_t n = ef_manifest_rows(m), counts[4] = {0};
    for (int64_t r = 0; r < n; r++) {
        const char *e = ef_manifest_cell(m, r, ecol);
        static const char *const names[4] = {"angry", "happy", "sad", "neutral"};
        for (int k = 0; k < 4; k++)
            if (!strcmp(e, names[k])) counts[k]++;
    }
    int64_t speakers = 0;
    if (scol >= 0) {
        /* Distinct speakers: the manifest is small enough for a quadratic count. */
        for (int64_t r = 0; r < n; r++) {
            bool seen = false;
            for (int64_t q = 0; q < r && !seen; q++)
                seen = !strcmp(ef_manifest_cell(m, r, scol), ef_manifest_cell(m, q, scol));
            speakers += !seen;
            if (r > 20000) break; /* large corpora: the count is not worth a quadratic scan */
        }
    }
    fprintf(f, "manifest: %s\nutterances: %lld (angry %lld, happy %lld, sad %lld, neutral %lld)\n",
            ef_manifest_path(m), (long long)n, (long long)counts[0], (long long)counts[1], (long long)counts[2],
            (long long)counts[3]);
    if (scol >= 0 && n <= 20000) fprintf(f, "speakers: %lld\n", (long long)speakers);
    fclose(f);
    return buf;
}

static char *folds_text(const exp_plan *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    char line[4096];
    for (int i = 0; i < p->n_protocols; i++) {
        fprintf(f, "%s:\n", p->protocols[i]);
        for (int k = 0; k < ef_folds_count(p->folds[i]); k++) {
            ef_folds_describe(p->folds[i], p->manifest, k, line, sizeof line);
            fprintf(f, "  %s\n", line);
        }
    }
    fclose(f);
    return buf;
}

/* Finished / missing runs and the seconds per run of each system (from the .info files). */
static char *runs_text(const exp_plan *p, int64_t *missing)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    *missing = 0;
    int64_t shown = 0;
    for (int64_t i = 0; i < p->n_runs; i++)
        if (!exists(p->runs[i].path)) {
            if (shown++ < 30)
                fprintf(f, "missing: %s seed %d fold %s\n", p->runs[i].name, p->runs[i].seed,
                        ef_folds_name(p->folds[p->runs[i].protocol_index], p->runs[i].fold));
            (*missing)++;
        }
    if (shown > 30) fprintf(f, "... and %lld more missing runs\n", (long long)(shown - 30));
    fprintf(f, "%lld of %lld runs finished\n\nsystem  runs  mean s/run  total s\n", (long long)(p->n_runs - *missing),
            (long long)p->n_runs);
    double all = 0;
    for (int64_t i = 0; i < p->n_runs; i++) {
        bool first = true;
        for (int64_t j = 0; j < i && first; j++) first = strcmp(p->runs[j].name, p->runs[i].name) != 0;
        if (!first) continue;
        double sum = 0;
        int n = 0;
        for (int64_t j = i; j < p->n_runs; j++) {
            if (strcmp(p->runs[j].name, p->runs[i].name)) continue;
            char info[4500];
            snprintf(info, sizeof info, "%.*s.info", (int)strlen(p->runs[j].path) - 4, p->runs[j].path);
            ef_csv csv;
            if (ef_csv_load(&csv, info, ',', NULL) != EF_OK) continue;
            int c = ef_csv_column(&csv, "seconds");
            if (c >= 0 && csv.rows > 0) {
                sum += strtod(ef_csv_cell(&csv, 0, c), NULL);
                n++;
            }
            ef_csv_free(&csv);
        }
        if (n) fprintf(f, "%-24s %5d %10.2f %10.1f\n", p->runs[i].name, n, sum / n, sum);
        all += sum;
    }
    fprintf(f, "\ntraining time in all: %.1f s (summed over workers and shards)\n", all);
    fclose(f);
    return buf;
}

ef_code exp_write_report_page(const exp_plan *p, const ef_table1_row *rows, int n_rows, const char *table_note,
                              const char *significance_html, const char *const *svgs, const char *const *captions,
                              int n_svgs, ef_error *err)
{
    const char *warnings[8];
    int nw = 0;
    int64_t missing = 0;
    char settings_path[4300];
    snprintf(settings_path, sizeof settings_path, "%s/experiment.json", p->out);
    ef_html_section sec[4] = {{"Settings (experiment.json)", slurp(settings_path)},
                              {"Corpus", corpus_text(p)},
                              {"Folds", folds_text(p)},
                              {"Runs and timings", runs_text(p, &missing)}};
    char miss[512];
    if (missing) {
        snprintf(miss, sizeof miss, "%lld of %lld runs have not finished: the table and figures use the seeds whose "
                 "folds are all done (see Runs and timings), and so does the significance section (its tables give the "
                 "seeds each test used).", (long long)missing, (long long)p->n_runs);
        warnings[nw++] = miss;
    }
    if (p->bert_random)
        warnings[nw++] = "The BERT features come from a randomly initialised encoder (no pretrained model was given): "
                         "text results are not the paper's.";
    if (exp_selection(p->x) == EXP_SELECT_TEST)
        warnings[nw++] = "Epochs were selected on the test folds (best median AvAUC of the first 5 seeds, as in the "
                         "paper): these results are optimistic.";
    if (exp_selection(p->x) == EXP_SELECT_INNER)
        warnings[nw++] = "Epochs were selected per run on an inner validation split of its training fold.";
    char title[256], corpus[128];
    exp_corpus_name(p, corpus, sizeof corpus);
    snprintf(title, sizeof title, "emofuse experiment report: %s", corpus);
    ef_html_report r = {.title = title, .warnings = warnings, .n_warnings = nw, .rows = rows,
                        .n_rows = n_rows, .classes = ef_emotion4_names, .K = 4, .table_note = table_note,
                        .significance_html = significance_html, .svg_paths = svgs,
                        .svg_captions = captions, .n_svgs = n_svgs, .sections = sec, .n_sections = 4};
    char path[4300];
    snprintf(path, sizeof path, "%s/report.html", p->out);
    ef_code rc = ef_report_html(path, &r, err);
    for (int i = 0; i < 4; i++) free((char *)sec[i].text);
    return rc;
}
