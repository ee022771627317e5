/* emofuse embed: not implemented yet (placeholder so the CLI builds while modules land). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_embed(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "error: 'embed' is not implemented yet\n");
    return 2;
}
