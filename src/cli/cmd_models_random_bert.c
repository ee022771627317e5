/* emofuse models random-bert --texts MANIFEST --out DIR: a randomly initialised BERT
 * folder whose vocabulary is the manifest's words (src/text/bert_random.c), for trying
 * emofuse without pretrained weights. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "emofuse/bert.h"
#include "emofuse/manifest.h"
#include "emofuse/progress.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse models random-bert --texts MANIFEST.csv --out DIR [options]\n"
            "\n"
            "Write a randomly initialised BERT folder (config.json, vocab.txt,\n"
            "model.safetensors) that --model DIR accepts like a pretrained one, for trying emofuse\n"
            "without pretrained weights; its text features are NOT the paper's (docs/bert.md).\n"
            "The vocabulary is [PAD] [UNK] [CLS] [SEP] [MASK] plus every word of the texts.\n"
            "  --texts MANIFEST.csv the texts whose words make the vocabulary\n"
            "  --column NAME        text column (default: transcript)\n"
            "  --out DIR            output folder (created; an existing random encoder there is replaced)\n"
            "  --layers N           default 4\n"
            "  --hidden N           default 768\n"
            "  --heads N            default 12 (must divide --hidden)\n"
            "  --intermediate N     default 4 x hidden (3072)\n"
            "  --max-positions N    default 512\n"
            "  --seed N             default 1 (same texts + options + seed: identical files)\n"
            "Prints <dir> vocab <V> layers <L> hidden <C> heads <H> seed <S> on stdout.\n");
}

int cmd_models_random_bert(int argc, char **argv)
{
    ef_bert_random_params p = ef_bert_random_default_params();
    const char *manifest_path = NULL, *column = "transcript", *out = NULL;
    long v;
    int intermediate_set = 0;
    static const struct option opts[] = {{"texts", required_argument, 0, 't'},
                                         {"column", required_argument, 0, 'c'},
                                         {"out", required_argument, 0, 'o'},
                                         {"layers", required_argument, 0, 'L'},
                                         {"hidden", required_argument, 0, 'H'},
                                         {"heads", required_argument, 0, 'A'},
                                         {"intermediate", required_argument, 0, 'I'},
                                         {"max-positions", required_argument, 0, 'P'},
                                         {"seed", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "h", opts, "models random-bert")) != -1) {
        switch (c) {
        case 't': manifest_path = optarg; break;
        case 'c': column = optarg; break;
        case 'o': out = optarg; break;
        case 'L':
            if (!cli_parse_int("--layers", optarg, 1, EF_BERT_MAX_LAYERS, &v)) return 2;
            p.layers = (int)v;
            break;
        case 'H':
            if (!cli_parse_int("--hidden", optarg, 1, 16384, &v)) return 2;
            p.hidden = (int)v;
            break;
        case 'A':
            if (!cli_parse_int("--heads", optarg, 1, 1024, &v)) return 2;
            p.heads = (int)v;
            break;
        case 'I':
            if (!cli_parse_int("--intermediate", optarg, 1, 65536, &v)) return 2;
            p.intermediate = (int)v;
            intermediate_set = 1;
            break;
        case 'P':
            if (!cli_parse_int("--max-positions", optarg, 3, 65536, &v)) return 2;
            p.max_positions = (int)v;
            break;
        case 's':
            if (!cli_parse_int("--seed", optarg, 0, 2147483647L, &v)) return 2;
            p.seed = (uint64_t)v;
            break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind < argc)
        return cli_usage_error("models random-bert: unexpected argument '%s' (the texts come with --texts)",
                               argv[optind]);
    if (!manifest_path) return cli_usage_error("models random-bert: --texts MANIFEST.csv is required");
    if (!out) return cli_usage_error("models random-bert: --out DIR is required");
    if (p.hidden % p.heads != 0)
        return cli_usage_error("models random-bert: --heads %d does not divide --hidden %d", p.heads, p.hidden);
    /* BERT's ratio, so that --hidden alone gives a BERT-shaped model. */
    if (!intermediate_set) p.intermediate = 4 * p.hidden; /* <= 65536 by --hidden's bound */

    ef_error err = {0};
    ef_manifest *m = NULL;
    if (ef_manifest_load(&m, manifest_path, &err)) return cli_fail(&err);
    int col = ef_manifest_column(m, column);
    if (col < 0) {
        ef_manifest_free(m);
        ef_fail(&err, EF_ERR_FORMAT, "%s: no '%s' column", manifest_path, column);
        return cli_fail(&err);
    }
    int64_t n = ef_manifest_rows(m);
    const char **texts = malloc(sizeof *texts * (size_t)(n > 0 ? n : 1));
    if (!texts) {
        ef_manifest_free(m);
        ef_fail(&err, EF_ERR_NOMEM, "out of memory");
        return cli_fail(&err);
    }
    for (int64_t i = 0; i < n; i++) texts[i] = ef_manifest_cell(m, i, col);
    double t0 = ef_now();
    ef_code rc = ef_bert_write_random(out, texts, n, &p, &err);
    double secs = ef_now() - t0;
    free(texts);
    ef_manifest_free(m);
    if (rc) return cli_fail(&err);
    /* The vocabulary size is the library's result: read it back from what was written. */
    char cfg_path[4200];
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", out);
    ef_bert_config cfg;
    if (ef_bert_config_load(&cfg, cfg_path, &err)) return cli_fail(&err);
    printf("%s\tvocab %d\tlayers %d\thidden %d\theads %d\tseed %llu\n", out, cfg.vocab_size, cfg.n_layers, cfg.hidden,
           cfg.n_heads, (unsigned long long)p.seed);
    fprintf(stderr,
            "random-bert: %lld texts, %d-layer random encoder written in %.2f s (randomly initialised: its text "
            "features are not the paper's)\n",
            (long long)n, p.layers, secs);
    return 0;
}

