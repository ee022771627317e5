/* Metrics against scikit-learn / numpy (tests/fixtures/eval/metrics.json, made by
 * tests/reference/metrics_reference.py): confusion matrix, per-class recall, AvRec with a
 * class absent, one-vs-rest AUC with ties, perfect and inverted scores, unknown labels,
 * binary AUC of raw scores, percentiles; plus hand-checked small cases and the label map. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/metrics.h"
#include "testutil.h"

/* null in the fixture = NaN here. */
static double jnum(json_object *o) { return o && !json_object_is_type(o, json_type_null) ? json_object_get_double(o) : NAN; }

static json_object *key(json_object *o, const char *k)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, k, &v)) {
        fprintf(stderr, "fixture: key '%s' missing\n", k);
        exit(1);
    }
    return v;
}

/* Same value, NaN matching NaN. */
static int same(double got, double ref, double tol)
{
    if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got);
    return fabs(got - ref) <= tol;
}

static void check_case(json_object *c)
{
    const char *name = json_object_get_string(key(c, "name"));
    int K = json_object_get_int(key(c, "K"));
    int64_t n = json_object_get_int64(key(c, "n"));
    json_object *jl = key(c, "labels"), *jp = key(c, "probs");
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    float *probs = malloc((size_t)n * K * sizeof *probs);
    for (int64_t i = 0; i < n; i++) labels[i] = json_object_get_int(json_object_array_get_idx(jl, (size_t)i));
    for (int64_t i = 0; i < n * K; i++) probs[i] = (float)json_object_get_double(json_object_array_get_idx(jp, (size_t)i));

    ef_eval_result r;
    ef_error err = {0};
    CHECK_MSG(ef_evaluate(&r, probs, labels, n, K, &err) == EF_OK, "%s: %s", name, err.msg);
    json_object *jcm = key(c, "cm"), *jpred = key(c, "pred");
    int64_t m = 0;
    for (int i = 0; i < K * K; i++) {
        int64_t want = json_object_get_int64(json_object_array_get_idx(jcm, (size_t)i));
        CHECK_MSG(r.cm[i] == want, "%s: cm[%d] = %lld, sklearn %lld", name, i, (long long)r.cm[i], (long long)want);
        m += want;
    }
    CHECK_MSG(r.n == m, "%s: n = %lld, want %lld", name, (long long)r.n, (long long)m);
    /* argmax agrees item by item with numpy's (first maximum on ties). */
    for (int64_t i = 0, j = 0; i < n; i++) {
        if (labels[i] < 0) continue;
        int want = json_object_get_int(json_object_array_get_idx(jpred, (size_t)j++));
        CHECK_MSG(ef_argmax(probs + i * K, K) == want, "%s: argmax of item %lld", name, (long long)i);
    }
    for (int k = 0; k < K; k++) {
        double rr = jnum(json_object_array_get_idx(key(c, "recall"), (size_t)k));
        double ra = jnum(json_object_array_get_idx(key(c, "auc"), (size_t)k));
        CHECK_MSG(same(r.recall[k], rr, 1e-12), "%s: recall[%d] = %.15g, sklearn %.15g", name, k, r.recall[k], rr);
        CHECK_MSG(same(r.auc[k], ra, 1e-12), "%s: auc[%d] = %.15g, sklearn %.15g", name, k, r.auc[k], ra);
    }
    double avrec = jnum(key(c, "avrec")), avauc = jnum(key(c, "avauc")), ovr = jnum(key(c, "avauc_sklearn_ovr"));
    CHECK_MSG(same(r.av_rec, avrec, 1e-12), "%s: AvRec %.15g, sklearn %.15g", name, r.av_rec, avrec);
    CHECK_MSG(same(r.av_auc, avauc, 1e-12), "%s: AvAUC %.15g, sklearn %.15g", name, r.av_auc, avauc);
    if (!isnan(ovr)) CHECK_MSG(same(r.av_auc, ovr, 1e-9), "%s: AvAUC %.15g, sklearn ovr %.15g", name, r.av_auc, ovr);
    if (strcmp(name, "class_absent") == 0) {
        /* Documented deviation from sklearn's default macro average (absent class = 0). */
        double dflt = jnum(key(c, "avrec_sklearn_default"));
        CHECK(isnan(r.recall[2]) && isnan(r.auc[2]) && r.support[2] == 0);
        CHECK_MSG(fabs(r.av_rec - dflt * 4.0 / 3.0) < 1e-12, "absent class: %.15g vs %.15g * 4/3", r.av_rec, dflt);
    }
    free(labels);
    free(probs);
}

static void check_binary(json_object *b)
{
    json_object *js = key(b, "scores"), *jp = key(b, "positive");
    size_t n = json_object_array_length(js);
    float *s = malloc(n * sizeof *s);
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++) {
        s[i] = (float)json_object_get_double(json_object_array_get_idx(js, i));
        p[i] = (uint8_t)json_object_get_int(json_object_array_get_idx(jp, i));
    }
    double auc, want = jnum(key(b, "auc"));
    CHECK(ef_roc_auc(s, p, (int64_t)n, &auc, NULL) == EF_OK);
    CHECK_MSG(same(auc, want, 1e-12), "binary n=%zu: auc %.15g, sklearn %.15g", n, auc, want);
    free(s);
    free(p);
}

static void check_percentiles(json_object *q)
{
    json_object *jx = key(q, "x");
    size_t n = json_object_array_length(jx);
    double x[16], copy[16];
    for (size_t i = 0; i < n; i++) copy[i] = x[i] = json_object_get_double(json_object_array_get_idx(jx, i));
    ef_summary s;
    CHECK(ef_summarise(x, (int64_t)n, &s, NULL) == EF_OK);
    CHECK(memcmp(x, copy, n * sizeof *x) == 0); /* input untouched */
    double q25 = jnum(key(q, "q25")), med = jnum(key(q, "median")), q75 = jnum(key(q, "q75")), p10;
    CHECK_MSG(same(s.median, med, 1e-14), "n=%zu median %.17g numpy %.17g", n, s.median, med);
    CHECK_MSG(same(s.q25, q25, 1e-14), "n=%zu q25 %.17g numpy %.17g", n, s.q25, q25);
    CHECK_MSG(same(s.q75, q75, 1e-14), "n=%zu q75 %.17g numpy %.17g", n, s.q75, q75);
    CHECK(same(s.iqr, q75 - q25, 1e-14));
    CHECK(ef_percentile(x, (int64_t)n, 10, &p10, NULL) == EF_OK);
    CHECK_MSG(same(p10, jnum(key(q, "p10")), 1e-14), "n=%zu p10 %.17g", n, p10);
}

/* Small cases worked out by hand. */
static void check_by_hand(void)
{
    /* Positives {0.9, 0.5}, negatives {0.5, 0.1}: of the 4 pairs 3 are won and 1 is tied
     * (counts one half) -> (3 + 0.5) / 4 = 0.875. */
    float s[4] = {0.9f, 0.5f, 0.5f, 0.1f};
    uint8_t p[4] = {1, 1, 0, 0};
    double auc;
    CHECK(ef_roc_auc(s, p, 4, &auc, NULL) == EF_OK);
    CHECK_MSG(auc == 0.875, "tie auc %.17g", auc);
    /* One class only: undefined. */
    uint8_t all[4] = {1, 1, 1, 1};
    CHECK(ef_roc_auc(s, all, 4, &auc, NULL) == EF_OK && isnan(auc));
    /* Non-finite score: an error, not a silent number. */
    float bad[2] = {NAN, 0.1f};
    ef_error err = {0};
    CHECK(ef_roc_auc(bad, p, 2, &auc, &err) == EF_ERR_ARG && strstr(err.msg, "not finite"));

    /* Confusion matrix ignores out-of-range pairs. */
    int32_t yt[5] = {0, 1, 1, -1, 2}, yp[5] = {0, 1, 0, 1, 2};
    int64_t cm[9];
    CHECK(ef_confusion_matrix(cm, 3, yt, yp, 5) == 4);
    CHECK(cm[0] == 1 && cm[4] == 1 && cm[3] == 1 && cm[8] == 1);
    double rec[3];
    ef_recall_per_class(rec, cm, 3);
    CHECK(rec[0] == 1.0 && rec[1] == 0.5 && rec[2] == 1.0);
    CHECK(fabs(ef_average_recall(cm, 3) - 2.5 / 3) < 1e-15);

    /* Nothing labelled: NaN metrics, no error. */
    float pr[4] = {0.2f, 0.8f, 0.6f, 0.4f};
    int32_t none[2] = {-1, -1};
    ef_eval_result r;
    CHECK(ef_evaluate(&r, pr, none, 2, 2, NULL) == EF_OK && r.n == 0 && isnan(r.av_rec) && isnan(r.av_auc));
    int32_t big[2] = {0, 5};
    CHECK(ef_evaluate(&r, pr, big, 2, 2, &err) == EF_ERR_ARG);
    CHECK(ef_evaluate(&r, pr, none, 2, 1, &err) == EF_ERR_ARG);

    double q;
    CHECK(ef_percentile(NULL, 0, 50, &q, NULL) == EF_OK && isnan(q));
    double x3[3] = {3, 1, 2};
    CHECK(ef_percentile(x3, 3, 101, &q, &err) == EF_ERR_ARG);
    CHECK(ef_percentile(x3, 3, 50, &q, NULL) == EF_OK && q == 2.0);
    CHECK(ef_percentile(x3, 3, 25, &q, NULL) == EF_OK && q == 1.5);

    /* The paper's 4-class mapping. */
    CHECK(ef_emotion4_class("angry") == 0 && ef_emotion4_class("ANG") == 0);
    CHECK(ef_emotion4_class("excited") == 1 && ef_emotion4_class("Happy") == 1 && ef_emotion4_class("exc") == 1);
    CHECK(ef_emotion4_class("sad") == 2 && ef_emotion4_class("neutral") == 3 && ef_emotion4_class("neu") == 3);
    CHECK(ef_emotion4_class("calm") == -1 && ef_emotion4_class("fearful") == -1 && ef_emotion4_class("") == -1);
    CHECK(ef_emotion4_class(NULL) == -1);
    CHECK(strcmp(ef_emotion4_names[0], "angry") == 0 && strcmp(ef_emotion4_names[3], "neutral") == 0);
}

int main(void)
{
    check_by_hand();
    char path[4096];
    snprintf(path, sizeof path, "%s/eval/metrics.json", ef_test_fixtures_dir());
    json_object *root = json_object_from_file(path);
    CHECK_MSG(root != NULL, "cannot read %s", path);
    if (!root) return ef_test_exit();
    json_object *cases = key(root, "cases"), *bin = key(root, "binary"), *pct = key(root, "percentiles");
    CHECK(json_object_array_length(cases) == 7);
    for (size_t i = 0; i < json_object_array_length(cases); i++) check_case(json_object_array_get_idx(cases, i));
    for (size_t i = 0; i < json_object_array_length(bin); i++) check_binary(json_object_array_get_idx(bin, i));
    for (size_t i = 0; i < json_object_array_length(pct); i++) check_percentiles(json_object_array_get_idx(pct, i));
    json_object_put(root);
    return ef_test_exit();
}
