/* emofuse classify: the emotion of audio files (+ transcripts) with a trained model,
 * through the library's public API (emofuse.h) only. Prints per file the predicted label
 * and the class probabilities: an aligned table (default), one JSON object per line
 * (--json) or CSV (--csv). --manifest classifies a whole corpus on all cores. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "emofuse/csv.h"
#include "emofuse/emofuse.h"
#include "emofuse/manifest.h"
#include "emofuse/progress.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse classify --model MODEL [--transcript TEXT | --transcripts FILE.csv] AUDIO...\n"
            "       emofuse classify --model MODEL --manifest M\n\n"
            "The emotion of each utterance: predicted label and class probabilities.\n\n"
            "  --model MODEL        model file written by `emofuse train`\n"
            "  --transcript TEXT    the transcript of the AUDIO file(s) (text, ef and lf models)\n"
            "  --transcripts F.csv  transcripts by file: columns `audio` (the AUDIO argument as\n"
            "                       given, or its file name) and `transcript`\n"
            "  --manifest M         classify every row of a corpus manifest (`id`, `audio`,\n"
            "                       `transcript` columns) on all cores, with progress on stderr\n"
            "  --bert DIR           BERT folder (default: the one recorded in the model)\n"
            "  --glove FILE         GloVe file or index (default: the one recorded in the model)\n"
            "  --json               one JSON object per line:\n"
            "                       {\"file\": ..., \"label\": ..., \"probabilities\": {\"angry\": ...}}\n"
            "  --csv                CSV: file,label,p_<label1>,...  (manifest: id first)\n"
            "  --threads N          threads, default 0 = all cores\n"
            "  --batch-size N       utterances per batch with --manifest (default 256)\n"
            "  -q, --quiet          no progress\n\n"
            "A text model needs no AUDIO: `emofuse classify --model M --transcript TEXT`.\n"
            "Errors (a file that cannot be decoded, a missing transcript) are printed on\n"
            "stderr, one line each; then nothing is printed on stdout and the exit status is 1.\n");
}

typedef enum { OUT_TABLE, OUT_JSON, OUT_CSV } out_format;

typedef struct {
    const char *model, *transcript, *transcripts, *manifest, *bert, *glove;
    out_format fmt;
    long threads, batch;
    int quiet;
    char **audio;
    int n_audio;
} classify_args;

static int parse_args(classify_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->batch = 256;
    static const struct option opts[] = {
        {"model", required_argument, 0, 'M'},       {"transcript", required_argument, 0, 't'},
        {"transcripts", required_argument, 0, 'T'}, {"manifest", required_argument, 0, 'm'},
        {"bert", required_argument, 0, 'B'},        {"glove", required_argument, 0, 'G'},
        {"json", no_argument, 0, 'J'},              {"csv", no_argument, 0, 'C'},
        {"threads", required_argument, 0, 'j'},     {"batch-size", required_argument, 0, 'b'},
        {"quiet", no_argument, 0, 'q'},             {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c, fmts = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "M:t:T:m:B:G:JCj:b:qh", opts, "classify")) != -1) {
        switch (c) {
        case 'M': a->model = optarg; break;
        case 't': a->transcript = optarg; break;
        case 'T': a->transcripts = optarg; break;
        case 'm': a->manifest = optarg; break;
        case 'B': a->bert = optarg; break;
        case 'G': a->glove = optarg; break;
        case 'J': a->fmt = OUT_JSON; fmts++; break;
        case 'C': a->fmt = OUT_CSV; fmts++; break;
        case 'q': a->quiet = 1; break;
        case 'j':
            if (!cli_parse_int("--threads", optarg, 0, 4096, &a->threads)) return 2;
            break;
        case 'b':
            if (!cli_parse_int("--batch-size", optarg, 1, 1000000, &a->batch)) return 2;
            break;
        case 'h': usage(stdout); return -1;
        default: return 2;
        }
    }
    a->audio = argv + optind;
    a->n_audio = argc - optind;
    if (!a->model) return cli_usage_error("classify: --model is required");
    if (fmts > 1) return cli_usage_error("classify: give at most one of --json and --csv");
    if (a->transcript && a->transcripts)
        return cli_usage_error("classify: give --transcript or --transcripts, not both");
    if (a->manifest && (a->n_audio || a->transcript || a->transcripts))
        return cli_usage_error("classify: --manifest takes no AUDIO, --transcript or --transcripts");
    if (!a->manifest && !a->n_audio && !a->transcript)
        return cli_usage_error("classify: give AUDIO files, --transcript (text models) or --manifest");
    return 0;
}

/* JSON string with the escapes RFC 8259 requires. */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p == '\r') fputs("\\r", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* %.9g: floats round-trip, so a program reading the output gets our exact numbers. */
static void print_results(const ef_classifier *c, out_format fmt, const char *const *ids, const char *const *files,
                          const ef_result *r, int64_t n)
{
    int K = ef_classifier_n_classes(c);
    if (fmt == OUT_JSON) {
        for (int64_t i = 0; i < n; i++) {
            fputc('{', stdout);
            if (ids) {
                fputs("\"id\": ", stdout);
                json_string(stdout, ids[i]);
                fputs(", ", stdout);
            }
            fputs("\"file\": ", stdout);
            json_string(stdout, files[i]);
            fputs(", \"label\": ", stdout);
            json_string(stdout, ef_classifier_label(c, r[i].label));
            fputs(", \"probabilities\": {", stdout);
            for (int k = 0; k < K; k++) {
                if (k) fputs(", ", stdout);
                json_string(stdout, ef_classifier_label(c, k));
                printf(": %.9g", (double)r[i].probs[k]);
            }
            fputs("}}\n", stdout);
        }
    } else if (fmt == OUT_CSV) {
        printf("%sfile,label", ids ? "id," : "");
        for (int k = 0; k < K; k++) printf(",p_%s", ef_classifier_label(c, k));
        putchar('\n');
        for (int64_t i = 0; i < n; i++) {
            if (ids) {
                ef_csv_write_field(stdout, ids[i]);
                putchar(',');
            }
            ef_csv_write_field(stdout, files[i]);
            printf(",%s", ef_classifier_label(c, r[i].label));
            for (int k = 0; k < K; k++) printf(",%.9g", (double)r[i].probs[k]);
            putchar('\n');
        }
    } else {
        int w = 4, lw = 5;
        for (int64_t i = 0; i < n; i++) {
            int l = (int)strlen(ids ? ids[i] : files[i]);
            if (l > w) w = l;
        }
        for (int k = 0; k < K; k++) {
            int l = (int)strlen(ef_classifier_label(c, k));
            if (l > lw) lw = l;
        }
        int pw = lw > 7 ? lw : 7;
        printf("%-*s  %-*s", w, ids ? "id" : "file", lw, "label");
        for (int k = 0; k < K; k++) printf("  %*s", pw, ef_classifier_label(c, k));
        putchar('\n');
        for (int64_t i = 0; i < n; i++) {
            printf("%-*s  %-*s", w, ids ? ids[i] : files[i], lw, ef_classifier_label(c, r[i].label));
            for (int k = 0; k < K; k++) printf("  %*.4f", pw, (double)r[i].probs[k]);
            putchar('\n');
        }
    }
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The transcript of an AUDIO argument from --transcripts: the row whose `audio` cell is
 * the argument as given, else the one whose file name matches. */
static const char *lookup_transcript(const ef_csv *t, int acol, int tcol, const char *audio)
{
    for (int64_t r = 0; r < t->rows; r++)
        if (strcmp(ef_csv_cell(t, r, acol), audio) == 0) return ef_csv_cell(t, r, tcol);
    for (int64_t r = 0; r < t->rows; r++)
        if (strcmp(base_name(ef_csv_cell(t, r, acol)), base_name(audio)) == 0) return ef_csv_cell(t, r, tcol);
    return NULL;
}

static int report_failures(const ef_error *errs, const char *const *names, int64_t n)
{
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (errs[i].code) {
            size_t k = strlen(names[i]);
            if (strncmp(errs[i].msg, names[i], k) == 0 && errs[i].msg[k] == ':') /* already named */
                fprintf(stderr, "error: %s\n", errs[i].msg);
            else fprintf(stderr, "error: %s: %s\n", names[i], errs[i].msg);
            bad++;
        }
    if (bad && n > 1) fprintf(stderr, "classify: %lld of %lld utterances failed\n", (long long)bad, (long long)n);
    return bad ? 1 : 0;
}

int cmd_classify(int argc, char **argv)
{
    classify_args a;
    int prc = parse_args(&a, argc, argv);
    if (prc) return prc < 0 ? 0 : prc;
    ef_error err = {0};
    ef_classifier_params p = ef_classifier_default_params();
    p.n_threads = (int)a.threads;
    p.bert_folder = a.bert;
    p.glove_path = a.glove;
    ef_classifier *c = NULL;
    if (ef_classifier_load(&c, a.model, &p, &err) != EF_OK) return cli_fail(&err);

    int ret = 0;
    ef_csv tr;
    memset(&tr, 0, sizeof tr);
    ef_manifest *man = NULL;
    int64_t n = a.manifest ? 0 : (a.n_audio ? a.n_audio : 1);
    ef_utterance *u = NULL;
    ef_result *res = NULL;
    ef_error *errs = NULL;
    const char **files = NULL, **ids = NULL;
    char **paths = NULL;

    if (a.manifest) {
        if (ef_manifest_load(&man, a.manifest, &err) != EF_OK) {
            ret = cli_fail(&err);
            goto out;
        }
        n = ef_manifest_rows(man);
    }
    u = calloc((size_t)n + 1, sizeof *u);
    res = calloc((size_t)n + 1, sizeof *res);
    errs = calloc((size_t)n + 1, sizeof *errs);
    files = calloc((size_t)n + 1, sizeof *files);
    ids = calloc((size_t)n + 1, sizeof *ids);
    paths = calloc((size_t)n + 1, sizeof *paths);
    if (!u || !res || !errs || !files || !ids || !paths) {
        ef_fail(&err, EF_ERR_NOMEM, "out of memory");
        ret = cli_fail(&err);
        goto out;
    }

    if (a.manifest) {
        int acol = ef_manifest_column(man, "audio"), tcol = ef_manifest_column(man, "transcript");
        if (ef_classifier_needs_audio(c) && acol < 0) {
            ef_fail(&err, EF_ERR_ARG, "%s: no 'audio' column, and this %s model needs audio", a.manifest,
                    ef_classifier_system(c));
            ret = cli_fail(&err);
            goto out;
        }
        if (ef_classifier_needs_text(c) && tcol < 0) {
            ef_fail(&err, EF_ERR_ARG, "%s: no 'transcript' column, and this %s model needs transcripts", a.manifest,
                    ef_classifier_system(c));
            ret = cli_fail(&err);
            goto out;
        }
        for (int64_t i = 0; i < n; i++) {
            ids[i] = ef_manifest_id(man, i);
            files[i] = acol >= 0 ? ef_manifest_cell(man, i, acol) : "";
            if (acol >= 0 && ef_classifier_needs_audio(c)) {
                if (!(paths[i] = ef_manifest_audio_path(man, i))) {
                    ef_fail(&err, EF_ERR_NOMEM, "out of memory");
                    ret = cli_fail(&err);
                    goto out;
                }
                u[i].audio_path = paths[i];
            }
            if (tcol >= 0 && ef_classifier_needs_text(c)) u[i].transcript = ef_manifest_cell(man, i, tcol);
        }
        ef_progress *pg = a.quiet ? NULL : ef_progress_new("classify", n, stderr, -1);
        for (int64_t s = 0; s < n && !ef_interrupted(); s += a.batch) {
            int64_t k = n - s < a.batch ? n - s : a.batch;
            ef_classify_batch(c, u + s, k, res + s, errs + s, NULL);
            ef_progress_step(pg, k);
        }
        ef_progress_finish(pg);
        if (ef_interrupted()) {
            fprintf(stderr, "error: interrupted\n");
            ret = 130;
            goto out;
        }
    } else {
        int acol = -1, tcol = -1;
        if (a.transcripts) {
            if (ef_csv_load(&tr, a.transcripts, ',', &err) != EF_OK) {
                ret = cli_fail(&err);
                goto out;
            }
            acol = ef_csv_column(&tr, "audio");
            if (acol < 0) acol = ef_csv_column(&tr, "file");
            tcol = ef_csv_column(&tr, "transcript");
            if (acol < 0 || tcol < 0) {
                ef_fail(&err, EF_ERR_ARG, "%s: needs an `audio` (or `file`) and a `transcript` column", a.transcripts);
                ret = cli_fail(&err);
                goto out;
            }
        }
        for (int64_t i = 0; i < n; i++) {
            files[i] = a.n_audio ? a.audio[i] : "-";
            if (a.n_audio && ef_classifier_needs_audio(c)) u[i].audio_path = a.audio[i];
            u[i].transcript = a.transcript;
            if (a.transcripts && !(u[i].transcript = lookup_transcript(&tr, acol, tcol, files[i])) &&
                ef_classifier_needs_text(c))
                ef_fail(&errs[i], EF_ERR_ARG, "no row in %s", a.transcripts);
        }
        if (!a.n_audio && ef_classifier_needs_audio(c)) {
            ef_fail(&err, EF_ERR_ARG, "%s: this %s model needs AUDIO files", a.model, ef_classifier_system(c));
            ret = cli_usage_error("%s", err.msg);
            goto out;
        }
        /* Rows already failed (no transcript row) keep their message. */
        ef_error *pre = calloc((size_t)n, sizeof *pre);
        if (!pre) {
            ef_fail(&err, EF_ERR_NOMEM, "out of memory");
            ret = cli_fail(&err);
            goto out;
        }
        memcpy(pre, errs, sizeof *pre * (size_t)n);
        ef_classify_batch(c, u, n, res, errs, NULL);
        for (int64_t i = 0; i < n; i++)
            if (pre[i].code) errs[i] = pre[i];
        free(pre);
    }
    if ((ret = report_failures(errs, a.manifest ? ids : files, n)) != 0) goto out;
    print_results(c, a.fmt, a.manifest ? ids : NULL, files, res, n);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ef_fail(&err, EF_ERR_IO, "stdout: write failed");
        ret = cli_fail(&err);
    }

out:
    for (int64_t i = 0; paths && i < n; i++) free(paths[i]);
    free(paths);
    free(u);
    free(res);
    free(errs);
    free(files);
    free(ids);
    ef_csv_free(&tr);
    ef_manifest_free(man);
    ef_classifier_free(c);
    return ret;
}
