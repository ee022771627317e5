/* safetensors reader/writer: round trip, HuggingFace-written fixture, and every
 * validation error the reader promises (truncation, bad JSON, offsets, overlaps,
 * duplicates, dtype/shape mismatch). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/safetensors.h"
#include "testutil.h"

static char path_buf[512];

static const char *tmp_path(const char *name)
{
    snprintf(path_buf, sizeof path_buf, "%s/%s", ef_test_tmpdir(), name);
    return path_buf;
}

/* Write a raw file: 8-byte length + header + data bytes. */
static const char *write_raw(const char *name, const char *header, uint64_t claimed_len, const void *data,
                             size_t dlen)
{
    const char *p = tmp_path(name);
    FILE *fp = fopen(p, "wb");
    uint8_t l[8];
    for (int i = 0; i < 8; i++) l[i] = (uint8_t)(claimed_len >> (8 * i));
    fwrite(l, 1, 8, fp);
    fwrite(header, 1, strlen(header), fp);
    if (dlen) fwrite(data, 1, dlen, fp);
    fclose(fp);
    return p;
}

static void expect_error(const char *label, const char *header, size_t dlen, const char *needle)
{
    static uint8_t zeros[256];
    const char *p = write_raw("bad.safetensors", header, strlen(header), zeros, dlen);
    ef_safetensors_file *f = NULL;
    ef_error err = {0};
    ef_code rc = ef_safetensors_open(&f, p, &err);
    CHECK_MSG(rc == EF_ERR_FORMAT, "%s: expected a format error, got %d", label, rc);
    CHECK_MSG(strstr(err.msg, needle) != NULL, "%s: message '%s' lacks '%s'", label, err.msg, needle);
    CHECK_MSG(strstr(err.msg, "bad.safetensors") != NULL, "%s: message '%s' lacks the file name", label, err.msg);
    CHECK(f == NULL);
    ef_safetensors_close(f);
}

static void test_round_trip(void)
{
    float a[6] = {1, 2, 3, 4, 5, -6.5f};
    int32_t ids[3] = {101, 7, 102};
    ef_safetensors_writer *w = ef_safetensors_writer_new();
    ef_error err = {0};
    CHECK(ef_safetensors_writer_add(w, "a", EF_DT_F32, 2, (int64_t[]){2, 3}, a, &err) == EF_OK);
    CHECK(ef_safetensors_writer_add_copy(w, "ids", EF_DT_I32, 1, (int64_t[]){3}, ids, &err) == EF_OK);
    CHECK(ef_safetensors_writer_add(w, "empty", EF_DT_F32, 2, (int64_t[]){0, 36}, NULL, &err) == EF_OK);
    CHECK(ef_safetensors_writer_add(w, "a", EF_DT_F32, 1, (int64_t[]){1}, a, &err) == EF_ERR_ARG);
    CHECK(ef_safetensors_writer_meta(w, "emofuse.kind", "test \"quoted\"/slash", &err) == EF_OK);
    const char *p = tmp_path("rt.safetensors");
    CHECK(ef_safetensors_writer_save(w, p, &err) == EF_OK);
    ef_safetensors_writer_free(w);

    ef_safetensors_file *f = NULL;
    CHECK(ef_safetensors_open(&f, p, &err) == EF_OK);
    if (!f) return;
    CHECK(ef_safetensors_count(f) == 3);
    const ef_safetensors_tensor *t = ef_safetensors_find(f, "a");
    CHECK(t && t->dtype == EF_DT_F32 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3);
    CHECK(t && ef_safetensors_aligned(t) && memcmp(t->data, a, sizeof a) == 0);
    t = ef_safetensors_find(f, "ids");
    CHECK(t && t->dtype == EF_DT_I32 && memcmp(t->data, ids, sizeof ids) == 0);
    t = ef_safetensors_find(f, "empty");
    CHECK(t && t->nbytes == 0 && t->shape[1] == 36);
    CHECK(ef_safetensors_find(f, "nope") == NULL);
    CHECK(ef_safetensors_meta(f, "emofuse.kind") &&
          strcmp(ef_safetensors_meta(f, "emofuse.kind"), "test \"quoted\"/slash") == 0);
    const ef_safetensors_tensor *out;
    CHECK(ef_safetensors_expect(f, "a", 2, (int64_t[]){2, 3}, &out, &err) == EF_OK);
    CHECK(ef_safetensors_expect(f, "a", 2, (int64_t[]){3, 2}, &out, &err) == EF_ERR_FORMAT);
    CHECK(strstr(err.msg, "tensor 'a' has wrong shape: got [2, 3], expected [3, 2]") != NULL);
    CHECK(ef_safetensors_expect(f, "zz", 1, (int64_t[]){1}, &out, &err) == EF_ERR_FORMAT);
    CHECK(strstr(err.msg, "tensor 'zz' is missing") != NULL);
    ef_safetensors_close(f);
}

/* A file written by tests/reference/safetensors_fixture.py (independent Python writer,
 * same layout as HuggingFace's library: unpadded tensor order, mixed dtypes). */
static void test_python_fixture(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/io/mixed.safetensors", ef_test_fixtures_dir());
    ef_safetensors_file *f = NULL;
    ef_error err = {0};
    CHECK_MSG(ef_safetensors_open(&f, p, &err) == EF_OK, "%s", err.msg);
    if (!f) return;
    const ef_safetensors_tensor *t32 = ef_safetensors_find(f, "bert.embeddings.word_embeddings.weight");
    const ef_safetensors_tensor *t16 = ef_safetensors_find(f, "half");
    const ef_safetensors_tensor *tb = ef_safetensors_find(f, "brain");
    CHECK(t32 && t16 && tb);
    if (t32 && t16 && tb) {
        float v32[6], v16[6], vb[6];
        ef_convert_to_f32(v32, t32->data, t32->dtype, 6);
        ef_convert_to_f32(v16, t16->data, t16->dtype, 6);
        ef_convert_to_f32(vb, tb->data, tb->dtype, 6);
        const float expect[6] = {0.0f, 1.0f, -2.5f, 3.140625f, 65504.0f, 6.103515625e-05f};
        ef_test_close("F32", v32, expect, 6, 0, 0);
        ef_test_close("F16", v16, expect, 6, 0, 0);
        /* BF16 keeps 8 mantissa bits: 3.140625 and 65504 round. */
        const float expect_b[6] = {0.0f, 1.0f, -2.5f, 3.140625f, 65536.0f, 6.103515625e-05f};
        ef_test_close("BF16", vb, expect_b, 6, 0, 0);
    }
    CHECK(ef_safetensors_meta(f, "format") && strcmp(ef_safetensors_meta(f, "format"), "pt") == 0);
    ef_safetensors_close(f);
}

/* The writer's name index: many tensors (the index grows and rehashes several times),
 * every one findable after a round trip, and a late duplicate of an early name refused. */
static void test_many_names(void)
{
    ef_safetensors_writer *w = ef_safetensors_writer_new();
    ef_error err;
    static float v[5000];
    int64_t shape[1] = {1};
    char name[32];
    for (int i = 0; i < 5000; i++) {
        v[i] = (float)i;
        snprintf(name, sizeof name, "utt%05d", i);
        CHECK(ef_safetensors_writer_add(w, name, EF_DT_F32, 1, shape, &v[i], &err) == EF_OK);
    }
    CHECK(ef_safetensors_writer_add(w, "utt00007", EF_DT_F32, 1, shape, &v[0], &err) == EF_ERR_ARG);
    CHECK_MSG(strstr(err.msg, "'utt00007' added twice") != NULL, "%s", err.msg);
    const char *p = tmp_path("many.safetensors");
    CHECK(ef_safetensors_writer_save(w, p, &err) == EF_OK);
    ef_safetensors_writer_free(w);
    ef_safetensors_file *f = NULL;
    CHECK(ef_safetensors_open(&f, p, &err) == EF_OK);
    if (!f) return;
    CHECK(ef_safetensors_count(f) == 5000);
    for (int i = 0; i < 5000; i += 499) {
        snprintf(name, sizeof name, "utt%05d", i);
        const ef_safetensors_tensor *t = ef_safetensors_find(f, name);
        CHECK(t && *(const float *)t->data == (float)i);
    }
    ef_safetensors_close(f);
}

int main(void)
{
    test_round_trip();
    test_many_names();
    test_python_fixture();

    ef_safetensors_file *f = NULL;
    ef_error err = {0};
    CHECK(ef_safetensors_open(&f, tmp_path("does-not-exist"), &err) == EF_ERR_IO);
    CHECK(strstr(err.msg, "does-not-exist: cannot open") != NULL);

    /* Truncated below 8 bytes. */
    const char *p = tmp_path("short.safetensors");
    FILE *fp = fopen(p, "wb");
    fwrite("abc", 1, 3, fp);
    fclose(fp);
    CHECK(ef_safetensors_open(&f, p, &err) == EF_ERR_FORMAT && strstr(err.msg, "truncated"));
    /* Header length larger than the file. */
    p = write_raw("bad.safetensors", "{}", 1000, NULL, 0);
    CHECK(ef_safetensors_open(&f, p, &err) == EF_ERR_FORMAT && strstr(err.msg, "truncated"));
    /* Oversized header length. */
    p = write_raw("bad.safetensors", "{}", (uint64_t)EF_SAFETENSORS_MAX_HEADER + 1, NULL, 0);
    CHECK(ef_safetensors_open(&f, p, &err) == EF_ERR_FORMAT && strstr(err.msg, "not a safetensors file") &&
          strstr(err.msg, "over the"));

    expect_error("not json", "{\"a\": [1,", 0, "not valid JSON");
    expect_error("not object", "[1, 2]   ", 0, "does not start with '{'");
    expect_error("trailing", "{}x", 0, "trailing bytes");
    expect_error("dtype", "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unsupported dtype");
    expect_error("no shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "shape");
    expect_error("neg shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "out of range");
    expect_error("size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                 "tensor 'a': 4 bytes stored but dtype F32 and shape need 8");
    expect_error("offset range", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4,
                 "outside the 4 data bytes");
    expect_error("reversed", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4, "data_offsets");
    expect_error("overlap",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                 8, "overlaps");
    expect_error("duplicate",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                 8, "tensor 'a' appears twice");
    expect_error("rank", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "rank 9");
    expect_error("overflow", "{\"a\":{\"dtype\":\"F32\",\"shape\":[281474976710656,281474976710656],\"data_offsets\":[0,4]}}",
                 4, "overflows");
    expect_error("meta", "{\"__metadata__\":{\"k\":1}}", 0, "not a string");
    return ef_test_exit();
}
