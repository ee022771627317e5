/* Tests of the vocab.txt loader: line numbering, CRLF and last-line handling, and every
 * load error (empty file, duplicate token with both line numbers, missing special tokens,
 * NUL byte, invalid UTF-8, unreadable path) with its "<file>: <cause>" message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/tokenizer.h"
#include "testutil.h"

#define SPECIALS "[PAD]\n[UNK]\n[CLS]\n[SEP]\n"

static ef_vocab *parse_ok(const char *what, const char *data, size_t len)
{
    ef_vocab *v = NULL;
    ef_error err = {0};
    ef_code rc = ef_vocab_parse(&v, data, len, what, &err);
    CHECK_MSG(rc == EF_OK && v, "%s: %s", what, err.msg);
    return v;
}

static void parse_fails(const char *what, const char *data, size_t len, ef_code code, const char *msg)
{
    ef_vocab *v = (ef_vocab *)1;
    ef_error err = {0};
    ef_code rc = ef_vocab_parse(&v, data, len, "voc.txt", &err);
    CHECK_MSG(rc == code, "%s: code %d, want %d (%s)", what, (int)rc, (int)code, err.msg);
    CHECK_MSG(v == NULL, "%s: output not cleared", what);
    CHECK_MSG(strstr(err.msg, msg) != NULL, "%s: message '%s' lacks '%s'", what, err.msg, msg);
    CHECK_MSG(strncmp(err.msg, "voc.txt: ", 9) == 0, "%s: message '%s' does not start with the file", what, err.msg);
}

static void test_good(void)
{
    static const char a[] = SPECIALS "hello\n##lo\n";
    ef_vocab *v = parse_ok("plain", a, sizeof a - 1);
    if (v) {
        CHECK(ef_vocab_size(v) == 6);
        CHECK(ef_vocab_find(v, "hello", 5) == 4 && ef_vocab_find(v, "##lo", 4) == 5);
        CHECK(ef_vocab_find_piece(v, "lo", 2, true) == 5);
        CHECK(ef_vocab_pad_id(v) == 0 && ef_vocab_unk_id(v) == 1 && ef_vocab_cls_id(v) == 2);
        CHECK(ef_vocab_sep_id(v) == 3 && ef_vocab_mask_id(v) == -1);
        CHECK(strcmp(ef_vocab_token(v, 4), "hello") == 0);
        CHECK(ef_vocab_find(v, "", 0) == -1);
        ef_vocab_free(v);
    }
    /* CRLF line ends, no final newline: "last" is token 5 */
    static const char b[] = "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhi\r\nlast";
    v = parse_ok("crlf", b, sizeof b - 1);
    if (v) {
        CHECK(ef_vocab_size(v) == 6);
        CHECK(ef_vocab_find(v, "hi", 2) == 4 && ef_vocab_find(v, "last", 4) == 5);
        CHECK(strcmp(ef_vocab_token(v, 4), "hi") == 0);
        ef_vocab_free(v);
    }
    /* an empty line in the middle is a token (keeps later ids aligned with line numbers) */
    static const char c[] = SPECIALS "\nx\n";
    v = parse_ok("empty line", c, sizeof c - 1);
    if (v) {
        CHECK(ef_vocab_size(v) == 6 && ef_vocab_find(v, "x", 1) == 5 && ef_vocab_find(v, "", 0) == 4);
        ef_vocab_free(v);
    }
    /* many tokens: the hash table grows and finds all of them */
    size_t n = 50000, cap = n * 12 + 64, len = 0;
    char *big = malloc(cap);
    len += (size_t)snprintf(big, cap, SPECIALS);
    for (size_t i = 0; i < n; i++) len += (size_t)snprintf(big + len, cap - len, "tok%zu\n", i);
    v = parse_ok("big", big, len);
    if (v) {
        int bad = 0;
        char t[32];
        for (size_t i = 0; i < n; i++) {
            int k = snprintf(t, sizeof t, "tok%zu", i);
            bad += ef_vocab_find(v, t, (size_t)k) != (int32_t)(i + 4);
        }
        CHECK(bad == 0);
        CHECK(ef_vocab_find(v, "tok50000", 8) == -1);
        ef_vocab_free(v);
    }
    free(big);
}

static void test_errors(void)
{
    parse_fails("empty", "", 0, EF_ERR_FORMAT, "empty vocabulary file");
    static const char dup[] = SPECIALS "foo\nbar\nfoo\n";
    parse_fails("duplicate", dup, sizeof dup - 1, EF_ERR_FORMAT, "line 7: duplicate token 'foo' (first on line 5)");
    static const char dup_special[] = SPECIALS "[CLS]\n";
    parse_fails("duplicate special", dup_special, sizeof dup_special - 1, EF_ERR_FORMAT,
                "line 5: duplicate token '[CLS]' (first on line 3)");
    static const char crlf_dup[] = SPECIALS "x\r\nx\n";
    parse_fails("duplicate via CRLF", crlf_dup, sizeof crlf_dup - 1, EF_ERR_FORMAT, "line 6: duplicate token 'x'");
    static const char no_unk[] = "[PAD]\n[CLS]\n[SEP]\nx\n";
    parse_fails("missing unk", no_unk, sizeof no_unk - 1, EF_ERR_FORMAT, "missing special token [UNK]");
    static const char no_cls[] = "[PAD]\n[UNK]\n[SEP]\n";
    parse_fails("missing cls", no_cls, sizeof no_cls - 1, EF_ERR_FORMAT, "missing special token [CLS]");
    static const char no_sep[] = "[PAD]\n[UNK]\n[CLS]\n";
    parse_fails("missing sep", no_sep, sizeof no_sep - 1, EF_ERR_FORMAT, "missing special token [SEP]");
    static const char no_pad[] = "[UNK]\n[CLS]\n[SEP]\n";
    parse_fails("missing pad", no_pad, sizeof no_pad - 1, EF_ERR_FORMAT, "missing special token [PAD]");
    static const char lower[] = "[pad]\n[unk]\n[cls]\n[sep]\n";
    parse_fails("lower-case specials", lower, sizeof lower - 1, EF_ERR_FORMAT, "missing special token");
    static const char nul[] = SPECIALS "a\0b\n";
    parse_fails("nul", nul, sizeof nul - 1, EF_ERR_FORMAT, "line 5: NUL byte");
    static const char bad_utf8[] = SPECIALS "ok\ncaf\xc3\n";
    parse_fails("invalid utf-8", bad_utf8, sizeof bad_utf8 - 1, EF_ERR_FORMAT, "line 6: invalid UTF-8");
    static const char surrogate[] = SPECIALS "\xed\xa0\x80\n";
    parse_fails("surrogate", surrogate, sizeof surrogate - 1, EF_ERR_FORMAT, "line 5: invalid UTF-8");
    static const char only_nl[] = "\n\n";
    parse_fails("two empty lines", only_nl, 2, EF_ERR_FORMAT, "line 2: duplicate token ''");
}

static void test_files(void)
{
    ef_vocab *v = NULL;
    ef_error err = {0};
    CHECK(ef_vocab_load(&v, "/nonexistent/vocab.txt", &err) == EF_ERR_IO && v == NULL);
    CHECK(strstr(err.msg, "/nonexistent/vocab.txt: cannot open") == err.msg);
    CHECK(ef_vocab_load(&v, ef_test_tmpdir(), &err) == EF_ERR_IO && v == NULL);
    CHECK(strstr(err.msg, "not a regular file") != NULL);

    char path[512];
    snprintf(path, sizeof path, "%s/empty_vocab.txt", ef_test_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) fclose(f);
    CHECK(ef_vocab_load(&v, path, &err) == EF_ERR_FORMAT);
    char want[600];
    snprintf(want, sizeof want, "%s: empty vocabulary file", path);
    CHECK_MSG(strcmp(err.msg, want) == 0, "got '%s'", err.msg);

    snprintf(path, sizeof path, "%s/dup_vocab.txt", ef_test_tmpdir());
    f = fopen(path, "wb");
    if (f) {
        fputs(SPECIALS "a\nb\na\n", f);
        fclose(f);
    }
    CHECK(ef_vocab_load(&v, path, &err) == EF_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: line 7: duplicate token 'a' (first on line 5)", path);
    CHECK_MSG(strcmp(err.msg, want) == 0, "got '%s'", err.msg);
    ef_vocab_free(NULL); /* allowed */
}

int main(void)
{
    test_good();
    test_errors();
    test_files();
    return ef_test_exit();
}
