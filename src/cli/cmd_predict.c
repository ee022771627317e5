/* emofuse predict: run a trained model (from `emofuse train`) over feature stores and write
 * one CSV row of class probabilities per utterance. The model file carries everything the
 * inputs need (expected store kinds and dims, audio normalisation statistics, label
 * names), so nothing is recomputed from the test data. With --manifest the true labels
 * (same 4-class mapping as training) are added and AvRec / AvAUC and the confusion matrix
 * are printed on stderr (docs/evaluation.md). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/features_common.h"
#include "emofuse/atomic_file.h"
#include "emofuse/csv.h"
#include "emofuse/feature_store.h"
#include "emofuse/manifest.h"
#include "emofuse/metrics.h"
#include "emofuse/nn_model.h"
#include "emofuse/parallel.h"
#include "emofuse/pipeline.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse predict --model MODEL [--text-store F] [--audio-store F] [--ids FILE]\n"
            "                       [--manifest M] [--out FILE.csv]\n\n"
            "Class probabilities of a trained model, one CSV row per utterance:\n"
            "  id,p_<label1>,...,p_<labelK>,predicted[,label]\n\n"
            "  --model MODEL     model file written by `emofuse train`\n"
            "  --text-store F    BERT or GloVe feature store (text, ef and lf models)\n"
            "  --audio-store F   audio LLD feature store (audio, ef and lf models)\n"
            "  --ids FILE        utterance ids, one per line (default: every id of the text\n"
            "                    store, or of the audio store for audio models)\n"
            "  --manifest M      corpus manifest with an `emotion` column: adds the `label`\n"
            "                    column and prints AvRec, AvAUC and the confusion matrix on stderr\n"
            "  --out FILE.csv    write the CSV there (atomically); default stdout\n"
            "  --batch-size N    default 32\n"
            "  --threads N       BLAS threads, default 0 = all cores\n");
}

typedef struct {
    const char *model, *text_store, *audio_store, *ids, *manifest, *out;
    long batch, threads;
} predict_args;

static int parse_args(predict_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->batch = 32;
    static const struct option opts[] = {
        {"model", required_argument, 0, 'M'},      {"text-store", required_argument, 0, 'T'},
        {"audio-store", required_argument, 0, 'A'}, {"ids", required_argument, 0, 'i'},
        {"manifest", required_argument, 0, 'm'},   {"out", required_argument, 0, 'o'},
        {"batch-size", required_argument, 0, 'b'}, {"threads", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "M:T:A:i:m:o:b:j:h", opts, "predict")) != -1) {
        switch (c) {
        case 'M': a->model = optarg; break;
        case 'T': a->text_store = optarg; break;
        case 'A': a->audio_store = optarg; break;
        case 'i': a->ids = optarg; break;
        case 'm': a->manifest = optarg; break;
        case 'o': a->out = optarg; break;
        case 'b':
            if (!cli_parse_int("--batch-size", optarg, 1, 1000000, &a->batch)) return 2;
            break;
        case 'j':
            if (!cli_parse_int("--threads", optarg, 0, 4096, &a->threads)) return 2;
            break;
        case 'h': usage(stdout); return -1;
        default: return 2;
        }
    }
    if (optind < argc) return cli_usage_error("predict: unexpected argument '%s'", argv[optind]);
    if (!a->model) return cli_usage_error("predict: --model is required");
    if (a->out && cli_output_clobbers_input(a->out, a->model, a->text_store, a->audio_store, a->ids, a->manifest, CLI_END))
        return 2;
    return 0;
}

/* Open a store and check it is what the model was trained on: same kind, same dims. */
static ef_code open_checked(ef_store **s, const char *path, const char *want_kind, int want_dim, const char *model,
                            ef_error *err)
{
    ef_code rc = ef_store_open(s, path, err);
    if (rc != EF_OK) return rc;
    if (strcmp(ef_store_kind(*s), want_kind) != 0)
        rc = ef_fail(err, EF_ERR_ARG, "%s: a '%s' store, but %s was trained on '%s' features", path, ef_store_kind(*s),
                     model, want_kind);
    else if (ef_store_dim(*s) != want_dim)
        rc = ef_fail(err, EF_ERR_ARG, "%s: %d-dimensional features, but %s expects %d", path, ef_store_dim(*s), model,
                     want_dim);
    if (rc != EF_OK) {
        ef_store_close(*s);
        *s = NULL;
    }
    return rc;
}

/* %.9g: floats round-trip, so metrics recomputed from the CSV match ours exactly. */
static void write_csv(FILE *f, const ef_model_meta *meta, int K, const char *const *ids, const float *probs,
                      const int32_t *labels, int64_t n, int with_label)
{
    fputs("id", f);
    for (int k = 0; k < K; k++) fprintf(f, ",p_%s", meta->labels[k]);
    fputs(",predicted", f);
    if (with_label) fputs(",label", f);
    fputc('\n', f);
    for (int64_t i = 0; i < n; i++) {
        const float *p = probs + i * K;
        ef_csv_write_field(f, ids[i]);
        for (int k = 0; k < K; k++) fprintf(f, ",%.9g", (double)p[k]);
        fprintf(f, ",%s", meta->labels[ef_argmax(p, K)]);
        if (with_label) fprintf(f, ",%s", labels[i] >= 0 ? meta->labels[labels[i]] : "");
        fputc('\n', f);
    }
}

static void print_report(const ef_eval_result *r, const ef_model_meta *meta)
{
    int K = r->K;
    fprintf(stderr, "AvRec %.1f%% AvAUC %.3f (%lld utterances)\n", 100 * r->av_rec, r->av_auc, (long long)r->n);
    fprintf(stderr, "confusion matrix (rows: true class, columns: predicted):\n%-10s", "");
    for (int j = 0; j < K; j++) fprintf(stderr, " %8.8s", meta->labels[j]);
    fprintf(stderr, " %8s %8s\n", "recall", "AUC");
    for (int k = 0; k < K; k++) {
        fprintf(stderr, "%-10.10s", meta->labels[k]);
        for (int j = 0; j < K; j++) fprintf(stderr, " %8lld", (long long)r->cm[k * K + j]);
        fprintf(stderr, " %8.3f %8.3f\n", r->recall[k], r->auc[k]);
    }
}

int cmd_predict(int argc, char **argv)
{
    predict_args a;
    int prc = parse_args(&a, argc, argv);
    if (prc) return prc < 0 ? 0 : prc;
    if (a.threads > 0) ef_blas_set_threads((int)a.threads);

    ef_error err = {0};
    ef_code rc = EF_OK;
    int ret = -1; /* set for usage errors found after loading the model */
    ef_model *m = NULL;
    ef_model_meta meta;
    memset(&meta, 0, sizeof meta);
    ef_store *ts = NULL, *as = NULL;
    ef_manifest *man = NULL;
    char **file_ids = NULL;
    int64_t n_ids = 0;
    const char **ids = NULL;
    ef_pipeline_data data;
    memset(&data, 0, sizeof data);
    float *probs = NULL;
    ef_atomic_file af;
    memset(&af, 0, sizeof af);

    if ((rc = ef_model_load(&m, &meta, a.model, &err)) != EF_OK) goto out;
    const ef_model_config *cfg = ef_model_config_of(m);
    const char *sys = ef_system_name(cfg->system);
    int need_text = cfg->system != EF_SYS_AUDIO, need_audio = cfg->system != EF_SYS_TEXT, K = cfg->n_classes;
    if (need_text && !a.text_store) {
        ret = cli_usage_error("%s: this %s model needs --text-store (%s features)", a.model, sys, meta.text_kind);
        goto out;
    }
    if (need_audio && !a.audio_store) {
        ret = cli_usage_error("%s: this %s model needs --audio-store (%s features)", a.model, sys, meta.audio_kind);
        goto out;
    }
    if (!need_text && a.text_store) {
        ret = cli_usage_error("%s: this %s model takes no text features (--text-store)", a.model, sys);
        goto out;
    }
    if (!need_audio && a.audio_store) {
        ret = cli_usage_error("%s: this %s model takes no audio features (--audio-store)", a.model, sys);
        goto out;
    }
    if (K > EF_EVAL_MAX_CLASSES || K != meta.n_labels) {
        rc = ef_fail(&err, EF_ERR_FORMAT, "%s: %d classes but %d label names", a.model, K, meta.n_labels);
        goto out;
    }
    if (need_text && (rc = open_checked(&ts, a.text_store, meta.text_kind, cfg->text.input_dim, a.model, &err)) != EF_OK)
        goto out;
    if (need_audio &&
        (rc = open_checked(&as, a.audio_store, meta.audio_kind, cfg->audio.input_dim, a.model, &err)) != EF_OK)
        goto out;

    /* The utterances: the id list, or every id of the (first) store. */
    if (a.ids) {
        if ((rc = features_read_ids(a.ids, &file_ids, &n_ids, &err)) != EF_OK) goto out;
    } else {
        n_ids = ef_store_count(ts ? ts : as);
    }
    ids = calloc((size_t)n_ids + 1, sizeof *ids);
    probs = calloc((size_t)(n_ids + 1) * (size_t)K, sizeof *probs);
    if (!ids || !probs) {
        rc = ef_fail(&err, EF_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int64_t i = 0; i < n_ids; i++) ids[i] = file_ids ? file_ids[i] : ef_store_id(ts ? ts : as, i);
    if (a.manifest && (rc = ef_manifest_load(&man, a.manifest, &err)) != EF_OK) goto out;
    const char *classes[16];
    for (int k = 0; k < K; k++) classes[k] = meta.labels[k];
    ef_pipeline_data_opts dopts = {.text = ts, .audio = as, .manifest = man, .classes = classes, .n_classes = K};
    if ((rc = ef_pipeline_data_assemble(&data, ids, n_ids, &dopts, &err)) != EF_OK) {
        if (rc == EF_ERR_ARG && a.ids) ef_error_prefix(&err, "%s", a.ids);
        goto out;
    }
    int64_t n = data.d.n;
    const char **kept = data.ids;
    const int32_t *labels = data.labels;
    if (data.skipped_empty)
        fprintf(stderr, "predict: skipped %lld utterances with no tokens or frames\n", (long long)data.skipped_empty);
    if (n == 0) {
        rc = ef_fail(&err, EF_ERR_ARG, "%s: no utterance to predict", a.ids ? a.ids : (ts ? a.text_store : a.audio_store));
        goto out;
    }

    ef_dataset d = data.d;
    d.labels = NULL;
    d.audio_mean = meta.audio_mean;
    d.audio_std = meta.audio_std;
    if ((rc = ef_predict(m, &d, (int)a.batch, probs, &err)) != EF_OK) goto out;

    FILE *f = stdout;
    if (a.out) {
        if ((rc = ef_atomic_open(&af, a.out, &err)) != EF_OK) goto out;
        f = af.fp;
    }
    write_csv(f, &meta, K, kept, probs, labels, n, man != NULL);
    if (a.out) {
        if ((rc = ef_atomic_commit(&af, &err)) != EF_OK) goto out;
    } else if (fflush(stdout) != 0 || ferror(stdout)) {
        rc = ef_fail(&err, EF_ERR_IO, "stdout: write failed");
        goto out;
    }
    fprintf(stderr, "predict: %lld utterances%s%s\n", (long long)n, a.out ? " written to " : "", a.out ? a.out : "");

    if (man) {
        if (data.unlabelled)
            fprintf(stderr, "predict: %lld utterances have labels outside the model's classes and are not scored\n",
                    (long long)data.unlabelled);
        ef_eval_result r;
        if ((rc = ef_evaluate(&r, probs, labels, n, K, &err)) != EF_OK) goto out;
        print_report(&r, &meta);
    }

out:
    ef_atomic_abort(&af);
    ef_model_free(m);
    ef_model_meta_free(&meta);
    ef_store_close(ts);
    ef_store_close(as);
    ef_manifest_free(man);
    if (file_ids) features_free_ids(file_ids, n_ids);
    free(ids);
    ef_pipeline_data_free(&data);
    free(probs);
    if (ret >= 0) return ret;
    return rc == EF_OK ? 0 : cli_fail(&err);
}
