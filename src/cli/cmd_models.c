/* emofuse models: not implemented yet (placeholder so the CLI builds while modules land). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_models(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "error: 'models' is not implemented yet\n");
    return 2;
}
