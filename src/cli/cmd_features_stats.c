/* emofuse features stats: global z-normalisation statistics over a set of ids (the
 * training utterances of a fold), written as a small safetensors file (mean, std). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/features_common.h"
#include "emofuse/safetensors.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse features stats --store STORE --ids FILE --out STATS.safetensors\n\n"
            "Mean and standard deviation per dimension over every frame of the listed utterances\n"
            "(one id per line), for z-normalising with training statistics only. The output holds\n"
            "F32 tensors `mean` and `std` (D) and metadata naming the store and the id count.\n"
            "`emofuse train` computes the same statistics itself and stores them in the model.\n");
}

int cmd_features_stats(int argc, char **argv)
{
    const char *store_path = NULL, *ids_path = NULL, *out = NULL;
    static const struct option opts[] = {{"store", required_argument, 0, 's'},
                                         {"ids", required_argument, 0, 'i'},
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "s:i:o:h", opts, "features stats")) != -1) {
        switch (c) {
        case 's': store_path = optarg; break;
        case 'i': ids_path = optarg; break;
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (!store_path || !ids_path || !out) return cli_usage_error("features stats: --store, --ids and --out are required");
    if (cli_output_clobbers_input(out, store_path, ids_path, CLI_END)) return 2;
    ef_error err = {0};
    ef_store *s = NULL;
    char **ids = NULL;
    int64_t n = 0;
    if (ef_store_open(&s, store_path, &err)) return cli_fail(&err);
    if (features_read_ids(ids_path, &ids, &n, &err)) {
        ef_store_close(s);
        return cli_fail(&err);
    }
    int D = ef_store_dim(s);
    float *mean = malloc(sizeof(float) * (size_t)D), *std = malloc(sizeof(float) * (size_t)D);
    ef_code rc = (!mean || !std) ? ef_fail(&err, EF_ERR_NOMEM, "%s: out of memory", out)
                                 : ef_norm_compute(s, (const char *const *)ids, n, mean, std, &err);
    if (!rc) {
        ef_safetensors_writer *w = ef_safetensors_writer_new();
        char buf[64];
        snprintf(buf, sizeof buf, "%lld", (long long)n);
        rc = w ? ef_safetensors_writer_add(w, "mean", EF_DT_F32, 1, (int64_t[]){D}, mean, &err)
               : ef_fail(&err, EF_ERR_NOMEM, "%s: out of memory", out);
        if (!rc) rc = ef_safetensors_writer_add(w, "std", EF_DT_F32, 1, (int64_t[]){D}, std, &err);
        if (!rc) rc = ef_safetensors_writer_meta(w, "emofuse.store", store_path, &err);
        if (!rc) rc = ef_safetensors_writer_meta(w, "emofuse.n_ids", buf, &err);
        const char *cols = ef_store_meta(s, "emofuse.columns");
        if (!rc && cols) rc = ef_safetensors_writer_meta(w, "emofuse.columns", cols, &err);
        if (!rc) rc = ef_safetensors_writer_save(w, out, &err);
        ef_safetensors_writer_free(w);
    }
    free(mean);
    free(std);
    features_free_ids(ids, n);
    ef_store_close(s);
    if (rc) return cli_fail(&err);
    fprintf(stderr, "%s: statistics of %lld utterances written\n", out, (long long)n);
    return 0;
}
