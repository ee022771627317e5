/* emofuse tokenize: print the BERT WordPiece ids of texts, one output line per text.
 *
 * Output (acceptance checks parse it: keep it stable): for each TEXT argument, or for each
 * stdin line when there is none, one line of token ids separated by single spaces,
 * starting with [CLS] and ending with [SEP] (an empty text prints "101 102" with
 * bert-base-uncased). --tokens prints the token strings instead of ids; --words prints the
 * basic tokenizer's words (lower-cased, accent-stripped, punctuation split) and needs no
 * vocab. A stdin line loses its "\n" (and "\r\n": "\r" is whitespace to the tokenizer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "emofuse/tokenizer.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse tokenize --vocab FILE [options] [TEXT...]\n\n"
            "Tokenize each TEXT (or each line of stdin when no TEXT is given) exactly like\n"
            "HuggingFace's BertTokenizer for bert-base-uncased and print one line per text:\n"
            "the token ids separated by spaces, [CLS] first and [SEP] last.\n\n"
            "options:\n"
            "  --vocab FILE   vocab.txt, one token per line (required unless --words)\n"
            "  --tokens       print token strings instead of ids (default: ids)\n"
            "  --words        print the basic tokenizer's words (no WordPiece, no vocab needed)\n"
            "  -h, --help     show this help\n\n"
            "A TEXT may start with '-'; after \"--\" every argument is a TEXT.\n");
}

typedef enum { OUT_IDS, OUT_TOKENS, OUT_WORDS } out_mode;

typedef struct {
    out_mode mode;
    ef_tokenizer *tok;
    ef_token_ids ids;
    ef_words words;
} ctx;

static ef_code tokenize_one(ctx *c, const char *text, size_t len, ef_error *err)
{
    ef_code rc;
    if (c->mode == OUT_WORDS) {
        if ((rc = ef_basic_tokenize(&c->words, text, len, err))) return rc;
        for (size_t i = 0; i < c->words.count; i++) {
            if (i) putchar(' ');
            fwrite(c->words.word[i], 1, c->words.len[i], stdout);
        }
        putchar('\n');
        return EF_OK;
    }
    if ((rc = ef_tokenizer_encode(c->tok, text, len, EF_TOKENIZE_ADD_SPECIAL, &c->ids, err))) return rc;
    const ef_vocab *v = ef_tokenizer_vocab(c->tok);
    for (size_t i = 0; i < c->ids.count; i++) {
        if (i) putchar(' ');
        if (c->mode == OUT_TOKENS)
            fputs(ef_vocab_token(v, c->ids.id[i]), stdout);
        else
            printf("%d", (int)c->ids.id[i]);
    }
    putchar('\n');
    return EF_OK;
}

int cmd_tokenize(int argc, char **argv)
{
    const char *vocab_path = NULL;
    ctx c = {.mode = OUT_IDS};
    /* Texts are the non-option arguments, in order; after "--" everything is text. Not
     * cli_getopt: a text may start with one dash ("-x" is a text), which getopt would
     * read as a short option. */
    char **texts = calloc((size_t)argc + 1, sizeof *texts);
    if (!texts) return cli_usage_error("tokenize: out of memory");
    int ntexts = 0;
    bool only_texts = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_texts && cli_is_help(a)) {
            free(texts);
            usage(stdout);
            return 0;
        }
        if (only_texts || strncmp(a, "--", 2) != 0) { /* "-x" is a text, "-h" is help */
            texts[ntexts++] = argv[i];
        } else if (strcmp(a, "--") == 0) {
            only_texts = true;
        } else if (strcmp(a, "--vocab") == 0 && i + 1 < argc) {
            vocab_path = argv[++i];
        } else if (strcmp(a, "--tokens") == 0) {
            c.mode = OUT_TOKENS;
        } else if (strcmp(a, "--words") == 0) {
            c.mode = OUT_WORDS;
        } else {
            free(texts);
            return cli_usage_error("tokenize: %s '%s' (see emofuse tokenize --help)",
                                   strcmp(a, "--vocab") == 0 ? "option needs a value:" : "unknown option", a);
        }
    }
    if (!vocab_path && c.mode != OUT_WORDS) {
        free(texts);
        return cli_usage_error("tokenize: --vocab FILE is required (see emofuse tokenize --help)");
    }

    ef_error err = {0};
    ef_vocab *v = NULL;
    if (c.mode != OUT_WORDS) {
        if (ef_vocab_load(&v, vocab_path, &err) || ef_tokenizer_create(&c.tok, v, &err)) {
            ef_vocab_free(v);
            free(texts);
            return cli_fail(&err);
        }
    }
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);

    ef_code rc = EF_OK;
    if (ntexts > 0) {
        for (int i = 0; i < ntexts && !rc; i++) rc = tokenize_one(&c, texts[i], strlen(texts[i]), &err);
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while (!rc && (n = getline(&line, &cap, stdin)) >= 0) {
            size_t len = (size_t)n;
            if (len && line[len - 1] == '\n') len--;
            rc = tokenize_one(&c, line, len, &err);
        }
        free(line);
        if (!rc && ferror(stdin)) rc = ef_fail(&err, EF_ERR_IO, "stdin: read failed");
    }
    free(texts);
    ef_token_ids_free(&c.ids);
    ef_words_free(&c.words);
    ef_tokenizer_free(c.tok);
    ef_vocab_free(v);
    if (rc) {
        fflush(stdout);
        return cli_fail(&err);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "error: stdout: write failed\n");
        return 1;
    }
    return 0;
}
