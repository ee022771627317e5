/* Significance results of a report (include/emofuse/report_significance.h): bootstrap
 * intervals per system, Wilcoxon over seeds and paired permutations over utterances per
 * pair, Holm across pairs. The bootstraps and permutation tests are independent tasks run
 * on a thread pool; each is seeded with opts.seed alone, so the thread count never
 * changes a number. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/metrics.h"
#include "emofuse/parallel.h"
#include "emofuse/report_significance.h"

ef_signif_opts ef_signif_default_params(void)
{
    return (ef_signif_opts){.n_boot = 1000, .n_perm = 1000, .seed = 1, .level = 0.95, .alpha = 0.05, .threads = 0};
}

void ef_scores_free(ef_scores *s)
{
    free(s->probs);
    free(s->labels);
    free(s->ids);
    memset(s, 0, sizeof *s);
}

void ef_signif_free(ef_signif_result *res)
{
    free(res->ci);
    free(res->pairs);
    memset(res, 0, sizeof *res);
}

typedef struct {
    uint64_t id;
    int64_t row;
} id_row;

static int cmp_id_row(const void *x, const void *y)
{
    const id_row *a = x, *b = y;
    if (a->id != b->id) return a->id < b->id ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

static id_row *sorted_ids(const ef_scores *s)
{
    id_row *v = malloc(sizeof *v * (size_t)(s->n ? s->n : 1));
    if (!v) return NULL;
    for (int64_t i = 0; i < s->n; i++) v[i] = (id_row){s->ids[i], i};
    qsort(v, (size_t)s->n, sizeof *v, cmp_id_row);
    return v;
}

/* Pair the utterances of two score sets by id. When both list the same ids in the same
 * order (the normal case: same folds, same test order) they are used as they are;
 * otherwise the utterances both scored are kept, in a's order, into pa/pb/lab. */
static ef_code align(const ef_scores *a, const ef_scores *b, int K, float **pa, float **pb, int32_t **lab,
                     int64_t *n, ef_error *err)
{
    *pa = *pb = NULL;
    *lab = NULL;
    bool same = a->n == b->n;
    for (int64_t i = 0; same && i < a->n; i++) same = a->ids[i] == b->ids[i];
    if (same) {
        *n = a->n;
        return EF_OK;
    }
    id_row *sa = sorted_ids(a), *sb = sorted_ids(b);
    int64_t *match = malloc(sizeof *match * (size_t)(a->n ? a->n : 1));
    if (!sa || !sb || !match) {
        free(sa);
        free(sb);
        free(match);
        return ef_fail(err, EF_ERR_NOMEM, "significance: out of memory");
    }
    for (int64_t i = 0; i < a->n; i++) match[i] = -1;
    for (int64_t i = 0, j = 0; i < a->n && j < b->n;) {
        if (sa[i].id < sb[j].id) i++;
        else if (sa[i].id > sb[j].id) j++;
        else match[sa[i++].row] = sb[j++].row;
    }
    int64_t m = 0;
    for (int64_t i = 0; i < a->n; i++) m += match[i] >= 0;
    *pa = malloc(sizeof **pa * (size_t)K * (size_t)(m ? m : 1));
    *pb = malloc(sizeof **pb * (size_t)K * (size_t)(m ? m : 1));
    *lab = malloc(sizeof **lab * (size_t)(m ? m : 1));
    ef_code rc = EF_OK;
    if (!*pa || !*pb || !*lab) {
        rc = ef_fail(err, EF_ERR_NOMEM, "significance: out of memory");
    } else {
        int64_t r = 0;
        for (int64_t i = 0; i < a->n; i++) {
            if (match[i] < 0) continue;
            memcpy(*pa + r * K, a->probs + i * K, sizeof(float) * (size_t)K);
            memcpy(*pb + r * K, b->probs + match[i] * K, sizeof(float) * (size_t)K);
            (*lab)[r++] = a->labels[i];
        }
        *n = m;
    }
    free(sa);
    free(sb);
    free(match);
    return rc;
}

typedef struct {
    ef_signif_result *res;
    const ef_signif_system *sys;
    int n, K;
    ef_scores_loader load;
    void *ctx;
    ef_code *codes;
    ef_error *errs;
} job;

static ef_code run_ci(job *j, int s, ef_error *err)
{
    ef_signif_ci *ci = &j->res->ci[s];
    ci->seed = j->sys[s].ci_seed;
    if (ci->seed <= 0) return EF_OK;
    ef_scores sc = {0};
    ef_code rc = j->load(j->ctx, s, ci->seed, &sc, err);
    if (!rc) {
        for (int64_t i = 0; i < sc.n; i++) ci->n += sc.labels[i] >= 0 && sc.labels[i] < j->K;
        rc = ef_bootstrap(&ci->boot, sc.probs, sc.labels, sc.n, j->K, j->res->opts.n_boot, j->res->opts.seed,
                          j->res->opts.level, err);
    }
    ef_scores_free(&sc);
    return rc;
}

static ef_code run_perm(job *j, ef_signif_pair *p, ef_error *err)
{
    if (p->perm_seed <= 0) return EF_OK;
    ef_scores a = {0}, b = {0};
    ef_code rc = j->load(j->ctx, p->a, p->perm_seed, &a, err);
    if (!rc) rc = j->load(j->ctx, p->b, p->perm_seed, &b, err);
    float *pa = NULL, *pb = NULL;
    int32_t *lab = NULL;
    int64_t n = 0;
    if (!rc) rc = align(&a, &b, j->K, &pa, &pb, &lab, &n, err);
    if (!rc) {
        const float *A = pa ? pa : a.probs, *B = pb ? pb : b.probs;
        const int32_t *L = lab ? lab : a.labels;
        p->perm_n = 0;
        for (int64_t i = 0; i < n; i++) p->perm_n += L[i] >= 0 && L[i] < j->K;
        ef_eval_result ea, eb;
        rc = ef_evaluate(&ea, A, L, n, j->K, err);
        if (!rc) rc = ef_evaluate(&eb, B, L, n, j->K, err);
        if (!rc) {
            p->perm_diff_avauc = ea.av_auc - eb.av_auc;
            p->perm_diff_avrec = ea.av_rec - eb.av_rec;
            rc = ef_paired_permutation_test(A, B, L, n, j->K, j->res->opts.n_perm, j->res->opts.seed, &p->p_avauc,
                                            &p->p_avrec, err);
        }
    }
    free(pa);
    free(pb);
    free(lab);
    ef_scores_free(&a);
    ef_scores_free(&b);
    return rc;
}

static void run_task(void *ctx, int64_t item, int thread)
{
    (void)thread;
    job *j = ctx;
    j->codes[item] = item < j->n ? run_ci(j, (int)item, &j->errs[item])
                                 : run_perm(j, &j->res->pairs[item - j->n], &j->errs[item]);
}

static double median_of(double *v, int n)
{
    if (n == 0) return NAN;
    ef_summary s;
    return ef_summarise(v, n, &s, NULL) ? NAN : s.median;
}

/* Wilcoxon over the seeds both systems finished. */
static ef_code seeds_tests(const ef_signif_system *a, const ef_signif_system *b, ef_signif_pair *p, ef_error *err)
{
    int cap = a->n_seeds < b->n_seeds ? a->n_seeds : b->n_seeds;
    double *v = malloc(sizeof *v * 4 * (size_t)(cap ? cap : 1));
    if (!v) return ef_fail(err, EF_ERR_NOMEM, "significance: out of memory");
    double *ra = v, *rb = v + cap, *ua = v + 2 * cap, *ub = v + 3 * cap;
    int n = 0;
    for (int i = 0, k = 0; i < a->n_seeds && k < b->n_seeds;) {
        if (a->seeds[i] < b->seeds[k]) i++;
        else if (a->seeds[i] > b->seeds[k]) k++;
        else {
            if (p->perm_seed == 0) p->perm_seed = a->seeds[i];
            ra[n] = a->avrec[i];
            rb[n] = b->avrec[k];
            ua[n] = a->avauc[i];
            ub[n] = b->avauc[k];
            n++, i++, k++;
        }
    }
    p->n_seeds = n;
    p->w_avauc = p->w_avrec = NAN;
    ef_code rc = EF_OK;
    if (n > 0) {
        rc = ef_paired_seeds_test(ua, ub, n, &p->w_avauc, err);
        if (!rc) rc = ef_paired_seeds_test(ra, rb, n, &p->w_avrec, err);
        for (int i = 0; i < n; i++) {
            ra[i] -= rb[i];
            ua[i] -= ub[i];
        }
    }
    p->diff_avrec = median_of(ra, n);
    p->diff_avauc = median_of(ua, n);
    free(v);
    return rc;
}

/* Holm within one family: the field at `off` of every pair, adjusted into `adj_off`. */
static ef_code holm_family(ef_signif_result *res, size_t off, size_t adj_off, ef_error *err)
{
    int m = res->n_pairs;
    if (m == 0) return EF_OK;
    double *p = calloc((size_t)m, sizeof *p), *adj = calloc((size_t)m, sizeof *adj);
    ef_code rc = p && adj ? EF_OK : ef_fail(err, EF_ERR_NOMEM, "significance: out of memory");
    if (!rc) {
        for (int i = 0; i < m; i++) memcpy(&p[i], (char *)&res->pairs[i] + off, sizeof *p);
        ef_holm(p, m, adj);
        for (int i = 0; i < m; i++) memcpy((char *)&res->pairs[i] + adj_off, &adj[i], sizeof *adj);
    }
    free(p);
    free(adj);
    return rc;
}

ef_code ef_significance(ef_signif_result *res, const ef_signif_system *sys, int n, int K,
                        const ef_signif_opts *opts, ef_scores_loader load, void *ctx, ef_error *err)
{
    memset(res, 0, sizeof *res);
    res->opts = opts ? *opts : ef_signif_default_params();
    res->n_systems = n;
    res->K = K;
    int nc = 0;
    for (int i = 0; i < n; i++) nc += sys[i].compared;
    res->ci = calloc((size_t)(n ? n : 1), sizeof *res->ci);
    res->pairs = calloc((size_t)(nc * (nc - 1) / 2 + 1), sizeof *res->pairs);
    int64_t tasks = n + nc * (nc - 1) / 2;
    job j = {res, sys, n, K, load, ctx, calloc((size_t)tasks + 1, sizeof(ef_code)),
             calloc((size_t)tasks + 1, sizeof(ef_error))};
    ef_code rc = EF_OK;
    if (!res->ci || !res->pairs || !j.codes || !j.errs) rc = ef_fail(err, EF_ERR_NOMEM, "significance: out of memory");
    for (int a = 0; !rc && a < n; a++)
        for (int b = a + 1; !rc && b < n; b++) {
            if (!sys[a].compared || !sys[b].compared) continue;
            ef_signif_pair *p = &res->pairs[res->n_pairs++];
            p->a = a;
            p->b = b;
            p->p_avauc = p->p_avrec = p->perm_diff_avauc = p->perm_diff_avrec = NAN;
            rc = seeds_tests(&sys[a], &sys[b], p, err);
        }
    if (!rc) {
        for (int64_t t = 0; t < tasks; t++) j.codes[t] = EF_ERR_INTERRUPTED;
        ef_parallel_for(tasks, res->opts.threads, run_task, &j);
        for (int64_t t = 0; t < tasks && !rc; t++)
            if (j.codes[t]) {
                rc = j.codes[t];
                if (err) *err = j.errs[t];
                if (rc == EF_ERR_INTERRUPTED && err && !err->msg[0])
                    rc = ef_fail(err, EF_ERR_INTERRUPTED, "significance: interrupted");
            }
    }
    if (!rc) rc = holm_family(res, offsetof(ef_signif_pair, w_avauc), offsetof(ef_signif_pair, w_avauc_holm), err);
    if (!rc) rc = holm_family(res, offsetof(ef_signif_pair, w_avrec), offsetof(ef_signif_pair, w_avrec_holm), err);
    if (!rc) rc = holm_family(res, offsetof(ef_signif_pair, p_avauc), offsetof(ef_signif_pair, p_avauc_holm), err);
    if (!rc) rc = holm_family(res, offsetof(ef_signif_pair, p_avrec), offsetof(ef_signif_pair, p_avrec_holm), err);
    free(j.codes);
    free(j.errs);
    if (rc) ef_signif_free(res);
    return rc;
}

int ef_signif_better(const ef_signif_result *res, int a, int b, ef_signif_metric m)
{
    int sign = 1;
    if (a > b) {
        int t = a;
        a = b;
        b = t;
        sign = -1;
    }
    for (int i = 0; i < res->n_pairs; i++) {
        const ef_signif_pair *p = &res->pairs[i];
        if (p->a != a || p->b != b) continue;
        double holm = m == EF_SIGNIF_AVAUC ? p->w_avauc_holm : p->w_avrec_holm;
        double d = m == EF_SIGNIF_AVAUC ? p->diff_avauc : p->diff_avrec;
        if (!(holm <= res->opts.alpha) || d == 0 || isnan(d)) return 0;
        return d > 0 ? sign : -sign;
    }
    return 0;
}

char ef_signif_letter(const ef_signif_result *res, const ef_signif_system *sys, int i)
{
    if (!sys[i].compared || res->n_pairs == 0) return '\0'; /* nothing compared: no marks */
    int k = 0;
    for (int j = 0; j < i; j++) k += sys[j].compared;
    return k < 26 ? (char)('a' + k) : '?';
}

void ef_signif_beats(const ef_signif_result *res, const ef_signif_system *sys, int i, ef_signif_metric m, char *out,
                     int cap)
{
    int len = 0;
    out[0] = '\0';
    if (!sys[i].compared) return;
    for (int j = 0; j < res->n_systems && len + 1 < cap; j++)
        if (j != i && sys[j].compared && ef_signif_better(res, i, j, m) > 0) out[len++] = ef_signif_letter(res, sys, j);
    out[len] = '\0';
}
