/* GloVe text read through zlib: a gzip file (under any name) gives the same index bytes
 * as the plain text; truncated or corrupt gzip data, including a cut that falls exactly
 * on a line end, is a format error naming the file, with no index left behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "emofuse/glove.h"
#include "testutil.h"

static char paths[8][512];
static const char *tmp(int slot, const char *name)
{
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", ef_test_tmpdir(), name);
    return paths[slot];
}

static char *slurp(const char *path, long *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    *n = ftell(fp);
    rewind(fp);
    char *buf = malloc((size_t)*n + 1);
    if (buf && fread(buf, 1, (size_t)*n, fp) != (size_t)*n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    return buf;
}

static void write_bytes(const char *path, const char *bytes, long n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(bytes, 1, (size_t)n, fp) != (size_t)n) {
        perror(path);
        exit(1);
    }
    fclose(fp);
}

/* 2000 words x 20 values: large enough that the compressed stream spans several reads. */
static void write_corpus(const char *txt, const char *gz)
{
    FILE *fp = fopen(txt, "wb");
    gzFile z = gzopen(gz, "wb");
    if (!fp || !z) {
        perror(txt);
        exit(1);
    }
    char line[512];
    for (int w = 0; w < 2000; w++) {
        int len = snprintf(line, sizeof line, "word%d", w);
        for (int j = 0; j < 20; j++)
            len += snprintf(line + len, sizeof line - (size_t)len, " %.4f", (double)((w * 31 + j * 7) % 1000) / 999.0 - 0.5);
        line[len++] = '\n';
        fwrite(line, 1, (size_t)len, fp);
        gzwrite(z, line, (unsigned)len);
    }
    fclose(fp);
    gzclose(z);
}

static void test_same_index(void)
{
    const char *txt = tmp(0, "v.txt"), *gz = tmp(1, "v.gz-but-named.txt");
    write_corpus(txt, gz);
    ef_error err = {0};
    ef_glove_build_stats a, b;
    CHECK_MSG(ef_glove_build(txt, tmp(2, "plain.efg"), &a, NULL, NULL, &err) == EF_OK, "%s", err.msg);
    CHECK_MSG(ef_glove_build(gz, tmp(3, "gz.efg"), &b, NULL, NULL, &err) == EF_OK, "%s", err.msg);
    CHECK(a.words == 2000 && b.words == 2000 && b.dim == 20 && a.bytes_in == b.bytes_in);
    long na = 0, nb = 0;
    char *ia = slurp(paths[2], &na), *ib = slurp(paths[3], &nb);
    CHECK_MSG(ia && ib && na == nb && memcmp(ia, ib, (size_t)na) == 0, "index from gzip differs (%ld vs %ld bytes)", na,
              nb);
    free(ia);
    free(ib);
}

/* Cut the compressed file after `keep` bytes (or flip one byte) and expect a clean error. */
static void expect_gzip_error(const char *what, long keep, long flip_at)
{
    long n = 0;
    char *z = slurp(paths[1], &n);
    CHECK(z != NULL);
    if (!z) return;
    if (flip_at >= 0) z[flip_at] ^= 0x5a;
    const char *bad = tmp(4, "bad.txt.gz"), *idx = tmp(5, "bad.efg");
    write_bytes(bad, z, keep < 0 ? n : keep);
    free(z);
    unlink(idx);
    ef_error err = {0};
    ef_code rc = ef_glove_build(bad, idx, NULL, NULL, NULL, &err);
    CHECK_MSG(rc == EF_ERR_FORMAT, "%s: rc %d (%s)", what, rc, err.msg);
    CHECK_MSG(strstr(err.msg, "bad.txt.gz: corrupt or truncated gzip data") != NULL, "%s: %s", what, err.msg);
    CHECK_MSG(access(idx, F_OK) != 0, "%s: an index was written", what);
}

static void test_damaged_gzip(void)
{
    long n = 0;
    char *z = slurp(paths[1], &n);
    free(z);
    expect_gzip_error("cut in half", n / 2, -1);
    /* Only the 8-byte trailer (CRC-32 + length) missing: every line decompresses fully, so
     * the text itself looks complete. */
    expect_gzip_error("trailer missing", n - 8, -1);
    expect_gzip_error("CRC mismatch", -1, n - 6);
}

int main(void)
{
    test_same_index();
    test_damaged_gzip();
    return ef_test_exit();
}
