/* Label maps (`raw=class` per line or comma-separated): how a corpus's raw emotion labels
 * become the classes an experiment uses. Small (tens of entries), so a linear scan. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/corpus_internal.h"

typedef struct {
    char *raw, *cls;
} entry;

struct ef_label_map {
    entry *e;
    int n, cap;
};

void ef_label_map_free(ef_label_map *m)
{
    if (!m) return;
    for (int i = 0; i < m->n; i++) {
        free(m->e[i].raw);
        free(m->e[i].cls);
    }
    free(m->e);
    free(m);
}

const char *ef_label_map_lookup(const ef_label_map *m, const char *raw)
{
    for (int i = 0; m && i < m->n; i++)
        if (strcmp(m->e[i].raw, raw) == 0) return m->e[i].cls;
    return NULL;
}

int ef_label_map_size(const ef_label_map *m) { return m ? m->n : 0; }

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

/* One entry "raw=class" (already split from its neighbours); `where` names it in errors. */
static ef_code add_entry(ef_label_map *m, char *item, const char *where, ef_error *err)
{
    char *hash = strchr(item, '#');
    if (hash) *hash = '\0';
    item = trim(item);
    if (!*item) return EF_OK;
    char *eq = strchr(item, '=');
    if (!eq) return ef_fail(err, EF_ERR_FORMAT, "%s: '%s' is not raw=class", where, item);
    *eq = '\0';
    char *raw = trim(item), *cls = trim(eq + 1);
    if (!*raw || !*cls) return ef_fail(err, EF_ERR_FORMAT, "%s: empty label in '%s=%s'", where, raw, cls);
    if (strpbrk(cls, ",\"\n")) return ef_fail(err, EF_ERR_FORMAT, "%s: class '%s' contains a comma or quote", where, cls);
    const char *old = ef_label_map_lookup(m, raw);
    if (old) {
        if (strcmp(old, cls) == 0) return EF_OK;
        return ef_fail(err, EF_ERR_FORMAT, "%s: '%s' mapped to both '%s' and '%s'", where, raw, old, cls);
    }
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 16;
        entry *ne = realloc(m->e, sizeof *ne * (size_t)cap);
        if (!ne) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", where);
        m->e = ne;
        m->cap = cap;
    }
    m->e[m->n].raw = strdup(raw);
    m->e[m->n].cls = strdup(cls);
    if (!m->e[m->n].raw || !m->e[m->n].cls) {
        free(m->e[m->n].raw);
        free(m->e[m->n].cls);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", where);
    }
    m->n++;
    return EF_OK;
}

/* Splits on newlines (and commas when allowed); line numbers go into error messages. */
static ef_code parse(ef_label_map **out, const char *text, const char *name, bool commas, ef_error *err)
{
    *out = NULL;
    ef_label_map *m = calloc(1, sizeof *m);
    char *copy = strdup(text);
    if (!m || !copy) {
        free(m);
        free(copy);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", name);
    }
    ef_code rc = EF_OK;
    int line = 1;
    for (char *p = copy; *p && !rc; line++) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        char where[1200];
        snprintf(where, sizeof where, "%s:%d", name, line);
        if (commas) {
            char *save = NULL;
            for (char *item = strtok_r(p, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save))
                rc = add_entry(m, item, where, err);
        } else {
            rc = add_entry(m, p, where, err);
        }
        if (!nl) break;
        p = nl + 1;
    }
    free(copy);
    if (!rc && m->n == 0) rc = ef_fail(err, EF_ERR_FORMAT, "%s: the label map has no raw=class entries", name);
    if (rc) {
        ef_label_map_free(m);
        return rc;
    }
    *out = m;
    return EF_OK;
}

ef_code ef_label_map_parse(ef_label_map **out, const char *text, const char *name, ef_error *err)
{
    return parse(out, text, name, true, err);
}

ef_code ef_label_map_load(ef_label_map **out, const char *path, ef_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %m", path);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    int ch;
    while (mem && (ch = fgetc(fp)) != EOF) fputc(ch, mem);
    bool bad = ferror(fp);
    fclose(fp);
    if (!mem) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    fclose(mem);
    if (bad) {
        free(text);
        return ef_fail(err, EF_ERR_IO, "%s: read error: %s", path, strerror(errno));
    }
    if (strlen(text) != len) {
        free(text);
        return ef_fail(err, EF_ERR_FORMAT, "%s: contains NUL bytes (not a text file)", path);
    }
    /* A file is one entry per line: commas would be part of a label there. */
    ef_code rc = parse(out, text, path, false, err);
    free(text);
    return rc;
}
