/* Tests of the GloVe text -> binary index builder, the memory-mapped reader and the
 * tokenised lookup: small texts written here, malformed inputs (file:line errors, no
 * output left behind), a damaged index, the fast float parser against strtof, and the real
 * glove.6B.300d sample from ../shared when present. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emofuse/glove.h"
#include "emofuse/progress.h"
#include "emofuse/rng.h"
#include "testutil.h"
#include "text/glove_internal.h"

static char path_buf[8][512];
static const char *tmp_path(int slot, const char *name)
{
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", ef_test_tmpdir(), name);
    return path_buf[slot];
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        perror(path);
        exit(1);
    }
    fputs(text, fp);
    fclose(fp);
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

static void test_build_and_lookup(void)
{
    const char *txt = tmp_path(0, "small.txt");
    const char *idx = tmp_path(1, "small.efg");
    /* CRLF line, trailing space, a duplicate (first kept), accented word, blank last line. */
    write_text(txt, "hello 1 2 3\n"
                    "world -0.5 0.25 1e-3\r\n"
                    ", 0 0 -0 \n"
                    "hello 9 9 9\n"
                    "cafe 0.1 0.2 0.3\n"
                    "café 7 8 9\n"
                    "the 0.0074364 -1.6413 2.5e+2\n"
                    "\n");
    ef_glove_build_stats st;
    ef_error err = {0};
    ef_code rc = ef_glove_build(txt, idx, &st, NULL, NULL, &err);
    CHECK_MSG(rc == EF_OK, "%s", err.msg);
    CHECK(st.lines == 7 && st.words == 6 && st.duplicates == 1 && st.dim == 3);
    ef_glove *g = ef_glove_open(idx, &err);
    CHECK_MSG(g != NULL, "%s", err.msg);
    if (!g) return;
    CHECK(ef_glove_dim(g) == 3);
    CHECK(ef_glove_size(g) == 6);
    int64_t i = ef_glove_find(g, "hello", 5);
    CHECK(i == 0);
    float hello[3] = {1, 2, 3}; /* the first occurrence wins */
    if (i >= 0) CHECK(ef_test_close("hello", ef_glove_vector(g, i), hello, 3, 0, 0));
    i = ef_glove_find(g, "world", 5);
    CHECK(i == 1);
    float world[3] = {-0.5f, 0.25f, 1e-3f};
    if (i >= 0) CHECK(ef_test_close("world", ef_glove_vector(g, i), world, 3, 0, 0));
    i = ef_glove_find(g, "the", 3);
    float the[3] = {strtof("0.0074364", NULL), strtof("-1.6413", NULL), 250.0f};
    if (i >= 0) CHECK(ef_test_close("the", ef_glove_vector(g, i), the, 3, 0, 0));
    size_t len = 0;
    CHECK(strcmp(ef_glove_word(g, 5, &len), "the") == 0 && len == 3);
    CHECK(ef_glove_find(g, "café", strlen("café")) == 4);
    CHECK(ef_glove_find(g, "missing", 7) == -1);
    CHECK(ef_glove_find(g, "hell", 4) == -1);
    CHECK(ef_glove_find(g, "", 0) == -1);

    /* Tokenised lookup: "Hello, WORLD! The Café xyzzy" -> hello , world ! the cafe xyzzy
     * (lower-cased, accent stripped by the BERT basic tokenizer); "!" and "xyzzy" missing. */
    float *rows = NULL;
    int64_t T = -1;
    int missing = -1;
    rc = ef_glove_embed_text(g, "Hello, WORLD! The Café xyzzy", &rows, &T, &missing, &err);
    CHECK_MSG(rc == EF_OK, "%s", err.msg);
    CHECK_MSG(T == 7, "T = %lld", (long long)T);
    CHECK_MSG(missing == 2, "missing = %d", missing);
    if (rc == EF_OK && T == 7) {
        float zero[3] = {0, 0, 0}, comma[3] = {0, 0, 0}, cafe[3] = {0.1f, 0.2f, 0.3f};
        CHECK(ef_test_close("row hello", rows + 0, hello, 3, 0, 0));
        CHECK(ef_test_close("row ,", rows + 3, comma, 3, 0, 0));
        CHECK(ef_test_close("row world", rows + 6, world, 3, 0, 0));
        CHECK(ef_test_close("row !", rows + 9, zero, 3, 0, 0));
        CHECK(ef_test_close("row the", rows + 12, the, 3, 0, 0));
        CHECK(ef_test_close("row cafe", rows + 15, cafe, 3, 0, 0));
        CHECK(ef_test_close("row xyzzy", rows + 18, zero, 3, 0, 0));
    }
    free(rows);
    rc = ef_glove_embed_text(g, "  \t ", &rows, &T, &missing, &err);
    CHECK(rc == EF_OK && T == 0 && rows == NULL && missing == 0);
    ef_glove_close(g);
}

/* Build must fail with "<file>:<line>: <cause>" and leave no index behind. */
static void expect_build_error(const char *text, const char *want1, const char *want2)
{
    const char *txt = tmp_path(2, "bad.txt");
    const char *idx = tmp_path(3, "bad.efg");
    write_text(txt, text);
    unlink(idx);
    ef_error err = {0};
    ef_code rc = ef_glove_build(txt, idx, NULL, NULL, NULL, &err);
    CHECK_MSG(rc == EF_ERR_FORMAT, "rc %d for %s", (int)rc, want1);
    CHECK_MSG(strstr(err.msg, want1) != NULL, "message '%s' lacks '%s'", err.msg, want1);
    if (want2) CHECK_MSG(strstr(err.msg, want2) != NULL, "message '%s' lacks '%s'", err.msg, want2);
    CHECK(!file_exists(idx));
    CHECK_MSG(strncmp(err.msg, txt, strlen(txt)) == 0, "message '%s' does not start with the file", err.msg);
}

static void test_malformed(void)
{
    expect_build_error("a 1 2 3\nb 1 2\n", "bad.txt:2: ", "has 2 values, expected 3");
    expect_build_error("a 1 2 3\nb 1 2 3\nc 1 2 3 4\n", "bad.txt:3: ", "has 4 values, expected 3");
    expect_build_error("a 1 2 3\nb 1 x2 3\n", "bad.txt:2: ", "not a number 'x2'");
    expect_build_error("a 1 2 3\nb 1 2 3.0.1\n", "bad.txt:2: ", "not a number '3.0.1'");
    expect_build_error("a 1 nan 3\n", "bad.txt:1: ", "non-finite value 'nan'");
    expect_build_error("a 1 2 3\nb 1e999 2 3\n", "bad.txt:2: ", "non-finite value '1e999'");
    expect_build_error("a 1 2 3\n 1 2 3\n", "bad.txt:2: ", "empty word");
    expect_build_error("a 1 2 3\nlonely\n", "bad.txt:2: ", "has no values");
    expect_build_error("", "bad.txt: no word vectors", NULL);
    expect_build_error("\n\n", "bad.txt: no word vectors", NULL);

    ef_error err = {0};
    CHECK(ef_glove_build(tmp_path(2, "does-not-exist.txt"), tmp_path(3, "x.efg"), NULL, NULL, NULL, &err) ==
          EF_ERR_IO);
    CHECK(strstr(err.msg, "does-not-exist.txt: cannot open") != NULL);
}

static void test_damaged_index(void)
{
    const char *txt = tmp_path(4, "d.txt");
    const char *idx = tmp_path(5, "d.efg");
    write_text(txt, "a 1 2\nb 3 4\n");
    ef_error err = {0};
    CHECK(ef_glove_build(txt, idx, NULL, NULL, NULL, &err) == EF_OK);
    FILE *fp = fopen(idx, "rb");
    CHECK(fp != NULL);
    if (!fp) return;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    CHECK(n > EF_GLOVE_HEADER_SIZE);
    const char *bad = tmp_path(6, "damaged.efg");
    /* Truncated. */
    write_text(bad, "");
    fp = fopen(bad, "wb");
    fwrite(buf, 1, n - 8, fp);
    fclose(fp);
    CHECK(ef_glove_open(bad, &err) == NULL && strstr(err.msg, "size differs") != NULL);
    /* Wrong magic (e.g. the text file itself). */
    CHECK(ef_glove_open(txt, &err) == NULL && strstr(err.msg, "too short") != NULL);
    buf[0] = 'X';
    fp = fopen(bad, "wb");
    fwrite(buf, 1, n, fp);
    fclose(fp);
    CHECK(ef_glove_open(bad, &err) == NULL && strstr(err.msg, "bad magic") != NULL);
    CHECK(ef_glove_open(tmp_path(6, "nope.efg"), &err) == NULL && strstr(err.msg, "nope.efg: cannot open") != NULL);
}

/* Many words force several table growths; all must be found with their own vector. */
static void test_many_words(void)
{
    const char *txt = tmp_path(4, "many.txt");
    const char *idx = tmp_path(5, "many.efg");
    FILE *fp = fopen(txt, "wb");
    const int n = 20000;
    for (int i = 0; i < n; i++) fprintf(fp, "w%d %d -%d.5\n", i, i, i);
    fclose(fp);
    ef_error err = {0};
    ef_glove_build_stats st;
    CHECK_MSG(ef_glove_build(txt, idx, &st, NULL, NULL, &err) == EF_OK, "%s", err.msg);
    ef_glove *g = ef_glove_open(idx, &err);
    CHECK(g != NULL);
    if (!g) return;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        char w[32];
        int len = snprintf(w, sizeof w, "w%d", i);
        int64_t k = ef_glove_find(g, w, (size_t)len);
        if (k != i || ef_glove_vector(g, k)[0] != (float)i || ef_glove_vector(g, k)[1] != -(float)i - 0.5f) bad++;
        len = snprintf(w, sizeof w, "x%d", i);
        if (ef_glove_find(g, w, (size_t)len) != -1) bad++;
    }
    CHECK_MSG(bad == 0, "%d bad lookups", bad);
    ef_glove_close(g);
}

/* The fast parser must give bit-identical results to strtof. */
static void test_parse_float(void)
{
    static const char *fixed[] = {"0", "-0", "1", "0.04656", "-0.0074364", "0.00087582", "-1.6413", "1e-3",
                                  "2.5e+2", "123456789", "0.1234567891", "1e-40", "3.4028235e38", ".5", "5.",
                                  "-.25", "9999999", "16777217", "0.000000000001", "1E5"};
    int bad = 0;
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
        char *e1, *e2;
        float a, b = strtof(fixed[k], &e2);
        if (!ef_glove_parse_float(fixed[k], &e1, &a) || memcmp(&a, &b, 4) != 0 || e1 != e2) {
            fprintf(stderr, "parse '%s': %.9g vs strtof %.9g\n", fixed[k], (double)a, (double)b);
            bad++;
        }
    }
    ef_rng rng;
    ef_rng_seed(&rng, 1234);
    char s[64];
    for (int k = 0; k < 200000; k++) {
        double x = (ef_rng_uniform(&rng) - 0.5) * pow(10.0, (int)(ef_rng_uniform(&rng) * 12) - 8);
        int prec = 1 + (int)(ef_rng_uniform(&rng) * 9);
        snprintf(s, sizeof s, (k & 1) ? "%.*g" : "%.*f", prec, x);
        char *e1, *e2;
        float a, b = strtof(s, &e2);
        if (!ef_glove_parse_float(s, &e1, &a) || memcmp(&a, &b, 4) != 0 || e1 != e2) {
            if (bad < 5) fprintf(stderr, "parse '%s': %.9g vs strtof %.9g\n", s, (double)a, (double)b);
            bad++;
        }
    }
    CHECK_MSG(bad == 0, "%d parses differ from strtof", bad);
    char *e;
    float x;
    CHECK(!ef_glove_parse_float("abc", &e, &x));
    CHECK(!ef_glove_parse_float("-", &e, &x));
}

/* The real glove.6B.300d sample (first 100 words of the release). */
static void test_real_sample(void)
{
    const char *shared = ef_test_shared_dir();
    char gz[1024];
    if (shared) snprintf(gz, sizeof gz, "%s/models/glove-sample/glove.6B.300d.sample.txt.gz", shared);
    if (!shared || !file_exists(gz)) {
        fprintf(stderr, "note: ../shared glove sample absent: real-sample checks skipped\n");
        return;
    }
    const char *txt = tmp_path(6, "sample.txt");
    const char *idx = tmp_path(7, "sample.efg");
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' > '%s'", gz, txt);
    CHECK(system(cmd) == 0);
    ef_error err = {0};
    ef_glove_build_stats st;
    CHECK_MSG(ef_glove_build(txt, idx, &st, NULL, NULL, &err) == EF_OK, "%s", err.msg);
    CHECK(st.words == 100 && st.dim == 300 && st.duplicates == 0);
    ef_glove *g = ef_glove_open(idx, &err);
    CHECK_MSG(g != NULL, "%s", err.msg);
    if (!g) return;
    /* Values copied from the text file (first, second and last column). */
    struct {
        const char *word;
        int64_t index;
        float v0, v1, vlast;
    } ref[] = {{"the", 0, 0.04656f, 0.21318f, 0.053913f},
               {",", 1, -0.25539f, -0.25723f, 0.35499f},
               {"'s", 9, -0.001272f, 0.36514f, 0.39206f},
               {"after", 49, 0.28957f, 0.017282f, -0.128f},
               {"u.s.", 99, -0.17542f, -0.24242f, -0.29933f}};
    for (size_t k = 0; k < sizeof ref / sizeof ref[0]; k++) {
        int64_t i = ef_glove_find(g, ref[k].word, strlen(ref[k].word));
        CHECK_MSG(i == ref[k].index, "%s at %lld", ref[k].word, (long long)i);
        if (i < 0) continue;
        const float *v = ef_glove_vector(g, i);
        CHECK_MSG(v[0] == ref[k].v0 && v[1] == ref[k].v1 && v[299] == ref[k].vlast, "%s: %g %g %g", ref[k].word,
                  (double)v[0], (double)v[1], (double)v[299]);
    }
    float *rows = NULL;
    int64_t T = 0;
    int missing = 0;
    /* "U.S." splits into u . s . under the BERT basic tokenizer: "u" and "s" are not in
     * this 100-word sample, the two "." are. */
    CHECK(ef_glove_embed_text(g, "The U.S. said", &rows, &T, &missing, &err) == EF_OK);
    CHECK_MSG(T == 6 && missing == 2, "T %lld missing %d", (long long)T, missing);
    if (T == 6) {
        CHECK(ef_test_close("the", rows, ef_glove_vector(g, 0), 300, 0, 0));
        CHECK(ef_test_close("said", rows + 5 * 300, ef_glove_vector(g, ef_glove_find(g, "said", 4)), 300, 0, 0));
    }
    free(rows);
    ef_glove_close(g);
}

static void count_progress(void *ctx, uint64_t done, uint64_t total)
{
    uint64_t *last = ctx;
    last[0]++;
    last[1] = done;
    last[2] = total;
}

/* Progress reaches done == total == file size; an interrupt request aborts the build
 * without leaving an index. */
static void test_progress_and_interrupt(void)
{
    const char *txt = tmp_path(4, "many.txt"); /* written by test_many_words */
    const char *idx = tmp_path(5, "intr.efg");
    FILE *fp = fopen(txt, "rb");
    CHECK(fp != NULL);
    if (!fp) return;
    fseek(fp, 0, SEEK_END);
    uint64_t size = (uint64_t)ftell(fp);
    fclose(fp);
    uint64_t seen[3] = {0, 0, 0};
    ef_error err = {0};
    CHECK(ef_glove_build(txt, idx, NULL, count_progress, seen, &err) == EF_OK);
    CHECK_MSG(seen[0] >= 1 && seen[1] == size && seen[2] == size, "calls %llu done %llu total %llu",
              (unsigned long long)seen[0], (unsigned long long)seen[1], (unsigned long long)seen[2]);
    unlink(idx);
    ef_interrupt_request();
    ef_code rc = ef_glove_build(txt, idx, NULL, NULL, NULL, &err);
    CHECK_MSG(rc == EF_ERR_INTERRUPTED && strstr(err.msg, "interrupted") != NULL, "rc %d: %s", (int)rc, err.msg);
    CHECK(!file_exists(idx));
    ef_interrupt_clear();
}

int main(void)
{
    test_build_and_lookup();
    test_malformed();
    test_damaged_index();
    test_many_words();
    test_parse_float();
    test_real_sample();
    test_progress_and_interrupt();
    return ef_test_exit();
}
