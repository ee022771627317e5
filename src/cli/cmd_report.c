/* emofuse report OUT: merge the finished runs of an experiment folder (all shards) into
 * scores/ and write the tables, figures and report.html. emofuse report OUT... -o DIR:
 * Figure 3 of several experiments side by side, one panel per corpus. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "emofuse/experiment.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse report OUT\n"
            "       emofuse report OUT [OUT...] -o DIR\n\n"
            "Merges the finished runs of the experiment folder OUT (every shard's) into\n"
            "OUT/scores/<system>/seed<k>.csv and writes OUT/table1.md, OUT/table1.csv, the\n"
            "significance results, the figures and OUT/report.html.\n"
            "Exit status 0 when the grid is complete, 3 when some runs are still missing.\n\n"
            "With -o DIR: writes DIR/fig3.svg, .pdf and .png, Figure 3 with one panel per OUT\n"
            "(e.g. IEMOCAP and MSP-PODCAST side by side), titled with each corpus' name, from the\n"
            "OUTs' seeds.csv (run `emofuse report OUT` on each first).\n");
}

int cmd_report(int argc, char **argv)
{
    const char *dir = NULL;
    static const struct option opts[] = {{"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "o:h", opts, "report")) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    const char **outs = (const char **)argv + optind;
    int n = argc - optind;
    if (n > 64) return cli_usage_error("report: at most 64 experiment folders");
    if (n == 0 || (n > 1 && !dir))
        return cli_usage_error("report: expected one experiment folder, or several with -o DIR "
                               "(see emofuse report --help)");
    ef_error err = {0};
    if (dir) {
        if (ef_experiment_fig3(outs, n, dir, &err)) return cli_fail(&err);
        printf("%s/fig3.svg\n%s/fig3.pdf\n%s/fig3.png\n", dir, dir, dir);
        return 0;
    }
    bool complete = false;
    if (ef_experiment_report(outs[0], stderr, &complete, &err)) return cli_fail(&err);
    return complete ? 0 : 3;
}
