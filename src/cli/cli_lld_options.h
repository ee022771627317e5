/* The LLD options shared by `emofuse lld` and `emofuse features audio` (cli_lld_options.c).
 * A command splices CLI_LLD_LONG_OPTIONS into its getopt_long table, adds
 * CLI_LLD_SHORT_OPTIONS to its short-option string, hands every option code to
 * cli_lld_option first, and prints cli_lld_usage in its help. */
#ifndef EMOFUSE_CLI_LLD_OPTIONS_H
#define EMOFUSE_CLI_LLD_OPTIONS_H

#include <stdio.h>

#include "emofuse/audio.h"

enum {
    CLI_LLD_FRAME_STEP = 's',
    CLI_LLD_FRAME_SIZE = 'f',
    CLI_LLD_PITCH_FRAME_SIZE = 'p',
    CLI_LLD_SMOOTH = 0x101, /* -m in lld; features audio's -m is its manifest */
    CLI_LLD_DELTA = 'd',
    CLI_LLD_VOICE_QUALITY = 0x100,
};

#define CLI_LLD_SHORT_OPTIONS "s:f:p:d:"
#define CLI_LLD_LONG_OPTIONS                                                                                      \
    {"frame-step", required_argument, 0, CLI_LLD_FRAME_STEP},                                                     \
        {"frame-size", required_argument, 0, CLI_LLD_FRAME_SIZE},                                                 \
        {"pitch-frame-size", required_argument, 0, CLI_LLD_PITCH_FRAME_SIZE},                                     \
        {"pitch-frame", required_argument, 0, CLI_LLD_PITCH_FRAME_SIZE}, /* features audio's old name */          \
        {"smooth", required_argument, 0, CLI_LLD_SMOOTH}, {"delta", required_argument, 0, CLI_LLD_DELTA},         \
        {"voice-quality", required_argument, 0, CLI_LLD_VOICE_QUALITY}

/* Apply option `code` with value arg to p: 1 when it was an LLD option and is applied,
 * -1 when its value is invalid (the usage error is printed: return 2), 0 when code is not
 * an LLD option. */
int cli_lld_option(int code, const char *arg, ef_lld_params *p, const char *cmd);

/* The option lines of the help, with p's values as the defaults; smooth_short is the
 * command's short flag for --smooth ('m' in lld) or 0 for none. */
void cli_lld_usage(FILE *out, const ef_lld_params *p, char smooth_short);

#endif
