/* emofuse features info: what a feature store holds (kind, dims, utterances, frames). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/features_common.h"

int cmd_features_info(int argc, char **argv)
{
    if (argc >= 2 && cli_is_help(argv[1])) {
        printf("usage: emofuse features info STORE [--ids]\n\n"
               "Prints the store's kind, dimension, utterance count, total frames and its extraction\n"
               "config; with --ids also one line per utterance: id<TAB>frames.\n");
        return 0;
    }
    if (argc < 2) return cli_usage_error("features info: a STORE is required");
    int list = argc >= 3 && strcmp(argv[2], "--ids") == 0;
    if (argc > 2 + list) return cli_usage_error("features info: unexpected argument '%s'", argv[2 + list]);
    ef_error err = {0};
    ef_store *s = NULL;
    if (ef_store_open(&s, argv[1], &err)) return cli_fail(&err);
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
