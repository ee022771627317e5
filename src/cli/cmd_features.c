/* emofuse features: dispatch to audio / text / merge / stats / info, plus their shared
 * helpers. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/features_common.h"

static const cli_command kinds[] = {
    {"audio", cmd_features_audio, "36-dim acoustic LLDs of every manifest row's `audio` file"},
    {"text", cmd_features_text, "BERT (--model DIR) or GloVe (--glove INDEX) embeddings of the `transcript` column"},
    {"merge", cmd_features_merge, "join stores of the same features (e.g. the --shard I/N parts of a corpus) into one"},
    {"stats", cmd_features_stats, "z-normalisation mean/std of a store over a list of (training) ids"},
    {"info", cmd_features_info, "what a store holds (kind, dims, utterances, frames)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: emofuse features <kind> [options]\n\n");
    cli_print_commands(out, kinds, sizeof kinds / sizeof kinds[0]);
    fprintf(out,
            "\nStores are safetensors files with one (T, D) tensor per utterance id; an interrupted\n"
            "run resumes where it stopped, and unchanged utterances are never recomputed. With\n"
            "--shard I/N, audio and text extract only the I-th of N blocks of manifest rows, so\n"
            "several machines can share a corpus; `features merge` joins their stores.\n"
            "See `emofuse features <kind> --help`.\n");
}

int cmd_features(int argc, char **argv)
{
    return cli_dispatch("features", kinds, sizeof kinds / sizeof kinds[0], usage, argc, argv);
}

int features_report(const char *cmd, const char *out_path, const ef_pipeline_feature_opts *o,
                    const ef_pipeline_feature_report *r, ef_code rc, const ef_error *err)
{
    const ef_store_build_report *b = &r->store;
    for (int64_t i = 0; i < b->failed; i++)
        fprintf(stderr, "error: %s\n", b->failures && b->failures[i] ? b->failures[i] : "(no message)");
    if (rc == EF_ERR_ARG) return cli_usage_error("%s: %s", cmd, err->msg);
    if (rc == EF_ERR_INTERRUPTED) {
        fprintf(stderr, "%s\n", err->msg);
        return 130;
    }
    if (rc) return cli_fail(err);
    char shard[128] = "";
    if (o->shard_count > 1) {
        if (r->end_row > r->first_row)
            snprintf(shard, sizeof shard, " shard %d/%d (manifest rows %lld-%lld of %lld):", o->shard_index,
                     o->shard_count, (long long)r->first_row + 1, (long long)r->end_row, (long long)r->manifest_rows);
        else
            snprintf(shard, sizeof shard, " shard %d/%d (none of the %lld manifest rows):", o->shard_index,
                     o->shard_count, (long long)r->manifest_rows);
    }
    fprintf(stderr, "%s:%s %lld utterances stored (%lld reused, %lld extracted), %lld failed\n", out_path, shard,
            (long long)(b->reused + b->extracted), (long long)b->reused, (long long)b->extracted,
            (long long)b->failed);
    return b->failed ? 1 : 0;
}

bool features_parse_shard(const char *s, ef_pipeline_feature_opts *o)
{
    char *end = NULL;
    long i = -1, n = -1;
    errno = 0;
    if (isdigit((unsigned char)s[0])) i = strtol(s, &end, 10);
    if (i >= 0 && *end == '/' && isdigit((unsigned char)end[1])) n = strtol(end + 1, &end, 10);
    if (errno || n < 1 || *end || i < 1 || i > n || n > 1000000) {
        cli_usage_error("--shard: expected I/N with 1 <= I <= N (e.g. 2/8), got '%s'", s);
        return false;
    }
    o->shard_index = (int)i;
    o->shard_count = (int)n;
    return true;
}

ef_code features_read_ids(const char *path, char ***ids, int64_t *n, ef_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int64_t count = 0, alloc = 0;
    char **list = NULL;
    ssize_t len;
    while ((len = getline(&line, &cap, fp)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ')) line[--len] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || *s == '#') continue;
        if (count == alloc) {
            int64_t na = alloc ? 2 * alloc : 256;
            char **nl = realloc(list, sizeof(char *) * (size_t)na);
            if (!nl) break;
            list = nl;
            alloc = na;
        }
        if (!(list[count] = strdup(s))) break;
        count++;
    }
    /* Stopping early (no memory, read error) must not pass for a shorter id list. */
    int bad = ferror(fp), nomem = !feof(fp) && !bad, e = errno;
    free(line);
    fclose(fp);
    if (bad || nomem) {
        features_free_ids(list, count);
        return bad ? ef_fail(err, EF_ERR_IO, "%s: %s", path, e == EISDIR ? "is a directory, not an id list" : strerror(e))
                   : ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    }
    if (count == 0) {
        free(list);
        return ef_fail(err, EF_ERR_FORMAT, "%s: no ids in the file", path);
    }
    *ids = list;
    *n = count;
    return EF_OK;
}

void features_free_ids(char **ids, int64_t n)
{
    for (int64_t i = 0; i < n; i++) free(ids[i]);
    free(ids);
}
