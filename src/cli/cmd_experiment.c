/* emofuse experiment: run the paper's evaluation grid (or any grid) from a settings file,
 * a preset and --set overrides; resumable, parallel (-j) and shardable (--shard i/n).
 * The runner lives in the experiment module; this file parses, prints and exits. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "emofuse/experiment.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse experiment [FILE.json] [--preset NAME] [--set KEY=VALUE]... -o OUT [options]\n"
            "       emofuse experiment --print-preset pepino2020\n\n"
            "Runs every (system, size variant, fold protocol, seed, fold) of an experiment and writes\n"
            "OUT/scores/<system>[-<variant>][-<protocol>]/seed<k>.csv and OUT/table1.{md,csv}.\n"
            "Finished runs are kept the moment they end: the same command resumes after Ctrl-C or a\n"
            "crash, and changed settings never mix with old results (docs/experiments.md).\n\n"
            "  FILE.json             settings (keys: manifest, label_map, protocol, k, fold_seed,\n"
            "                        systems, variants, seeds, epochs, batch_size, fusion_text,\n"
            "                        bert, glove, figure2, model); later options override it\n"
            "  --preset NAME         start from a preset: pepino2020 (the paper's Table 1 and Figure 2)\n"
            "  --set KEY=VALUE       override one setting, e.g. manifest=m.csv, seeds=3,\n"
            "                        systems=audio,bert, epochs.audio=30, protocol=speaker, bert=DIR,\n"
            "                        bert=random, glove=FILE, label_map=FILE, figure2=off\n"
            "  -o, --out OUT         output folder (shared by all shards)\n"
            "  -j, --jobs N          trainings at once (default: all cores; BLAS single-threaded)\n"
            "  --threads-per-run N   threads inside each training (default: the cores left over,\n"
            "                        cores / jobs); the results are the same for every N\n"
            "  --shard i/n           run a deterministic 1/n of the runs (Slurm arrays, see\n"
            "                        scripts/slurm/experiment-array.sh); `emofuse report OUT` merges\n"
            "  --select-epochs[=inner]  choose epochs as the paper did: the candidate with the best\n"
            "                        median AvAUC of the first 5 seeds on the test folds (optimistic,\n"
            "                        and the report says so); =inner: on an inner validation split\n"
            "                        of each training fold instead (honest)\n"
            "  --print-config        print the final settings as JSON and exit\n"
            "  --print-preset NAME   print a preset's settings as JSON and exit\n"
            "  -q, --quiet           no progress output\n");
}

static bool parse_shard(const char *s, int *i, int *n)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/') return false;
    const char *q = end + 1;
    long b = strtol(q, &end, 10);
    if (end == q || *end || a < 1 || b < 1 || a > b || b > 100000) return false;
    *i = (int)a;
    *n = (int)b;
    return true;
}

int cmd_experiment(int argc, char **argv)
{
    const char *preset = NULL, *out = NULL, *print_preset = NULL;
    const char *sets[256];
    int n_sets = 0;
    bool print_config = false, quiet = false;
    ef_experiment_opts o = ef_experiment_default_params();
    static const struct option opts[] = {
        {"preset", required_argument, 0, 'P'},       {"set", required_argument, 0, 'S'},
        {"out", required_argument, 0, 'o'},          {"jobs", required_argument, 0, 'j'},
        {"shard", required_argument, 0, 'H'},        {"print-config", no_argument, 0, 'C'},
        {"print-preset", required_argument, 0, 'R'}, {"quiet", no_argument, 0, 'q'},
        {"select-epochs", optional_argument, 0, 'E'}, {"help", no_argument, 0, 'h'},
        {"threads-per-run", required_argument, 0, 'T'},
        {0, 0, 0, 0}};
    int c;
    long v;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "o:j:qh", opts, "experiment")) != -1) {
        switch (c) {
        case 'P': preset = optarg; break;
        case 'S':
            if (n_sets == 256) return cli_usage_error("experiment: too many --set options");
            sets[n_sets++] = optarg;
            break;
        case 'o': out = optarg; break;
        case 'j':
            if (!cli_parse_int("--jobs", optarg, 0, 4096, &v)) return 2;
            o.jobs = (int)v;
            break;
        case 'T':
            if (!cli_parse_int("--threads-per-run", optarg, 1, 4096, &v)) return 2;
            o.threads_per_run = (int)v;
            break;
        case 'H':
            if (!parse_shard(optarg, &o.shard_index, &o.shard_count))
                return cli_usage_error("--shard: expected i/n with 1 <= i <= n, got '%s'", optarg);
            break;
        case 'C': print_config = true; break;
        case 'R': print_preset = optarg; break;
        case 'q': quiet = true; break;
        case 'E':
            /* The same as --set select_epochs=...: applied in order with the --set options. */
            if (optarg && strcmp(optarg, "test") && strcmp(optarg, "inner"))
                return cli_usage_error("--select-epochs: expected test (the default) or inner, got '%s'", optarg);
            if (n_sets == 256) return cli_usage_error("experiment: too many --set options");
            sets[n_sets++] = optarg && !strcmp(optarg, "inner") ? "select_epochs=inner" : "select_epochs=test";
            break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind + 1 < argc) return cli_usage_error("experiment: expected at most one settings file");
    const char *file = optind < argc ? argv[optind] : NULL;
    ef_error err = {0};
    ef_experiment *x = NULL;
    if (ef_experiment_new(&x, print_preset ? print_preset : preset, &err)) return cli_usage_error("%s", err.msg);
    ef_code rc = EF_OK;
    if (!print_preset) {
        if (file) rc = ef_experiment_load(x, file, &err);
        for (int i = 0; i < n_sets && !rc; i++) rc = ef_experiment_set(x, sets[i], &err);
        if (rc) {
            ef_experiment_free(x);
            return rc == EF_ERR_ARG ? cli_usage_error("%s", err.msg) : cli_fail(&err);
        }
    }
    if (print_preset || print_config) {
        char *json = ef_experiment_json(x);
        if (json) printf("%s\n", json);
        free(json);
        ef_experiment_free(x);
        return json ? 0 : 1;
    }
    if (!out) {
        ef_experiment_free(x);
        return cli_usage_error("experiment: -o OUT is required");
    }
    if ((rc = ef_experiment_validate(x, &err))) {
        ef_experiment_free(x);
        return cli_usage_error("%s", err.msg);
    }
    o.log = quiet ? NULL : stderr;
    ef_experiment_status st;
    rc = ef_experiment_run(x, out, &o, &st, &err);
    ef_experiment_free(x);
    if (rc == EF_ERR_INTERRUPTED) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 130;
    }
    if (rc) return cli_fail(&err);
    if (!quiet)
        fprintf(stderr, "experiment: %lld runs trained, %lld reused, in %.1f s\nreport: %s/report.html\n",
                (long long)st.runs_done, (long long)st.runs_reused, st.seconds, out);
    return 0;
}
