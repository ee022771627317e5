/* emofuse lld: print the 36 acoustic LLDs of one audio file as ';'-separated CSV on stdout.
 * Header: frameTime then ef_lld_name(0..35); one row per 10 ms frame, frameTime = t * step
 * in seconds (written by ef_lld_csv_write). This format is compared with openSMILE by the acceptance checks: keep it
 * stable. Nothing is printed on stdout unless the whole file was processed; with -o the
 * CSV goes to a temporary file renamed into place (ef_atomic_file), so a failed run leaves
 * no partial output either. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_lld_options.h"
#include "emofuse/atomic_file.h"
#include "emofuse/audio.h"
#include "emofuse/lld_csv.h"

static void usage(FILE *out, const ef_lld_params *d)
{
    fprintf(out,
            "usage: emofuse lld [options] FILE\n\n"
            "Print the 36 acoustic low-level descriptors (openSMILE ComParE-style F0, jitter, shimmer,\n"
            "logHNR, loudness, MFCC 1-13, and their deltas) of one audio file as ';'-separated CSV.\n"
            "Any format libsndfile reads; mixed to mono and resampled to %d Hz.\n\n"
            "options:\n",
            d->sample_rate);
    cli_lld_usage(out, d, 'm');
    fprintf(out, "  -o, --out OUT.csv           write the CSV to OUT.csv (temporary file, then rename)\n"
                 "                              instead of stdout\n"
                 "  -h, --help                  show this help\n");
}

int cmd_lld(int argc, char **argv)
{
    ef_lld_params p = ef_lld_default_params();
    const char *out = NULL;
    static const struct option opts[] = {CLI_LLD_LONG_OPTIONS, {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, CLI_LLD_SHORT_OPTIONS "m:o:h", opts, "lld")) != -1) {
        if (c == 'm') c = CLI_LLD_SMOOTH;
        int applied = cli_lld_option(c, optarg, &p, "lld");
        if (applied < 0) return 2;
        if (applied) continue;
        if (c == 'o') {
            out = optarg;
            continue;
        }
        if (c == 'h') {
            usage(stdout, &p);
            return 0;
        }
        return 2;
    }
    if (optind + 1 < argc)
        return cli_usage_error("lld: exactly one FILE expected, got '%s' and '%s'", argv[optind], argv[optind + 1]);
    const char *path = optind < argc ? argv[optind] : NULL;
    if (!path) return cli_usage_error("lld: missing FILE (see emofuse lld --help)");
    ef_error err = {0};
    if (ef_lld_params_check(&p, &err)) return cli_usage_error("lld: %s", err.msg);

    if (out && cli_output_clobbers_input(out, path, CLI_END)) return 2;

    float *x = NULL;
    int64_t T = 0;
    if (ef_lld_file(&p, path, &x, &T, &err)) return cli_fail(&err);
    /* ef_lld_csv_write: printf's exact bytes, ~10x faster than printf (src/pipeline/lld_csv.c) */
    ef_code rc;
    if (out) {
        ef_atomic_file af = {0};
        rc = ef_atomic_open(&af, out, &err);
        if (!rc && (rc = ef_lld_csv_write(af.fp, out, x, T, p.frame_step, &err))) ef_atomic_abort(&af);
        else if (!rc) rc = ef_atomic_commit(&af, &err);
    } else {
        rc = ef_lld_csv_write(stdout, "stdout", x, T, p.frame_step, &err);
    }
    free(x);
    return rc ? cli_fail(&err) : 0;
}
