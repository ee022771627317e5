/* emofuse features merge: join feature stores of the same features (the --shard I/N parts
 * of a corpus) into one store. Options here; the merge is ef_pipeline_merge_features. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/features_common.h"
#include "emofuse/pipeline_features.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse features merge --out STORE PART.safetensors...\n\n"
            "Joins feature stores into STORE (written atomically: temporary file, then rename),\n"
            "typically the parts of `features audio|text --shard I/N`. Every part must hold the same\n"
            "kind, dims and extraction config, no utterance may be in two parts, and a part whose\n"
            "build was interrupted (PART.parts/ exists) is refused. Tensors keep the order of the\n"
            "parts as given: parts 1..N of a sharded run give exactly the unsharded store.\n\n"
            "  -o, --out FILE         merged store to write (replaced if it exists)\n");
}

int cmd_features_merge(int argc, char **argv)
{
    const char *out = NULL;
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "o:h", opts, "features merge")) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (!out) return cli_usage_error("features merge: --out is required");
    if (optind >= argc) return cli_usage_error("features merge: no PART stores given");
    int n_parts = argc - optind;
    for (int i = optind; i < argc; i++)
        if (cli_output_clobbers_input(out, argv[i], CLI_END)) return 2;
    ef_error err = {0};
    int64_t n = 0;
    if (ef_pipeline_merge_features(&n, out, (const char *const *)(argv + optind), n_parts, &err))
        return cli_fail(&err);
    fprintf(stderr, "%s: %lld utterances from %d parts\n", out, (long long)n, n_parts);
    return 0;
}
