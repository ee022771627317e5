/* Safetensors sizes and names are checked both ways:
 *  - writer: the byte size of a tensor is computed with overflow checks (a wrapped
 *    product used to be accepted and written as a header that disagrees with the data),
 *    and unknown dtypes are refused;
 *  - reader: two names equal only after JSON unescaping ("a" and "\u0061") are a
 *    duplicate (json-c kept one of them and the other tensor silently vanished). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "emofuse/safetensors.h"
#include "testutil.h"

static void test_escaped_duplicate(void)
{
    const char hdr[] = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                       "\"\\u0061\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
    char path[1024];
    snprintf(path, sizeof path, "%s/escdup.safetensors", ef_test_tmpdir());
    uint64_t hlen = sizeof hdr - 1;
    float data[2] = {1, 2};
    FILE *fp = fopen(path, "wb");
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)(hlen >> (8 * i));
    fwrite(len8, 1, 8, fp);
    fwrite(hdr, 1, hlen, fp);
    fwrite(data, sizeof data, 1, fp);
    fclose(fp);
    ef_safetensors_file *f = NULL;
    ef_error err = {0};
    CHECK(ef_safetensors_open(&f, path, &err) == EF_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "escdup.safetensors") && strstr(err.msg, "twice"), "%s", err.msg);
    ef_safetensors_close(f);
}

int main(void)
{
    test_escaped_duplicate();
    ef_error err = {0};
    ef_safetensors_writer *w = ef_safetensors_writer_new();
    CHECK(w != NULL);
    float x = 1.0f;
    /* 2^62 * 4 bytes wraps to 0 in size_t. */
    int64_t huge[2] = {(int64_t)1 << 31, (int64_t)1 << 31};
    CHECK(ef_safetensors_writer_add(w, "huge", EF_DT_F32, 2, huge, &x, &err) == EF_ERR_ARG);
    CHECK_MSG(strstr(err.msg, "'huge'") && strstr(err.msg, "overflow"), "%s", err.msg);
    int64_t wrap[3] = {(int64_t)1 << 32, (int64_t)1 << 32, 4};
    CHECK(ef_safetensors_writer_add_copy(w, "wrap", EF_DT_U8, 3, wrap, &x, &err) == EF_ERR_ARG);
    CHECK(ef_safetensors_writer_add(w, "odd", (ef_dtype)99, 1, (int64_t[]){1}, &x, &err) == EF_ERR_ARG);
    CHECK_MSG(strstr(err.msg, "'odd'") && strstr(err.msg, "dtype"), "%s", err.msg);
    /* A zero dimension makes any other dimension harmless. */
    int64_t zero[2] = {0, (int64_t)1 << 40};
    CHECK_MSG(ef_safetensors_writer_add(w, "empty", EF_DT_F32, 2, zero, NULL, &err) == EF_OK, "%s", err.msg);
    CHECK(ef_safetensors_writer_add(w, "one", EF_DT_F32, 1, (int64_t[]){1}, &x, &err) == EF_OK);
    char path[1024];
    snprintf(path, sizeof path, "%s/review.safetensors", ef_test_tmpdir());
    CHECK_MSG(ef_safetensors_writer_save(w, path, &err) == EF_OK, "%s", err.msg);
    ef_safetensors_writer_free(w);
    ef_safetensors_file *f = NULL;
    CHECK_MSG(ef_safetensors_open(&f, path, &err) == EF_OK, "%s", err.msg);
    if (f) {
        CHECK(ef_safetensors_count(f) == 2 && ef_safetensors_find(f, "huge") == NULL &&
              ef_safetensors_find(f, "one")->nbytes == 4);
        ef_safetensors_close(f);
    }
    return ef_test_exit();
}
