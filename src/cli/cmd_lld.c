/* emofuse lld: not implemented yet (placeholder so the CLI builds while modules land). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_lld(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "error: 'lld' is not implemented yet\n");
    return 2;
}
