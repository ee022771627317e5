/* WordPiece (greedy longest-match-first, "##" continuations) and the full BertTokenizer
 * pipeline: special-token pre-split -> basic tokenizer -> WordPiece -> [CLS] ... [SEP].
 *
 * The pre-split mirrors HuggingFace's PreTrainedTokenizer.tokenize: exact, case-sensitive
 * occurrences of the special tokens in the raw text become their ids and the text between
 * them is tokenized piece by piece. The special tokens start with "[" and end with "]",
 * which the basic tokenizer treats as punctuation, so cutting there never changes how the
 * surrounding text splits. */
#include <stdlib.h>
#include <string.h>

#include "emofuse/tokenizer.h"

struct ef_tokenizer {
    const ef_vocab *v;
    ef_words words; /* scratch reused across calls */
};

void ef_token_ids_free(ef_token_ids *ids)
{
    if (!ids) return;
    free(ids->id);
    memset(ids, 0, sizeof *ids);
}

static bool push(ef_token_ids *out, int32_t id)
{
    if (out->count == out->cap) {
        size_t c = out->cap ? out->cap * 2 : 64;
        int32_t *p = realloc(out->id, c * sizeof *p);
        if (!p) return false;
        out->id = p;
        out->cap = c;
    }
    out->id[out->count++] = id;
    return true;
}

ef_code ef_wordpiece_word(ef_token_ids *out, const ef_vocab *v, const char *word, size_t len, ef_error *err)
{
    /* Character boundaries, counted in code points as Python's len() does. A word with
     * more than 100 of them is [UNK] without looking at it further. */
    size_t bound[EF_WORDPIECE_MAX_CHARS + 2];
    size_t nb = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)word[i] & 0xC0) == 0x80 && i != 0) continue; /* continuation byte */
        if (nb == EF_WORDPIECE_MAX_CHARS) {
            if (!push(out, ef_vocab_unk_id(v))) goto oom;
            return EF_OK;
        }
        bound[nb++] = i;
    }
    if (nb == 0) return EF_OK;
    bound[nb] = len;

    size_t base = out->count, maxb = ef_vocab_max_token_bytes(v);
    for (size_t start = 0; start < nb;) {
        int32_t found = -1;
        size_t end = nb;
        for (; end > start; end--) {
            size_t plen = bound[end] - bound[start];
            if (plen + (start ? 2 : 0) > maxb) continue; /* longer than any vocab token */
            found = ef_vocab_find_piece(v, word + bound[start], plen, start > 0);
            if (found >= 0) break;
        }
        if (found < 0) {
            out->count = base; /* the whole word becomes one [UNK] */
            if (!push(out, ef_vocab_unk_id(v))) goto oom;
            return EF_OK;
        }
        if (!push(out, found)) goto oom;
        start = end;
    }
    return EF_OK;
oom:
    return ef_fail(err, EF_ERR_NOMEM, "wordpiece: out of memory");
}

ef_code ef_tokenizer_create(ef_tokenizer **out, const ef_vocab *v, ef_error *err)
{
    *out = NULL;
    if (!v) return ef_fail(err, EF_ERR_ARG, "tokenizer: no vocabulary");
    ef_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return ef_fail(err, EF_ERR_NOMEM, "tokenizer: out of memory");
    t->v = v;
    ef_words_init(&t->words);
    *out = t;
    return EF_OK;
}

void ef_tokenizer_free(ef_tokenizer *t)
{
    if (!t) return;
    ef_words_free(&t->words);
    free(t);
}

const ef_vocab *ef_tokenizer_vocab(const ef_tokenizer *t) { return t->v; }

/* Basic-tokenize then WordPiece one stretch of text free of special tokens. */
static ef_code encode_plain(ef_tokenizer *t, const char *text, size_t len, ef_token_ids *out, ef_error *err)
{
    if (len == 0) return EF_OK;
    ef_code rc = ef_basic_tokenize(&t->words, text, len, err);
    if (rc) return rc;
    for (size_t i = 0; i < t->words.count; i++) {
        rc = ef_wordpiece_word(out, t->v, t->words.word[i], t->words.len[i], err);
        if (rc) return rc;
    }
    return EF_OK;
}

static const char *const special_names[] = {"[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"};

ef_code ef_tokenizer_encode(ef_tokenizer *t, const char *text, size_t len, unsigned flags, ef_token_ids *out,
                            ef_error *err)
{
    out->count = 0;
    if (!text && len) return ef_fail(err, EF_ERR_ARG, "text: NULL with nonzero length");
    const ef_vocab *v = t->v;
    if ((flags & EF_TOKENIZE_ADD_SPECIAL) && !push(out, ef_vocab_cls_id(v))) goto oom;

    size_t seg = 0; /* start of the pending plain-text stretch */
    if (!(flags & EF_TOKENIZE_SPECIAL_AS_TEXT)) {
        for (size_t i = 0; i < len;) {
            const char *br = memchr(text + i, '[', len - i);
            if (!br) break;
            i = (size_t)(br - text);
            int32_t id = -1;
            size_t n = 0;
            for (size_t k = 0; k < sizeof special_names / sizeof special_names[0]; k++) {
                n = strlen(special_names[k]);
                if (n <= len - i && memcmp(text + i, special_names[k], n) == 0) {
                    id = ef_vocab_find(v, special_names[k], n); /* -1 for a vocab without [MASK] */
                    break;
                }
            }
            if (id < 0) {
                i++;
                continue;
            }
            ef_code rc = encode_plain(t, text + seg, i - seg, out, err);
            if (rc) return rc;
            if (!push(out, id)) goto oom;
            i += n;
            seg = i;
        }
    }
    ef_code rc = encode_plain(t, text + seg, len - seg, out, err);
    if (rc) return rc;
    if ((flags & EF_TOKENIZE_ADD_SPECIAL) && !push(out, ef_vocab_sep_id(v))) goto oom;
    return EF_OK;
oom:
    return ef_fail(err, EF_ERR_NOMEM, "tokenizer: out of memory");
}
