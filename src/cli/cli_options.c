/* One way to read options in every subcommand: getopt_long, with its own messages off and
 * the house's on ("error: <cmd>: ..." naming the option, exit code 2 by the caller). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts, const char *cmd)
{
    /* A leading ':' makes getopt_long quiet and tell a missing value (':') from an unknown
     * option ('?'); callers write their option strings without it. */
    char quiet[128];
    if (shortopts[0] == '+' || shortopts[0] == '-') /* the ordering flag must stay first */
        snprintf(quiet, sizeof quiet, "%c:%s", shortopts[0], shortopts + 1);
    else
        snprintf(quiet, sizeof quiet, ":%s", shortopts);
    int c = getopt_long(argc, argv, quiet, longopts, NULL);
    if (c != '?' && c != ':') return c;
    /* optind has moved past the offending word; a short option inside a cluster (-xq) is
     * named by optopt. */
    const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    char shortname[3] = {'-', (char)optopt, '\0'};
    const char *name = word[0] == '-' && word[1] == '-' ? word : optopt ? shortname : word;
    if (c == ':')
        cli_usage_error("%s: option '%s' needs a value (see emofuse %s --help)", cmd, name, cmd);
    else
        cli_usage_error("%s: unknown option '%s' (see emofuse %s --help)", cmd, name, cmd);
    return '?';
}
