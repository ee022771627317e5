/* Shared helpers for the emofuse subcommands: one file per subcommand (cmd_*.c), each
 * exporting `int cmd_<name>(int argc, char **argv)` where argv[0] is the subcommand name.
 * Conventions: data on stdout, logs and progress on stderr; `-h/--help` prints usage and
 * exits 0; bad usage prints "error: ..." and returns 2; a failed operation prints
 * "error: <file>: <cause>" and returns 1. */
#ifndef EMOFUSE_CLI_H
#define EMOFUSE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emofuse/status.h"

int cmd_lld(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_corpus(int argc, char **argv);
int cmd_folds(int argc, char **argv);
int cmd_experiment(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Print "error: <msg>" to stderr and return 1 (for `return cli_fail(&err);`). */
int cli_fail(const ef_error *err);
/* Print "error: <printf message>" to stderr and return 2 (usage errors). */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict number parsing for option values: the whole string must be a number in range.
 * On failure prints "error: <option>: ..." and returns false. */
bool cli_parse_int(const char *option, const char *s, long min, long max, long *out);
bool cli_parse_double(const char *option, const char *s, double min, double max, double *out);

/* True (after printing a usage error) when out names the same file as one of the inputs
 * (same device and inode): a command must never overwrite what it reads. The list ends
 * with CLI_END; NULL inputs are skipped. */
#define CLI_END ((const char *)-1)
bool cli_output_clobbers_input(const char *out, ...);

/* --layers FIRST:COUNT (BERT hidden states to combine: FIRST >= 0, COUNT >= 1, plain
 * decimal digits). On failure prints "error: <option>: ..." and returns false. */
bool cli_parse_layers(const char *option, const char *s, int *first, int *count);

/* True when argv[i] is -h or --help. */
bool cli_is_help(const char *arg);

/* getopt_long for every subcommand: the same return values, but an unknown option or a
 * missing value prints "error: <cmd>: unknown option '--x' (see emofuse <cmd> --help)"
 * (or "... needs a value") and returns '?'; the caller then returns 2. shortopts is
 * written without getopt's leading ':'. Set optind = 1 before the first call. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts, const char *cmd);

/* One entry of a subcommand table. */
typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is name */
    const char *summary;               /* one line for the usage text */
} cli_command;

/* Run the command argv[1] names. No argument: usage on stderr, 2; -h/--help: usage on
 * stdout, 0; an unknown name: "error: <group>: unknown command 'x' (one of: ...)", 2.
 * group is "" for the top level, else e.g. "features". */
int cli_dispatch(const char *group, const cli_command *table, size_t n, void (*usage)(FILE *out), int argc,
                 char **argv);
/* The table as "  name   summary" lines, for usage texts. */
void cli_print_commands(FILE *out, const cli_command *table, size_t n);

/* Progress of a byte-counted job on stderr (cli_byte_progress.c): "LABEL: 12.3 / 45.6 MB
 * (27%)", redrawn in place on a terminal, otherwise one line per 5 s and the last one
 * (done == total); total < 0 when unknown. _log prints a message line beside it. */
typedef struct {
    bool tty;
    double last;
} cli_byte_progress;
void cli_byte_progress_init(cli_byte_progress *p);
void cli_byte_progress_show(cli_byte_progress *p, const char *label, int64_t done, int64_t total);
void cli_byte_progress_log(const cli_byte_progress *p, const char *msg);

#endif
