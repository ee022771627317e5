/* emofuse features text: BERT or GloVe embeddings of a manifest's `transcript` column (or
 * of one shard of its rows) into a resumable feature store (same format and behaviour as
 * `features audio`). Options here; the build is ef_pipeline_text_features. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/features_common.h"
#include "emofuse/pipeline_features.h"

static void usage(FILE *out)
{
    ef_pipeline_text_params d = ef_pipeline_text_default_params();
    fprintf(out,
            "usage: emofuse features text --manifest CSV --out STORE (--model DIR | --glove FILE) [options]\n\n"
            "Embeds every row's `transcript` into STORE, one (T, D) tensor per id: BERT word-piece\n"
            "features (the paper: sum of the last 4 hidden layers, [CLS]/[SEP] excluded, D = 768 for\n"
            "bert-base) or GloVe word vectors (zero for words outside the vocabulary).\n\n"
            "  -m, --manifest CSV     corpus manifest (columns id, transcript, ...)\n"
            "  -o, --out FILE         feature store to create or update\n"
            "      --model DIR        HuggingFace BERT folder (config.json, vocab.txt, model.safetensors)\n"
            "      --glove FILE       GloVe text file (indexed once into NAME.efg, as `models glove-index` does) or such an index\n"
            "      --column NAME      text column (default %s)\n"
            "      --layers FIRST:N   hidden states combined (default: the last %d)\n"
            "      --mean             average the layers instead of summing them\n"
            "      --keep-special     keep the [CLS] and [SEP] rows\n"
            "      --truncate         cut texts longer than the model (default: overlapping windows)\n"
            "      --batch N          texts per BERT batch (default %d)\n"
            "  -t, --threads N        threads (default 0 = all cores)\n"
            "      --shard I/N        only the I-th of N equal blocks of manifest rows (in manifest\n"
            "                         order), e.g. --shard 2/8 --out bert.part2.safetensors; join the\n"
            "                         parts with `emofuse features merge` (default 1/1)\n"
            "      --verify-content   accepted for symmetry with `features audio`: text stores are\n"
            "                         always keyed on a hash of the transcript itself\n"
            "  -q, --quiet            no progress output\n",
            d.column, d.bert.layer_count, d.bert_batch);
}

int cmd_features_text(int argc, char **argv)
{
    const char *manifest_path = NULL, *out = NULL;
    ef_pipeline_text_params tp = ef_pipeline_text_default_params();
    ef_pipeline_feature_opts o = ef_pipeline_feature_default_params();
    long threads = 0, batch = tp.bert_batch;
    int quiet = 0;
    static const struct option opts[] = {
        {"manifest", required_argument, 0, 'm'}, {"out", required_argument, 0, 'o'},
        {"model", required_argument, 0, 1},      {"glove", required_argument, 0, 2},
        {"column", required_argument, 0, 3},     {"layers", required_argument, 0, 4},
        {"mean", no_argument, 0, 5},             {"keep-special", no_argument, 0, 6},
        {"truncate", no_argument, 0, 7},         {"batch", required_argument, 0, 8},
        {"shard", required_argument, 0, 9},      {"threads", required_argument, 0, 't'},
        {"verify-content", no_argument, 0, 10},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "m:o:t:qh", opts, "features text")) != -1) {
        switch (c) {
        case 'm': manifest_path = optarg; break;
        case 'o': out = optarg; break;
        case 1: tp.bert_model = optarg; break;
        case 2: tp.glove = optarg; break;
        case 3: tp.column = optarg; break;
        case 4:
            if (!cli_parse_layers("--layers", optarg, &tp.bert.layer_first, &tp.bert.layer_count)) return 2;
            break;
        case 5: tp.bert.mean = 1; break;
        case 6: tp.bert.keep_special = 1; break;
        case 7: tp.bert.truncate = 1; break;
        case 8:
            if (!cli_parse_int("--batch", optarg, 1, 100000, &batch)) return 2;
            break;
        case 9:
            if (!features_parse_shard(optarg, &o)) return 2;
            break;
        case 't':
            if (!cli_parse_int("--threads", optarg, 0, 1024, &threads)) return 2;
            break;
        case 10: break; /* text stores are always keyed on the transcript itself */
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (!manifest_path || !out) return cli_usage_error("features text: --manifest and --out are required");
    if (!tp.bert_model == !tp.glove) return cli_usage_error("features text: give exactly one of --model and --glove");
    if (optind < argc) return cli_usage_error("features text: unexpected argument '%s'", argv[optind]);
    if (cli_output_clobbers_input(out, manifest_path, tp.glove, CLI_END)) return 2;

    ef_error err = {0};
    ef_manifest *m = NULL;
    if (ef_manifest_load(&m, manifest_path, &err)) return cli_fail(&err);
    tp.bert_batch = (int)batch;
    o.threads = (int)threads;
    o.progress = quiet ? NULL : stderr;
    o.log = stderr;
    ef_pipeline_feature_report r;
    ef_code rc = ef_pipeline_text_features(&r, out, m, &tp, &o, &err);
    int code = features_report("features text", out, &o, &r, rc, &err);
    if (tp.glove && r.store.extracted > 0)
        fprintf(stderr, "%s: %lld of %lld words (%.1f%%) not in the GloVe vocabulary: zero vectors\n", out,
                (long long)r.oov_words, (long long)r.words,
                r.words ? 100.0 * (double)r.oov_words / (double)r.words : 0.0);
    ef_pipeline_feature_report_free(&r);
    ef_manifest_free(m);
    return code;
}
