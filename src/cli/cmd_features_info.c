/* emofuse features info: what a feature store holds (kind, dims, utterances, frames). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/features_common.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: emofuse features info STORE [--ids]\n\n"
                 "Prints the store's kind, dimension, utterance count, total frames and its extraction\n"
                 "config; with --ids also one line per utterance: id<TAB>frames.\n");
}

int cmd_features_info(int argc, char **argv)
{
    int list = 0;
    static const struct option opts[] = {{"ids", no_argument, 0, 'i'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "h", opts, "features info")) != -1) {
        switch (c) {
        case 'i': list = 1; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind >= argc) return cli_usage_error("features info: a STORE is required");
    if (optind + 1 < argc) return cli_usage_error("features info: unexpected argument '%s'", argv[optind + 1]);
    const char *path = argv[optind];
    ef_error err = {0};
    ef_store *s = NULL;
    if (ef_store_open(&s, path, &err)) return cli_fail(&err);
    int64_t n = ef_store_count(s), frames = 0;
    for (int64_t i = 0; i < n; i++) {
        const float *rows;
        int64_t T = 0;
        ef_store_get(s, ef_store_id(s, i), &rows, &T, NULL);
        frames += T;
    }
    const char *cfg = ef_store_meta(s, "emofuse.config");
    printf("kind: %s\ndims: %d\nutterances: %lld\nframes: %lld\nconfig: %s\n", ef_store_kind(s), ef_store_dim(s),
           (long long)n, (long long)frames, cfg ? cfg : "");
    if (list)
        for (int64_t i = 0; i < n; i++) {
            const float *rows;
            int64_t T = 0;
            ef_store_get(s, ef_store_id(s, i), &rows, &T, NULL);
            printf("%s\t%lld\n", ef_store_id(s, i), (long long)T);
        }
    ef_store_close(s);
    return 0;
}
