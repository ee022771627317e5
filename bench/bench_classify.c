/* Latency of classifying one utterance through emofuse.h (bench/run_classify.sh):
 *   bench_classify make-model --bert DIR --out MODEL
 *       an early-fusion model with random weights over DIR's BERT features (its hidden
 *       size) and the 36 LLDs, recording DIR as `emofuse train` would (timing only)
 *   bench_classify run --model MODEL --wav WAV --text TEXT [--repeat N] [--threads N]
 *       cold: classifier load and the first ef_classify_file, from main() (--repeat 0:
 *       nothing else, so the process's wall time and peak memory are the cold start's);
 *       warm, best of N: each stage alone as the classifier runs it (decode, LLDs,
 *       tokenise, BERT, model) and the whole ef_classify_file.
 * Prints one line of key=value (milliseconds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int make_model(const char *bert_dir, const char *out)
{
    ef_error err = {0};
    ef_bert_config bc;
    char p[1200], ch[17], vh[17];
    snprintf(p, sizeof p, "%s/config.json", bert_dir);
    if (ef_bert_config_load(&bc, p, &err) || ef_bert_identity(bert_dir, ch, vh, &err)) return die(&err);
    ef_model_config cfg = ef_model_config_default(EF_SYS_EF);
    cfg.text.input_dim = bc.hidden;
    ef_model *m = NULL;
    if (ef_model_create(&m, &cfg, &err)) return die(&err);
    ef_rng rng;
    ef_rng_seed(&rng, 1);
    ef_params_init(ef_model_params(m), NULL, &rng);
    ef_model_meta meta;
    memset(&meta, 0, sizeof meta);
    strcpy(meta.text_kind, "bert");
    strcpy(meta.audio_kind, "audio-lld");
    meta.n_labels = 4;
    const char *names[4] = {"angry", "happy", "sad", "neutral"};
    for (int k = 0; k < 4; k++) strcpy(meta.labels[k], names[k]);
    float mean[EF_LLD_DIMS] = {0}, std[EF_LLD_DIMS];
    for (int d = 0; d < EF_LLD_DIMS; d++) std[d] = 1.0f;
    meta.audio_mean = mean;
    meta.audio_std = std;
    char tf[2400];
    snprintf(tf, sizeof tf,
             "{\"extractor\":\"emofuse-bert-1\",\"model\":\"%s\",\"layers\":%d,\"hidden\":%d,\"vocab\":%d,"
             "\"layer_first\":-1,\"layer_count\":4,\"mean\":0,\"keep_special\":0,\"truncate\":0,"
             "\"config_fnv\":\"%s\",\"vocab_fnv\":\"%s\"}",
             bert_dir, bc.n_layers, bc.hidden, bc.vocab_size, ch, vh);
    meta.text_features = tf;
    meta.audio_features = NULL; /* the LLD defaults */
    ef_code rc = ef_model_save(m, &meta, out, &err);
    ef_model_free(m);
    return rc ? die(&err) : 0;
}

#define BEST(var, expr)                                                                                 \
    do {                                                                                                \
        double t_ = ef_now();                                                                           \
        expr;                                                                                           \
        t_ = (ef_now() - t_) * 1e3;                                                                     \
        if (var < 0 || t_ < var) var = t_;                                                              \
    } while (0)

static int run(int argc, char **argv, double t_main)
{
    const char *model = arg(argc, argv, "--model", NULL), *wav = arg(argc, argv, "--wav", NULL),
               *text = arg(argc, argv, "--text", NULL);
    int repeat = atoi(arg(argc, argv, "--repeat", "5")), threads = atoi(arg(argc, argv, "--threads", "1"));
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
    if (repeat <= 0) { /* cold start only: the process ends with its first result */
        printf("load_ms=%.1f first_ms=%.1f label=%s\n", (t_loaded - t_main) * 1e3, (t_first - t_main) * 1e3,
               ef_classifier_label(c, r.label));
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
    if (ef_bert_load(&bert, bdir, &err) || ef_vocab_load(&vocab, bert->vocab_path, &err) ||
        ef_tokenizer_create(&tok, vocab, &err))
        return die(&err);
    ef_lld_params lp = ef_lld_default_params();
    ef_bert_feat_opts bo = src.bert;
    bo.n_threads = threads;
    double t_dec = -1, t_lld = -1, t_tok = -1, t_bert = -1, t_model = -1, t_e2e = -1;
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
        BEST(t_tok, if (ef_tokenizer_encode(tok, text, strlen(text), 0, &ids, &err)) return die(&err));
        int R = ef_bert_feat_rows(bert, &bo, (int)ids.count);
        free(feat);
        feat = malloc(sizeof(float) * (size_t)R * (size_t)bert->cfg.hidden);
        const int32_t *pc = ids.id;
        int len = (int)ids.count;
        BEST(t_bert, if (ef_bert_features(bert, &bo, 1, &pc, &len, &feat, &err)) return die(&err));
        const float *trow = feat, *arow = lld;
        int64_t tT = R, aT = T;
        float probs[4];
        ef_dataset d = {.n = 1, .text_rows = &trow, .text_T = &tT, .audio_rows = &arow, .audio_T = &aT,
                        .audio_mean = meta.audio_mean, .audio_std = meta.audio_std};
        BEST(t_model, if (ef_predict(m, &d, 1, probs, &err)) return die(&err));
        BEST(t_e2e, if (ef_classify_file(c, wav, text, &r, &err)) return die(&err));
    }
    printf("audio_s=%.3f words=%d pieces=%zu frames=%lld load_ms=%.1f first_ms=%.1f decode_ms=%.2f lld_ms=%.2f "
           "tokenize_ms=%.3f bert_ms=%.2f model_ms=%.3f e2e_ms=%.2f bert_weight_mb=%.1f label=%s\n",
           (double)n / lp.sample_rate, words, ids.count, (long long)T, (t_loaded - t_main) * 1e3,
           (t_first - t_main) * 1e3, t_dec, t_lld, t_tok, t_bert, t_model, t_e2e,
           (double)bert->weight_bytes / 1048576.0, ef_classifier_label(c, r.label));
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
    if (argc >= 2 && strcmp(argv[1], "make-model") == 0) {
        const char *b = arg(argc, argv, "--bert", NULL), *o = arg(argc, argv, "--out", NULL);
        if (!b || !o) return 2;
        return make_model(b, o);
    }
    if (argc >= 2 && strcmp(argv[1], "run") == 0) return run(argc, argv, t_main);
    fprintf(stderr, "usage: bench_classify make-model|run ...\n");
    return 2;
}
