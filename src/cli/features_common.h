/* Shared pieces of `emofuse features audio|text|stats`: manifest loading, id lists,
 * fingerprints and the report printed after building a store. */
#ifndef EMOFUSE_CLI_FEATURES_COMMON_H
#define EMOFUSE_CLI_FEATURES_COMMON_H

#include <stdint.h>

#include "emofuse/feature_store.h"
#include "emofuse/manifest.h"

/* Print the build summary (and every failure) on stderr; returns the exit code:
 * 0 all stored, 1 some failed, 130 interrupted. */
int features_report(const char *out_path, const ef_store_build_report *r, ef_code rc, const ef_error *err);

/* Read an id list: one id per line (blank lines and '#' comments ignored). */
ef_code features_read_ids(const char *path, char ***ids, int64_t *n, ef_error *err);
void features_free_ids(char **ids, int64_t n);

int cmd_features_audio(int argc, char **argv);
int cmd_features_text(int argc, char **argv);
int cmd_features_stats(int argc, char **argv);
int cmd_features_info(int argc, char **argv);

#endif
