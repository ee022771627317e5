/* emofuse embed: BERT embeddings of one text written to a safetensors file.
 *   input_ids     I32 [T]           [CLS] word-pieces [SEP]
 *   embeddings    F32 [T-2, H]      per word-piece feature (default: sum of the last 4
 *                                   hidden states; [T, H] with --keep-special)
 *   hidden_states F32 [L+1, T, H]   with --all-layers (state 0 = embedding output)
 * The layout is stable: acceptance checks compare it with an independent implementation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "emofuse/bert.h"
#include "emofuse/safetensors.h"
#include "emofuse/tokenizer.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse embed --model DIR --text TEXT --out FILE.safetensors [options]\n\n"
            "Tokenizes TEXT with the model's vocab.txt and runs BERT on it.\n\n"
            "options:\n"
            "  -m, --model DIR        HuggingFace BERT folder (config.json, vocab.txt, model.safetensors)\n"
            "  -t, --text TEXT        UTF-8 text\n"
            "  -o, --out FILE         output .safetensors (written atomically)\n"
            "  -a, --all-layers       also write hidden_states [L+1, T, H]\n"
            "      --layers FIRST:N   hidden states combined into embeddings (default: last 4 = L-3:4)\n"
            "      --mean             average the layers instead of summing them\n"
            "      --keep-special     include [CLS] and [SEP] rows in embeddings\n"
            "      --truncate         cut texts longer than max positions - 2 (default: overlapping windows)\n"
            "      --stride N         word-pieces between window starts (default: (max positions - 2) / 2)\n"
            "      --threads N        threads (default 0 = all cores)\n"
            "  -h, --help             this help\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_embed(int argc, char **argv)
{
    const char *model_dir = NULL, *text = NULL, *out_path = NULL;
    int all_layers = 0;
    ef_bert_feat_opts o = ef_bert_feat_default_params();
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"text", required_argument, 0, 't'},
                                         {"out", required_argument, 0, 'o'},
                                         {"all-layers", no_argument, 0, 'a'},
                                         {"layers", required_argument, 0, 'L'},
                                         {"mean", no_argument, 0, 'M'},
                                         {"keep-special", no_argument, 0, 'K'},
                                         {"truncate", no_argument, 0, 'T'},
                                         {"stride", required_argument, 0, 'S'},
                                         {"threads", required_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    long v;
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "m:t:o:ah", opts, "embed")) != -1) {
        switch (c) {
        case 'm': model_dir = optarg; break;
        case 't': text = optarg; break;
        case 'o': out_path = optarg; break;
        case 'a': all_layers = 1; break;
        case 'L':
            if (!cli_parse_layers("--layers", optarg, &o.layer_first, &o.layer_count)) return 2;
            break;
        case 'M': o.mean = 1; break;
        case 'K': o.keep_special = 1; break;
        case 'T': o.truncate = 1; break;
        case 'S':
            if (!cli_parse_int("--stride", optarg, 1, 1 << 20, &v)) return 2;
            o.window_stride = (int)v;
            break;
        case 'j':
            if (!cli_parse_int("--threads", optarg, 0, 4096, &v)) return 2;
            o.n_threads = (int)v;
            break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind < argc)
        return cli_usage_error("embed: unexpected argument '%s' (the text comes with -t/--text)", argv[optind]);
    if (!model_dir || !text || !out_path) return cli_usage_error("embed needs --model, --text and --out");

    ef_error err = {0};
    double t0 = now_s();
    ef_bert_model *m = NULL;
    ef_vocab *vocab = NULL;
    ef_tokenizer *tok = NULL;
    ef_token_ids pieces = {0};
    float *emb = NULL, *hs = NULL;
    int32_t *ids = NULL;
    ef_safetensors_writer *w = NULL;
    int rc = 1;
    if (ef_bert_load(&m, model_dir, &err) || ef_vocab_load(&vocab, ef_bert_model_vocab_path(m), &err) ||
        ef_tokenizer_create(&tok, vocab, &err))
        goto done;
    if (ef_vocab_size(vocab) != ef_bert_model_config(m)->vocab_size) {
        ef_fail(&err, EF_ERR_FORMAT, "%s: vocabulary size %d differs from the model's %d", ef_bert_model_vocab_path(m),
                (int)ef_vocab_size(vocab), ef_bert_model_config(m)->vocab_size);
        goto done;
    }
    double t1 = now_s();
    if (ef_tokenizer_encode(tok, text, strlen(text), 0, &pieces, &err)) goto done;
    int n = (int)pieces.count, C = ef_bert_model_config(m)->hidden, L = ef_bert_model_config(m)->n_layers;
    int rows = ef_bert_feat_rows(m, &o, n);
    int T = ef_bert_feat_rows(m, &(ef_bert_feat_opts){.truncate = o.truncate, .keep_special = 1}, n);
    emb = malloc(((size_t)rows + 1) * C * sizeof(float));
    ids = malloc((size_t)T * sizeof(int32_t));
    if (!emb || !ids) {
        ef_fail(&err, EF_ERR_NOMEM, "embed: out of memory");
        goto done;
    }
    ids[0] = ef_bert_model_cls_id(m);
    memcpy(ids + 1, pieces.id, (size_t)(T - 2) * sizeof(int32_t));
    ids[T - 1] = ef_bert_model_sep_id(m);
    const int32_t *pp[1] = {pieces.id};
    float *outs[1] = {emb};
    if (ef_bert_features(m, &o, 1, pp, &n, outs, &err)) goto done;
    if (all_layers) {
        hs = malloc((size_t)(L + 1) * T * C * sizeof(float));
        int T2 = 0;
        if (!hs) {
            ef_fail(&err, EF_ERR_NOMEM, "embed: out of memory");
            goto done;
        }
        if (ef_bert_hidden_states(m, &o, pieces.id, n, hs, &T2, &err)) goto done;
        EF_ASSERT(T2 == T);
    }
    double t2 = now_s();
    w = ef_safetensors_writer_new();
    if (!w) {
        ef_fail(&err, EF_ERR_NOMEM, "embed: out of memory");
        goto done;
    }
    int64_t s_ids[1] = {T}, s_emb[2] = {rows, C}, s_hs[3] = {L + 1, T, C};
    char layers_str[64];
    int first = o.layer_first < 0 ? (L - 3 < 0 ? 0 : L - 3) : o.layer_first;
    int count = o.layer_first < 0 && first + o.layer_count - 1 > L ? L - first + 1 : o.layer_count;
    snprintf(layers_str, sizeof layers_str, "%d:%d", first, count);
    if (ef_safetensors_writer_add(w, "input_ids", EF_DT_I32, 1, s_ids, ids, &err) ||
        ef_safetensors_writer_add(w, "embeddings", EF_DT_F32, 2, s_emb, emb, &err) ||
        (all_layers && ef_safetensors_writer_add(w, "hidden_states", EF_DT_F32, 3, s_hs, hs, &err)) ||
        ef_safetensors_writer_meta(w, "layers", layers_str, &err) ||
        ef_safetensors_writer_meta(w, "combine", o.mean ? "mean" : "sum", &err) ||
        ef_safetensors_writer_meta(w, "special_rows", o.keep_special ? "included" : "excluded", &err) ||
        ef_safetensors_writer_save(w, out_path, &err))
        goto done;
    fprintf(stderr, "embed: %d word-pieces, load %.1f ms, compute %.1f ms\n", n, 1e3 * (t1 - t0), 1e3 * (t2 - t1));
    rc = 0;
done:
    if (rc) cli_fail(&err);
    ef_safetensors_writer_free(w);
    free(ids);
    free(emb);
    free(hs);
    ef_token_ids_free(&pieces);
    ef_tokenizer_free(tok);
    ef_vocab_free(vocab);
    ef_bert_free(m);
    return rc;
}
