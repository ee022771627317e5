/* Corrupt or malformed GloVe input is refused, never read:
 *  - ef_glove_open must reject word offsets that point past the word pool (it used to
 *    read pool[offset - 1] before checking the bound: a crafted index crashed it);
 *  - a first line "word " with no values must be a build error naming file:line (it used
 *    to fix D = 0, leak the vector buffer, and write an index that cannot be opened). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emofuse/glove.h"
#include "testutil.h"

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    fwrite(data, 1, n, fp);
    fclose(fp);
}

static void test_offsets_past_pool(void)
{
    char txt[1024], idx[1024], bad[1024];
    snprintf(txt, sizeof txt, "%s/o.txt", ef_test_tmpdir());
    snprintf(idx, sizeof idx, "%s/o.efg", ef_test_tmpdir());
    snprintf(bad, sizeof bad, "%s/o-bad.efg", ef_test_tmpdir());
    write_bytes(txt, "a 1 2\nbb 3 4\nccc 5 6\n", 21);
    ef_error err = {0};
    CHECK_MSG(ef_glove_build(txt, idx, NULL, NULL, NULL, &err) == EF_OK, "%s", err.msg);
    static unsigned char buf[1 << 16];
    FILE *fp = fopen(idx, "rb");
    if (!fp) {
        CHECK(fp != NULL);
        return;
    }
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    ef_glove_header h;
    memcpy(&h, buf, sizeof h);
    CHECK(h.n_words == 3 && h.off_offsets + 4 * 8 <= n);
    /* offsets[1] far beyond the pool (and the mapping), then UINT64_MAX (the +1 wraps). */
    const uint64_t evil[] = {h.pool_size + ((uint64_t)1 << 40), UINT64_MAX, h.pool_size + 1};
    for (int k = 0; k < 3; k++) {
        memcpy(buf + h.off_offsets + 8, &evil[k], 8);
        write_bytes(bad, buf, n);
        ef_glove *g = ef_glove_open(bad, &err);
        CHECK_MSG(g == NULL && strstr(err.msg, "corrupt word offsets") && strstr(err.msg, "o-bad.efg"),
                  "offset %llu: %s", (unsigned long long)evil[k], g ? "opened" : err.msg);
        ef_glove_close(g);
    }
}

static void test_first_line_without_values(void)
{
    char txt[1024], idx[1024];
    snprintf(txt, sizeof txt, "%s/nv.txt", ef_test_tmpdir());
    snprintf(idx, sizeof idx, "%s/nv.efg", ef_test_tmpdir());
    write_bytes(txt, "a \nb 1 2 3\n", 11);
    unlink(idx);
    ef_error err = {0};
    CHECK(ef_glove_build(txt, idx, NULL, NULL, NULL, &err) == EF_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "nv.txt:1: ") && strstr(err.msg, "has no values"), "%s", err.msg);
    CHECK(access(idx, F_OK) != 0);
}

int main(void)
{
    test_offsets_past_pool();
    test_first_line_without_values();
    return ef_test_exit();
}
