/* Subcommand dispatch, written once for `emofuse <command>`, `emofuse features <kind>` and
 * `emofuse models <action>`: a table of names, functions and one-line summaries. */
#include "cli/cli.h"

#include <string.h>

void cli_print_commands(FILE *out, const cli_command *table, size_t n)
{
    for (size_t i = 0; i < n; i++) fprintf(out, "  %-12s %s\n", table[i].name, table[i].summary);
}

int cli_dispatch(const char *group, const cli_command *table, size_t n, void (*usage)(FILE *out), int argc,
                 char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[1], table[i].name) == 0) return table[i].run(argc - 1, argv + 1);
    char names[512] = "";
    for (size_t i = 0, len = 0; i < n && len < sizeof names; i++)
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", table[i].name);
    const char *space = group[0] ? " " : "";
    return cli_usage_error("%s%sunknown command '%s' (one of: %s; see emofuse%s%s --help)", group, group[0] ? ": " : "",
                           argv[1], names, space, group);
}
