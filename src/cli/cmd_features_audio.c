/* emofuse features audio: LLDs of a whole corpus (or of one shard of it) into a resumable
 * feature store. Options here; the build is ef_pipeline_audio_features. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_lld_options.h"
#include "cli/features_common.h"
#include "emofuse/audio.h"
#include "emofuse/pipeline_features.h"

static void usage(FILE *out, const ef_lld_params *d)
{
    fprintf(out,
            "usage: emofuse features audio --manifest CSV --out STORE.safetensors [options]\n\n"
            "Extracts the 36 acoustic LLDs (docs/acoustic-features.md) of every row's `audio` file\n"
            "(path relative to the manifest) into STORE, one (T, 36) tensor per id.\n\n"
            "  -m, --manifest CSV     corpus manifest (columns id, audio, ...)\n"
            "  -o, --out FILE         feature store to create or update\n"
            "  -t, --threads N        worker threads (default 0 = all cores)\n"
            "      --shard I/N        only the I-th of N equal blocks of manifest rows (in manifest\n"
            "                         order) into STORE, e.g. --shard 2/8 --out audio.part2.safetensors;\n"
            "                         join the parts with `emofuse features merge` (default 1/1)\n"
            "      --verify-content   key reuse on a hash of each audio file's bytes (reads every\n"
            "                         file on each run) instead of its resolved path, size and mtime\n"
            "  -q, --quiet            no progress output\n\n"
            "LLD options (the same as emofuse lld's):\n");
    cli_lld_usage(out, d, 0);
    fprintf(out,
            "\nRerunning skips utterances whose audio (resolved path, size, mtime; or content with\n"
            "--verify-content) and options are unchanged; an\n"
            "interrupted run (Ctrl-C) resumes where it stopped. Exit status 1 when any file failed\n"
            "(each is reported with its path and cause; the others are stored).\n");
}

int cmd_features_audio(int argc, char **argv)
{
    ef_lld_params p = ef_lld_default_params();
    ef_pipeline_feature_opts o = ef_pipeline_feature_default_params();
    const char *manifest_path = NULL, *out = NULL;
    long threads = 0;
    int quiet = 0;
    static const struct option opts[] = {{"manifest", required_argument, 0, 'm'},
                                         {"out", required_argument, 0, 'o'},
                                         {"threads", required_argument, 0, 't'},
                                         {"shard", required_argument, 0, 7},
                                         {"verify-content", no_argument, 0, 8},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         CLI_LLD_LONG_OPTIONS,
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "m:o:t:qh" CLI_LLD_SHORT_OPTIONS, opts, "features audio")) != -1) {
        int applied = cli_lld_option(c, optarg, &p, "features audio");
        if (applied < 0) return 2;
        if (applied) continue;
        switch (c) {
        case 'm': manifest_path = optarg; break;
        case 'o': out = optarg; break;
        case 't':
            if (!cli_parse_int("--threads", optarg, 0, 1024, &threads)) return 2;
            break;
        case 7:
            if (!features_parse_shard(optarg, &o)) return 2;
            break;
        case 8: o.verify_content = true; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout, &p); return 0;
        default: return 2;
        }
    }
    if (!manifest_path || !out) return cli_usage_error("features audio: --manifest and --out are required");
    if (optind < argc) return cli_usage_error("features audio: unexpected argument '%s'", argv[optind]);
    if (cli_output_clobbers_input(out, manifest_path, CLI_END)) return 2;
    ef_error err = {0};
    /* Checked before the manifest is read, so that bad options fail at once. */
    if (ef_lld_params_check(&p, &err)) return cli_usage_error("features audio: %s", err.msg);

    ef_manifest *m = NULL;
    if (ef_manifest_load(&m, manifest_path, &err)) return cli_fail(&err);
    o.threads = (int)threads;
    o.progress = quiet ? NULL : stderr;
    o.log = stderr;
    ef_pipeline_feature_report r;
    ef_code rc = ef_pipeline_audio_features(&r, out, m, &p, &o, &err);
    int code = features_report("features audio", out, &o, &r, rc, &err);
    ef_pipeline_feature_report_free(&r);
    ef_manifest_free(m);
    return code;
}
