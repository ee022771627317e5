/* Manifest parsing, feature store building (reuse, resume after interruption, failures
 * that do not lose the others, config changes) and normalisation statistics. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emofuse/feature_store.h"
#include "emofuse/manifest.h"
#include "emofuse/progress.h"
#include "testutil.h"

static char buf[1024];

static const char *tmp(const char *name)
{
    snprintf(buf, sizeof buf, "%s/%s", ef_test_tmpdir(), name);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    fputs(text, fp);
    fclose(fp);
}

static void test_manifest(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", tmp("m.csv"));
    write_file(path, "\xEF\xBB\xBFid,audio,transcript\r\n"
                     "u1,a/u1.wav,\"Hello, \"\"world\"\"\"\r\n"
                     "\n"
                     "u2,/abs/u2.wav,\"two\nlines\"\n"
                     "u0,u0.flac,\n");
    ef_manifest *m = NULL;
    ef_error err = {0};
    CHECK_MSG(ef_manifest_load(&m, path, &err) == EF_OK, "%s", err.msg);
    if (!m) return;
    CHECK(ef_manifest_rows(m) == 3);
    int tc = ef_manifest_column(m, "transcript");
    CHECK(tc == 2 && ef_manifest_column(m, "nope") == -1);
    CHECK(strcmp(ef_manifest_cell(m, 0, tc), "Hello, \"world\"") == 0);
    CHECK(strcmp(ef_manifest_cell(m, 1, tc), "two\nlines") == 0);
    CHECK(strcmp(ef_manifest_cell(m, 2, tc), "") == 0);
    CHECK(ef_manifest_find(m, "u2") == 1 && ef_manifest_find(m, "u0") == 2 && ef_manifest_find(m, "x") == -1);
    char *ap = ef_manifest_audio_path(m, 0);
    char expect[1100];
    snprintf(expect, sizeof expect, "%s/a/u1.wav", ef_test_tmpdir());
    CHECK(ap && strcmp(ap, expect) == 0);
    free(ap);
    ap = ef_manifest_audio_path(m, 1);
    CHECK(ap && strcmp(ap, "/abs/u2.wav") == 0);
    free(ap);
    ef_manifest_free(m);

    write_file(path, "id,audio\nu1,a\nu1,b\n");
    CHECK(ef_manifest_load(&m, path, &err) == EF_ERR_FORMAT && strstr(err.msg, "id 'u1' appears more than once"));
    write_file(path, "id,audio\nu1,a,extra\n");
    CHECK(ef_manifest_load(&m, path, &err) == EF_ERR_FORMAT && strstr(err.msg, "m.csv:2: 3 fields"));
    write_file(path, "name,audio\nu1,a\n");
    CHECK(ef_manifest_load(&m, path, &err) == EF_ERR_FORMAT && strstr(err.msg, "no 'id' column"));
    write_file(path, "id,audio\n\"u1,a\n");
    CHECK(ef_manifest_load(&m, path, &err) == EF_ERR_FORMAT && strstr(err.msg, "unterminated"));
    write_file(path, "");
    CHECK(ef_manifest_load(&m, path, &err) == EF_ERR_FORMAT && strstr(err.msg, "empty"));
    /* Ids that would break a feature store or an output file, named with file:line. */
    static const struct {
        const char *text, *msg;
    } bad_ids[] = {
        {"id,audio\nu1,a\n,b\n", "m.csv:3: id '' is empty"},
        {"id,audio\n__metadata__,a\n", "m.csv:2: id '__metadata__' is reserved"},
        {"id,audio\nu1,a\nbad\xff,b\n", "m.csv:3: id 'bad\xff' is not valid UTF-8"},
        {"id,audio\nover\xc0\xaflong,a\n", "is not valid UTF-8"},
        {"id,audio\nsurrogate\xed\xa0\x80,a\n", "is not valid UTF-8"},
        {"id,audio\n\"tab\there\",a\n", "contains a control character"},
    };
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        write_file(path, bad_ids[i].text);
        CHECK_MSG(ef_manifest_load(&m, path, &err) == EF_ERR_FORMAT && strstr(err.msg, bad_ids[i].msg), "case %zu: %s",
                  i, err.msg);
    }
    write_file(path, "id,audio\ncaf\xc3\xa9_\xe6\x97\xa5\xf0\x9f\x98\x80,a\n");
    CHECK_MSG(ef_manifest_load(&m, path, &err) == EF_OK, "valid UTF-8 id refused: %s", err.msg);
    ef_manifest_free(m);
    CHECK(ef_manifest_load(&m, tmp("missing.csv"), &err) == EF_ERR_IO && strstr(err.msg, "missing.csv"));
}

/* Fake extractor: item i gives i+1 rows of D=3 values 100*i + 10*t + d; item "bad" fails;
 * optionally requests an interruption after `stop_after` calls. */
typedef struct {
    const char *const *ids;
    int calls;
    int stop_after;
} fake_ctx;

static ef_code fake_extract(void *ctx, int64_t i, int thread, float **rows, int64_t *T, ef_error *err)
{
    (void)thread;
    fake_ctx *c = ctx;
    c->calls++; /* single thread in this test */
    if (c->stop_after && c->calls >= c->stop_after) ef_interrupt_request();
    if (strcmp(c->ids[i], "bad") == 0) return ef_fail(err, EF_ERR_FORMAT, "bad.wav: cannot decode");
    *T = i + 1;
    *rows = malloc(sizeof(float) * 3 * (size_t)(i + 1));
    for (int64_t t = 0; t <= i; t++)
        for (int d = 0; d < 3; d++) (*rows)[t * 3 + d] = (float)(100 * i + 10 * t + d);
    return EF_OK;
}

static void test_store_build(void)
{
    const char *ids[] = {"a", "b/slash", "bad", "d", "e"};
    const char *fps[] = {"1", "1", "1", "1", "1"};
    char out[1024];
    snprintf(out, sizeof out, "%s", tmp("store.safetensors"));
    fake_ctx ctx = {ids, 0, 2};
    ef_store_build_opts o = {.out_path = out, .kind = "test", .dim = 3, .columns_json = "[\"x\",\"y\",\"z\"]",
                             .config_json = "{\"v\":1}", .n_items = 5, .ids = ids, .fingerprints = fps,
                             .threads = 1, .progress = NULL, .tty = 0, .extract = fake_extract, .ctx = &ctx};
    ef_store_build_report r;
    ef_error err = {0};
    /* 1: interrupted after the second item: no store yet, two parts kept. */
    CHECK(ef_store_build(&o, &r, &err) == EF_ERR_INTERRUPTED);
    CHECK(r.interrupted && r.extracted == 2 && access(out, F_OK) != 0);
    CHECK(strstr(err.msg, "run the same command again to resume") != NULL);
    ef_store_build_report_free(&r);
    ef_interrupt_clear();

    /* 2: resume: the two finished items are reused, the failing one is reported, the
     * others extracted, the store written and the parts folder removed. */
    ctx.calls = 0;
    ctx.stop_after = 0;
    CHECK(ef_store_build(&o, &r, &err) == EF_OK);
    CHECK_MSG(r.reused == 2 && r.extracted == 2 && r.failed == 1 && ctx.calls == 3, "reused %lld extracted %lld "
              "failed %lld calls %d", (long long)r.reused, (long long)r.extracted, (long long)r.failed, ctx.calls);
    CHECK(r.failed == 1 && strstr(r.failures[0], "bad.wav: cannot decode"));
    ef_store_build_report_free(&r);
    char parts[1100];
    snprintf(parts, sizeof parts, "%s.parts", out);
    CHECK(access(parts, F_OK) != 0);

    ef_store *s = NULL;
    CHECK_MSG(ef_store_open(&s, out, &err) == EF_OK, "%s", err.msg);
    if (s) {
        CHECK(ef_store_count(s) == 4 && ef_store_dim(s) == 3 && strcmp(ef_store_kind(s), "test") == 0);
        const float *rows;
        int64_t T;
        CHECK(ef_store_get(s, "d", &rows, &T, &err) == EF_OK && T == 4 && rows[3 * 3 + 2] == 332.0f);
        CHECK(ef_store_get(s, "b/slash", &rows, &T, &err) == EF_OK && T == 2 && rows[4] == 111.0f);
        CHECK(ef_store_get(s, "bad", &rows, &T, &err) == EF_ERR_ARG && strstr(err.msg, "'bad'"));
        /* Statistics over a and d: frames {0,1,2}, {300..332}: check dimension 0. */
        const char *train[] = {"a", "d"};
        float mean[3], sd[3];
        CHECK(ef_norm_compute(s, train, 2, mean, sd, &err) == EF_OK);
        double vals[5] = {0, 300, 310, 320, 330}, mu = 0, var = 0;
        for (int i = 0; i < 5; i++) mu += vals[i] / 5;
        for (int i = 0; i < 5; i++) var += (vals[i] - mu) * (vals[i] - mu) / 5;
        CHECK(fabsf(mean[0] - (float)mu) < 1e-3f && fabsf(sd[0] - (float)sqrt(var)) < 1e-3f);
        CHECK(fabsf(mean[2] - (float)(mu + 2)) < 1e-3f);
        float row[3] = {(float)mu, 0, 0};
        ef_norm_apply(row, 1, 3, mean, sd);
        CHECK(fabsf(row[0]) < 1e-5f);
        const char *unknown[] = {"zzz"};
        CHECK(ef_norm_compute(s, unknown, 1, mean, sd, &err) == EF_ERR_ARG);
        ef_store_close(s);
    }

    /* 3: nothing changed: everything reused, only the failing item retried. */
    ctx.calls = 0;
    CHECK(ef_store_build(&o, &r, &err) == EF_OK && r.reused == 4 && ctx.calls == 1);
    ef_store_build_report_free(&r);
    /* 4: one fingerprint changed: only that one recomputed. */
    const char *fps2[] = {"1", "2", "1", "1", "1"};
    o.fingerprints = fps2;
    ctx.calls = 0;
    CHECK(ef_store_build(&o, &r, &err) == EF_OK && r.reused == 3 && r.extracted == 1 && ctx.calls == 2);
    ef_store_build_report_free(&r);
    /* 5: config changed: everything recomputed. */
    o.config_json = "{\"v\":2}";
    ctx.calls = 0;
    CHECK(ef_store_build(&o, &r, &err) == EF_OK && r.reused == 0 && ctx.calls == 5);
    ef_store_build_report_free(&r);

    /* Not a store. */
    char notstore[1100];
    snprintf(notstore, sizeof notstore, "%s/io/mixed.safetensors", ef_test_fixtures_dir());
    CHECK(ef_store_open(&s, notstore, &err) == EF_ERR_FORMAT && strstr(err.msg, "not an emofuse feature store"));
}

static void fake_batch(void *ctx, const int64_t *items, int n, int thread, float **rows, int64_t *T, ef_code *codes,
                       ef_error *errs)
{
    for (int k = 0; k < n; k++) codes[k] = fake_extract(ctx, items[k], thread, &rows[k], &T[k], &errs[k]);
}

/* The batched path stores exactly what the per-item path stores. */
static void test_store_batched(void)
{
    const char *ids[] = {"a", "b", "bad", "d", "e"};
    const char *fps[] = {"1", "1", "1", "1", "1"};
    char out[1024];
    snprintf(out, sizeof out, "%s", tmp("batched.safetensors"));
    fake_ctx ctx = {ids, 0, 0};
    ef_store_build_opts o = {.out_path = out, .kind = "test", .dim = 3, .config_json = "{}", .n_items = 5,
                             .ids = ids, .fingerprints = fps, .threads = 1, .tty = 0, .extract = NULL,
                             .ctx = &ctx, .extract_batch = fake_batch, .batch_size = 2};
    ef_store_build_report r;
    ef_error err = {0};
    CHECK(ef_store_build(&o, &r, &err) == EF_OK && r.extracted == 4 && r.failed == 1 && ctx.calls == 5);
    ef_store_build_report_free(&r);
    ef_store *s = NULL;
    CHECK(ef_store_open(&s, out, &err) == EF_OK);
    if (s) {
        const float *rows;
        int64_t T;
        CHECK(ef_store_count(s) == 4);
        CHECK(ef_store_get(s, "e", &rows, &T, &err) == EF_OK && T == 5 && rows[4 * 3 + 1] == 441.0f);
        ef_store_close(s);
    }
}

int main(void)
{
    test_manifest();
    test_store_build();
    test_store_batched();
    char h[17];
    ef_hash_hex("", h);
    CHECK(strcmp(h, "cbf29ce484222325") == 0); /* FNV-1a 64 offset basis */
    return ef_test_exit();
}
