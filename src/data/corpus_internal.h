/* The corpus table shared by the readers (private to the data module). */
#ifndef EMOFUSE_DATA_CORPUS_INTERNAL_H
#define EMOFUSE_DATA_CORPUS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emofuse/corpus.h"

struct ef_corpus {
    int ncols;
    char **cols;        /* column names; cols[0] is "id" */
    int audio_col;      /* holds absolute paths */
    int64_t nrows, cap;
    char **cells;       /* (nrows, ncols), each cell malloc'ed */
    ef_corpus_summary summary;
};

ef_code corpus_new(ef_corpus **out, const char *const *cols, int ncols, ef_error *err);
/* Append a row (cells copied). */
ef_code corpus_add_row(ef_corpus *c, const char *const *cells, ef_error *err);
/* Sort rows by id, fill summary.rows and summary.kept from column `emotion_col`. */
void corpus_finish(ef_corpus *c, int emotion_col);
/* Add one to `name`'s count in a sorted list of at most EF_CORPUS_MAX_LABELS entries
 * (the last entry collects "(other)" once the list is full). */
void corpus_count_label(ef_label_count *list, int *n, const char *name);

/* The label a row gets: the raw label with all_labels, else the map's class (the given
 * default map when p has none); NULL means drop. */
const char *corpus_map_label(const ef_corpus_params *p, const ef_label_map *default_map, const char *raw);

/* True if path names an existing regular file. */
bool corpus_is_file(const char *path);
bool corpus_is_dir(const char *path);
/* True for macOS AppleDouble companions ("._name"), which tarballs scatter everywhere. */
bool corpus_is_appledouble(const char *name);
/* Collapse whitespace runs (spaces, tabs, CR, LF) to one space and trim, in place. */
void corpus_squeeze_spaces(char *s);
/* snprintf that reports truncation (false) so a path longer than the buffer becomes an
 * error instead of a silently shortened path. */
bool corpus_fmt(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* malloc'ed "a/b". */
char *corpus_join(const char *a, const char *b);

/* Sorted names of a folder's entries (AppleDouble and dot files skipped). On success
 * *names is a malloc'ed array of malloc'ed strings (free with corpus_free_names). */
ef_code corpus_list_dir(const char *dir, char ***names, int *n, ef_error *err);
void corpus_free_names(char **names, int n);

#endif
