/* Progress reporting for long jobs, and cooperative interruption.
 *
 * On a terminal the reporter redraws one bar line on stderr; otherwise it prints a plain
 * line at most every `interval` seconds, so logs of batch jobs stay readable.
 * Library code calls ef_progress_step() from any thread; the reporter is thread-safe. */
#ifndef EMOFUSE_PROGRESS_H
#define EMOFUSE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ef_progress ef_progress;

/* label: e.g. "audio features"; total: number of items (0 = unknown).
 * out: stream (NULL = silent). tty: -1 = detect with isatty, 0/1 = force. */
ef_progress *ef_progress_new(const char *label, int64_t total, FILE *out, int tty);
void ef_progress_step(ef_progress *p, int64_t n);
/* Print the final line (with elapsed time) and free. NULL is allowed. */
void ef_progress_finish(ef_progress *p);

/* Interruption: ef_interrupt_install() makes SIGINT/SIGTERM set a flag instead of
 * killing the process; long loops poll ef_interrupted() and stop cleanly (keeping what is
 * finished). A second SIGINT kills the process at once. */
void ef_interrupt_install(void);
bool ef_interrupted(void);
/* What SIGINT does, from code (a GUI's Cancel button, a watchdog): long loops stop at
 * their next check. ef_interrupt_clear() lowers the flag again, so that a process can go
 * on with new work after an interruption. */
void ef_interrupt_request(void);
void ef_interrupt_clear(void);

/* Wall-clock seconds from a monotonic clock. */
double ef_now(void);

#endif
