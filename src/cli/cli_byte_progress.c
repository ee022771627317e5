/* Progress of a long byte-counted job (a download, a GloVe text being indexed) on stderr,
 * shared by the commands that have one. */
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "emofuse/progress.h"

void cli_byte_progress_init(cli_byte_progress *p)
{
    p->tty = isatty(fileno(stderr));
    p->last = ef_now();
}

void cli_byte_progress_show(cli_byte_progress *p, const char *label, int64_t done, int64_t total)
{
    const double now = ef_now();
    const bool final = total >= 0 && done == total;
    /* a terminal gets one line redrawn in place; a log file one line per 5 s and the last */
    if (!p->tty && !final && now - p->last < 5.0) return;
    p->last = now;
    const char *start = p->tty ? "\r" : "", *end = p->tty ? (final ? "\n" : "   ") : "\n";
    if (total > 0)
        fprintf(stderr, "%s%s: %.1f / %.1f MB (%.0f%%)%s", start, label, done / 1e6, total / 1e6,
                100.0 * (double)done / (double)total, end);
    else
        fprintf(stderr, "%s%s: %.1f MB%s", start, label, done / 1e6, end);
    fflush(stderr);
}

void cli_byte_progress_log(const cli_byte_progress *p, const char *msg)
{
    fprintf(stderr, "%s%s\n", p->tty ? "\n" : "", msg); /* off the redrawn line first */
}
