/* MSP-PODCAST reader: Labels/labels_consensus.csv (v2; v1.x spells it "concensus"),
 * audio Audios/<FileName>, transcripts Transcripts/<name>.txt where the release has them. */
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/corpus_internal.h"
#include "emofuse/csv.h"

#define MSP_DEFAULT_MAP "A=angry,H=happy,S=sad,N=neutral"
#define ROOT_SEARCH_DEPTH 3

static const char *const label_files[] = {"Labels/labels_consensus.csv", "Labels/labels_concensus.csv"};

static bool label_file_in(const char *dir, char *out)
{
    for (int i = 0; i < 2; i++) {
        if (corpus_fmt(out, PATH_MAX, "%s/%s", dir, label_files[i]) && corpus_is_file(out)) return true;
    }
    return false;
}

/* The folder holding Labels/, searched breadth-first up to a few levels below `dir`. */
static ef_code find_label_file(const char *dir, char *out, ef_error *err)
{
    if (!corpus_is_dir(dir)) return ef_fail(err, EF_ERR_IO, "%s: not a folder", dir);
    char *level[256];
    int n = 0;
    level[n++] = strdup(dir);
    bool found = false;
    for (int depth = 0; depth <= ROOT_SEARCH_DEPTH && n > 0 && !found; depth++) {
        char *next[256];
        int m = 0;
        for (int i = 0; i < n && !found; i++) {
            if (!level[i]) continue;
            if (label_file_in(level[i], out)) {
                found = true;
                break;
            }
            if (depth == ROOT_SEARCH_DEPTH) continue;
            char **names;
            int k;
            ef_error ignore;
            if (corpus_list_dir(level[i], &names, &k, &ignore)) continue;
            for (int j = 0; j < k && m < 256; j++) {
                char *sub = corpus_join(level[i], names[j]);
                if (sub && corpus_is_dir(sub)) next[m++] = sub;
                else free(sub);
            }
            corpus_free_names(names, k);
        }
        for (int i = 0; i < n; i++) free(level[i]);
        memcpy(level, next, sizeof *next * (size_t)m);
        n = m;
        if (found)
            for (int i = 0; i < n; i++) free(level[i]);
    }
    if (!found) {
        for (int i = 0; i < n; i++) free(level[i]);
        return ef_fail(err, EF_ERR_FORMAT,
                       "%s: no MSP-PODCAST layout found (expected Labels/labels_consensus.csv or "
                       "Labels/labels_concensus.csv here or up to %d levels below)", dir, ROOT_SEARCH_DEPTH);
    }
    return EF_OK;
}

/* A transcript file's text on one line; "" when the file does not exist. */
static ef_code read_text(const char *path, char **out, ef_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return EF_OK;
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
    char *start = text;
    if ((unsigned char)start[0] == 0xEF && (unsigned char)start[1] == 0xBB && (unsigned char)start[2] == 0xBF)
        start += 3;
    memmove(text, start, strlen(start) + 1);
    corpus_squeeze_spaces(text);
    *out = text;
    return EF_OK;
}

typedef struct {
    const char *name;
    int64_t row;
} name_row;

static int cmp_name_rows(const void *a, const void *b)
{
    const name_row *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* Every FileName once, whatever its label (a duplicate of a dropped row is still a defect
 * of the file); the message names the later line. */
static ef_code check_duplicates(const ef_csv *csv, int col, const char *path, ef_error *err)
{
    name_row *v = malloc(sizeof *v * (size_t)(csv->rows + 1));
    if (!v) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    for (int64_t r = 0; r < csv->rows; r++) v[r] = (name_row){ef_csv_cell(csv, r, col), r};
    qsort(v, (size_t)csv->rows, sizeof *v, cmp_name_rows);
    ef_code rc = EF_OK;
    for (int64_t i = 1; i < csv->rows && !rc; i++)
        if (strcmp(v[i].name, v[i - 1].name) == 0)
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%lld: '%s' is listed again (first at line %lld)", path,
                         (long long)ef_csv_line(csv, v[i].row), v[i].name, (long long)ef_csv_line(csv, v[i - 1].row));
    free(v);
    return rc;
}

ef_code ef_corpus_read_msp_podcast(ef_corpus **out, const char *dir, const ef_corpus_params *p, ef_error *err)
{
    *out = NULL;
    char label_path[PATH_MAX], root[PATH_MAX];
    ef_code rc = find_label_file(dir, label_path, err);
    if (rc) return rc;
    /* root = the folder above Labels/ */
    char found[PATH_MAX];
    snprintf(found, sizeof found, "%s", label_path);
    *strrchr(found, '/') = '\0';
    *strrchr(found, '/') = '\0';
    if (!realpath(found, root)) return ef_fail(err, EF_ERR_IO, "%s: cannot resolve: %m", found);
    ef_csv csv;
    rc = ef_csv_load(&csv, label_path, ',', err);
    if (rc) return rc;
    static const char *const need[] = {"FileName", "EmoClass", "SpkrID", "Gender", "Split_Set"};
    int col[5];
    char missing[256] = "";
    for (int i = 0; i < 5; i++) {
        col[i] = ef_csv_column(&csv, need[i]);
        if (col[i] < 0) snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s",
                                 missing[0] ? ", " : "", need[i]);
    }
    if (missing[0]) {
        ef_csv_free(&csv);
        return ef_fail(err, EF_ERR_FORMAT, "%s: missing column(s) %s (need FileName, EmoClass, SpkrID, Gender, "
                       "Split_Set)", label_path, missing);
    }
    ef_label_map *defaults = NULL;
    rc = ef_label_map_parse(&defaults, MSP_DEFAULT_MAP, "MSP-PODCAST default labels", err);
    if (rc) {
        ef_csv_free(&csv);
        return rc;
    }
    rc = check_duplicates(&csv, col[0], label_path, err);
    if (rc) {
        ef_label_map_free(defaults);
        ef_csv_free(&csv);
        return rc;
    }
    static const char *const cols[] = {"id", "audio", "speaker", "emotion", "transcript", "split", "gender"};
    ef_corpus *c = NULL;
    rc = corpus_new(&c, cols, 7, err);
    if (!rc) snprintf(c->summary.root, sizeof c->summary.root, "%s", root);
    for (int64_t r = 0; r < csv.rows && !rc; r++) {
        const char *file = ef_csv_cell(&csv, r, col[0]);
        int64_t line = ef_csv_line(&csv, r);
        if (!*file || strchr(file, '/')) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%lld: FileName '%s' is empty or has a '/'", label_path,
                         (long long)line, file);
            break;
        }
        char audio[PATH_MAX];
        char id[PATH_MAX], tpath[PATH_MAX];
        size_t len = strlen(file);
        int stem = (int)(len > 4 && strcmp(file + len - 4, ".wav") == 0 ? len - 4 : len);
        if (!corpus_fmt(audio, sizeof audio, "%s/Audios/%s", root, file) ||
            !corpus_fmt(id, sizeof id, "%.*s", stem, file) ||
            !corpus_fmt(tpath, sizeof tpath, "%s/Transcripts/%s.txt", root, id)) {
            rc = ef_fail(err, EF_ERR_ARG, "%s:%lld: path too long", label_path, (long long)line);
            break;
        }
        if (!corpus_is_file(audio)) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%lld: no audio for '%s' (%s does not exist)", label_path,
                         (long long)line, file, audio);
            break;
        }
        const char *raw = ef_csv_cell(&csv, r, col[1]);
        const char *emotion = corpus_map_label(p, defaults, raw);
        if (!emotion) {
            corpus_count_label(c->summary.dropped, &c->summary.n_dropped, raw);
            continue;
        }
        char *text = NULL;
        rc = read_text(tpath, &text, err);
        if (rc) break;
        if (!text || !*text) c->summary.missing_transcripts++;
        const char *row[7] = {id, audio, ef_csv_cell(&csv, r, col[2]), emotion, text ? text : "",
                              ef_csv_cell(&csv, r, col[4]), ef_csv_cell(&csv, r, col[3])};
        rc = corpus_add_row(c, row, err);
        free(text);
    }
    ef_label_map_free(defaults);
    if (!rc) corpus_finish(c, 3);
    ef_csv_free(&csv);
    if (rc) {
        ef_corpus_free(c);
        return rc;
    }
    *out = c;
    return EF_OK;
}
