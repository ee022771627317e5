/* The report's significance results (report_significance.h) on synthetic systems: a strong
 * system beats two weak ones over 8 seeds (Wilcoxon 2/2^8 = 0.0078, Holm over 3 pairs
 * 0.023 <= 0.05), so Table 1 marks it, and the two weak ones are not told apart; the
 * numbers do not depend on the thread count; utterances paired by id (one system's rows
 * shuffled) give the same permutation p as rows in the same order; a system with fewer
 * seeds is tested on the common ones; a loader error propagates; the marks reach
 * table1.md and table1.csv. The p-values and intervals themselves are checked against
 * scipy / scikit-learn by tests/cli/test_report_significance.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/report.h"
#include "emofuse/report_significance.h"
#include "emofuse/rng.h"
#include "testutil.h"

#define NSYS 4
#define NSEED 8
#define M 200
#define K 4

static float probs[NSYS][NSEED][M * K];
static int32_t labels[M];
static uint64_t ids[NSYS][M];
static int shuffled_row[M]; /* system 3 lists its rows in this order of system 2's */

/* Softmax of noise plus `signal` on the true class. */
static void make(int s, int seed, double signal, uint64_t rs)
{
    ef_rng r;
    ef_rng_seed(&r, rs);
    for (int i = 0; i < M; i++) {
        double z[K], sum = 0;
        for (int k = 0; k < K; k++) z[k] = ef_rng_normal(&r) + (k == labels[i] ? signal : 0);
        for (int k = 0; k < K; k++) sum += (z[k] = exp(z[k]));
        for (int k = 0; k < K; k++) probs[s][seed][i * K + k] = (float)(z[k] / sum);
    }
}

static void make_data(void)
{
    for (int i = 0; i < M; i++) labels[i] = i % K;
    labels[7] = -1; /* an unknown label: never scored */
    for (int seed = 0; seed < NSEED; seed++) {
        make(0, seed, 2.5, 100 + (uint64_t)seed);    /* strong */
        make(1, seed, 0.5, 200 + (uint64_t)seed);    /* weak */
        make(2, seed, 0.5, 300 + (uint64_t)seed);    /* weak */
    }
    ef_rng r;
    ef_rng_seed(&r, 9);
    for (int i = 0; i < M; i++) shuffled_row[i] = i;
    for (int i = M - 1; i > 0; i--) {
        int j = (int)ef_rng_below(&r, (uint64_t)i + 1), t = shuffled_row[i];
        shuffled_row[i] = shuffled_row[j];
        shuffled_row[j] = t;
    }
    for (int s = 0; s < NSYS; s++)
        for (int i = 0; i < M; i++) ids[s][i] = 1000 + (uint64_t)i;
    /* System 3: system 2's scores, rows shuffled (ids say which is which). */
    for (int seed = 0; seed < NSEED; seed++)
        for (int i = 0; i < M; i++) {
            memcpy(&probs[3][seed][i * K], &probs[2][seed][shuffled_row[i] * K], sizeof(float) * K);
            ids[3][i] = 1000 + (uint64_t)shuffled_row[i];
        }
}

typedef struct {
    int map[NSYS];      /* system index of the test -> data index */
    int fail_system;    /* -1 none */
    int calls;
} ctx_t;

static ef_code loader(void *vctx, int system, int seed, ef_scores *s, ef_error *err)
{
    ctx_t *c = vctx;
    __atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
    if (system == c->fail_system) return ef_fail(err, EF_ERR_IO, "scores/%d/seed%d.csv: cannot open", system, seed);
    int d = c->map[system];
    s->n = M;
    s->probs = malloc(sizeof(float) * M * K);
    s->labels = malloc(sizeof(int32_t) * M);
    s->ids = malloc(sizeof(uint64_t) * M);
    memcpy(s->probs, probs[d][seed - 1], sizeof(float) * M * K);
    for (int i = 0; i < M; i++) s->labels[i] = d == 3 ? labels[shuffled_row[i]] : labels[i];
    memcpy(s->ids, ids[d], sizeof(uint64_t) * M);
    return EF_OK;
}

static void seed_values(int d, int n, int *seeds, double *rec, double *auc)
{
    for (int k = 0; k < n; k++) {
        ef_eval_result ev;
        int32_t lab[M];
        float p[M * K];
        for (int i = 0; i < M; i++) lab[i] = d == 3 ? labels[shuffled_row[i]] : labels[i];
        memcpy(p, probs[d][k], sizeof p);
        CHECK(ef_evaluate(&ev, p, lab, M, K, NULL) == EF_OK);
        seeds[k] = k + 1;
        rec[k] = ev.av_rec;
        auc[k] = ev.av_auc;
    }
}

static int seeds_[NSYS][NSEED];
static double rec_[NSYS][NSEED], auc_[NSYS][NSEED];

static void test_marks_and_threads(void)
{
    const char *names[3] = {"strong", "weak1", "weak2"};
    ef_signif_system sys[3];
    for (int d = 0; d < 3; d++) {
        seed_values(d, NSEED, seeds_[d], rec_[d], auc_[d]);
        sys[d] = (ef_signif_system){names[d], NSEED, seeds_[d], rec_[d], auc_[d], 4, true};
    }
    ctx_t ctx = {{0, 1, 2, 3}, -1, 0};
    ef_signif_opts o = ef_signif_default_params();
    o.n_boot = 300;
    o.n_perm = 199;
    ef_signif_result r1, r2;
    ef_error err = {0};
    o.threads = 1;
    CHECK_MSG(ef_significance(&r1, sys, 3, K, &o, loader, &ctx, &err) == EF_OK, "%s", err.msg);
    o.threads = 3;
    CHECK(ef_significance(&r2, sys, 3, K, &o, loader, &ctx, &err) == EF_OK);
    CHECK(r1.n_pairs == 3 && r2.n_pairs == 3);
    CHECK(memcmp(r1.pairs, r2.pairs, sizeof *r1.pairs * 3) == 0);
    CHECK(memcmp(r1.ci, r2.ci, sizeof *r1.ci * 3) == 0);
    CHECK(ctx.calls == 2 * (3 + 2 * 3));
    /* Pairs in order (0,1), (0,2), (1,2). */
    CHECK(r1.pairs[0].a == 0 && r1.pairs[0].b == 1 && r1.pairs[2].a == 1 && r1.pairs[2].b == 2);
    const ef_signif_pair *p01 = &r1.pairs[0];
    CHECK(p01->n_seeds == NSEED && p01->perm_seed == 1 && p01->perm_n == M - 1);
    CHECK_MSG(fabs(p01->w_avauc - 2.0 / 256) < 1e-15, "p %g", p01->w_avauc);
    CHECK_MSG(fabs(p01->w_avauc_holm - 3 * 2.0 / 256) < 1e-15, "holm %g", p01->w_avauc_holm);
    CHECK(p01->diff_avauc > 0.1 && p01->perm_diff_avauc > 0.1);
    CHECK_MSG(fabs(p01->p_avauc - 1.0 / 200) < 1e-15, "permutation p %g", p01->p_avauc); /* nothing comes close */
    CHECK(ef_signif_better(&r1, 0, 1, EF_SIGNIF_AVAUC) == 1 && ef_signif_better(&r1, 1, 0, EF_SIGNIF_AVAUC) == -1);
    CHECK(ef_signif_better(&r1, 0, 2, EF_SIGNIF_AVREC) == 1);
    CHECK(ef_signif_better(&r1, 1, 2, EF_SIGNIF_AVAUC) == 0);
    CHECK(r1.pairs[2].w_avauc_holm > 0.05);
    char beats[32];
    CHECK(ef_signif_letter(&r1, sys, 0) == 'a' && ef_signif_letter(&r1, sys, 2) == 'c');
    ef_signif_beats(&r1, sys, 0, EF_SIGNIF_AVAUC, beats, sizeof beats);
    CHECK_MSG(!strcmp(beats, "bc"), "beats '%s'", beats);
    ef_signif_beats(&r1, sys, 1, EF_SIGNIF_AVAUC, beats, sizeof beats);
    CHECK(beats[0] == '\0');
    /* Intervals: of seed 4, around the value on the data. */
    for (int d = 0; d < 3; d++) {
        const ef_bootstrap_result *b = &r1.ci[d].boot;
        CHECK(r1.ci[d].seed == 4 && r1.ci[d].n == M - 1 && b->n_boot == 300);
        CHECK(b->avauc_ci[0] < b->avauc && b->avauc < b->avauc_ci[1]);
        CHECK(b->avrec_ci[0] < b->avrec && b->avrec < b->avrec_ci[1]);
        CHECK(fabs(b->avauc - auc_[d][3]) < 1e-15);
    }
    char *html = ef_signif_html(&r1, sys, NSEED);
    CHECK(html && strstr(html, "strong &gt; weak1") && strstr(html, "id=\"significance\"") &&
          !strstr(html, "Unfinished runs"));
    free(html);

    /* The marks in table1.md / table1.csv. */
    ef_table1_row rows[3];
    memset(rows, 0, sizeof rows);
    for (int d = 0; d < 3; d++) {
        snprintf(rows[d].system, sizeof rows[d].system, "%s", names[d]);
        rows[d].n_seeds = NSEED;
        CHECK(ef_summarise(rec_[d], NSEED, &rows[d].av_rec, NULL) == EF_OK);
        CHECK(ef_summarise(auc_[d], NSEED, &rows[d].av_auc, NULL) == EF_OK);
        rows[d].median_seed = 4;
        rows[d].avrec_ci[0] = r1.ci[d].boot.avrec_ci[0];
        rows[d].avrec_ci[1] = r1.ci[d].boot.avrec_ci[1];
        rows[d].avauc_ci[0] = r1.ci[d].boot.avauc_ci[0];
        rows[d].avauc_ci[1] = r1.ci[d].boot.avauc_ci[1];
        rows[d].letter = ef_signif_letter(&r1, sys, d);
        ef_signif_beats(&r1, sys, d, EF_SIGNIF_AVAUC, rows[d].beats_avauc, sizeof rows[d].beats_avauc);
        ef_signif_beats(&r1, sys, d, EF_SIGNIF_AVREC, rows[d].beats_avrec, sizeof rows[d].beats_avrec);
    }
    rows[2].avrec_ci[0] = rows[2].avrec_ci[1] = rows[2].avauc_ci[0] = rows[2].avauc_ci[1] = NAN;
    const char *classes[K] = {"angry", "happy", "sad", "neutral"};
    char md[512], csv[512];
    snprintf(md, sizeof md, "%s/t.md", ef_test_tmpdir());
    snprintf(csv, sizeof csv, "%s/t.csv", ef_test_tmpdir());
    CHECK(ef_report_table1(md, csv, rows, 3, classes, K, "Marks: explained.", NULL, &err) == EF_OK);
    char buf[8192] = "";
    FILE *f = fopen(md, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f) fclose(f);
    CHECK_MSG(strstr(buf, "| strong (a) | 8 |") && strstr(buf, " <sup>bc</sup> |") && strstr(buf, "Marks: explained."),
              "%s", buf);
    CHECK(strstr(buf, "| weak2 (c) |") && strstr(buf, "n/a | n/a |"));
    f = fopen(csv, "r");
    n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f) fclose(f);
    CHECK_MSG(strstr(buf, ",a,weak1;weak2,weak1;weak2\n"), "%s", buf);
    CHECK(strstr(buf, ",,,,,c,,\n")); /* no interval, no wins */
    ef_signif_free(&r1);
    ef_signif_free(&r2);
}

static void test_pairing_and_seeds(void)
{
    /* weak2 in order vs strong, and its shuffled copy vs strong: the same permutation test. */
    const char *names[3] = {"strong", "weak2", "weak2-shuffled"};
    ef_signif_system sys[3];
    for (int d = 0; d < 3; d++) {
        int data = d == 0 ? 0 : d == 1 ? 2 : 3;
        seed_values(data, NSEED, seeds_[data], rec_[data], auc_[data]);
        sys[d] = (ef_signif_system){names[d], NSEED, seeds_[data], rec_[data], auc_[data], 1, true};
    }
    ctx_t ctx = {{0, 2, 3, 0}, -1, 0};
    ef_signif_opts o = ef_signif_default_params();
    o.n_boot = 50;
    o.n_perm = 199;
    ef_signif_result r;
    ef_error err = {0};
    CHECK_MSG(ef_significance(&r, sys, 3, K, &o, loader, &ctx, &err) == EF_OK, "%s", err.msg);
    /* (0,1) and (0,2) give the same tests; (1,2) compares a system with itself. */
    CHECK(r.pairs[0].p_avauc == r.pairs[1].p_avauc && r.pairs[0].p_avrec == r.pairs[1].p_avrec);
    CHECK(r.pairs[0].perm_diff_avauc == r.pairs[1].perm_diff_avauc && r.pairs[1].perm_n == M - 1);
    CHECK(r.pairs[2].p_avauc == 1.0 && r.pairs[2].p_avrec == 1.0 && r.pairs[2].w_avauc == 1.0);
    ef_signif_free(&r);

    /* Fewer seeds: weak1 finished seeds 2, 3, 5 only; strong all 8. */
    int s3[3] = {2, 3, 5};
    double rr[3] = {rec_[1][1], rec_[1][2], rec_[1][4]}, aa[3] = {auc_[1][1], auc_[1][2], auc_[1][4]};
    seed_values(0, NSEED, seeds_[0], rec_[0], auc_[0]);
    ef_signif_system two[3] = {{"strong", NSEED, seeds_[0], rec_[0], auc_[0], 4, true},
                               {"weak1", 3, s3, rr, aa, 3, true},
                               {"figure2-only", NSEED, seeds_[0], rec_[0], auc_[0], 4, false}};
    ctx_t c2 = {{0, 1, 0, 0}, -1, 0};
    CHECK(ef_significance(&r, two, 3, K, &o, loader, &c2, &err) == EF_OK);
    CHECK(r.n_pairs == 1 && r.pairs[0].n_seeds == 3 && r.pairs[0].perm_seed == 2);
    CHECK(fabs(r.pairs[0].w_avauc - 0.25) < 1e-15); /* 3 seeds, all in favour: 2/2^3 */
    CHECK(r.ci[2].seed == 4);                        /* not compared, still an interval */
    CHECK(ef_signif_letter(&r, two, 2) == '\0');
    char *html = ef_signif_html(&r, two, NSEED);
    CHECK_MSG(html && strstr(html, "Unfinished runs: 1 system(s) have fewer than the 8 seeds of the grid (weak1: 3); "
                                   "1 pair(s) are tested on fewer than 8 seeds"), "%s", html ? html : "");
    free(html);
    ef_signif_free(&r);

    /* One compared system: no pair, so no letters. */
    ef_signif_system one[2] = {two[0], two[2]};
    CHECK(ef_significance(&r, one, 2, K, &o, loader, &c2, &err) == EF_OK);
    CHECK(r.n_pairs == 0 && ef_signif_letter(&r, one, 0) == '\0' && r.ci[0].seed == 4);
    html = ef_signif_html(&r, one, NSEED);
    CHECK(html && strstr(html, "no pair to compare"));
    free(html);
    ef_signif_free(&r);

    /* A loader error propagates and leaves nothing. */
    ctx_t c3 = {{0, 1, 2, 3}, 1, 0};
    err = (ef_error){0};
    CHECK(ef_significance(&r, sys, 3, K, &o, loader, &c3, &err) == EF_ERR_IO);
    CHECK(strstr(err.msg, "scores/1/seed") != NULL);
    CHECK(r.pairs == NULL && r.ci == NULL && r.n_pairs == 0);
}

int main(void)
{
    make_data();
    test_marks_and_threads();
    test_pairing_and_seeds();
    return ef_test_exit();
}
