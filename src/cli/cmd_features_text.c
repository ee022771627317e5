/* emofuse features text: placeholder until the BERT and GloVe front ends land. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/features_common.h"

int cmd_features_text(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_usage_error("features text: not implemented yet");
}
