/* Shared pieces of `emofuse features audio|text|merge|stats|info`: the --shard option, id
 * lists and the report printed after building a store. */
#ifndef EMOFUSE_CLI_FEATURES_COMMON_H
#define EMOFUSE_CLI_FEATURES_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "emofuse/feature_store.h"
#include "emofuse/manifest.h"
#include "emofuse/pipeline_features.h"

/* Print the build summary (and every failure) on stderr; returns the exit code:
 * 0 all stored, 1 some failed or rc an error, 2 rc EF_ERR_ARG (an invalid request,
 * printed as "<cmd>: <message>"), 130 interrupted. */
int features_report(const char *cmd, const char *out_path, const ef_pipeline_feature_opts *o,
                    const ef_pipeline_feature_report *r, ef_code rc, const ef_error *err);

/* Parse --shard I/N (1 <= I <= N) into o; prints the usage error and returns false. */
bool features_parse_shard(const char *s, ef_pipeline_feature_opts *o);

/* Read an id list: one id per line (blank lines and '#' comments ignored). */
ef_code features_read_ids(const char *path, char ***ids, int64_t *n, ef_error *err);
void features_free_ids(char **ids, int64_t n);

int cmd_features_audio(int argc, char **argv);
int cmd_features_text(int argc, char **argv);
int cmd_features_merge(int argc, char **argv);
int cmd_features_stats(int argc, char **argv);
int cmd_features_info(int argc, char **argv);

#endif
