/* HuggingFace BasicTokenizer (uncased BERT) in one pass over the text: clean, isolate CJK
 * ideographs, split on whitespace, lower-case + NFD + drop nonspacing marks, split off
 * punctuation. Unicode data (categories, lower-case mapping, canonical decomposition and
 * combining classes) comes from utf8proc.
 *
 * Equivalences relied on (why one pass gives HF's multi-pass result):
 *  - HF cleans, then whitespace-splits, then lower-cases each word. BertTokenizer.tokenize
 *    lower-cases the text one character at a time before that, so there is no final-sigma
 *    context: per-character simple lower-casing (utf8proc_tolower) is what HF computes. The
 *    one character whose Python lower() is two characters, U+0130, becomes "i" + U+0307
 *    there and "i" here; the U+0307 is a nonspacing mark and is dropped either way.
 *  - HF applies NFC before the whitespace split; it cannot change word boundaries and NFD
 *    follows, so it is omitted.
 *  - Python's str.split() also splits on U+2028/U+2029 (not "Zs", not "C*", so cleaning
 *    keeps them); they are treated as whitespace here.
 *  - NFD's canonical reordering only matters for marks that survive stripping, i.e. non-Mn
 *    marks with a nonzero combining class; runs are delimited by combining class 0 BEFORE
 *    Mn marks are dropped, then the survivors are stably sorted by class.
 * Buffers live in ef_words and are reused, so steady-state tokenization does not allocate. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "emofuse/tokenizer.h"
#include "text/tok_utf8.h"

#define BASIC_MAX_TEXT ((size_t)1 << 30)

/* The buffers behind an ef_words list, kept across calls (private to this file). */
struct ef_words_storage {
    char *buf;      /* the words, NUL-terminated, back to back */
    size_t buf_cap;
    size_t *off;    /* off[i]: offset of word i in buf */
    size_t cap;     /* capacity of off, word, len and nchars */
    int32_t *cp;    /* code points of the word being built */
    size_t cp_cap;
    int32_t *tmp;   /* accent stripping's reordered marks */
    size_t tmp_cap;
};

void ef_words_init(ef_words *w) { memset(w, 0, sizeof *w); }

void ef_words_free(ef_words *w)
{
    if (!w) return;
    free(w->word);
    free(w->len);
    free(w->nchars);
    if (w->storage_) {
        free(w->storage_->off);
        free(w->storage_->buf);
        free(w->storage_->cp);
        free(w->storage_->tmp);
        free(w->storage_);
    }
    memset(w, 0, sizeof *w);
}

/* Grow *p (elements of `elem` bytes, capacity *cap) to hold at least `need`. */
static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem) return false;
        c *= 2;
    }
    void *q = realloc(*p, c * elem);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

/* State of one ef_basic_tokenize call. */
typedef struct {
    ef_words *w;
    size_t used;    /* bytes used in w->storage_->buf */
    bool open;      /* an output word is being built */
    size_t start;   /* its offset in w->storage_->buf */
    size_t chars;   /* its length in code points */
    size_t ncp;     /* code points of the current whitespace-delimited word in w->storage_->cp */
    bool oom;
} state;

static bool is_ascii_punct(int32_t c)
{
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

/* HF's CJK ranges (_is_chinese_char): CJK Unified Ideographs and Extensions A-E, and the
 * two Compatibility Ideographs blocks. Hiragana, Katakana and Hangul are not included. */
static bool is_cjk(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static bool is_punct(int32_t c, int cat)
{
    if (c < 0x80) return is_ascii_punct(c);
    return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

static void word_end(state *s)
{
    if (!s->open || s->oom) return;
    ef_words *w = s->w;
    /* storage_->buf always has room for the NUL (word_put reserves it). */
    w->storage_->buf[s->used++] = '\0';
    size_t need = w->count + 1;
    if (need > w->storage_->cap) {
        size_t c1 = w->storage_->cap, c2 = w->storage_->cap, c3 = w->storage_->cap, c4 = w->storage_->cap;
        if (!grow((void **)&w->storage_->off, &c1, need, sizeof *w->storage_->off) || !grow((void **)&w->len, &c2, need, sizeof *w->len) ||
            !grow((void **)&w->nchars, &c3, need, sizeof *w->nchars) ||
            !grow((void **)&w->word, &c4, need, sizeof *w->word)) {
            s->oom = true;
            return;
        }
        /* All four grew from the same capacity by the same rule, so they agree. */
        w->storage_->cap = c1;
    }
    w->storage_->off[w->count] = s->start;
    w->len[w->count] = s->used - 1 - s->start;
    w->nchars[w->count] = s->chars;
    w->count++;
    s->open = false;
}

static void word_put(state *s, int32_t c)
{
    if (s->oom) return;
    ef_words *w = s->w;
    if (!grow((void **)&w->storage_->buf, &w->storage_->buf_cap, s->used + 5, 1)) { /* 4 bytes + NUL */
        s->oom = true;
        return;
    }
    if (!s->open) {
        s->open = true;
        s->start = s->used;
        s->chars = 0;
    }
    s->used += ef_tok_utf8_put(w->storage_->buf + s->used, c);
    s->chars++;
}

/* Emit one surviving (non-Mn) character of a word: punctuation stands alone. */
static void emit(state *s, int32_t c, int cat)
{
    if (is_punct(c, cat)) {
        word_end(s);
        word_put(s, c);
        word_end(s);
    } else {
        word_put(s, c);
    }
}

static int category(int32_t c) { return c < 0x80 ? UTF8PROC_CATEGORY_LL : utf8proc_get_property(c)->category; }
static int comb_class(int32_t c) { return c < 0x300 ? 0 : utf8proc_get_property(c)->combining_class; }

/* Finish the whitespace-delimited word held in w->storage_->cp (already lower-cased and
 * decomposed): canonical reordering of the marks that survive, Mn stripping, punctuation
 * split. */
static void flush(state *s)
{
    ef_words *w = s->w;
    int32_t *cp = w->storage_->cp;
    size_t n = s->ncp;
    s->ncp = 0;
    for (size_t i = 0; i < n && !s->oom;) {
        int32_t c = cp[i];
        if (comb_class(c) == 0) {
            int cat = category(c);
            if (cat != UTF8PROC_CATEGORY_MN) emit(s, c, cat);
            i++;
            continue;
        }
        /* A run of nonzero combining classes: keep the non-Mn marks, stable-sorted by class
         * (counting sort: linear even for adversarial runs). */
        size_t j = i, kept = 0;
        while (j < n && comb_class(cp[j]) != 0) j++;
        if (!grow((void **)&w->storage_->tmp, &w->storage_->tmp_cap, j - i, sizeof *w->storage_->tmp)) {
            s->oom = true;
            return;
        }
        size_t count[256] = {0};
        for (size_t k = i; k < j; k++) {
            if (category(cp[k]) == UTF8PROC_CATEGORY_MN) continue;
            count[comb_class(cp[k]) & 255]++;
            kept++;
        }
        if (kept) {
            size_t pos[256], acc = 0;
            for (int k = 0; k < 256; k++) {
                pos[k] = acc;
                acc += count[k];
            }
            for (size_t k = i; k < j; k++)
                if (category(cp[k]) != UTF8PROC_CATEGORY_MN) w->storage_->tmp[pos[comb_class(cp[k]) & 255]++] = cp[k];
            for (size_t k = 0; k < kept; k++) emit(s, w->storage_->tmp[k], category(w->storage_->tmp[k]));
        }
        i = j;
    }
    word_end(s);
}

/* Append the lower-cased canonical decomposition of c to the current word. */
static void add_char(state *s, int32_t c)
{
    ef_words *w = s->w;
    if (!grow((void **)&w->storage_->cp, &w->storage_->cp_cap, s->ncp + 8, sizeof *w->storage_->cp)) {
        s->oom = true;
        return;
    }
    if (c < 0x80) {
        w->storage_->cp[s->ncp++] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        return;
    }
    int32_t lc = utf8proc_tolower(c);
    int boundclass = 0;
    /* Canonical decompositions are at most 4 code points; 8 slots were reserved. */
    utf8proc_ssize_t k = utf8proc_decompose_char(lc, w->storage_->cp + s->ncp, 8, UTF8PROC_DECOMPOSE, &boundclass);
    if (k < 1 || k > 8) { /* cannot happen for a valid code point; keep the character */
        w->storage_->cp[s->ncp++] = lc;
        return;
    }
    s->ncp += (size_t)k;
}

ef_code ef_basic_tokenize(ef_words *out, const char *text, size_t len, ef_error *err)
{
    out->count = 0;
    if (!text && len) return ef_fail(err, EF_ERR_ARG, "text: NULL with nonzero length");
    if (len > BASIC_MAX_TEXT) return ef_fail(err, EF_ERR_ARG, "text: longer than 1 GiB");
    if (!out->storage_ && !(out->storage_ = calloc(1, sizeof *out->storage_)))
        return ef_fail(err, EF_ERR_NOMEM, "text: out of memory while tokenizing");
    state s = {.w = out};
    const unsigned char *u = (const unsigned char *)text;
    for (size_t i = 0; i < len && !s.oom;) {
        int32_t c;
        i += ef_tok_utf8_next(u + i, len - i, &c);
        if (c < 0x80) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                flush(&s);
            } else if (c >= 0x20 && c != 0x7F) { /* NUL and the other C0 controls are dropped */
                add_char(&s, c);
            }
            continue;
        }
        if (c == EF_TOK_REPLACEMENT) continue;
        int cat = utf8proc_get_property(c)->category;
        if (cat == UTF8PROC_CATEGORY_CN || cat >= UTF8PROC_CATEGORY_CC) continue; /* Cn Cc Cf Cs Co */
        if (cat == UTF8PROC_CATEGORY_ZS || c == 0x2028 || c == 0x2029) {
            flush(&s);
        } else if (is_cjk(c)) {
            flush(&s);
            add_char(&s, c);
            flush(&s);
        } else {
            add_char(&s, c);
        }
    }
    flush(&s);
    if (s.oom) {
        out->count = 0;
        return ef_fail(err, EF_ERR_NOMEM, "text: out of memory while tokenizing");
    }
    for (size_t k = 0; k < out->count; k++) out->word[k] = out->storage_->buf + out->storage_->off[k];
    return EF_OK;
}
