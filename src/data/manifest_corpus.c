/* A user's own manifest as a corpus: every column kept, raw labels mapped through a label
 * map (default: the four classes as they are), unmapped rows dropped and counted, audio
 * checked to exist. RAVDESS is the worked example in docs/corpora.md. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/corpus_internal.h"
#include "emofuse/csv.h"

#define MANIFEST_DEFAULT_MAP "angry=angry,happy=happy,sad=sad,neutral=neutral"

ef_code ef_corpus_read_manifest(ef_corpus **out, const char *path, const ef_corpus_params *p, ef_error *err)
{
    *out = NULL;
    ef_csv csv;
    ef_code rc = ef_csv_load(&csv, path, ',', err);
    if (rc) return rc;
    const char *label_column = p->label_column ? p->label_column : "emotion";
    int id_col = ef_csv_column(&csv, "id"), audio_col = ef_csv_column(&csv, "audio");
    int label_col = ef_csv_column(&csv, label_column);
    if (id_col < 0 || audio_col < 0 || label_col < 0) {
        ef_csv_free(&csv);
        return ef_fail(err, EF_ERR_FORMAT, "%s: needs the columns id, audio and %s", path, label_column);
    }
    /* Audio paths in the input are relative to its folder. */
    char folder[PATH_MAX], dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!corpus_fmt(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".")) {
        ef_csv_free(&csv);
        return ef_fail(err, EF_ERR_ARG, "%s: path too long", path);
    }
    if (slash == path) snprintf(dir, sizeof dir, "/");
    if (!realpath(dir, folder)) {
        ef_csv_free(&csv);
        return ef_fail(err, EF_ERR_IO, "%s: cannot resolve its folder: %m", path);
    }
    ef_label_map *defaults = NULL;
    rc = ef_label_map_parse(&defaults, MANIFEST_DEFAULT_MAP, "default labels", err);
    ef_corpus *c = NULL;
    /* Column order: id first (the table sorts by cells[0]), then the file's order. */
    const char **cols = malloc(sizeof *cols * (size_t)csv.cols);
    int *src = malloc(sizeof *src * (size_t)csv.cols);
    const char **row = malloc(sizeof *row * (size_t)csv.cols);
    if (!rc && (!cols || !src || !row)) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    int emotion_out = -1;
    if (!rc) {
        int k = 0;
        src[k] = id_col;
        cols[k++] = "id";
        for (int i = 0; i < csv.cols; i++)
            if (i != id_col) {
                if (i == label_col) emotion_out = k;
                src[k] = i;
                cols[k++] = csv.header[i];
            }
        rc = corpus_new(&c, cols, csv.cols, err);
    }
    if (!rc) snprintf(c->summary.root, sizeof c->summary.root, "%s", folder);
    for (int64_t r = 0; r < csv.rows && !rc; r++) {
        const char *raw = ef_csv_cell(&csv, r, label_col);
        const char *label = corpus_map_label(p, defaults, raw);
        if (!label) {
            corpus_count_label(c->summary.dropped, &c->summary.n_dropped, raw[0] ? raw : "(empty)");
            continue;
        }
        const char *rel = ef_csv_cell(&csv, r, audio_col);
        char audio[PATH_MAX];
        if (!(rel[0] == '/' ? corpus_fmt(audio, sizeof audio, "%s", rel)
                            : corpus_fmt(audio, sizeof audio, "%s/%s", folder, rel))) {
            rc = ef_fail(err, EF_ERR_ARG, "%s:%lld: audio path too long", path, (long long)ef_csv_line(&csv, r));
            break;
        }
        if (!ef_csv_cell(&csv, r, id_col)[0]) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%lld: empty id", path, (long long)ef_csv_line(&csv, r));
            break;
        }
        if (!rel[0] || !corpus_is_file(audio)) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%lld: no audio for '%s' (%s does not exist)", path,
                         (long long)ef_csv_line(&csv, r), ef_csv_cell(&csv, r, id_col), rel[0] ? audio : "empty path");
            break;
        }
        for (int i = 0; i < csv.cols; i++) row[i] = ef_csv_cell(&csv, r, src[i]);
        row[emotion_out] = label;
        for (int i = 0; i < csv.cols; i++)
            if (src[i] == audio_col) row[i] = audio;
        rc = corpus_add_row(c, row, err);
    }
    if (!rc) {
        corpus_finish(c, emotion_out);
        for (int64_t r = 1; r < c->nrows && !rc; r++)
            if (strcmp(c->cells[r * c->ncols], c->cells[(r - 1) * c->ncols]) == 0)
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: id '%s' appears more than once", path, c->cells[r * c->ncols]);
    }
    free(cols);
    free(src);
    free(row);
    ef_label_map_free(defaults);
    ef_csv_free(&csv);
    if (rc) {
        ef_corpus_free(c);
        return rc;
    }
    *out = c;
    return EF_OK;
}
