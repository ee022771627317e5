/* emofuse models <action>: prepare pretrained models. One file per action:
 * cmd_models_fetch.c, cmd_models_glove_index.c, cmd_models_random_bert.c. */
#include <stdio.h>

#include "cli/cli.h"
#include "emofuse/fetch.h"

int cmd_models_fetch(int argc, char **argv);
int cmd_models_glove_index(int argc, char **argv);
int cmd_models_random_bert(int argc, char **argv);

static const cli_command actions[] = {
    {"fetch", cmd_models_fetch, "download a BERT checkpoint (config, vocabulary, weights), resumable, hash-verified"},
    {"glove-index", cmd_models_glove_index, "convert GloVe text (.txt or .txt.gz) once into a memory-mapped index"},
    {"random-bert", cmd_models_random_bert, "a randomly initialised BERT folder for trying emofuse without weights"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse models fetch <repo> [options]\n"
            "       emofuse models glove-index <glove.txt | glove.txt.gz> [--out FILE]\n"
            "       emofuse models random-bert --texts MANIFEST.csv --out DIR [options]\n\n");
    cli_print_commands(out, actions, sizeof actions / sizeof actions[0]);
    fprintf(out,
            "\nfetch reads from $EMOFUSE_HF_ENDPOINT (default %s).\n"
            "See `emofuse models <action> --help`.\n",
            EF_FETCH_DEFAULT_ENDPOINT);
}

int cmd_models(int argc, char **argv)
{
    return cli_dispatch("models", actions, sizeof actions / sizeof actions[0], usage, argc, argv);
}
