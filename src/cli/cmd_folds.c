/* emofuse folds: cross-validation folds of a manifest by a protocol (built and checked in
 * the data module), or --check of a folds file someone else made. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "emofuse/folds.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse folds --manifest M --by PROTOCOL [--k K] [--seed S] -o FOLDS.csv\n"
            "       emofuse folds --manifest M --by PROTOCOL --check FOLDS.csv\n\n"
            "Writes rows fold,id,role (role train, dev or test), one per utterance used in a fold,\n"
            "after checking that the folds keep the protocol's promise (no speaker, and for\n"
            "speaker-script no script, on both sides; every test utterance tested once).\n"
            "A per-fold summary goes to stderr.\n\n"
            "  --by PROTOCOL   random          K folds stratified by emotion (the paper's RAND)\n"
            "                  speaker         K speaker-disjoint folds; IEMOCAP: one per session (SP)\n"
            "                  loso            one fold per speaker\n"
            "                  speaker-script  IEMOCAP: session k's improvised + script-3 utterances\n"
            "                                  tested, other sessions' improvised + scripts 1-2\n"
            "                                  trained (the paper's SP&SC)\n"
            "                  split           the official partition in a `split` column\n"
            "                  column:NAME     one fold per value of column NAME\n"
            "  --k K           folds for random and speaker (default 5)\n"
            "  --seed S        shuffling seed for random and speaker (default 1)\n"
            "  --train LIST    split: comma-separated split values that train (default Train)\n"
            "  --dev LIST      split: values for dev (default Validation,Development)\n"
            "  --test LIST     split: values that test (default Test1)\n"
            "  -o, --out FILE  folds CSV to write (atomically)\n"
            "  --check FILE    verify an existing folds file against the protocol instead\n");
}

static bool copy_list(const char *opt, const char *v, char *dst, size_t n)
{
    if (!*v || strlen(v) >= n) {
        cli_usage_error("%s: expected a non-empty list shorter than %zu characters", opt, n);
        return false;
    }
    snprintf(dst, n, "%s", v);
    return true;
}

int cmd_folds(int argc, char **argv)
{
    const char *manifest = NULL, *by = NULL, *out = NULL, *check = NULL;
    ef_folds_params p = ef_folds_default_params();
    static const struct option opts[] = {
        {"manifest", required_argument, 0, 'm'}, {"by", required_argument, 0, 'b'},
        {"k", required_argument, 0, 'k'},        {"seed", required_argument, 0, 's'},
        {"train", required_argument, 0, 'T'},    {"dev", required_argument, 0, 'D'},
        {"test", required_argument, 0, 'E'},     {"out", required_argument, 0, 'o'},
        {"check", required_argument, 0, 'C'},    {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    long v;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "m:b:k:s:o:h", opts, "folds")) != -1) {
        switch (c) {
        case 'm': manifest = optarg; break;
        case 'b': by = optarg; break;
        case 'k':
            if (!cli_parse_int("--k", optarg, 2, 64, &v)) return 2;
            p.k = (int)v;
            break;
        case 's':
            if (!cli_parse_int("--seed", optarg, 0, 2147483647L, &v)) return 2;
            p.seed = (uint64_t)v;
            break;
        case 'T':
            if (!copy_list("--train", optarg, p.train_values, sizeof p.train_values)) return 2;
            break;
        case 'D':
            if (!copy_list("--dev", optarg, p.dev_values, sizeof p.dev_values)) return 2;
            break;
        case 'E':
            if (!copy_list("--test", optarg, p.test_values, sizeof p.test_values)) return 2;
            break;
        case 'o': out = optarg; break;
        case 'C': check = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind < argc) return cli_usage_error("folds: unexpected argument '%s'", argv[optind]);
    if (!manifest || !by) return cli_usage_error("folds: --manifest and --by are required");
    if (!out == !check) return cli_usage_error("folds: give exactly one of -o FOLDS.csv and --check FOLDS.csv");
    if (out && cli_output_clobbers_input(out, manifest, CLI_END)) return 2;
    ef_error err = {0};
    if (ef_fold_protocol_parse(by, &p, &err)) return cli_usage_error("folds: %s", err.msg);
    ef_manifest *m = NULL;
    if (ef_manifest_load(&m, manifest, &err)) return cli_fail(&err);
    ef_folds *f = NULL;
    ef_code rc = check ? ef_folds_load(&f, check, m, &p, &err) : ef_folds_build(&f, m, &p, &err);
    if (!rc && out) rc = ef_folds_write(f, m, out, &err);
    if (!rc) {
        char line[4096];
        for (int k = 0; k < ef_folds_count(f); k++) {
            ef_folds_describe(f, m, k, line, sizeof line);
            fprintf(stderr, "%s\n", line);
        }
        if (check) fprintf(stderr, "%s: %d folds keep the %s protocol\n", check, ef_folds_count(f), by);
        else fprintf(stderr, "wrote %s: %d %s folds\n", out, ef_folds_count(f), by);
    }
    ef_folds_free(f);
    ef_manifest_free(m);
    return rc ? cli_fail(&err) : 0;
}
