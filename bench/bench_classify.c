/* Latency of classifying one utterance through emofuse.h (bench/run_classify.sh):
 *   bench_classify run --model MODEL --wav WAV --text TEXT [--repeat N] [--threads N]
 *                      [--dump-lld FILE] [--clock wall|cpu]
 *       MODEL: a model file written by `emofuse train` on BERT + LLD features (ef).
 *       cold: classifier load and the first ef_classify_file, from main() (--repeat 0:
 *       nothing else, so the process's wall time and peak memory are the cold start's);
 *       warm, best of N: each stage alone as the classifier runs it (decode, LLDs with
 *       the model's recorded parameters, tokenise, BERT with the recorded layers, model)
 *       and the whole ef_classify_file (--clock cpu: stages in process CPU time).
 *       --dump-lld writes the utterance's LLD matrix
 *       (raw float32, frames x 36) for the Python pipeline, which has no LLD extractor.
 * Prints one line of key=value (milliseconds), ending with the probabilities. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emofuse/audio.h"
#include "emofuse/bert.h"
#include "emofuse/emofuse.h"
#include "emofuse/nn_model.h"
#include "emofuse/parallel.h"
#include "emofuse/pipeline.h"
#include "emofuse/progress.h"
#include "emofuse/tokenizer.h"

static const char *arg(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return def;
}

static int die(const ef_error *e)
{
    fprintf(stderr, "error: %s\n", e->msg);
    return 1;
}

/* --clock cpu: the stages in process CPU seconds (one thread: the work itself, whatever
 * else the machine runs); wall otherwise. Load and first result are always wall. */
static int cpu_clock;

static double stage_now(void)
{
    if (!cpu_clock) return ef_now();
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define BEST(var, expr)                                                                                 \
    do {                                                                                                \
        double t_ = stage_now();                                                                        \
        expr;                                                                                           \
        t_ = (stage_now() - t_) * 1e3;                                                                  \
        if (var < 0 || t_ < var) var = t_;                                                              \
    } while (0)

static int run(int argc, char **argv, double t_main)
{
    const char *model = arg(argc, argv, "--model", NULL), *wav = arg(argc, argv, "--wav", NULL),
               *text = arg(argc, argv, "--text", NULL), *dump = arg(argc, argv, "--dump-lld", NULL);
    int repeat = atoi(arg(argc, argv, "--repeat", "5")), threads = atoi(arg(argc, argv, "--threads", "1"));
    cpu_clock = strcmp(arg(argc, argv, "--clock", "wall"), "cpu") == 0;
    if (!model || !wav || !text) {
        fprintf(stderr, "usage: bench_classify run --model MODEL --wav WAV --text TEXT [--repeat N] [--threads N]\n");
        return 2;
    }
    ef_blas_set_threads(threads);
    ef_error err = {0};
    ef_classifier_params p = ef_classifier_default_params();
    p.n_threads = threads;
    ef_classifier *c = NULL;
    if (ef_classifier_load(&c, model, &p, &err)) return die(&err);
    double t_loaded = ef_now();
    ef_result r;
    if (ef_classify_file(c, wav, text, &r, &err)) return die(&err);
    double t_first = ef_now();
    char probs[EF_MAX_CLASSES * 12] = "";
    for (int k = 0, o = 0; k < ef_classifier_n_classes(c); k++)
        o += snprintf(probs + o, sizeof probs - (size_t)o, "%s%.6f", k ? "," : "", r.probs[k]);
    if (repeat <= 0) { /* cold start only: the process ends with its first result */
        printf("load_ms=%.1f first_ms=%.1f label=%s probs=%s\n", (t_loaded - t_main) * 1e3,
               (t_first - t_main) * 1e3, ef_classifier_label(c, r.label), probs);
        ef_classifier_free(c);
        return 0;
    }

    /* The stages, with the pieces the classifier uses (LLD defaults, BERT last 4 summed). */
    const char *bdir = NULL;
    ef_model_meta meta;
    ef_model *m = NULL;
    if (ef_model_load(&m, &meta, model, &err)) return die(&err);
    ef_pipeline_text_source src;
    if (ef_pipeline_text_source_of(meta.text_features, &src, model, &err)) return die(&err);
    bdir = src.path;
    ef_bert_model *bert = NULL;
    ef_vocab *vocab = NULL;
    ef_tokenizer *tok = NULL;
    /* ef_bert_load alone, a second mapping of the file the classifier holds (page cache
     * warm): what it costs inside the cold start. */
    int was_cpu = cpu_clock;
    cpu_clock = 1;
    double bl_wall = ef_now(), bl_cpu = stage_now();
    if (ef_bert_load(&bert, bdir, &err)) return die(&err);
    bl_wall = (ef_now() - bl_wall) * 1e3, bl_cpu = (stage_now() - bl_cpu) * 1e3;
    cpu_clock = was_cpu;
    if (ef_vocab_load(&vocab, ef_bert_model_vocab_path(bert), &err) || ef_tokenizer_create(&tok, vocab, &err)) return die(&err);
    ef_lld_params lp;
    if (ef_pipeline_lld_params_of(meta.audio_features, &lp, model, &err)) return die(&err);
    ef_bert_feat_opts bo = src.bert;
    bo.n_threads = threads;
    double t_dec = -1, t_lld = -1, t_tokc = -1, t_tok = -1, t_bert = -1, t_model = -1, t_e2e = -1;
    float *x = NULL, *lld = NULL, *feat = NULL;
    int64_t n = 0, T = 0;
    ef_token_ids ids = {0};
    int words = 0;
    for (const char *s = text; *s; s++) words += (s == text || s[-1] == ' ') && *s != ' ';
    for (int i = 0; i < repeat; i++) {
        free(x);
        free(lld);
        BEST(t_dec, if (ef_audio_load(wav, lp.sample_rate, &x, &n, &err)) return die(&err));
        BEST(t_lld, if (ef_lld_compute(&lp, x, n, &lld, &T, &err)) return die(&err));
        /* ef_classify builds a tokenizer for every call (classifier_run.c, bert_all) */
        ef_tokenizer *tk2 = NULL;
        BEST(t_tokc, if (ef_tokenizer_create(&tk2, vocab, &err)) return die(&err));
        ef_tokenizer_free(tk2);
        ef_token_ids_free(&ids);
        BEST(t_tok, if (ef_tokenizer_encode(tok, text, strlen(text), 0, &ids, &err)) return die(&err));
        int R = ef_bert_feat_rows(bert, &bo, (int)ids.count);
        free(feat);
        feat = malloc(sizeof(float) * (size_t)R * (size_t)ef_bert_model_config(bert)->hidden);
        const int32_t *pc = ids.id;
        int len = (int)ids.count;
        BEST(t_bert, if (ef_bert_features(bert, &bo, 1, &pc, &len, &feat, &err)) return die(&err));
        const float *trow = feat, *arow = lld;
        int64_t tT = R, aT = T;
        float pm[EF_MAX_CLASSES];
        ef_dataset d = {.n = 1, .text_rows = &trow, .text_T = &tT, .audio_rows = &arow, .audio_T = &aT,
                        .audio_mean = meta.audio_mean, .audio_std = meta.audio_std};
        BEST(t_model, if (ef_predict(m, &d, 1, pm, &err)) return die(&err));
        BEST(t_e2e, if (ef_classify_file(c, wav, text, &r, &err)) return die(&err));
    }
    if (dump) {
        FILE *f = fopen(dump, "wb");
        if (!f || fwrite(lld, sizeof(float) * EF_LLD_DIMS, (size_t)T, f) != (size_t)T || fclose(f)) {
            fprintf(stderr, "error: %s: cannot write the LLDs\n", dump);
            return 1;
        }
    }
    printf("audio_s=%.3f words=%d pieces=%zu frames=%lld load_ms=%.1f first_ms=%.1f bert_load_ms=%.1f "
           "bert_load_cpu_ms=%.1f decode_ms=%.2f lld_ms=%.2f tokenizer_create_ms=%.3f tokenize_ms=%.3f "
           "bert_ms=%.2f model_ms=%.3f e2e_ms=%.2f bert_weight_bytes=%lld label=%s probs=%s\n",
           (double)n / lp.sample_rate, words, ids.count, (long long)T, (t_loaded - t_main) * 1e3,
           (t_first - t_main) * 1e3, bl_wall, bl_cpu, t_dec, t_lld, t_tokc, t_tok, t_bert, t_model, t_e2e,
           (long long)ef_bert_model_weight_bytes(bert), ef_classifier_label(c, r.label), probs);
    ef_token_ids_free(&ids);
    free(x);
    free(lld);
    free(feat);
    ef_tokenizer_free(tok);
    ef_vocab_free(vocab);
    ef_bert_free(bert);
    ef_model_free(m);
    ef_model_meta_free(&meta);
    ef_classifier_free(c);
    return 0;
}

int main(int argc, char **argv)
{
    double t_main = ef_now();
    if (argc >= 2 && strcmp(argv[1], "run") == 0) return run(argc, argv, t_main);
    fprintf(stderr, "usage: bench_classify run --model MODEL --wav WAV --text TEXT [--repeat N] [--threads N]\n"
                    "                          [--dump-lld FILE] [--clock wall|cpu]\n");
    return 2;
}
