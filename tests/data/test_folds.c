/* The data module's library surface: label maps (parsing, errors, lookups), protocol
 * names, and fold building on synthetic manifests: stratification and seeding of random
 * folds, balanced speaker-disjoint folds without sessions, loso, column folds, errors for
 * impossible requests, and write -> load round trips through the checker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/corpus.h"
#include "emofuse/folds.h"
#include "testutil.h"

static void test_label_maps(void)
{
    ef_label_map *m = NULL;
    ef_error err;
    CHECK(ef_label_map_parse(&m, "calm=neutral, fearful = sad\nangry=angry # comment", "inline", &err) == EF_OK);
    CHECK(ef_label_map_size(m) == 3);
    CHECK(m && strcmp(ef_label_map_lookup(m, "calm"), "neutral") == 0);
    CHECK(m && strcmp(ef_label_map_lookup(m, "fearful"), "sad") == 0);
    CHECK(ef_label_map_lookup(m, "Calm") == NULL); /* exact match: raw labels are codes */
    CHECK(ef_label_map_lookup(m, "happy") == NULL);
    ef_label_map_free(m);
    CHECK(ef_label_map_parse(&m, "a=b,a=c", "x", &err) == EF_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "'a' mapped to both 'b' and 'c'") != NULL, "%s", err.msg);
    CHECK(ef_label_map_parse(&m, "a=b,a=b", "x", &err) == EF_OK); /* a repeat that agrees is fine */
    ef_label_map_free(m);
    CHECK(ef_label_map_parse(&m, "=b", "x", &err) == EF_ERR_FORMAT);
    CHECK(ef_label_map_parse(&m, "# nothing\n", "x", &err) == EF_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "no raw=class entries") != NULL, "%s", err.msg);
    CHECK(ef_label_map_load(&m, "/nonexistent/map.txt", &err) == EF_ERR_IO);
    CHECK(m == NULL);
}

static void test_protocol_names(void)
{
    ef_folds_params p = ef_folds_default_params();
    ef_error err;
    const char *names[] = {"random", "speaker", "loso", "speaker-script", "split"};
    for (int i = 0; i < 5; i++) {
        CHECK(ef_fold_protocol_parse(names[i], &p, &err) == EF_OK);
        CHECK(strcmp(ef_fold_protocol_name(p.protocol), names[i]) == 0);
    }
    CHECK(ef_fold_protocol_parse("column:fold", &p, &err) == EF_OK);
    CHECK(p.protocol == EF_FOLDS_COLUMN && strcmp(p.column, "fold") == 0);
    CHECK(ef_fold_protocol_parse("column:", &p, &err) == EF_ERR_ARG);
    CHECK(ef_fold_protocol_parse("by-speaker", &p, &err) == EF_ERR_ARG);
}

/* n speakers; speaker s has 4 + s utterances cycling through 3 classes. */
static const char *write_manifest(int n_speakers, int *rows)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/m.csv", ef_test_tmpdir());
    FILE *fp = fopen(path, "w");
    fprintf(fp, "id,audio,speaker,emotion,group\n");
    static const char *cls[] = {"angry", "sad", "neutral"};
    int r = 0;
    for (int s = 0; s < n_speakers; s++)
        for (int u = 0; u < 4 + s; u++, r++)
            fprintf(fp, "s%02d_u%02d,x.wav,spk%02d,%s,%s\n", s, u, s, cls[(u + s) % 3], s % 2 ? "odd" : (s % 4 ? "" : "four"));
    fclose(fp);
    *rows = r;
    return path;
}

/* Which fold tests each row (-1 none); checks each row is tested at most once. */
static void test_assignment(const ef_folds *f, int rows, int *test_fold)
{
    for (int r = 0; r < rows; r++) test_fold[r] = -1;
    for (int k = 0; k < ef_folds_count(f); k++) {
        const int64_t *t = ef_folds_rows(f, k, EF_ROLE_TEST);
        for (int64_t i = 0; i < ef_folds_size(f, k, EF_ROLE_TEST); i++) {
            CHECK(test_fold[t[i]] == -1);
            test_fold[t[i]] = k;
        }
        CHECK(ef_folds_size(f, k, EF_ROLE_TRAIN) + ef_folds_size(f, k, EF_ROLE_TEST) == rows);
    }
}

static void test_random_and_speaker(void)
{
    int rows;
    const char *path = write_manifest(12, &rows);
    ef_manifest *m;
    ef_error err;
    if (ef_manifest_load(&m, path, &err)) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    ef_folds_params p = ef_folds_default_params();
    ef_folds *a = NULL, *b = NULL, *c = NULL;
    int *fa = malloc(sizeof(int) * (size_t)rows), *fb = malloc(sizeof(int) * (size_t)rows);
    p.seed = 3;
    CHECK(ef_folds_build(&a, m, &p, &err) == EF_OK);
    CHECK(ef_folds_build(&b, m, &p, &err) == EF_OK);
    p.seed = 4;
    CHECK(ef_folds_build(&c, m, &p, &err) == EF_OK);
    if (a && b && c) {
        CHECK(ef_folds_count(a) == 5);
        test_assignment(a, rows, fa);
        test_assignment(b, rows, fb);
        CHECK(memcmp(fa, fb, sizeof(int) * (size_t)rows) == 0);
        test_assignment(c, rows, fb);
        CHECK(memcmp(fa, fb, sizeof(int) * (size_t)rows) != 0);
        /* Stratified: per class, folds' test counts differ by at most one. */
        int col = ef_manifest_column(m, "emotion");
        const char *cls[] = {"angry", "sad", "neutral"};
        for (int k = 0; k < 3; k++) {
            int cnt[5] = {0};
            for (int r = 0; r < rows; r++)
                if (strcmp(ef_manifest_cell(m, r, col), cls[k]) == 0) cnt[fa[r]]++;
            int lo = cnt[0], hi = cnt[0];
            for (int i = 1; i < 5; i++) {
                lo = cnt[i] < lo ? cnt[i] : lo;
                hi = cnt[i] > hi ? cnt[i] : hi;
            }
            CHECK_MSG(hi - lo <= 1, "class %s: %d..%d", cls[k], lo, hi);
        }
    }
    ef_folds_free(a);
    ef_folds_free(b);
    ef_folds_free(c);

    /* Speaker folds without sessions: 12 speakers (4..15 utterances) into 4 folds, sizes
     * within the largest speaker of each other, no speaker split. */
    ef_fold_protocol_parse("speaker", &p, &err);
    p.k = 4;
    CHECK(ef_folds_build(&a, m, &p, &err) == EF_OK);
    if (a) {
        CHECK(ef_folds_count(a) == 4);
        test_assignment(a, rows, fa);
        int scol = ef_manifest_column(m, "speaker"), fold_of[12];
        for (int s = 0; s < 12; s++) fold_of[s] = -1;
        int64_t lo = rows, hi = 0;
        for (int k = 0; k < 4; k++) {
            int64_t n = ef_folds_size(a, k, EF_ROLE_TEST);
            lo = n < lo ? n : lo;
            hi = n > hi ? n : hi;
        }
        CHECK_MSG(hi - lo <= 15, "speaker fold sizes %lld..%lld", (long long)lo, (long long)hi);
        for (int r = 0; r < rows; r++) {
            int s = atoi(ef_manifest_cell(m, r, scol) + 3);
            CHECK(fold_of[s] == -1 || fold_of[s] == fa[r]);
            fold_of[s] = fa[r];
        }
        char line[1024];
        ef_folds_describe(a, m, 0, line, sizeof line);
        CHECK_MSG(strncmp(line, "fold 1: train ", 14) == 0 && strstr(line, "angry"), "%s", line);
        /* Round trip through a file and the checker. */
        char fpath[4096];
        snprintf(fpath, sizeof fpath, "%s/f.csv", ef_test_tmpdir());
        CHECK(ef_folds_write(a, m, fpath, &err) == EF_OK);
        CHECK(ef_folds_load(&b, fpath, m, &p, &err) == EF_OK);
        if (b) {
            test_assignment(b, rows, fb);
            CHECK(memcmp(fa, fb, sizeof(int) * (size_t)rows) == 0);
        }
        ef_folds_free(b);
        b = NULL;
    }
    ef_folds_free(a);
    p.k = 13;
    CHECK(ef_folds_build(&a, m, &p, &err) == EF_ERR_ARG);
    CHECK_MSG(strstr(err.msg, "12 speakers cannot fill 13") != NULL, "%s", err.msg);

    /* loso: 12 folds named by speaker. */
    ef_fold_protocol_parse("loso", &p, &err);
    CHECK(ef_folds_build(&a, m, &p, &err) == EF_OK);
    if (a) {
        CHECK(ef_folds_count(a) == 12);
        CHECK(strcmp(ef_folds_name(a, 0), "spk00") == 0);
        CHECK(ef_folds_size(a, 0, EF_ROLE_TEST) == 4);
    }
    ef_folds_free(a);
    /* column:group: values four and odd are folds; empty values always train. */
    ef_fold_protocol_parse("column:group", &p, &err);
    CHECK(ef_folds_build(&a, m, &p, &err) == EF_OK);
    if (a) {
        CHECK(ef_folds_count(a) == 2);
        CHECK(strcmp(ef_folds_name(a, 0), "four") == 0 && strcmp(ef_folds_name(a, 1), "odd") == 0);
        CHECK(ef_folds_size(a, 0, EF_ROLE_TRAIN) + ef_folds_size(a, 0, EF_ROLE_TEST) == rows);
    }
    ef_folds_free(a);
    ef_fold_protocol_parse("speaker-script", &p, &err);
    CHECK(ef_folds_build(&a, m, &p, &err) == EF_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "no 'session' column") != NULL, "%s", err.msg);
    free(fa);
    free(fb);
    ef_manifest_free(m);
}

int main(void)
{
    test_label_maps();
    test_protocol_names();
    test_random_and_speaker();
    return ef_test_exit();
}
