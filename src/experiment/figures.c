/* The experiment's figures from its Table 1 rows: Figure 3 (AvAUC over seeds per system
 * of the main grid), Figure 2 (AvAUC per fold protocol and model size, the figure2
 * block) and the epoch-selection curves, as OUT/fig3, fig2, fig_epochs .svg/.pdf/.png. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/atomic_file.h"
#include "emofuse/csv.h"
#include "emofuse/report_figures.h"
#include "experiment/internal.h"

/* The paper's names: Audio, GloVe, BERT, EF-CS, ... */
static void paper_name(const char *system, char *out, size_t n)
{
    if (!strcmp(system, "audio")) snprintf(out, n, "Audio");
    else if (!strcmp(system, "glove")) snprintf(out, n, "GloVe");
    else if (!strcmp(system, "bert")) snprintf(out, n, "BERT");
    else {
        snprintf(out, n, "%s", system);
        for (char *c = out; *c; c++) *c = (char)toupper((unsigned char)*c);
    }
}

static const char *protocol_label(const char *p)
{
    if (!strcmp(p, "random")) return "RAND";
    if (!strcmp(p, "speaker")) return "SP";
    if (!strcmp(p, "speaker-script")) return "SP&SC";
    return p;
}

static void corpus_name_of(const ef_experiment *x, const ef_manifest *m, char *buf, size_t n)
{
    const char *set = exp_str(x, "corpus");
    if (set && set[0]) {
        snprintf(buf, n, "%s", set);
        return;
    }
    if (m && ef_manifest_column(m, "session") >= 0) {
        snprintf(buf, n, "IEMOCAP");
        return;
    }
    if (m && ef_manifest_column(m, "split") >= 0) {
        snprintf(buf, n, "MSP-PODCAST");
        return;
    }
    /* The manifest's file name without its extension; "manifest" says nothing, so then
     * the folder it lies in (data/ravdess/manifest.csv: "ravdess"). */
    const char *path = exp_str(x, "manifest");
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path ? path : "");
    char *dot = strrchr(tmp, '.'), *slash = strrchr(tmp, '/');
    if (dot && (!slash || dot > slash)) *dot = '\0';
    const char *base = slash ? slash + 1 : tmp;
    if (!strcmp(base, "manifest") && slash) {
        *slash = '\0';
        char *up = strrchr(tmp, '/');
        base = up ? up + 1 : tmp;
    }
    snprintf(buf, n, "%s", base[0] ? base : "corpus");
}

void exp_corpus_name(const exp_plan *p, char *buf, size_t n)
{
    corpus_name_of(p->x, p->manifest, buf, n);
}

static int find_row(const exp_fig_rows *fr, const char *name)
{
    for (int i = 0; i < fr->n; i++)
        if (!strcmp(fr->names[i], name)) return i;
    return -1;
}

ef_code exp_write_figures(const exp_plan *p, const exp_fig_rows *fr, const char **svgs, const char **captions,
                          int *n_svgs, ef_error *err)
{
    const ef_experiment *x = p->x;
    static char paths[3][4400];
    *n_svgs = 0;
    /* Figure 3: the main grid's systems under the main protocol at the default size. */
    const char *systems[EXP_MAX_LIST];
    int ns = exp_list(x, "systems", NULL, systems, EXP_MAX_LIST);
    ef_fig_box boxes[EXP_MAX_LIST];
    char labels[EXP_MAX_LIST][24];
    int nb = 0;
    for (int i = 0; i < ns; i++) {
        int r = find_row(fr, systems[i]);
        if (r < 0) continue;
        paper_name(systems[i], labels[nb], sizeof labels[nb]);
        boxes[nb] = (ef_fig_box){labels[nb], fr->auc[r], fr->n_auc[r]};
        nb++;
    }
    ef_code rc = EF_OK;
    if (nb > 0) {
        char corpus[128];
        exp_corpus_name(p, corpus, sizeof corpus);
        ef_fig_panel panel = {corpus, boxes, nb};
        snprintf(paths[0], sizeof paths[0], "%s/fig3", p->out);
        rc = ef_report_fig3(paths[0], &panel, 1, err);
        if (!rc) {
            strcat(paths[0], ".svg");
            svgs[*n_svgs] = paths[0];
            captions[(*n_svgs)++] = "Figure 3: AvAUC over seeds per system under Table 1's fold protocol (merged test "
                                    "folds of each seed; box: quartiles, whiskers: 1.5 IQR).";
        }
    }
    /* Figure 2: the figure2 block's systems per protocol and size. */
    if (!rc && exp_has_block(x, "figure2")) {
        const char *fs[EXP_MAX_LIST], *fp[EXP_MAX_LIST], *fv[EXP_MAX_LIST];
        int nfs = exp_list(x, "figure2", "systems", fs, EXP_MAX_LIST);
        int nfp = exp_list(x, "figure2", "protocols", fp, EXP_MAX_LIST);
        int nfv = exp_list(x, "figure2", "variants", fv, EXP_MAX_LIST);
        ef_fig2_cell *cells = calloc((size_t)(nfs * nfp * nfv) + 1, sizeof *cells);
        char(*sysl)[24] = calloc((size_t)nfs + 1, sizeof *sysl);
        int nc = 0;
        if (!cells || !sysl) rc = ef_fail(err, EF_ERR_NOMEM, "figures: out of memory");
        for (int a = 0; !rc && a < nfs; a++) {
            paper_name(fs[a], sysl[a], sizeof sysl[a]);
            for (int v = 0; v < nfv; v++)
                for (int q = 0; q < nfp; q++) {
                    char name[EXP_NAME_MAX];
                    bool main_p = !strcmp(fp[q], p->protocols[0]), def = !strcmp(fv[v], "default");
                    snprintf(name, sizeof name, "%s%s%s%s%s", fs[a], def ? "" : "-", def ? "" : fv[v],
                             main_p ? "" : "-", main_p ? "" : fp[q]);
                    int r = find_row(fr, name);
                    cells[nc++] = (ef_fig2_cell){sysl[a], nfv > 1 ? fv[v] : NULL, protocol_label(fp[q]),
                                                 r >= 0 ? fr->auc[r] : NULL, r >= 0 ? fr->n_auc[r] : 0};
                }
        }
        if (!rc) {
            snprintf(paths[1], sizeof paths[1], "%s/fig2", p->out);
            rc = ef_report_fig2(paths[1], cells, nc, err);
        }
        if (!rc) {
            strcat(paths[1], ".svg");
            svgs[*n_svgs] = paths[1];
            captions[(*n_svgs)++] = "Figure 2: AvAUC per fold protocol (RAND: random, SP: by speaker, SP&SC: by "
                                    "speaker and script) for each system and model size; marker: median over seeds, "
                                    "bar: interquartile range.";
        }
        free(cells);
        free(sysl);
    }
    /* Epoch selection curves. */
    if (!rc && fr->n_curves > 0) {
        snprintf(paths[2], sizeof paths[2], "%s/fig_epochs", p->out);
        rc = ef_report_fig_epochs(paths[2], fr->curves, fr->n_curves, err);
        if (!rc) {
            strcat(paths[2], ".svg");
            svgs[*n_svgs] = paths[2];
            captions[(*n_svgs)++] = "Epoch selection: median AvAUC of the first seeds' merged test folds per "
                                    "candidate epoch; circled: the chosen epoch (optimistic: chosen on the test "
                                    "folds, as in the paper).";
        }
    }
    return rc;
}

/* ---- Figure 3 of several experiments (emofuse report OUT1 OUT2 ... -o DIR) ---------------- */

typedef struct {
    ef_experiment *x;
    ef_manifest *m;
    ef_csv seeds;
    bool have_csv;
    char corpus[128];
    ef_fig_box boxes[EXP_MAX_LIST];
    char labels[EXP_MAX_LIST][24];
    double *values;
} combined_panel;

/* One OUT's panel: its systems in the order of its settings, values from OUT/seeds.csv. */
static ef_code load_panel(combined_panel *c, const char *out, ef_fig_panel *panel, ef_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/experiment.json", out);
    ef_code rc = ef_experiment_new(&c->x, NULL, err);
    if (!rc) rc = ef_experiment_load(c->x, path, err);
    snprintf(path, sizeof path, "%s/manifest.csv", out);
    if (!rc) rc = ef_manifest_load(&c->m, path, err);
    snprintf(path, sizeof path, "%s/seeds.csv", out);
    if (!rc && (rc = ef_csv_load(&c->seeds, path, ',', err)))
        ef_fail(err, rc, "%s: cannot read it (run `emofuse report %s` first)", path, out);
    if (rc) return rc;
    c->have_csv = true;
    int sc = ef_csv_column(&c->seeds, "system"), ac = ef_csv_column(&c->seeds, "avauc");
    if (sc < 0 || ac < 0) return ef_fail(err, EF_ERR_FORMAT, "%s: expected columns system,seed,avrec,avauc", path);
    c->values = malloc(sizeof *c->values * (size_t)(c->seeds.rows + 1));
    if (!c->values) return ef_fail(err, EF_ERR_NOMEM, "figures: out of memory");
    const char *systems[EXP_MAX_LIST];
    int ns = exp_list(c->x, "systems", NULL, systems, EXP_MAX_LIST), nb = 0, used = 0;
    for (int i = 0; i < ns; i++) {
        if (!strcmp(systems[i], "glove") && !exp_str(c->x, "glove")[0]) continue; /* not in its grid */
        double *v = c->values + used;
        int k = 0;
        for (int64_t r = 0; r < c->seeds.rows; r++)
            if (!strcmp(ef_csv_cell(&c->seeds, r, sc), systems[i])) {
                char *end;
                v[k] = strtod(ef_csv_cell(&c->seeds, r, ac), &end);
                if (*end) return ef_fail(err, EF_ERR_FORMAT, "%s: row %lld: bad avauc", path, (long long)r + 2);
                k++;
            }
        used += k;
        paper_name(systems[i], c->labels[nb], sizeof c->labels[nb]);
        c->boxes[nb] = (ef_fig_box){c->labels[nb], v, k};
        nb++;
    }
    corpus_name_of(c->x, c->m, c->corpus, sizeof c->corpus);
    *panel = (ef_fig_panel){c->corpus, c->boxes, nb};
    return EF_OK;
}

ef_code ef_experiment_fig3(const char *const *outs, int n, const char *dir, ef_error *err)
{
    if (n < 1) return ef_fail(err, EF_ERR_ARG, "figure 3: no experiment folder given");
    combined_panel *c = calloc((size_t)n, sizeof *c);
    ef_fig_panel *panels = calloc((size_t)n, sizeof *panels);
    ef_code rc = c && panels ? EF_OK : ef_fail(err, EF_ERR_NOMEM, "figures: out of memory");
    for (int i = 0; i < n && !rc; i++) rc = load_panel(&c[i], outs[i], &panels[i], err);
    if (!rc) rc = ef_mkdir_p(dir, err);
    if (!rc) {
        char prefix[4300];
        snprintf(prefix, sizeof prefix, "%s/fig3", dir);
        rc = ef_report_fig3(prefix, panels, n, err);
    }
    for (int i = 0; c && i < n; i++) {
        if (c[i].have_csv) ef_csv_free(&c[i].seeds);
        ef_manifest_free(c[i].m);
        ef_experiment_free(c[i].x);
        free(c[i].values);
    }
    free(c);
    free(panels);
    return rc;
}
