/* emofuse report OUT: merge the finished runs of an experiment folder (all shards) into
 * scores/ and write table1.md and table1.csv. */
#include <stdio.h>

#include "cli/cli.h"
#include "emofuse/experiment.h"

int cmd_report(int argc, char **argv)
{
    if (argc == 2 && cli_is_help(argv[1])) {
        printf("usage: emofuse report OUT\n\n"
               "Merges the finished runs of the experiment folder OUT (every shard's) into\n"
               "OUT/scores/<system>/seed<k>.csv and writes OUT/table1.md and OUT/table1.csv.\n"
               "Exit status 0 when the grid is complete, 3 when some runs are still missing.\n");
        return 0;
    }
    if (argc != 2) return cli_usage_error("report: expected one experiment folder (see emofuse report --help)");
    ef_error err = {0};
    bool complete = false;
    if (ef_experiment_report(argv[1], stderr, &complete, &err)) return cli_fail(&err);
    return complete ? 0 : 3;
}
