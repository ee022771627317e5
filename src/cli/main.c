/* emofuse: the command-line program. Dispatches to one subcommand per file. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "emofuse/parallel.h"
#include "emofuse/progress.h"

static const cli_command commands[] = {
    {"corpus", cmd_corpus, "read IEMOCAP, MSP-PODCAST or your manifest into a checked manifest CSV"},
    {"folds", cmd_folds, "cross-validation folds by protocol (random, speaker, speaker-script, ...), checked"},
    {"experiment", cmd_experiment, "run the paper's evaluation grid: resumable, parallel, shardable"},
    {"report", cmd_report, "merge an experiment folder's finished runs into Table 1"},
    {"lld", cmd_lld, "print the 36 acoustic LLDs of one audio file as CSV"},
    {"features", cmd_features, "extract audio or text features of a corpus into a feature store"},
    {"tokenize", cmd_tokenize, "print BERT WordPiece token ids of texts"},
    {"embed", cmd_embed, "write BERT embeddings of one text to a safetensors file"},
    {"models", cmd_models, "download pretrained models (models fetch bert-base-uncased)"},
    {"train", cmd_train, "train one system (text, audio, early/late fusion) on a feature store"},
    {"predict", cmd_predict, "class probabilities of a trained model (+ AvRec/AvAUC with labels)"},
    {"classify", cmd_classify, "the emotion of audio files (+ transcripts) with a trained model"},
    {"evaluate", cmd_evaluate, "AvRec/AvAUC of prediction CSVs: folds merged, median and IQR over seeds"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "emofuse %s: speech emotion recognition fusing acoustic and text features\n\n"
            "usage: emofuse <command> [options]   (emofuse <command> --help for details)\n\n"
            "commands:\n",
            EMOFUSE_VERSION);
    cli_print_commands(out, commands, sizeof commands / sizeof commands[0]);
}

/* Every command's standard output is checked here, once: a table or CSV that did not
 * reach its file (`> /dev/full`, a closed pipe, a full disk) must not exit 0. */
static int finish(int code)
{
    errno = 0;
    const bool bad = fflush(stdout) != 0 || ferror(stdout);
    if (bad && code == 0) { /* a failed command has reported its own error */
        fprintf(stderr, "error: writing standard output: %s\n", errno ? strerror(errno) : "write error");
        return 1;
    }
    return code;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("emofuse %s\n", EMOFUSE_VERSION);
        return finish(0);
    }
    ef_blas_park_threads(); /* short commands must not pay for OpenBLAS's spinning pool */
    ef_interrupt_install();
    return finish(cli_dispatch("", commands, sizeof commands / sizeof commands[0], usage, argc, argv));
}
