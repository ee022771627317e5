/* The feature-store builder reuses only what is valid, and manifests load safely in parallel:
 *  - a stale part file (written for another input) must never be packed when the
 *    extraction of its item fails now;
 *  - an old store whose tensor shape disagrees with the requested dimension must not be
 *    reused (it would be copied as (T, dim) and read past its end);
 *  - manifests loaded from several threads at once sort their own ids (the id sort used
 *    a static qsort context). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emofuse/atomic_file.h"
#include "emofuse/feature_store.h"
#include "emofuse/manifest.h"
#include "emofuse/parallel.h"
#include "emofuse/safetensors.h"
#include "testutil.h"

typedef struct {
    const char *const *ids;
    int calls;
} fake_ctx;

/* Item i gives 1 row of D=3 values 10*i + d; item "bad" fails. */
static ef_code fake_extract(void *ctx, int64_t i, int thread, float **rows, int64_t *T, ef_error *err)
{
    (void)thread;
    fake_ctx *c = ctx;
    c->calls++;
    if (strcmp(c->ids[i], "bad") == 0) return ef_fail(err, EF_ERR_FORMAT, "bad.wav: cannot decode");
    *T = 1;
    *rows = malloc(sizeof(float) * 3);
    for (int d = 0; d < 3; d++) (*rows)[d] = (float)(10 * i + d);
    return EF_OK;
}

static void test_stale_part_not_packed(void)
{
    char out[1024], parts[1100], part[1200];
    snprintf(out, sizeof out, "%s/stale.safetensors", ef_test_tmpdir());
    snprintf(parts, sizeof parts, "%s.parts", out);
    snprintf(part, sizeof part, "%s/bad.safetensors", parts);
    ef_error err = {0};
    CHECK(ef_mkdir_p(parts, &err) == EF_OK);
    /* A part left by an earlier run for an older version of "bad" (fingerprint "old"). */
    float stale[3] = {-1, -2, -3};
    ef_safetensors_writer *w = ef_safetensors_writer_new();
    CHECK(ef_safetensors_writer_add(w, "features", EF_DT_F32, 2, (int64_t[]){1, 3}, stale, &err) == EF_OK);
    CHECK(ef_safetensors_writer_meta(w, "fingerprint", "old", &err) == EF_OK);
    CHECK(ef_safetensors_writer_meta(w, "config", "{}", &err) == EF_OK);
    CHECK_MSG(ef_safetensors_writer_save(w, part, &err) == EF_OK, "%s", err.msg);
    ef_safetensors_writer_free(w);

    const char *ids[] = {"a", "bad"};
    const char *fps[] = {"1", "new"};
    fake_ctx ctx = {ids, 0};
    ef_store_build_opts o = {.out_path = out, .kind = "test", .dim = 3, .config_json = "{}", .n_items = 2,
                             .ids = ids, .fingerprints = fps, .threads = 1, .tty = 0, .extract = fake_extract,
                             .ctx = &ctx};
    ef_store_build_report r;
    CHECK_MSG(ef_store_build(&o, &r, &err) == EF_OK, "%s", err.msg);
    CHECK_MSG(r.failed == 1 && r.extracted == 1 && r.reused == 0 && ctx.calls == 2,
              "failed %lld extracted %lld reused %lld calls %d", (long long)r.failed, (long long)r.extracted,
              (long long)r.reused, ctx.calls);
    ef_store_build_report_free(&r);
    ef_store *s = NULL;
    CHECK_MSG(ef_store_open(&s, out, &err) == EF_OK, "%s", err.msg);
    if (s) {
        const float *rows;
        int64_t T;
        CHECK_MSG(ef_store_count(s) == 1, "%lld utterances stored", (long long)ef_store_count(s));
        CHECK(ef_store_get(s, "bad", &rows, &T, &err) == EF_ERR_ARG);
        CHECK(ef_store_get(s, "a", &rows, &T, &err) == EF_OK && T == 1 && rows[2] == 2.0f);
        /* The failed item is not listed as a source, so the next run retries it. */
        const char *src = ef_store_meta(s, "emofuse.sources");
        CHECK(src && strstr(src, "\"bad\"") == NULL);
        ef_store_close(s);
    }
}

static void test_old_store_wrong_dim_not_reused(void)
{
    char out[1024];
    snprintf(out, sizeof out, "%s/olddim.safetensors", ef_test_tmpdir());
    ef_error err = {0};
    /* A store that claims the same config and fingerprint but holds (1, 2) matrices. */
    float old[2] = {-5, -6};
    ef_safetensors_writer *w = ef_safetensors_writer_new();
    CHECK(ef_safetensors_writer_add(w, "a", EF_DT_F32, 2, (int64_t[]){1, 2}, old, &err) == EF_OK);
    CHECK(ef_safetensors_writer_meta(w, "emofuse.kind", "test", &err) == EF_OK);
    CHECK(ef_safetensors_writer_meta(w, "emofuse.dims", "2", &err) == EF_OK);
    CHECK(ef_safetensors_writer_meta(w, "emofuse.config", "{}", &err) == EF_OK);
    CHECK(ef_safetensors_writer_meta(w, "emofuse.sources", "{\"a\":\"1\"}", &err) == EF_OK);
    CHECK_MSG(ef_safetensors_writer_save(w, out, &err) == EF_OK, "%s", err.msg);
    ef_safetensors_writer_free(w);

    const char *ids[] = {"a"};
    const char *fps[] = {"1"};
    fake_ctx ctx = {ids, 0};
    ef_store_build_opts o = {.out_path = out, .kind = "test", .dim = 3, .config_json = "{}", .n_items = 1,
                             .ids = ids, .fingerprints = fps, .threads = 1, .tty = 0, .extract = fake_extract,
                             .ctx = &ctx};
    ef_store_build_report r;
    CHECK_MSG(ef_store_build(&o, &r, &err) == EF_OK, "%s", err.msg);
    CHECK_MSG(r.reused == 0 && r.extracted == 1 && ctx.calls == 1, "reused %lld extracted %lld calls %d",
              (long long)r.reused, (long long)r.extracted, ctx.calls);
    ef_store_build_report_free(&r);
    ef_store *s = NULL;
    CHECK_MSG(ef_store_open(&s, out, &err) == EF_OK, "%s", err.msg);
    if (s) {
        const float *rows;
        int64_t T;
        CHECK(ef_store_dim(s) == 3);
        CHECK(ef_store_get(s, "a", &rows, &T, &err) == EF_OK && T == 1 && rows[0] == 0.0f && rows[1] == 1.0f &&
              rows[2] == 2.0f);
        ef_store_close(s);
    }
}

/* Two manifests of different sizes, loaded concurrently many times. */
#define N_A 400
#define N_B 37
static char path_a[1024], path_b[1024];
static int bad_loads;

static void load_check(void *ctx, int64_t item, int thread)
{
    (void)ctx;
    (void)thread;
    int which = (int)(item & 1);
    ef_manifest *m = NULL;
    if (ef_manifest_load(&m, which ? path_b : path_a, NULL) != EF_OK) {
        __atomic_add_fetch(&bad_loads, 1, __ATOMIC_RELAXED);
        return;
    }
    int n = which ? N_B : N_A, ok = ef_manifest_rows(m) == n;
    char id[32];
    for (int r = 0; ok && r < n; r++) {
        snprintf(id, sizeof id, "%c%05d", which ? 'b' : 'a', (r * 7919) % n);
        ok = ef_manifest_find(m, id) == r;
    }
    if (!ok) __atomic_add_fetch(&bad_loads, 1, __ATOMIC_RELAXED);
    ef_manifest_free(m);
}

static void write_manifest(const char *path, char prefix, int n)
{
    FILE *fp = fopen(path, "w");
    fprintf(fp, "id,audio\n");
    /* ids in a scrambled order (7919 is prime and coprime with both sizes) */
    for (int r = 0; r < n; r++) fprintf(fp, "%c%05d,x.wav\n", prefix, (r * 7919) % n);
    fclose(fp);
}

static void test_manifest_threads(void)
{
    snprintf(path_a, sizeof path_a, "%s/ma.csv", ef_test_tmpdir());
    snprintf(path_b, sizeof path_b, "%s/mb.csv", ef_test_tmpdir());
    write_manifest(path_a, 'a', N_A);
    write_manifest(path_b, 'b', N_B);
    ef_parallel_for(400, 4, load_check, NULL);
    CHECK_MSG(bad_loads == 0, "%d of 400 concurrent manifest loads sorted their ids wrongly", bad_loads);
}

int main(void)
{
    test_stale_part_not_packed();
    test_old_store_wrong_dim_not_reused();
    test_manifest_threads();
    return ef_test_exit();
}
