/* The significance section of report.html: the methods in words, the bootstrap intervals
 * and two tables of pairs (over seeds, over utterances) with raw and Holm p-values and
 * the direction of each significant difference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/report_significance.h"

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else fputc(*s, f);
    }
}

static void pval(FILE *f, double p, double alpha, bool adjusted)
{
    if (isnan(p)) fputs("<td>n/a</td>", f);
    else if (adjusted && p <= alpha) fprintf(f, "<td class=\"sig\"><b>%.3g</b></td>", p);
    else fprintf(f, "<td>%.3g</td>", p);
}

/* "A &gt; B" when the Holm p is at most alpha, else "no difference shown". */
static void verdict(FILE *f, const ef_signif_system *sys, const ef_signif_pair *p, double d, double holm, double alpha)
{
    fputs("<td>", f);
    if (holm <= alpha && d != 0 && !isnan(d)) {
        esc(f, sys[d > 0 ? p->a : p->b].name);
        fputs(" &gt; ", f);
        esc(f, sys[d > 0 ? p->b : p->a].name);
    } else {
        fputs("&ndash;", f);
    }
    fputs("</td>", f);
}

static void methods(FILE *f, const ef_signif_result *r)
{
    const ef_signif_opts *o = &r->opts;
    fprintf(f,
            "<p>Methods (docs/evaluation.md, &ldquo;In the report&rdquo;). <b>Intervals</b>: %g%% percentile "
            "bootstrap of AvRec and AvAUC of each system's median seed (the seed of its per-class recall and "
            "confusion matrix), %d resamples of its merged test utterances drawn with replacement (every system "
            "draws with the same seed, %llu, so systems scored on the same utterances share their resamples). "
            "<b>Over seeds</b>: for each pair of Table 1's systems, the two-sided Wilcoxon signed-rank test "
            "(scipy 1.10's defaults: exact for up to 50 seeds without zero differences) of the per-seed AvAUC "
            "and AvRec, paired by seed over the seeds both have finished; it says whether a difference survives "
            "re-training. With n seeds its smallest p is 2/2<sup>n</sup> (0.25 for 3 seeds, 0.0625 for 5, "
            "0.002 for 10). <b>Over utterances</b>: a paired permutation test of |AvAUC(a) &minus; AvAUC(b)| and "
            "|AvRec(a) &minus; AvRec(b)| on one seed (the lowest seed both have finished), utterances paired by "
            "id, %d permutations (seed %llu; smallest p %.2g); it says whether these two trained models differ "
            "on these utterances. <b>Holm</b>: each of the four families (seeds/utterances &times; AvAUC/AvRec) "
            "is adjusted across all %d pairs; bold: Holm p &le; %g. Table 1's letters mark the over-seeds "
            "results.</p>\n",
            100 * o->level, o->n_boot, (unsigned long long)o->seed, o->n_perm, (unsigned long long)o->seed,
            1.0 / (1 + o->n_perm), r->n_pairs, o->alpha);
}

static void intervals(FILE *f, const ef_signif_result *r, const ef_signif_system *sys)
{
    fprintf(f, "<table class=\"ci\">\n<tr><th>system</th><th>seed</th><th>utterances</th><th>AvRec (%%) [%g%% CI]</th>"
               "<th>AvAUC [%g%% CI]</th><th>resamples</th></tr>\n", 100 * r->opts.level, 100 * r->opts.level);
    for (int i = 0; i < r->n_systems; i++) {
        const ef_signif_ci *c = &r->ci[i];
        fputs("<tr><td>", f);
        esc(f, sys[i].name);
        if (c->seed <= 0) {
            fputs("</td><td>n/a</td><td></td><td></td><td></td><td></td></tr>\n", f);
            continue;
        }
        const ef_bootstrap_result *b = &c->boot;
        fprintf(f, "</td><td>%d</td><td>%lld</td><td>%.1f [%.1f, %.1f]</td><td>%.3f [%.3f, %.3f]</td><td>%d", c->seed,
                (long long)c->n, 100 * b->avrec, 100 * b->avrec_ci[0], 100 * b->avrec_ci[1], b->avauc, b->avauc_ci[0],
                b->avauc_ci[1], b->n_boot);
        if (b->n_avauc < b->n_boot) fprintf(f, " (AvAUC defined in %d)", b->n_avauc);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void pair_name(FILE *f, const ef_signif_system *sys, const ef_signif_pair *p)
{
    fputs("<td>", f);
    esc(f, sys[p->a].name);
    fputs(" vs ", f);
    esc(f, sys[p->b].name);
    fputs("</td>", f);
}

/* One test family's result on a pair: the difference a - b, its p and Holm p. */
typedef struct {
    double diff, p, holm;
} family;

static const char *const seeds_head =
    "<h3>Over seeds (Wilcoxon signed-rank)</h3>\n<table class=\"sig-seeds\">\n<tr><th>pair (a vs b)</th>"
    "<th>seeds</th><th>median AvAUC a&minus;b</th><th>p</th><th>Holm p</th><th>AvAUC</th>"
    "<th>median AvRec a&minus;b (points)</th><th>p</th><th>Holm p</th><th>AvRec</th></tr>\n";
static const char *const utts_head =
    "<h3>Over utterances (paired permutation, one seed)</h3>\n<table class=\"sig-utts\">\n<tr><th>pair (a vs b)"
    "</th><th>seed</th><th>utterances</th><th>AvAUC a&minus;b</th><th>p</th><th>Holm p</th><th>AvAUC</th>"
    "<th>AvRec a&minus;b (points)</th><th>p</th><th>Holm p</th><th>AvRec</th></tr>\n";

/* The two tables of pairs have one shape: the pair, what the test paired (seeds; or the
 * seed and its utterances), then for AvAUC and AvRec (in points) the difference, p, Holm p
 * and the verdict. by_utts picks the permutation results over the Wilcoxon ones; a pair
 * without a permutation test gets an empty row. */
static void pair_table(FILE *f, const ef_signif_result *r, const ef_signif_system *sys, bool by_utts)
{
    static const double diff_scale[2] = {1, 100};
    static const int diff_digits[2] = {3, 1};
    double al = r->opts.alpha;
    fputs(by_utts ? utts_head : seeds_head, f);
    for (int i = 0; i < r->n_pairs; i++) {
        const ef_signif_pair *p = &r->pairs[i];
        fputs("<tr>", f);
        pair_name(f, sys, p);
        family fam[2]; /* AvAUC, AvRec */
        if (!by_utts) {
            fprintf(f, "<td>%d</td>", p->n_seeds);
            fam[0] = (family){p->diff_avauc, p->w_avauc, p->w_avauc_holm};
            fam[1] = (family){p->diff_avrec, p->w_avrec, p->w_avrec_holm};
        } else if (p->perm_seed > 0) {
            fprintf(f, "<td>%d</td><td>%lld</td>", p->perm_seed, (long long)p->perm_n);
            fam[0] = (family){p->perm_diff_avauc, p->p_avauc, p->p_avauc_holm};
            fam[1] = (family){p->perm_diff_avrec, p->p_avrec, p->p_avrec_holm};
        } else {
            fputs("<td>n/a</td>", f);
            for (int c = 0; c < 9; c++) fputs("<td></td>", f);
            fputs("</tr>\n", f);
            continue;
        }
        for (int m = 0; m < 2; m++) {
            fprintf(f, "<td>%+.*f</td>", diff_digits[m], diff_scale[m] * fam[m].diff);
            pval(f, fam[m].p, al, false);
            pval(f, fam[m].holm, al, true);
            verdict(f, sys, p, fam[m].diff, fam[m].holm, al);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

char *ef_signif_html(const ef_signif_result *r, const ef_signif_system *sys, int expected_seeds)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fputs("<h2 id=\"significance\">Significance</h2>\n", f);
    methods(f, r);
    /* Never silently fewer seeds: say which systems / pairs have fewer than the grid's. */
    int short_sys = 0, short_pairs = 0;
    for (int i = 0; i < r->n_systems; i++) short_sys += sys[i].n_seeds < expected_seeds;
    for (int i = 0; i < r->n_pairs; i++) short_pairs += r->pairs[i].n_seeds < expected_seeds;
    if (short_sys || short_pairs) {
        fprintf(f, "<p class=\"warn\">Unfinished runs: %d system(s) have fewer than the %d seeds of the grid",
                short_sys, expected_seeds);
        for (int i = 0, k = 0; i < r->n_systems; i++)
            if (sys[i].n_seeds < expected_seeds) {
                fputs(k++ ? ", " : " (", f);
                esc(f, sys[i].name);
                fprintf(f, ": %d", sys[i].n_seeds);
            }
        fprintf(f, "%s; %d pair(s) are tested on fewer than %d seeds (the seeds column says how many).</p>\n",
                short_sys ? ")" : "", short_pairs, expected_seeds);
    }
    fputs("<h3>Bootstrap intervals</h3>\n", f);
    intervals(f, r, sys);
    if (r->n_pairs > 0) {
        pair_table(f, r, sys, false);
        pair_table(f, r, sys, true);
    } else {
        fputs("<p>Fewer than two of Table 1's systems have results: no pair to compare.</p>\n", f);
    }
    fclose(f);
    return buf;
}
