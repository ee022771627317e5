/* Corpus manifests: a CSV with a header row; columns at least `id` and `audio` (path
 * relative to the manifest's directory); optional `transcript`, `emotion`, `speaker`,
 * and any others (kept as strings). RFC 4180 quoting is understood. */
#ifndef EMOFUSE_MANIFEST_H
#define EMOFUSE_MANIFEST_H

#include <stdint.h>

#include "emofuse/status.h"

typedef struct ef_manifest ef_manifest;

ef_code ef_manifest_load(ef_manifest **out, const char *path, ef_error *err);
void ef_manifest_free(ef_manifest *m);

int64_t ef_manifest_rows(const ef_manifest *m);
/* Column index by name, -1 when absent. */
int ef_manifest_column(const ef_manifest *m, const char *name);
/* Cell text ("" for an empty cell). */
const char *ef_manifest_cell(const ef_manifest *m, int64_t row, int col);
/* Row of an id, -1 when absent (ids are unique: duplicates are a load error). */
int64_t ef_manifest_find(const ef_manifest *m, const char *id);
const char *ef_manifest_id(const ef_manifest *m, int64_t row);
/* Audio path resolved against the manifest's directory (malloc'ed), NULL if no column. */
char *ef_manifest_audio_path(const ef_manifest *m, int64_t row);
const char *ef_manifest_path(const ef_manifest *m);

#endif
