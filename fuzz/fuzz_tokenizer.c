/* libFuzzer target for the BERT tokenizer (src/text/basic_tokenizer.c, wordpiece.c):
 * arbitrary bytes as text, the first byte choosing the flags. Checks the contracts, not
 * just the absence of crashes: every word is non-empty, NUL-terminated, valid UTF-8 and
 * free of whitespace; every id is in range; [CLS]/[SEP] wrap the ids exactly; the ids
 * without specials equal the wrapped ids minus both ends.
 * Vocab: a small built-in one, or the file named by $EF_FUZZ_VOCAB (e.g. the real
 * bert-base-uncased vocab.txt). Build and run: see fuzz/README.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/tokenizer.h"
#include "text/tok_utf8.h"

static const char builtin_vocab[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nun\n##aff\n##able\nhello\n,\n!\ncafe\na\n##a\n##aa\n"
    "\xe4\xb8\xad\n.\n##s\nplay\n##ing\n[\n]\ncls\n##\xc3\xa9\n\xce\xbf\n##\xcf\x83\ne\n##e\n";

static ef_vocab *vocab;
static ef_tokenizer *tok;
static ef_words words;
static ef_token_ids ids, raw;

static void setup(void)
{
    ef_error err = {0};
    const char *path = getenv("EF_FUZZ_VOCAB");
    ef_code rc = path ? ef_vocab_load(&vocab, path, &err)
                      : ef_vocab_parse(&vocab, builtin_vocab, sizeof builtin_vocab - 1, "builtin", &err);
    if (rc || ef_tokenizer_create(&tok, vocab, &err)) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", err.msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tok) setup();
    unsigned flags = size ? data[0] & EF_TOKENIZE_SPECIAL_AS_TEXT : 0;
    const char *text = size ? (const char *)data + 1 : "";
    size_t len = size ? size - 1 : 0;
    ef_error err = {0};

    if (ef_basic_tokenize(&words, text, len, &err) != EF_OK) abort();
    for (size_t i = 0; i < words.count; i++) {
        const char *w = words.word[i];
        size_t n = words.len[i], chars = 0;
        if (n == 0 || w[n] != '\0' || strlen(w) != n) abort();
        for (size_t k = 0; k < n;) {
            int32_t cp;
            size_t step = ef_tok_utf8_next((const unsigned char *)w + k, n - k, &cp);
            if (cp == EF_TOK_REPLACEMENT || cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') abort();
            k += step;
            chars++;
        }
        if (chars != words.nchars[i]) abort();
    }

    if (ef_tokenizer_encode(tok, text, len, flags | EF_TOKENIZE_ADD_SPECIAL, &ids, &err) != EF_OK) abort();
    if (ef_tokenizer_encode(tok, text, len, flags, &raw, &err) != EF_OK) abort();
    int32_t n = ef_vocab_size(vocab);
    if (ids.count != raw.count + 2 || ids.id[0] != ef_vocab_cls_id(vocab) ||
        ids.id[ids.count - 1] != ef_vocab_sep_id(vocab))
        abort();
    for (size_t i = 0; i < raw.count; i++)
        if (raw.id[i] < 0 || raw.id[i] >= n || raw.id[i] != ids.id[i + 1]) abort();
    /* Without special-token recognition, no id of [CLS]/[SEP] can come out of text. */
    if (flags & EF_TOKENIZE_SPECIAL_AS_TEXT)
        for (size_t i = 0; i < raw.count; i++)
            if (raw.id[i] == ef_vocab_cls_id(vocab) || raw.id[i] == ef_vocab_sep_id(vocab)) abort();
    return 0;
}
