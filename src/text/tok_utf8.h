/* Strict UTF-8 decoding shared by the tokenizer sources (vocab.c, basic_tokenizer.c).
 *
 * Why our own decoder: the tokenizer must never read past the buffer or trust its input,
 * and it must reject exactly what Python's bytes.decode("utf-8", "replace") rejects
 * (overlong forms, UTF-16 surrogates, code points above U+10FFFF, truncated sequences,
 * stray continuation bytes) so that the valid characters around bad bytes come out the
 * same. An invalid byte decodes as U+FFFD and only that one byte is consumed; the
 * continuation bytes that follow are then invalid on their own, so no valid character is
 * ever swallowed. (Python may emit fewer U+FFFD for one bad sequence, but text cleaning
 * drops U+FFFD, so the count never matters.) */
#ifndef EMOFUSE_TEXT_TOK_UTF8_H
#define EMOFUSE_TEXT_TOK_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define EF_TOK_REPLACEMENT 0xFFFD

/* Decode the character at s[0] (n >= 1 bytes available). Stores it in *cp (U+FFFD when
 * invalid) and returns the bytes consumed (1..4). */
static inline size_t ef_tok_utf8_next(const unsigned char *s, size_t n, int32_t *cp)
{
    unsigned b0 = s[0];
    if (b0 < 0x80) {
        *cp = (int32_t)b0;
        return 1;
    }
    size_t need;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    int32_t c;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        c = (int32_t)(b0 & 0x1F);
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        c = (int32_t)(b0 & 0x0F);
        if (b0 == 0xE0) lo = 0xA0;      /* overlong */
        else if (b0 == 0xED) hi = 0x9F; /* surrogates D800-DFFF */
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        c = (int32_t)(b0 & 0x07);
        if (b0 == 0xF0) lo = 0x90;      /* overlong */
        else if (b0 == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        *cp = EF_TOK_REPLACEMENT;
        return 1;
    }
    if (n < need + 1) {
        *cp = EF_TOK_REPLACEMENT;
        return 1;
    }
    for (size_t k = 1; k <= need; k++) {
        unsigned b = s[k];
        unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (b < l || b > h) {
            *cp = EF_TOK_REPLACEMENT;
            return 1;
        }
        c = (c << 6) | (int32_t)(b & 0x3F);
    }
    *cp = c;
    return need + 1;
}

/* Encode a valid code point (0..0x10FFFF, not a surrogate) into out[0..3]; returns bytes. */
static inline size_t ef_tok_utf8_put(char *out, int32_t c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

#endif
