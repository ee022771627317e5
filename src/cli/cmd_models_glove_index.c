/* emofuse models glove-index <glove.txt[.gz]>: convert GloVe text once into the
 * memory-mapped index (src/text/glove_build.c; gzip input through zlib). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "emofuse/glove.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse models glove-index <glove.txt | glove.txt.gz> [--out FILE]\n"
            "\n"
            "Convert GloVe vectors (\"word v1 ... vD\" per line, plain or gzip-compressed) once\n"
            "into a binary index that later runs memory-map (docs/glove.md). --out defaults to\n"
            "the input path without .gz/.txt plus .efg, where `features text --glove` looks for\n"
            "it. Prints words, dimension and duplicates on stdout.\n");
}

static void on_glove_progress(void *vctx, uint64_t done, uint64_t total)
{
    /* total 0: the size is unknown (a pipe or a gzip stream) */
    cli_byte_progress_show(vctx, "glove text", (int64_t)done, total ? (int64_t)total : -1);
}

int cmd_models_glove_index(int argc, char **argv)
{
    const char *in_path = NULL, *out_path = NULL;
    static const struct option opts[] = {{"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "o:h", opts, "models glove-index")) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind < argc) in_path = argv[optind];
    if (optind + 1 < argc) return cli_usage_error("models glove-index: one input file at a time");
    if (!in_path) return cli_usage_error("models glove-index: which GloVe text file? e.g. glove.42B.300d.txt");
    char out_buf[4096];
    if (!out_path) {
        if (!ef_glove_index_path(in_path, out_buf, sizeof out_buf))
            return cli_usage_error("models glove-index: path too long");
        out_path = out_buf;
    }
    ef_error err = {0};
    ef_glove_build_stats st;
    cli_byte_progress pc;
    cli_byte_progress_init(&pc);
    ef_code rc = ef_glove_build(in_path, out_path, &st, on_glove_progress, &pc, &err);
    if (rc) return cli_fail(&err);
    printf("%s\twords %llu\tdim %d\tduplicates %llu\tlines %llu\n", out_path, (unsigned long long)st.words, st.dim,
           (unsigned long long)st.duplicates, (unsigned long long)st.lines);
    fprintf(stderr, "glove-index: %.1f MB of text in %.1f s (%.1f MB/s)\n", st.bytes_in / 1e6, st.seconds,
            st.seconds > 0 ? st.bytes_in / 1e6 / st.seconds : 0.0);
    return 0;
}

