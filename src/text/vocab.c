/* vocab.txt loader for the WordPiece tokenizer: one token per line, id = 0-based line
 * number, with an open-addressing hash table for token -> id and a table for id -> token.
 *
 * Stricter than HuggingFace's load_vocab (which silently lets a later duplicate win):
 * duplicates, an empty file, NUL bytes, invalid UTF-8 (HF raises on it too) and missing
 * special tokens are load errors, because each of them means a corrupt or wrong file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emofuse/hash.h"
#include "emofuse/tokenizer.h"
#include "text/tok_utf8.h"

/* 1 GiB: far above any real vocab (bert-base-uncased is 226 KB), keeps ids and sizes
 * comfortably inside int32/size_t arithmetic. */
#define VOCAB_MAX_BYTES ((size_t)1 << 30)

struct ef_vocab {
    char *blob;       /* every token, NUL-terminated, in id order */
    size_t *tok_off;  /* (n) offset of token id in blob */
    uint32_t *tok_len;/* (n) byte length of token id */
    int32_t n;
    int32_t *slot;    /* (mask+1) hash slots: token id or -1 */
    uint32_t *slot_h; /* (mask+1) upper hash bits of the slot's token, to skip memcmp */
    size_t mask;
    size_t max_bytes;
    int32_t unk, cls, sep, pad, msk;
};

/* core's streaming FNV-1a: the table lives in memory only, so any basis would do. */
#define FNV_OFFSET EF_FNV1A64_INIT
#define fnv_update ef_fnv1a64

/* Probe for a token given as prefix ("" or "##") + piece with full hash h. */
static int32_t probe(const ef_vocab *v, uint64_t h, const char *prefix, size_t plen, const char *s, size_t n)
{
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = (size_t)h & v->mask;; i = (i + 1) & v->mask) {
        int32_t id = v->slot[i];
        if (id < 0) return -1;
        if (v->slot_h[i] != tag || v->tok_len[id] != plen + n) continue;
        const char *t = v->blob + v->tok_off[id];
        if (memcmp(t, prefix, plen) == 0 && memcmp(t + plen, s, n) == 0) return id;
    }
}

int32_t ef_vocab_find(const ef_vocab *v, const char *token, size_t len)
{
    if (!v || (!token && len)) return -1;
    return probe(v, fnv_update(FNV_OFFSET, token, len), "", 0, token, len);
}

int32_t ef_vocab_find_piece(const ef_vocab *v, const char *piece, size_t len, bool continuation)
{
    if (!continuation) return ef_vocab_find(v, piece, len);
    if (!v || (!piece && len)) return -1;
    /* FNV is a streaming hash: hashing "##" then the piece equals hashing "##piece". */
    uint64_t h = fnv_update(fnv_update(FNV_OFFSET, "##", 2), piece, len);
    return probe(v, h, "##", 2, piece, len);
}

void ef_vocab_free(ef_vocab *v)
{
    if (!v) return;
    free(v->blob);
    free(v->tok_off);
    free(v->tok_len);
    free(v->slot);
    free(v->slot_h);
    free(v);
}

static bool valid_utf8(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t k = ef_tok_utf8_next(u + i, n - i, &cp);
        /* A literal U+FFFD in the file is 3 bytes; a decoding failure consumes 1. */
        if (cp == EF_TOK_REPLACEMENT && k == 1) return false;
        i += k;
    }
    return true;
}

static ef_code require(const ef_vocab *v, const char *name, const char *tok, int32_t *id, ef_error *err)
{
    *id = ef_vocab_find(v, tok, strlen(tok));
    if (*id < 0) return ef_fail(err, EF_ERR_FORMAT, "%s: missing special token %s", name, tok);
    return EF_OK;
}

ef_code ef_vocab_parse(ef_vocab **out, const char *data, size_t len, const char *name, ef_error *err)
{
    *out = NULL;
    if (!name) name = "vocab";
    if (!data || len == 0) return ef_fail(err, EF_ERR_FORMAT, "%s: empty vocabulary file", name);
    if (len > VOCAB_MAX_BYTES) return ef_fail(err, EF_ERR_FORMAT, "%s: larger than 1 GiB", name);

    /* Count lines: a final line without "\n" still counts; a trailing "\n" adds none. */
    size_t lines = 0;
    for (const char *p = data, *end = data + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        lines++;
        p = nl ? nl + 1 : end;
    }
    if (lines > (size_t)INT32_MAX / 2) return ef_fail(err, EF_ERR_FORMAT, "%s: too many lines", name);

    ef_vocab *v = calloc(1, sizeof *v);
    if (!v) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", name);
    size_t cap = 16;
    while (cap < 2 * lines) cap *= 2; /* load factor <= 0.5 keeps probes short */
    v->mask = cap - 1;
    v->blob = malloc(len + 1);
    v->tok_off = malloc(lines * sizeof *v->tok_off);
    v->tok_len = malloc(lines * sizeof *v->tok_len);
    v->slot = malloc(cap * sizeof *v->slot);
    v->slot_h = malloc(cap * sizeof *v->slot_h);
    if (!v->blob || !v->tok_off || !v->tok_len || !v->slot || !v->slot_h) {
        ef_vocab_free(v);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", name);
    }
    memset(v->slot, 0xff, cap * sizeof *v->slot); /* all -1 */

    size_t w = 0; /* write position in blob */
    const char *p = data, *end = data + len;
    for (int32_t id = 0; p < end; id++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t n = (size_t)(le - p);
        if (n > 0 && p[n - 1] == '\r') n--; /* tolerate CRLF files (HF would keep the \r) */
        int line = (int)id + 1;
        if (memchr(p, '\0', n)) {
            ef_vocab_free(v);
            return ef_fail(err, EF_ERR_FORMAT, "%s: line %d: NUL byte in token", name, line);
        }
        if (!valid_utf8(p, n)) {
            ef_vocab_free(v);
            return ef_fail(err, EF_ERR_FORMAT, "%s: line %d: invalid UTF-8", name, line);
        }
        if (n > UINT32_MAX) {
            ef_vocab_free(v);
            return ef_fail(err, EF_ERR_FORMAT, "%s: line %d: token too long", name, line);
        }
        uint64_t h = fnv_update(FNV_OFFSET, p, n);
        int32_t dup = probe(v, h, "", 0, p, n);
        if (dup >= 0) {
            ef_vocab_free(v);
            return ef_fail(err, EF_ERR_FORMAT, "%s: line %d: duplicate token '%.*s' (first on line %d)", name, line,
                           (int)(n > 64 ? 64 : n), p, (int)dup + 1);
        }
        memcpy(v->blob + w, p, n);
        v->blob[w + n] = '\0';
        v->tok_off[id] = w;
        v->tok_len[id] = (uint32_t)n;
        w += n + 1;
        if (n > v->max_bytes) v->max_bytes = n;
        size_t i = (size_t)h & v->mask;
        while (v->slot[i] >= 0) i = (i + 1) & v->mask;
        v->slot[i] = id;
        v->slot_h[i] = (uint32_t)(h >> 32);
        v->n = id + 1;
        p = nl ? nl + 1 : end;
    }

    ef_code rc;
    if ((rc = require(v, name, "[UNK]", &v->unk, err)) || (rc = require(v, name, "[CLS]", &v->cls, err)) ||
        (rc = require(v, name, "[SEP]", &v->sep, err)) || (rc = require(v, name, "[PAD]", &v->pad, err))) {
        ef_vocab_free(v);
        return rc;
    }
    v->msk = ef_vocab_find(v, "[MASK]", 6);
    *out = v;
    return EF_OK;
}

ef_code ef_vocab_load(ef_vocab **out, const char *path, ef_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return ef_fail(err, EF_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > VOCAB_MAX_BYTES) {
        fclose(f);
        return ef_fail(err, EF_ERR_FORMAT, "%s: larger than 1 GiB", path);
    }
    size_t size = (size_t)st.st_size;
    char *data = malloc(size ? size : 1);
    if (!data) {
        fclose(f);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t got = fread(data, 1, size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != size) {
        free(data);
        return ef_fail(err, EF_ERR_IO, "%s: read failed", path);
    }
    ef_code rc = ef_vocab_parse(out, data, size, path, err);
    free(data);
    return rc;
}

int32_t ef_vocab_size(const ef_vocab *v) { return v ? v->n : 0; }

const char *ef_vocab_token(const ef_vocab *v, int32_t id)
{
    if (!v || id < 0 || id >= v->n) return NULL;
    return v->blob + v->tok_off[id];
}

int32_t ef_vocab_unk_id(const ef_vocab *v) { return v->unk; }
int32_t ef_vocab_cls_id(const ef_vocab *v) { return v->cls; }
int32_t ef_vocab_sep_id(const ef_vocab *v) { return v->sep; }
int32_t ef_vocab_pad_id(const ef_vocab *v) { return v->pad; }
int32_t ef_vocab_mask_id(const ef_vocab *v) { return v->msk; }
size_t ef_vocab_max_token_bytes(const ef_vocab *v) { return v->max_bytes; }
