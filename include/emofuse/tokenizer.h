/* BERT-base-uncased text tokenizer: a C re-implementation of HuggingFace's BertTokenizer
 * (BasicTokenizer + WordpieceTokenizer with do_lower_case=True, tokenize_chinese_chars=True,
 * strip_accents following lower-casing), plus the vocab.txt loader it needs.
 *
 * Three layers, each usable on its own:
 *   ef_vocab          vocab.txt: one token per line, id = 0-based line number.
 *   ef_basic_tokenize text -> lower-cased, accent-stripped, punctuation-split words
 *                     (no vocabulary involved; the GloVe path reuses it).
 *   ef_tokenizer      text -> WordPiece ids, optionally wrapped in [CLS] ... [SEP].
 *
 * Input text is UTF-8. Invalid UTF-8 never causes undefined behaviour: every byte that
 * does not belong to a well-formed sequence (overlong forms, surrogates, > U+10FFFF,
 * truncated sequences, stray continuation bytes) is decoded as U+FFFD, and text cleaning
 * then drops U+FFFD exactly as HuggingFace drops it, so "ab\xffcd" tokenizes like "abcd".
 * Embedded NUL bytes are allowed when an explicit length is given (cleaning drops them).
 * See docs/tokenizer.md for the full algorithm and the few documented deviations. */
#ifndef EMOFUSE_TOKENIZER_H
#define EMOFUSE_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emofuse/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------
 * Vocabulary (src/text/vocab.c)
 * ------------------------------------------------------------------------------------ */

/* Immutable after loading, so one vocab may be shared by several threads. */
typedef struct ef_vocab ef_vocab;

/* Load vocab.txt: one token per line ("\n" or "\r\n" line ends; a last line without a
 * line end still counts), token id = 0-based line number. Fails (EF_ERR_IO or
 * EF_ERR_FORMAT, message "<path>: <cause>") when the file cannot be read, is empty,
 * holds a NUL byte or invalid UTF-8, holds the same token on two lines ("line 7: duplicate
 * token 'x' (first on line 3)"), or lacks one of [UNK], [CLS], [SEP], [PAD]. An empty line
 * between others is a token (ids stay equal to line numbers). */
ef_code ef_vocab_load(ef_vocab **out, const char *path, ef_error *err);
/* Same from memory; `name` is used as the "<file>" part of error messages. */
ef_code ef_vocab_parse(ef_vocab **out, const char *data, size_t len, const char *name, ef_error *err);
void ef_vocab_free(ef_vocab *v);

/* Number of tokens (= largest id + 1). */
int32_t ef_vocab_size(const ef_vocab *v);
/* Id of a token given as bytes (need not be NUL-terminated); -1 when absent. */
int32_t ef_vocab_find(const ef_vocab *v, const char *token, size_t len);
/* Id of "##" + piece when `continuation`, else of piece; -1 when absent. Avoids copying
 * in the WordPiece inner loop. */
int32_t ef_vocab_find_piece(const ef_vocab *v, const char *piece, size_t len, bool continuation);
/* NUL-terminated token text of an id, NULL when id is out of range. Owned by the vocab. */
const char *ef_vocab_token(const ef_vocab *v, int32_t id);
/* Ids of the special tokens (always present in a loaded vocab). */
int32_t ef_vocab_unk_id(const ef_vocab *v);
int32_t ef_vocab_cls_id(const ef_vocab *v);
int32_t ef_vocab_sep_id(const ef_vocab *v);
int32_t ef_vocab_pad_id(const ef_vocab *v);
/* [MASK] is optional: -1 when the vocab lacks it. */
int32_t ef_vocab_mask_id(const ef_vocab *v);
/* Longest token in bytes (lets WordPiece skip impossible candidates). */
size_t ef_vocab_max_token_bytes(const ef_vocab *v);

/* ------------------------------------------------------------------------------------
 * Basic tokenizer (src/text/basic_tokenizer.c): HuggingFace BasicTokenizer, uncased.
 * ------------------------------------------------------------------------------------ */

/* A list of words. Initialise with ef_words_init (or `= {0}`), reuse across calls (its
 * buffers grow and are kept, so tokenizing many texts does not allocate per text), and
 * release with ef_words_free. */
typedef struct {
    size_t count;       /* number of words */
    const char **word;  /* word[i]: NUL-terminated UTF-8, never empty; valid until the next
                         * ef_basic_tokenize on this list or ef_words_free */
    size_t *len;        /* len[i]: byte length of word[i] */
    size_t *nchars;     /* nchars[i]: code points in word[i] (WordPiece's 100-char limit) */
    struct ef_words_storage *storage_; /* the tokenizer's reusable buffers (opaque) */
} ef_words;

void ef_words_init(ef_words *w);
void ef_words_free(ef_words *w);

/* Split `text` (len bytes of UTF-8; invalid bytes handled as above) into words exactly as
 * HuggingFace's BasicTokenizer(do_lower_case=True, tokenize_chinese_chars=True,
 * strip_accents=None) does:
 *   1. drop NUL, U+FFFD and every Unicode "C*" (control, format, private-use, unassigned)
 *      character except \t \n \r; map \t \n \r and every "Zs" character to a space;
 *   2. surround each CJK ideograph (HF's ranges) with spaces;
 *   3. split on whitespace (also U+2028/U+2029, as Python's str.split does); lower-case
 *      each character on its own (as BertTokenizer.tokenize does: no final-sigma rule),
 *      decompose (NFD) and drop the nonspacing marks ("Mn"), i.e. strip accents;
 *   4. make every punctuation character (Unicode "P*" or ASCII 33-47, 58-64, 91-96,
 *      123-126) a word of its own.
 * Special tokens such as "[CLS]" get no special treatment here ("[", "cls", "]").
 * Output replaces the previous content of `out`. Fails only with EF_ERR_NOMEM or
 * EF_ERR_ARG (text NULL with len > 0, or len > 1 GiB). */
ef_code ef_basic_tokenize(ef_words *out, const char *text, size_t len, ef_error *err);

/* ------------------------------------------------------------------------------------
 * WordPiece + full tokenizer (src/text/wordpiece.c)
 * ------------------------------------------------------------------------------------ */

/* A growable list of token ids: init with `= {0}`, reuse, release with ef_token_ids_free. */
typedef struct {
    int32_t *id;
    size_t count;
    size_t cap;
} ef_token_ids;

void ef_token_ids_free(ef_token_ids *ids);

/* Greedy longest-match-first WordPiece of one word (`len` bytes of UTF-8, as produced by
 * ef_basic_tokenize): APPENDS the piece ids to `out` (pieces after the first are looked up
 * as "##piece"). A word longer than 100 code points, or one that cannot be covered
 * completely by vocab pieces, appends the single id of [UNK]; an empty word appends
 * nothing. Fails only on EF_ERR_NOMEM. */
#define EF_WORDPIECE_MAX_CHARS 100
ef_code ef_wordpiece_word(ef_token_ids *out, const ef_vocab *v, const char *word, size_t len, ef_error *err);

/* The whole BertTokenizer. Holds scratch buffers, so encoding many texts does not allocate
 * per text; NOT thread-safe: use one ef_tokenizer per thread (they may share the vocab,
 * which must outlive them). */
typedef struct ef_tokenizer ef_tokenizer;

ef_code ef_tokenizer_create(ef_tokenizer **out, const ef_vocab *v, ef_error *err);
void ef_tokenizer_free(ef_tokenizer *t);
const ef_vocab *ef_tokenizer_vocab(const ef_tokenizer *t);

enum {
    /* Wrap the ids in [CLS] ... [SEP] (what the model sees for one sequence). Without it
     * the ids of the text alone are returned, e.g. for windowing long texts. */
    EF_TOKENIZE_ADD_SPECIAL = 1u << 0,
    /* Treat literal "[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]" in the text as plain text
     * (split into "[", "cls", "]"). By default, like HuggingFace's tokenizer, an exact
     * (case-sensitive) occurrence of one of them in the text becomes that special id. */
    EF_TOKENIZE_SPECIAL_AS_TEXT = 1u << 1,
};

/* Tokenize `text` (len bytes of UTF-8) and REPLACE the content of `out` with its ids.
 * Empty text gives no ids ([CLS] [SEP] with EF_TOKENIZE_ADD_SPECIAL). There is no length
 * limit here: truncation or windowing to the model's 512 positions is the caller's job.
 * Fails only with EF_ERR_NOMEM or EF_ERR_ARG. */
ef_code ef_tokenizer_encode(ef_tokenizer *t, const char *text, size_t len, unsigned flags, ef_token_ids *out,
                            ef_error *err);

#ifdef __cplusplus
}
#endif
#endif
