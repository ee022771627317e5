/* The report's significance results from OUT: hands Table 1's per-seed values and a loader
 * of OUT/scores/<name>/seed<k>.csv to the report module (report_significance.h), marks the
 * Table 1 rows, and writes the numbers to OUT/significance.csv and OUT/intervals.csv (full
 * precision, for scripts and tests/reference/significance_check.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/atomic_file.h"
#include "emofuse/csv.h"
#include "emofuse/hash.h"
#include "emofuse/report_significance.h"
#include "experiment/internal.h"

typedef struct {
    const exp_plan *p;
    const ef_table1_row *rows;
} loader_ctx;

static ef_code load_scores(void *vctx, int system, int seed, ef_scores *s, ef_error *err)
{
    const loader_ctx *c = vctx;
    char path[4400];
    snprintf(path, sizeof path, "%s/scores/%s/seed%d.csv", c->p->out, c->rows[system].system, seed);
    memset(s, 0, sizeof *s);
    ef_csv csv;
    ef_code rc = ef_csv_load(&csv, path, ',', err);
    if (rc) return rc;
    int ic = ef_csv_column(&csv, "id"), lc = ef_csv_column(&csv, "label"), pc[4];
    for (int k = 0; k < 4; k++) {
        char name[40];
        snprintf(name, sizeof name, "p_%s", ef_emotion4_names[k]);
        if ((pc[k] = ef_csv_column(&csv, name)) < 0) ic = -1;
    }
    if (ic < 0 || lc < 0) {
        ef_csv_free(&csv);
        return ef_fail(err, EF_ERR_FORMAT, "%s: not a scores file (id,fold,label,p_<class>...)", path);
    }
    int64_t n = csv.rows;
    s->probs = malloc(sizeof *s->probs * 4 * (size_t)(n ? n : 1));
    s->labels = malloc(sizeof *s->labels * (size_t)(n ? n : 1));
    s->ids = malloc(sizeof *s->ids * (size_t)(n ? n : 1));
    if (!s->probs || !s->labels || !s->ids) {
        ef_csv_free(&csv);
        ef_scores_free(s);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    }
    for (int64_t r = 0; r < n; r++) {
        for (int k = 0; k < 4; k++) s->probs[r * 4 + k] = strtof(ef_csv_cell(&csv, r, pc[k]), NULL);
        s->labels[r] = ef_emotion4_class(ef_csv_cell(&csv, r, lc));
        s->ids[r] = ef_fnv1a64_str(EF_FNV1A64_INIT, ef_csv_cell(&csv, r, ic));
    }
    s->n = n;
    ef_csv_free(&csv);
    return EF_OK;
}

static void g17(FILE *f, double v)
{
    if (isnan(v)) fputc(',', f);
    else fprintf(f, ",%.17g", v);
}

static ef_code write_csvs(const exp_plan *p, const ef_signif_result *r, const ef_signif_system *sys, ef_error *err)
{
    char path[4400];
    ef_atomic_file af;
    snprintf(path, sizeof path, "%s/intervals.csv", p->out);
    ef_code rc = ef_atomic_open(&af, path, err);
    if (rc) return rc;
    fprintf(af.fp, "system,seed,n,avrec,avrec_lo,avrec_hi,avauc,avauc_lo,avauc_hi,n_boot,n_avauc,n_class_missing\n");
    for (int i = 0; i < r->n_systems; i++) {
        const ef_signif_ci *c = &r->ci[i];
        if (c->seed <= 0) continue;
        ef_csv_write_field(af.fp, sys[i].name);
        fprintf(af.fp, ",%d,%lld", c->seed, (long long)c->n);
        const double v[6] = {c->boot.avrec, c->boot.avrec_ci[0], c->boot.avrec_ci[1],
                             c->boot.avauc, c->boot.avauc_ci[0], c->boot.avauc_ci[1]};
        for (int k = 0; k < 6; k++) g17(af.fp, v[k]);
        fprintf(af.fp, ",%d,%d,%d\n", c->boot.n_boot, c->boot.n_avauc, c->boot.n_class_missing);
    }
    if ((rc = ef_atomic_commit(&af, err))) return rc;
    snprintf(path, sizeof path, "%s/significance.csv", p->out);
    if ((rc = ef_atomic_open(&af, path, err))) return rc;
    fprintf(af.fp, "a,b,seeds,diff_avauc,w_avauc,w_avauc_holm,diff_avrec,w_avrec,w_avrec_holm,perm_seed,perm_n,"
                   "perm_diff_avauc,p_avauc,p_avauc_holm,perm_diff_avrec,p_avrec,p_avrec_holm\n");
    for (int i = 0; i < r->n_pairs; i++) {
        const ef_signif_pair *q = &r->pairs[i];
        ef_csv_write_field(af.fp, sys[q->a].name);
        fputc(',', af.fp);
        ef_csv_write_field(af.fp, sys[q->b].name);
        fprintf(af.fp, ",%d", q->n_seeds);
        const double v1[6] = {q->diff_avauc, q->w_avauc, q->w_avauc_holm, q->diff_avrec, q->w_avrec, q->w_avrec_holm};
        for (int k = 0; k < 6; k++) g17(af.fp, v1[k]);
        fprintf(af.fp, ",%d,%lld", q->perm_seed, (long long)q->perm_n);
        const double v2[6] = {q->perm_diff_avauc, q->p_avauc, q->p_avauc_holm,
                              q->perm_diff_avrec, q->p_avrec, q->p_avrec_holm};
        for (int k = 0; k < 6; k++) g17(af.fp, v2[k]);
        fputc('\n', af.fp);
    }
    return ef_atomic_commit(&af, err);
}

/* Table 1's systems: those of the main grid under the main protocol at the default size
 * (Figure 3's boxes, the paper's Table 1). */
static bool compared(const exp_plan *p, const char *name)
{
    const char *systems[EXP_MAX_LIST];
    int ns = exp_list(p->x, "systems", NULL, systems, EXP_MAX_LIST);
    for (int i = 0; i < ns; i++)
        if (!strcmp(systems[i], name)) return true;
    return false;
}

/* Table 1 systems without a single finished seed are in no pair: say so, not silently. */
static ef_code note_absent(const exp_plan *p, const ef_table1_row *rows, int n_rows, char **html, ef_error *err)
{
    const char *systems[EXP_MAX_LIST];
    int ns = exp_list(p->x, "systems", NULL, systems, EXP_MAX_LIST), n_absent = 0;
    char list[EXP_MAX_LIST * (EXP_NAME_MAX + 2)] = "";
    for (int i = 0; i < ns; i++) {
        bool found = false;
        for (int r = 0; r < n_rows && !found; r++) found = !strcmp(rows[r].system, systems[i]);
        /* glove without a GloVe file is not in the grid at all */
        bool in_grid = false;
        for (int64_t k = 0; k < p->n_runs && !in_grid; k++) in_grid = !strcmp(p->runs[k].name, systems[i]);
        if (found || !in_grid) continue;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", n_absent++ ? ", " : "", systems[i]);
    }
    if (!n_absent) return EF_OK;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return ef_fail(err, EF_ERR_NOMEM, "significance: out of memory");
    fprintf(f, "%s<p class=\"warn\">Not in any test yet (no seed with every fold finished): %s.</p>\n", *html, list);
    fclose(f);
    free(*html);
    *html = buf;
    return EF_OK;
}

ef_code exp_significance(const exp_plan *p, ef_table1_row *rows, int n_rows, const exp_seed_values *sv, char **html,
                         char *marks_note, size_t note_cap, ef_error *err)
{
    *html = NULL;
    marks_note[0] = '\0';
    ef_signif_system *sys = calloc((size_t)n_rows + 1, sizeof *sys);
    if (!sys) return ef_fail(err, EF_ERR_NOMEM, "significance: out of memory");
    for (int i = 0; i < n_rows; i++)
        sys[i] = (ef_signif_system){rows[i].system, sv[i].n, sv[i].seeds, sv[i].avrec, sv[i].avauc,
                                    rows[i].median_seed, compared(p, rows[i].system)};
    ef_signif_opts o = ef_signif_default_params();
    o.n_boot = exp_report_int(p->x, "bootstrap", o.n_boot);
    o.n_perm = exp_report_int(p->x, "permutations", o.n_perm);
    o.seed = (uint64_t)exp_report_int(p->x, "seed", (int)o.seed);
    loader_ctx ctx = {p, rows};
    ef_signif_result res;
    ef_code rc = ef_significance(&res, sys, n_rows, 4, &o, load_scores, &ctx, err);
    if (rc) {
        free(sys);
        return rc;
    }
    int n_marked = 0;
    for (int i = 0; i < n_rows; i++) {
        const ef_bootstrap_result *b = &res.ci[i].boot;
        bool have = res.ci[i].seed > 0;
        rows[i].avrec_ci[0] = have ? b->avrec_ci[0] : NAN;
        rows[i].avrec_ci[1] = have ? b->avrec_ci[1] : NAN;
        rows[i].avauc_ci[0] = have ? b->avauc_ci[0] : NAN;
        rows[i].avauc_ci[1] = have ? b->avauc_ci[1] : NAN;
        rows[i].letter = ef_signif_letter(&res, sys, i);
        ef_signif_beats(&res, sys, i, EF_SIGNIF_AVAUC, rows[i].beats_avauc, sizeof rows[i].beats_avauc);
        ef_signif_beats(&res, sys, i, EF_SIGNIF_AVREC, rows[i].beats_avrec, sizeof rows[i].beats_avrec);
        n_marked += rows[i].beats_avauc[0] || rows[i].beats_avrec[0];
    }
    int min_seeds = 0;
    for (int i = 0; i < res.n_pairs; i++)
        if (i == 0 || res.pairs[i].n_seeds < min_seeds) min_seeds = res.pairs[i].n_seeds;
    if (res.n_pairs > 0)
        snprintf(marks_note, note_cap,
                 "Marks: the letter after a system names it; a superscript after its AvRec or AvAUC lists the "
                 "systems it is better than over seeds (two-sided Wilcoxon signed-rank test of the per-seed values, "
                 "Holm-adjusted across the %d pairs, p <= %g). %s%s", res.n_pairs, o.alpha,
                 n_marked ? "" : "No difference reached it. ",
                 min_seeds < 6 ? "With 5 or fewer seeds no difference can (the smallest two-sided p is 2/2^n). " : "");
    for (size_t len = strlen(marks_note); len > 0 && marks_note[len - 1] == ' ';) marks_note[--len] = '\0';
    *html = ef_signif_html(&res, sys, exp_int(p->x, "seeds"));
    if (!*html) rc = ef_fail(err, EF_ERR_NOMEM, "significance: out of memory");
    if (!rc) rc = note_absent(p, rows, n_rows, html, err);
    if (!rc) rc = write_csvs(p, &res, sys, err);
    ef_signif_free(&res);
    free(sys);
    if (rc) {
        free(*html);
        *html = NULL;
    }
    return rc;
}
