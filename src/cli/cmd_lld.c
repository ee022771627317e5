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
#include "emofuse/atomic_file.h"
#include "emofuse/audio.h"
#include "emofuse/lld_csv.h"

static void usage(FILE *out, const ef_lld_params *d)
{
    fprintf(out,
            "usage: emofuse lld [options] FILE [-o OUT.csv]\n\n"
            "Print the 36 acoustic low-level descriptors (openSMILE ComParE-style F0, jitter, shimmer,\n"
            "logHNR, loudness, MFCC 1-13, and their deltas) of one audio file as ';'-separated CSV.\n"
            "Any format libsndfile reads; mixed to mono and resampled to %d Hz.\n\n"
            "options:\n"
            "  -s, --frame-step SEC        hop between frames (default %g)\n"
            "  -f, --frame-size SEC        spectral window for loudness and MFCC (default %g)\n"
            "  -p, --pitch-frame-size SEC  pitch / voice-quality window (default %g)\n"
            "  -m, --smooth N              moving-average window in frames, odd, 1 = off (default %d)\n"
            "  -d, --delta N               delta regression half-window in frames (default %d)\n"
            "      --voice-quality M       jitter/shimmer/HNR method: opensmile (openSMILE's cPitchJitter,\n"
            "                              the default) or cycles (true cycle-to-cycle values from glottal\n"
            "                              cycle marks; see docs/acoustic-pitch.md)\n"
            "  -o, --out OUT.csv           write the CSV to OUT.csv (temporary file, then rename)\n"
            "                              instead of stdout\n"
            "  -h, --help                  show this help\n",
            d->sample_rate, d->frame_step, d->frame_size, d->pitch_frame_size, d->smooth_window, d->delta_window);
}

static bool is_opt(const char *a, const char *short_name, const char *long_name)
{
    return strcmp(a, short_name) == 0 || strcmp(a, long_name) == 0;
}

int cmd_lld(int argc, char **argv)
{
    ef_lld_params p = ef_lld_default_params();
    const char *path = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout, &p);
            return 0;
        }
        const bool has_value = i + 1 < argc;
        long v = 0;
        if (is_opt(a, "-s", "--frame-step") && has_value) {
            if (!cli_parse_double(a, argv[++i], 0.001, 1.0, &p.frame_step)) return 2;
        } else if (is_opt(a, "-f", "--frame-size") && has_value) {
            if (!cli_parse_double(a, argv[++i], 0.001, 1.0, &p.frame_size)) return 2;
        } else if (is_opt(a, "-p", "--pitch-frame-size") && has_value) {
            if (!cli_parse_double(a, argv[++i], 0.001, 1.0, &p.pitch_frame_size)) return 2;
        } else if (is_opt(a, "-m", "--smooth") && has_value) {
            if (!cli_parse_int(a, argv[++i], 1, 99, &v)) return 2;
            p.smooth_window = (int)v;
        } else if (is_opt(a, "-d", "--delta") && has_value) {
            if (!cli_parse_int(a, argv[++i], 1, 50, &v)) return 2;
            p.delta_window = (int)v;
        } else if (is_opt(a, "-o", "--out") && has_value) {
            out = argv[++i];
        } else if (strcmp(a, "--voice-quality") == 0 && has_value) {
            const char *m = argv[++i];
            if (strcmp(m, "opensmile") == 0) p.voice_quality = EF_VQ_OPENSMILE;
            else if (strcmp(m, "cycles") == 0) p.voice_quality = EF_VQ_CYCLES;
            else return cli_usage_error("lld: --voice-quality: '%s' is neither 'opensmile' nor 'cycles'", m);
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error("lld: unknown option or missing value: '%s' (see emofuse lld --help)", a);
        } else if (path) {
            return cli_usage_error("lld: exactly one FILE expected, got '%s' and '%s'", path, a);
        } else {
            path = a;
        }
    }
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
