/* The LLD options of `emofuse lld` and `emofuse features audio`, defined once: the same
 * names, short flags, ranges and help lines in both commands (one option used to have two
 * names, --pitch-frame-size and --pitch-frame; the second stays accepted as an alias). */
#include "cli/cli_lld_options.h"

#include <string.h>

#include "cli/cli.h"

void cli_lld_usage(FILE *out, const ef_lld_params *d, char smooth_short)
{
    char smooth_flag[5] = "    ";
    if (smooth_short) snprintf(smooth_flag, sizeof smooth_flag, "-%c, ", smooth_short);
    fprintf(out,
            "  -s, --frame-step SEC        hop between frames (default %g)\n"
            "  -f, --frame-size SEC        spectral window for loudness and MFCC (default %g)\n"
            "  -p, --pitch-frame-size SEC  pitch / voice-quality window (default %g)\n"
            "  %s--smooth N              moving-average window in frames, odd, 1 = off (default %d)\n"
            "  -d, --delta N               delta regression half-window in frames (default %d)\n"
            "      --voice-quality M       jitter/shimmer/HNR method: opensmile (openSMILE's cPitchJitter,\n"
            "                              the default) or cycles (true cycle-to-cycle values from glottal\n"
            "                              cycle marks; see docs/acoustic-pitch.md)\n",
            d->frame_step, d->frame_size, d->pitch_frame_size, smooth_flag, d->smooth_window, d->delta_window);
}

int cli_lld_option(int code, const char *arg, ef_lld_params *p, const char *cmd)
{
    long v = 0;
    switch (code) {
    case CLI_LLD_FRAME_STEP: return cli_parse_double("--frame-step", arg, 0.001, 1.0, &p->frame_step) ? 1 : -1;
    case CLI_LLD_FRAME_SIZE: return cli_parse_double("--frame-size", arg, 0.001, 1.0, &p->frame_size) ? 1 : -1;
    case CLI_LLD_PITCH_FRAME_SIZE:
        return cli_parse_double("--pitch-frame-size", arg, 0.001, 1.0, &p->pitch_frame_size) ? 1 : -1;
    case CLI_LLD_SMOOTH:
        if (!cli_parse_int("--smooth", arg, 1, 99, &v)) return -1;
        p->smooth_window = (int)v;
        return 1;
    case CLI_LLD_DELTA:
        if (!cli_parse_int("--delta", arg, 1, 50, &v)) return -1;
        p->delta_window = (int)v;
        return 1;
    case CLI_LLD_VOICE_QUALITY:
        if (strcmp(arg, "opensmile") == 0) p->voice_quality = EF_VQ_OPENSMILE;
        else if (strcmp(arg, "cycles") == 0) p->voice_quality = EF_VQ_CYCLES;
        else {
            cli_usage_error("%s: --voice-quality: '%s' is neither 'opensmile' nor 'cycles'", cmd, arg);
            return -1;
        }
        return 1;
    default: return 0;
    }
}
