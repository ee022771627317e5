/* RFC 4180 CSV parsing into a table of strings (internal to the io module). */
#ifndef EMOFUSE_IO_CSV_H
#define EMOFUSE_IO_CSV_H

#include <stdint.h>

#include "emofuse/status.h"

typedef struct {
    char **cells;    /* (rows + 1) * cols, row-major, row 0 = header; strings live in `text` */
    int64_t rows;    /* data rows (header excluded) */
    int cols;
    char **header;   /* = cells: the cols names */
    char *text;      /* the file, rewritten in place into NUL-terminated cells */
} ef_csv;

/* Parse a CSV with a header row. sep is ',' or ';'. Every row must have the header's
 * column count (error names file:line). Blank lines are skipped; CRLF is accepted; a
 * UTF-8 BOM is skipped. */
ef_code ef_csv_load(ef_csv *csv, const char *path, char sep, ef_error *err);
void ef_csv_free(ef_csv *csv);

#endif
