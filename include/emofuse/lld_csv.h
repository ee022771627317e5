/* The LLD CSV format of `emofuse lld` (';'-separated, header "frameTime;<36 names>", one
 * row per frame: frameTime as printf "%.6f", values as printf "%.7g") and the two number
 * formatters behind it. The formatters produce exactly the bytes glibc's printf does
 * (exact binary-to-decimal rounding, ties to even) about 10x faster, which matters because
 * printf took as long as extracting the LLDs (bench/README.md, "LLDs"). */
#ifndef EMOFUSE_LLD_CSV_H
#define EMOFUSE_LLD_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emofuse/status.h"

/* Longest output of the two formatters below, without a terminator ("-1.234567e-38"). */
#define EF_FMT_MAX 24

/* Writes printf("%.7g", (double)v) into buf (no terminator); returns its length. */
size_t ef_fmt_g7(char *buf, float v);
/* Writes printf("%.6f", v) into buf (no terminator); returns its length. |v| >= 1e12
 * (never a frame time) goes through snprintf and may need up to 330 bytes: callers pass
 * EF_FMT_MAX and get a truncated-free result only below that. */
size_t ef_fmt_f6(char *buf, size_t cap, double v);

/* Writes the header and T rows of x (T, 36) (row t at time t * step seconds) to f in
 * large blocks. EF_ERR_IO when a write fails (what: the name used in the message). */
ef_code ef_lld_csv_write(FILE *f, const char *what, const float *x, int64_t T, double step, ef_error *err);

#endif
