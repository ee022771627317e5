/* CSV files (RFC 4180): parsing into a table of strings, and writing fields with the
 * quoting a parser needs. Manifests, fold files, label files and prediction files all
 * go through here, so every reader agrees on what a CSV is. */
#ifndef EMOFUSE_CSV_H
#define EMOFUSE_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "emofuse/status.h"

typedef struct {
    char **cells;    /* (rows + 1) * cols, row-major, row 0 = header; strings live in `text` */
    int64_t rows;    /* data rows (header excluded) */
    int cols;
    char **header;   /* = cells: the cols names */
    int64_t *lines;  /* (rows + 1): 1-based line of the file where each record starts
                        (lines[0] = header), for "file:line: cause" messages */
    char *text;      /* the file, rewritten in place into NUL-terminated cells */
} ef_csv;

/* Parse a CSV with a header row. sep is ',' or ';'. Every row must have the header's
 * column count (error names file:line). Blank lines are skipped; CRLF is accepted; a
 * UTF-8 BOM is skipped. */
ef_code ef_csv_load(ef_csv *csv, const char *path, char sep, ef_error *err);
void ef_csv_free(ef_csv *csv);

/* Column index of a header name, -1 when absent. */
int ef_csv_column(const ef_csv *csv, const char *name);
/* Cell of data row r (0-based, header excluded). */
static inline const char *ef_csv_cell(const ef_csv *csv, int64_t r, int col)
{
    return csv->cells[(r + 1) * csv->cols + col];
}
/* 1-based file line where data row r starts. */
static inline int64_t ef_csv_line(const ef_csv *csv, int64_t r) { return csv->lines[r + 1]; }

/* Write one field, quoted (inner quotes doubled) iff it contains a comma, a double quote,
 * CR or LF; otherwise as is. Returns the stdio result (< 0 on error). */
int ef_csv_write_field(FILE *fp, const char *field);
/* Write a record: fields separated by commas, then LF. Returns < 0 on error. */
int ef_csv_write_row(FILE *fp, const char *const *fields, int n);

#endif
