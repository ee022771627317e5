/* Tests of the BERT tokenizer (basic tokenizer + WordPiece + [CLS]/[SEP]):
 *  1. a hand-made vocab (tests/fixtures/tokenizer/tiny_vocab.txt) with expectations derived
 *     by hand from HuggingFace's algorithm: runs everywhere, no ../shared needed;
 *  2. the basic tokenizer's words against tests/fixtures/tokenizer/basic_cases.tsv;
 *  3. the real bert-base-uncased vocab from ../shared against cases.tsv, written by the
 *     independent Python re-implementation tests/reference/tokenizer_reference.py
 *     (accents, punctuation, emoji, CJK, numbers, long words, whitespace, control
 *     characters, empty text, invalid UTF-8, mixed scripts, special tokens). Skipped with a
 *     message when ../shared is absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/tokenizer.h"
#include "testutil.h"

/* ---------------------------------------------------------------- fixture helpers */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap * 2 + 1);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    *len = n;
    return buf;
}

/* Undo tokenizer_reference.py's escape(): \\ \t \n \r \xHH. Writes into `out`, returns bytes. */
static size_t unescape(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 >= n) {
            out[o++] = s[i];
            continue;
        }
        char c = s[++i];
        if (c == 'x' && i + 2 < n) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            out[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[o++] = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
        }
    }
    return o;
}

/* Split a line into at most `max` tab-separated fields (in place). */
static int split_tabs(char *line, char **field, int max)
{
    int n = 0;
    field[n++] = line;
    for (char *p = line; *p && n < max; p++) {
        if (*p == '\t') {
            *p = '\0';
            field[n++] = p + 1;
        }
    }
    return n;
}

static char fixture_path[1024];
static const char *fixture(const char *name)
{
    snprintf(fixture_path, sizeof fixture_path, "%s/tokenizer/%s", ef_test_fixtures_dir(), name);
    return fixture_path;
}

/* Encode and compare with an expected id list (terminated by -1). */
static void expect_ids(ef_tokenizer *t, const char *what, const char *text, size_t len, unsigned flags,
                       const int32_t *want)
{
    ef_token_ids ids = {0};
    ef_error err = {0};
    ef_code rc = ef_tokenizer_encode(t, text, len, flags, &ids, &err);
    CHECK_MSG(rc == EF_OK, "%s: %s", what, err.msg);
    size_t n = 0;
    while (want[n] >= 0) n++;
    bool same = ids.count == n;
    for (size_t i = 0; same && i < n; i++) same = ids.id[i] == want[i];
    CHECK_MSG(same, "%s: got %zu ids, want %zu", what, ids.count, n);
    if (!same) {
        fprintf(stderr, "  got :");
        for (size_t i = 0; i < ids.count; i++) fprintf(stderr, " %d", (int)ids.id[i]);
        fprintf(stderr, "\n  want:");
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", (int)want[i]);
        fprintf(stderr, "\n");
    }
    ef_token_ids_free(&ids);
}

#define EXPECT(t, text, flags, ...)                                                     \
    do {                                                                                \
        static const int32_t want_[] = {__VA_ARGS__, -1};                               \
        expect_ids(t, text, text, sizeof(text) - 1, flags, want_);                      \
    } while (0)

/* ---------------------------------------------------------------- 1. tiny vocab */

/* tiny_vocab.txt ids: [PAD]0 [UNK]1 [CLS]2 [SEP]3 [MASK]4 un5 ##aff6 ##able7 hello8 ,9 !10
 * cafe11 a12 ##a13 ##aa14 中15 .16 ##s17 play18 ##ing19 ##ed20 ##ly21 [22 ]23 cls24 ##ff25
 * e26 ##e27 */
static void test_tiny_vocab(void)
{
    ef_vocab *v = NULL;
    ef_error err = {0};
    ef_code rc = ef_vocab_load(&v, fixture("tiny_vocab.txt"), &err);
    CHECK_MSG(rc == EF_OK, "%s", err.msg);
    if (rc) return;
    CHECK(ef_vocab_size(v) == 28);
    CHECK(ef_vocab_pad_id(v) == 0 && ef_vocab_unk_id(v) == 1 && ef_vocab_cls_id(v) == 2 && ef_vocab_sep_id(v) == 3);
    CHECK(ef_vocab_mask_id(v) == 4);
    CHECK(ef_vocab_find(v, "##aff", 5) == 6);
    CHECK(ef_vocab_find_piece(v, "aff", 3, true) == 6);
    CHECK(ef_vocab_find_piece(v, "aff", 3, false) == -1);
    CHECK(ef_vocab_find(v, "hell", 4) == -1);
    CHECK(strcmp(ef_vocab_token(v, 15), "中") == 0);
    CHECK(ef_vocab_token(v, 28) == NULL && ef_vocab_token(v, -1) == NULL);
    CHECK(ef_vocab_max_token_bytes(v) == 6); /* "##able", "[MASK]" */

    ef_tokenizer *t = NULL;
    CHECK(ef_tokenizer_create(&t, v, &err) == EF_OK);
    const unsigned S = EF_TOKENIZE_ADD_SPECIAL;
    /* lower-casing, accent stripping, punctuation split */
    EXPECT(t, "Hello, CAF\xc3\x89!", S, 2, 8, 9, 11, 10, 3);
    /* greedy longest match with ## continuations */
    EXPECT(t, "unaffable", S, 2, 5, 6, 7, 3);
    EXPECT(t, "unaffable", 0, 5, 6, 7);
    EXPECT(t, "unaff unff", 0, 5, 6, 5, 25);
    EXPECT(t, "playing played plays", 0, 18, 19, 18, 20, 18, 17);
    /* no full cover -> the whole word is one [UNK]; neighbours unaffected */
    EXPECT(t, "unaffablex hello", 0, 1, 8);
    /* "aaaaa": "a" then the longest continuation "##aa" twice */
    EXPECT(t, "aaaaa", 0, 12, 14, 14);
    /* CJK ideographs are words of their own, even glued to other text */
    EXPECT(t, "\xe4\xb8\xad\xe4\xb8\xad", 0, 15, 15);
    EXPECT(t, "hello\xe4\xb8\xad" "cafe", 0, 8, 15, 11);
    /* combining accent (NFD input) and a lone mark vanish */
    EXPECT(t, "e\xcc\x81 \xcc\x81", 0, 26);
    /* special tokens in the text, or as plain text */
    EXPECT(t, "[CLS]", 0, 2);
    EXPECT(t, "[CLS]", EF_TOKENIZE_SPECIAL_AS_TEXT, 22, 24, 23);
    EXPECT(t, "hello[SEP]cafe [MASK]", 0, 8, 3, 11, 4);
    EXPECT(t, "[cls]", 0, 22, 24, 23);
    /* empty, blank, dropped-only and invalid-only texts */
    EXPECT(t, "", S, 2, 3);
    EXPECT(t, " \t\n ", S, 2, 3);
    EXPECT(t, "\xff\xfe\x80", S, 2, 3);
    EXPECT(t, "hel\xfflo", 0, 8);
    EXPECT(t, "...", 0, 16, 16, 16);

    /* 100 code points: a + 49 x ##aa + ##a; 101 code points: [UNK] */
    char longw[128];
    memset(longw, 'a', sizeof longw);
    static int32_t want100[52];
    want100[0] = 12;
    for (int i = 1; i <= 49; i++) want100[i] = 14;
    want100[50] = 13;
    want100[51] = -1;
    expect_ids(t, "100 x a", longw, 100, 0, want100);
    static const int32_t want101[] = {1, -1};
    expect_ids(t, "101 x a", longw, 101, 0, want101);
    /* 101 x "e\xcc\x81" is 202 code points before and 101 after accent stripping: [UNK];
     * 100 of them strip to 100 and tokenize */
    char acc[3 * 101];
    for (int i = 0; i < 101; i++) memcpy(acc + 3 * i, "e\xcc\x81", 3);
    expect_ids(t, "101 x e+acute", acc, sizeof acc, 0, want101);
    ef_token_ids ids = {0};
    CHECK(ef_tokenizer_encode(t, acc, 300, 0, &ids, &err) == EF_OK);
    CHECK(ids.count == 100 && ids.id[0] == 26 && ids.id[99] == 27);

    /* NULL text with a length is an argument error, not a crash */
    CHECK(ef_tokenizer_encode(t, NULL, 3, 0, &ids, &err) == EF_ERR_ARG);
    CHECK(ef_tokenizer_encode(t, NULL, 0, S, &ids, &err) == EF_OK && ids.count == 2);

    /* ef_wordpiece_word appends */
    ids.count = 0;
    CHECK(ef_wordpiece_word(&ids, v, "play", 4, &err) == EF_OK);
    CHECK(ef_wordpiece_word(&ids, v, "unaffable", 9, &err) == EF_OK);
    CHECK(ef_wordpiece_word(&ids, v, "", 0, &err) == EF_OK);
    CHECK(ids.count == 4 && ids.id[0] == 18 && ids.id[1] == 5 && ids.id[3] == 7);
    ef_token_ids_free(&ids);
    ef_tokenizer_free(t);
    ef_vocab_free(v);
}

/* ---------------------------------------------------------------- 2. basic tokenizer */

static void check_words(const char *what, const ef_words *w, const char *const *want, size_t n)
{
    bool same = w->count == n;
    for (size_t i = 0; same && i < n; i++)
        same = w->len[i] == strlen(want[i]) && memcmp(w->word[i], want[i], w->len[i]) == 0 && w->word[i][w->len[i]] == 0;
    CHECK_MSG(same, "%s: %zu words, want %zu", what, w->count, n);
}

static void test_basic_hand(void)
{
    ef_words w;
    ef_words_init(&w);
    ef_error err = {0};
    static const char text1[] = "  Hello,\tWORLD!!  Na\xc3\xafve\xc2\xa0" "caf\xc3\xa9\xe4\xb8\xad x ";
    CHECK(ef_basic_tokenize(&w, text1, sizeof text1 - 1, &err) == EF_OK);
    static const char *const want1[] = {"hello", ",", "world", "!", "!", "naive", "cafe", "\xe4\xb8\xad", "x"};
    check_words("hand 1", &w, want1, 9);
    CHECK(w.count == 9 && w.nchars[7] == 1 && w.len[7] == 3 && w.nchars[5] == 5);
    /* reuse: a shorter text replaces the previous words */
    CHECK(ef_basic_tokenize(&w, "A-b", 3, &err) == EF_OK);
    static const char *const want2[] = {"a", "-", "b"};
    check_words("reuse", &w, want2, 3);
    /* embedded NUL with explicit length: dropped */
    CHECK(ef_basic_tokenize(&w, "a\0b", 3, &err) == EF_OK);
    static const char *const want3[] = {"ab"};
    check_words("nul", &w, want3, 1);
    CHECK(ef_basic_tokenize(&w, "", 0, &err) == EF_OK && w.count == 0);
    /* a long text without spaces: one word, buffers grow without trouble */
    size_t big = 1 << 20;
    char *b = malloc(big);
    memset(b, 'Q', big);
    CHECK(ef_basic_tokenize(&w, b, big, &err) == EF_OK);
    CHECK(w.count == 1 && w.len[0] == big && w.nchars[0] == big && w.word[0][0] == 'q');
    free(b);
    ef_words_free(&w);
    ef_words_free(&w); /* double free of a cleared list is harmless */
}

static void test_basic_fixture(void)
{
    size_t len;
    char *data = read_all(fixture("basic_cases.tsv"), &len);
    CHECK_MSG(data != NULL, "cannot read %s", fixture_path);
    if (!data) return;
    ef_words w = {0};
    ef_error err = {0};
    int cases = 0, bad = 0;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') continue;
        char *f[3];
        if (split_tabs(line, f, 3) != 3) {
            CHECK_MSG(0, "basic_cases.tsv: malformed line '%s'", line);
            continue;
        }
        char *text = malloc(strlen(f[1]) + 1), *want = malloc(strlen(f[2]) + 1);
        size_t tlen = unescape(f[1], strlen(f[1]), text);
        size_t wlen = unescape(f[2], strlen(f[2]), want);
        CHECK(ef_basic_tokenize(&w, text, tlen, &err) == EF_OK);
        /* join our words with single spaces and compare */
        size_t glen = 0;
        char *got = malloc(tlen * 4 + 16);
        for (size_t i = 0; i < w.count; i++) {
            if (i) got[glen++] = ' ';
            memcpy(got + glen, w.word[i], w.len[i]);
            glen += w.len[i];
        }
        bool same = glen == wlen && memcmp(got, want, glen) == 0;
        CHECK_MSG(same, "basic case %s: got '%.*s' want '%.*s'", f[0], (int)glen, got, (int)wlen, want);
        bad += !same;
        cases++;
        free(got);
        free(text);
        free(want);
    }
    CHECK(cases >= 50);
    printf("basic tokenizer: %d fixture cases, %d mismatches\n", cases, bad);
    ef_words_free(&w);
    free(data);
}

/* ---------------------------------------------------------------- 3. real vocab */

static void test_real_vocab(void)
{
    const char *shared = ef_test_shared_dir();
    if (!shared) {
        printf("SKIP (part): ../shared absent, real bert-base-uncased vocab cases not run\n");
        return;
    }
    char vpath[1024];
    snprintf(vpath, sizeof vpath, "%s/models/bert-base-uncased/vocab.txt", shared);
    ef_vocab *v = NULL;
    ef_error err = {0};
    if (ef_vocab_load(&v, vpath, &err) != EF_OK) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    CHECK(ef_vocab_size(v) == 30522);
    CHECK(ef_vocab_pad_id(v) == 0 && ef_vocab_unk_id(v) == 100 && ef_vocab_cls_id(v) == 101);
    CHECK(ef_vocab_sep_id(v) == 102 && ef_vocab_mask_id(v) == 103);
    /* id -> token -> id round trip over the whole vocab */
    int roundtrip_bad = 0;
    for (int32_t id = 0; id < ef_vocab_size(v); id++) {
        const char *tok = ef_vocab_token(v, id);
        if (!tok || ef_vocab_find(v, tok, strlen(tok)) != id) roundtrip_bad++;
    }
    CHECK_MSG(roundtrip_bad == 0, "%d ids do not round-trip", roundtrip_bad);

    size_t len;
    char *data = read_all(fixture("cases.tsv"), &len);
    CHECK_MSG(data != NULL, "cannot read %s", fixture_path);
    ef_tokenizer *t = NULL;
    CHECK(ef_tokenizer_create(&t, v, &err) == EF_OK);
    ef_token_ids ids = {0}, raw = {0};
    int cases = 0, bad = 0;
    char *save = NULL;
    for (char *line = data ? strtok_r(data, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') continue;
        char *f[5];
        if (split_tabs(line, f, 5) < 4) {
            CHECK_MSG(0, "cases.tsv: malformed line '%s'", line);
            continue;
        }
        unsigned flags = EF_TOKENIZE_ADD_SPECIAL | (atoi(f[1]) ? EF_TOKENIZE_SPECIAL_AS_TEXT : 0u);
        char *text = malloc(strlen(f[2]) + 1);
        size_t tlen = unescape(f[2], strlen(f[2]), text);
        CHECK(ef_tokenizer_encode(t, text, tlen, flags, &ids, &err) == EF_OK);
        /* expected ids */
        size_t n = 0, i = 0;
        bool same = true;
        for (char *p = f[3], *end; *p; p = end) {
            long id = strtol(p, &end, 10);
            if (end == p) break;
            if (i >= ids.count || ids.id[i] != id) same = false;
            i++;
            n++;
        }
        same = same && n == ids.count;
        CHECK_MSG(same, "case %s: %zu ids, want %zu", f[0], ids.count, n);
        if (!same) {
            fprintf(stderr, "  got :");
            for (size_t k = 0; k < ids.count; k++) fprintf(stderr, " %s", ef_vocab_token(v, ids.id[k]));
            fprintf(stderr, "\n  want: %s\n", f[4]);
        }
        /* without [CLS]/[SEP]: the same ids minus the two ends */
        CHECK(ef_tokenizer_encode(t, text, tlen, flags & ~(unsigned)EF_TOKENIZE_ADD_SPECIAL, &raw, &err) == EF_OK);
        CHECK(raw.count + 2 == ids.count && (raw.count == 0 || memcmp(raw.id, ids.id + 1, raw.count * 4) == 0));
        bad += !same;
        cases++;
        free(text);
    }
    CHECK(cases >= 50);
    printf("bert-base-uncased: %d fixture cases, %d mismatches\n", cases, bad);
    ef_token_ids_free(&ids);
    ef_token_ids_free(&raw);
    ef_tokenizer_free(t);
    ef_vocab_free(v);
    free(data);
}

int main(void)
{
    test_tiny_vocab();
    test_basic_hand();
    test_basic_fixture();
    test_real_vocab();
    return ef_test_exit();
}
