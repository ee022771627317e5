/* Strict JSON (json_strict.h): json-c's strict tokener for the grammar, then one lexical
 * pass of our own for what it lets through (single quotes, bare words such as NaN,
 * duplicate keys). */
#include "emofuse/json_strict.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void line_col(const char *text, size_t off, long *line, long *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else ++*col;
    }
}

static ef_code fail_at(ef_error *err, const char *what, const char *text, size_t off, const char *fmt, const char *arg)
{
    long line, col;
    line_col(text, off, &line, &col);
    char cause[200];
    snprintf(cause, sizeof cause, fmt, arg);
    return ef_fail(err, EF_ERR_FORMAT, "%s:%ld:%ld: %s", what, line, col, cause);
}

/* Each span carries its text: qsort has no context argument, and a file-level pointer to
 * the text would race when threads parse at once (an experiment's workers load models). */
typedef struct {
    const char *text;
    size_t start, len, off; /* the key as written (between the quotes) and where it starts */
} key_span;

static int cmp_span(const void *a, const void *b)
{
    const key_span *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text + x->start, y->text + y->start, n);
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off; /* equal keys: report the later one */
}

/* JSON's number grammar (RFC 8259): -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
 * json-c also takes "-.5", "1." and "01"; a strict reader must not. */
static bool json_number_ok(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i < n && s[i] == '0') i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    else return false;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == d) return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == d) return false;
    }
    return i == n;
}

/* The lexical pass over text that json-c already parsed: every string is double-quoted and
 * terminated, so a simple scanner is exact. Keys of each object are collected on a stack
 * and checked (sorted) when the object closes. */
static ef_code lexical_check(const char *text, size_t len, const char *what, ef_error *err)
{
    key_span *keys = NULL;
    size_t nkeys = 0, kcap = 0;
    size_t *open = NULL; /* per open container: first key index, or SIZE_MAX for an array */
    size_t depth = 0, ocap = 0;
    ef_code rc = EF_OK;
    for (size_t i = 0; i < len && !rc; i++) {
        const char c = text[i];
        if (c == '"') {
            const size_t start = i + 1;
            for (i = start; i < len && text[i] != '"'; i++)
                if (text[i] == '\\') i++;
            size_t j = i + 1;
            while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r')) j++;
            if (depth > 0 && open[depth - 1] != (size_t)-1 && j < len && text[j] == ':') {
                if (nkeys == kcap) {
                    kcap = kcap ? 2 * kcap : 64;
                    key_span *nk = realloc(keys, kcap * sizeof *keys);
                    if (!nk) {
                        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", what);
                        break;
                    }
                    keys = nk;
                }
                keys[nkeys++] = (key_span){text, start, i - start, start - 1};
            }
        } else if (c == '{' || c == '[') {
            if (depth == ocap) {
                ocap = ocap ? 2 * ocap : 16;
                size_t *no = realloc(open, ocap * sizeof *open);
                if (!no) {
                    rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", what);
                    break;
                }
                open = no;
            }
            open[depth++] = c == '{' ? nkeys : (size_t)-1;
        } else if (c == '}' || c == ']') {
            if (depth == 0) break; /* cannot happen after a successful parse */
            const size_t first = open[--depth];
            if (c == '}' && first != (size_t)-1) {
                const size_t n = nkeys - first;
                if (n > 1) {
                    qsort(keys + first, n, sizeof *keys, cmp_span);
                    for (size_t k = first + 1; k < nkeys && !rc; k++)
                        if (keys[k].len == keys[k - 1].len &&
                            memcmp(text + keys[k].start, text + keys[k - 1].start, keys[k].len) == 0) {
                            char name[120];
                            snprintf(name, sizeof name, "%.*s", (int)(keys[k].len < 100 ? keys[k].len : 100),
                                     text + keys[k].start);
                            rc = fail_at(err, what, text, keys[k].off, "duplicate key \"%s\" in one object", name);
                        }
                }
                nkeys = first;
            }
        } else if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) {
            size_t j = i;
            while (j < len && (text[j] == '-' || text[j] == '+' || text[j] == '.' || text[j] == 'e' ||
                               text[j] == 'E' || (text[j] >= '0' && text[j] <= '9')))
                j++;
            if (!json_number_ok(text + i, j - i)) {
                char tok[40];
                snprintf(tok, sizeof tok, "%.*s", (int)(j - i < 30 ? j - i : 30), text + i);
                rc = fail_at(err, what, text, i, "'%s' is not a JSON number", tok);
            }
            i = j - 1;
        } else if (c == '\'') {
            rc = fail_at(err, what, text, i, "single quotes are not JSON%s (use \")", "");
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            size_t j = i;
            while (j < len && ((text[j] >= 'a' && text[j] <= 'z') || (text[j] >= 'A' && text[j] <= 'Z'))) j++;
            const size_t n = j - i;
            const bool word = (n == 4 && (!memcmp(text + i, "true", 4) || !memcmp(text + i, "null", 4))) ||
                              (n == 5 && !memcmp(text + i, "false", 5));
            const bool exponent = (c == 'e' || c == 'E') && n == 1 && i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9';
            if (!word && !exponent) {
                char tok[40];
                snprintf(tok, sizeof tok, "%.*s", (int)(n < 30 ? n : 30), text + i);
                rc = fail_at(err, what, text, i, "'%s' is not a JSON value (NaN and Infinity are not JSON)", tok);
            }
            i = j - 1;
        }
    }
    free(keys);
    free(open);
    return rc;
}

ef_code ef_json_parse_strict(json_object **out, const char *text, size_t len, const char *what, ef_error *err)
{
    *out = NULL;
    const char *nul = memchr(text, '\0', len);
    if (nul) return fail_at(err, what, text, (size_t)(nul - text), "a NUL byte%s in the text", "");
    if (len > (size_t)INT32_MAX) return ef_fail(err, EF_ERR_FORMAT, "%s: too large for a JSON file", what);
    json_tokener *tok = json_tokener_new();
    if (!tok) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", what);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr == json_tokener_continue || (!root && jerr == json_tokener_success)) {
        json_object_put(root);
        return fail_at(err, what, text, len, len ? "invalid JSON: unexpected end of the text%s" : "invalid JSON: empty, no value%s", "");
    }
    if (jerr != json_tokener_success) {
        json_object_put(root);
        /* json-c stops at the first character that cannot continue the value: after a
         * complete value that is trailing text (a second object, garbage). */
        return fail_at(err, what, text, end < len ? end : len, "invalid JSON: %s", json_tokener_error_desc(jerr));
    }
    for (size_t i = end; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r') {
            json_object_put(root);
            return fail_at(err, what, text, i, "unexpected text after the JSON value%s", "");
        }
    ef_code rc = lexical_check(text, len, what, err);
    if (rc) {
        json_object_put(root);
        return rc;
    }
    *out = root;
    return EF_OK;
}

ef_code ef_json_load_strict(json_object **out, const char *path, size_t max_bytes, ef_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(fp);
        return ef_fail(err, EF_ERR_IO, "%s: is a directory, not a JSON file", path);
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    ef_code rc = EF_OK;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            if (cap > max_bytes) {
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: larger than %zu bytes, not a settings file", path, max_bytes);
                break;
            }
            cap = cap ? 2 * cap : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len - 1, fp);
        len += r;
        if (r == 0) break;
    }
    if (!rc && ferror(fp)) rc = ef_fail(err, EF_ERR_IO, "%s: read error: %s", path, strerror(errno));
    fclose(fp);
    if (!rc && len > max_bytes)
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: larger than %zu bytes, not a settings file", path, max_bytes);
    if (!rc) rc = ef_json_parse_strict(out, buf, len, path, err);
    free(buf);
    return rc;
}
