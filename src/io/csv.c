/* A small in-place RFC 4180 parser: the file is read once and cells are unquoted inside
 * the same buffer, so a 10k-row manifest costs one allocation plus the cell table. */
#include "emofuse/csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ef_code read_all(const char *path, char **out, size_t *len, ef_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, fp);
        n += r;
        if (n < cap) break;
        char *nb = realloc(buf, 2 * cap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(fp), e = errno;
    fclose(fp);
    if (!buf) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    if (bad) {
        free(buf);
        return e == EISDIR ? ef_fail(err, EF_ERR_IO, "%s: is a directory, not a CSV file", path)
                           : ef_fail(err, EF_ERR_IO, "%s: read error: %s", path, strerror(e));
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return EF_OK;
}

void ef_csv_free(ef_csv *csv)
{
    free(csv->cells);
    free(csv->lines);
    free(csv->text);
    memset(csv, 0, sizeof *csv);
}

/* Parses one record starting at *pos; writes cell pointers into a growable array. */
ef_code ef_csv_load(ef_csv *csv, const char *path, char sep, ef_error *err)
{
    memset(csv, 0, sizeof *csv);
    size_t len = 0;
    ef_code rc = read_all(path, &csv->text, &len, err);
    if (rc) return rc;
    if (memchr(csv->text, '\0', len)) {
        ef_csv_free(csv);
        return ef_fail(err, EF_ERR_FORMAT, "%s: contains NUL bytes (not a text CSV file)", path);
    }
    char *p = csv->text, *end = csv->text + len;
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
    size_t cap = 1024, n = 0;
    char **cells = malloc(cap * sizeof *cells);
    if (!cells) {
        ef_csv_free(csv);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    }
    int64_t line = 1;
    int cols = -1;
    int64_t records = 0, lines_cap = 0;
    while (p < end) {
        /* Skip blank lines. */
        if (*p == '\n' || *p == '\r') {
            if (*p == '\n') line++;
            p++;
            continue;
        }
        int64_t rec_line = line;
        int ncol = 0;
        for (;;) {
            char *cell = p, *w = p;
            if (*p == '"') {
                p++;
                for (;;) {
                    if (p >= end) {
                        free(cells);
                        ef_csv_free(csv);
                        return ef_fail(err, EF_ERR_FORMAT, "%s:%lld: unterminated quoted field", path,
                                       (long long)rec_line);
                    }
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"') {
                            *w++ = '"';
                            p += 2;
                            continue;
                        }
                        p++;
                        break;
                    }
                    if (*p == '\n') line++;
                    *w++ = *p++;
                }
                if (p < end && *p != sep && *p != '\n' && *p != '\r') {
                    free(cells);
                    ef_csv_free(csv);
                    return ef_fail(err, EF_ERR_FORMAT, "%s:%lld: text after a closing quote", path, (long long)line);
                }
            } else {
                while (p < end && *p != sep && *p != '\n' && *p != '\r') *w++ = *p++;
            }
            char term = p < end ? *p : '\n';
            *w = '\0';
            if (n == cap) {
                char **nc = realloc(cells, 2 * cap * sizeof *nc);
                if (!nc) {
                    free(cells);
                    ef_csv_free(csv);
                    return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
                }
                cells = nc;
                cap *= 2;
            }
            cells[n++] = cell;
            ncol++;
            if (p < end) *p = '\0';
            p++;
            if (term == sep) continue;
            if (term == '\r' && p < end && *p == '\n') p++;
            line++;
            break;
        }
        if (records == lines_cap) {
            lines_cap = lines_cap ? 2 * lines_cap : 256;
            /* Kept in csv->lines as it grows, so every error path's ef_csv_free frees it. */
            int64_t *nl = realloc(csv->lines, sizeof *nl * (size_t)lines_cap);
            if (!nl) {
                free(cells);
                ef_csv_free(csv);
                return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
            }
            csv->lines = nl;
        }
        csv->lines[records] = rec_line;
        if (cols < 0) cols = ncol;
        else if (ncol != cols) {
            free(cells);
            ef_csv_free(csv);
            return ef_fail(err, EF_ERR_FORMAT, "%s:%lld: %d fields, but the header has %d", path, (long long)rec_line,
                           ncol, cols);
        }
        records++;
    }
    if (records == 0) {
        free(cells);
        ef_csv_free(csv);
        return ef_fail(err, EF_ERR_FORMAT, "%s: empty file (no header row)", path);
    }
    csv->cols = cols;
    csv->header = cells;
    csv->cells = cells;
    csv->rows = records - 1;
    /* cells[0..cols) is the header; data rows follow. Expose data rows via cells + cols. */
    return EF_OK;
}

int ef_csv_column(const ef_csv *csv, const char *name)
{
    for (int c = 0; c < csv->cols; c++)
        if (strcmp(csv->header[c], name) == 0) return c;
    return -1;
}

int ef_csv_write_field(FILE *fp, const char *field)
{
    if (!strpbrk(field, ",\"\r\n")) return fputs(field, fp);
    if (fputc('"', fp) == EOF) return -1;
    for (const char *p = field; *p; p++) {
        if (*p == '"' && fputc('"', fp) == EOF) return -1;
        if (fputc(*p, fp) == EOF) return -1;
    }
    return fputc('"', fp) == EOF ? -1 : 0;
}

int ef_csv_write_row(FILE *fp, const char *const *fields, int n)
{
    for (int i = 0; i < n; i++) {
        if (i && fputc(',', fp) == EOF) return -1;
        if (ef_csv_write_field(fp, fields[i]) < 0) return -1;
    }
    return fputc('\n', fp) == EOF ? -1 : 0;
}
