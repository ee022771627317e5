/* emofuse tokenize: not implemented yet (placeholder so the CLI builds while modules land). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_tokenize(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "error: 'tokenize' is not implemented yet\n");
    return 2;
}
