/* LLD CSV output with exact, printf-identical number formatting (see emofuse/lld_csv.h).
 *
 * Why not printf: for a 10-minute file `emofuse lld` printed 2.2 M numbers and perf put
 * ~35% of its CPU time in glibc's __printf_fp (multi-precision arithmetic on every value)
 * and the format parser.
 *
 * Exactness: a float is m 2^e (m < 2^24). "%.7g" needs D = round(|v| 10^(6-X)) with X the
 * decimal exponent, ties to even (glibc rounds the exact binary value, in the default
 * rounding mode). |v| 10^s = m 2^e 10^s is computed as num / den with both in unsigned
 * __int128 (num = m 2^max(e,0) 10^max(s,0), den = 2^max(-e,0) 10^max(-s,0)); that fits for
 * every float in [1e-25, FLT_MAX], i.e. s <= 31; smaller magnitudes (never LLD values)
 * go through snprintf. X is estimated from the binary exponent and corrected when the
 * truncated quotient has 6 or 8 digits. "%.6f" of a double (frame times) is the same with s = 6 for
 * |v| < 1e12. tests/pipeline/test_lld_csv.c compares both with snprintf on millions of
 * random and adversarial (tie, power-of-ten boundary) values. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/audio.h"
#include "emofuse/lld_csv.h"

typedef unsigned __int128 u128;

static u128 pow10_u128(int n)
{
    u128 p = 1;
    for (int i = 0; i < n; i++) p *= 10u;
    return p;
}

/* Decimal digits of x (x < 10^19) into buf; returns the count. */
static size_t put_u64(char *buf, uint64_t x)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + x % 10u);
        x /= 10u;
    } while (x);
    for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    return n;
}

/* round-half-even(num / den); *trunc = the truncated quotient. den is a power of two when
 * shift >= 0 (den = 2^shift), else a general divisor. */
static u128 div_round(u128 num, u128 den, int shift, u128 *trunc)
{
    u128 q, r, half2;
    if (shift >= 0) {
        if (shift == 0) {
            *trunc = num;
            return num;
        }
        q = num >> shift;
        r = num & (((u128)1 << shift) - 1u);
        half2 = (u128)1 << (shift - 1);
        *trunc = q;
        if (r > half2 || (r == half2 && (q & 1u))) q++;
        return q;
    }
    q = num / den;
    r = num - q * den;
    *trunc = q;
    /* 2r vs den without overflow: den < 2^127 here */
    if (2u * r > den || (2u * r == den && (q & 1u))) q++;
    return q;
}

static size_t fmt_special(char *buf, bool neg, const char *word)
{
    size_t n = 0;
    if (neg) buf[n++] = '-';
    size_t k = strlen(word);
    memcpy(buf + n, word, k);
    return n + k;
}

/* Slow path for magnitudes the exact fast path does not cover. */
static size_t fmt_g7_printf(char *buf, float v)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%.7g", (double)v);
    memcpy(buf, tmp, (size_t)n);
    return (size_t)n;
}

size_t ef_fmt_g7(char *buf, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    const bool neg = bits >> 31;
    const uint32_t ebits = (bits >> 23) & 0xffu, frac = bits & 0x7fffffu;
    if (ebits == 0xffu) return fmt_special(buf, neg, frac ? "nan" : "inf");
    if (ebits == 0 && frac == 0) return fmt_special(buf, neg, "0");
    if (ebits == 0) return fmt_g7_printf(buf, v); /* subnormal: < 1.2e-38 */
    const uint32_t m = frac | 0x800000u;
    const int e = (int)ebits - 150; /* |v| = m 2^e */
    /* |v| in [2^E, 2^(E+1)): X is floor(E log10 2) or one more (78913 / 2^18 ~ log10 2;
     * exact floor for |E| < 1650), the loop below corrects it */
    const int E = (int)ebits - 127;
    int X = E >= 0 ? (E * 78913) >> 18 : -((-E * 78913 + (1 << 18) - 1) >> 18);
    u128 D = 0;
    for (int tries = 0;; tries++) {
        const int s = 6 - X;
        if (s > 31 || tries > 3) return fmt_g7_printf(buf, v);
        u128 num = m, den = 1;
        int shift = -1;
        if (e >= 0) num <<= e;
        if (s >= 0) num *= pow10_u128(s);
        else den = pow10_u128(-s);
        if (e < 0) {
            if (s >= 0) {
                shift = -e;
                if (shift > 126) return fmt_g7_printf(buf, v);
            } else {
                if (-e > 20) return fmt_g7_printf(buf, v); /* cannot happen for |v| >= 1e7 */
                den <<= -e;
            }
        }
        u128 trunc;
        D = div_round(num, den, shift, &trunc);
        if (trunc >= 10000000u) X++;
        else if (trunc < 1000000u) X--;
        else break;
    }
    if (D == 10000000u) { /* rounded up to the next power of ten */
        D = 1000000u;
        X++;
    }
    char dig[8];
    put_u64(dig, (uint64_t)D); /* exactly 7 digits */
    int nd = 7;
    size_t n = 0;
    if (neg) buf[n++] = '-';
    if (X < -4 || X >= 7) {
        while (nd > 1 && dig[nd - 1] == '0') nd--;
        buf[n++] = dig[0];
        if (nd > 1) {
            buf[n++] = '.';
            memcpy(buf + n, dig + 1, (size_t)nd - 1);
            n += (size_t)nd - 1;
        }
        buf[n++] = 'e';
        buf[n++] = X < 0 ? '-' : '+';
        int ax = X < 0 ? -X : X;
        if (ax < 10) buf[n++] = '0';
        n += put_u64(buf + n, (uint64_t)ax);
        return n;
    }
    if (X >= 0) {
        int ip = X + 1; /* integer digits */
        memcpy(buf + n, dig, (size_t)ip);
        n += (size_t)ip;
        while (nd > ip && dig[nd - 1] == '0') nd--;
        if (nd > ip) {
            buf[n++] = '.';
            memcpy(buf + n, dig + ip, (size_t)(nd - ip));
            n += (size_t)(nd - ip);
        }
        return n;
    }
    /* -4 <= X <= -1: 0.000ddddddd */
    buf[n++] = '0';
    buf[n++] = '.';
    for (int i = 0; i < -X - 1; i++) buf[n++] = '0';
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    memcpy(buf + n, dig, (size_t)nd);
    return n + (size_t)nd;
}

size_t ef_fmt_f6(char *buf, size_t cap, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    const bool neg = bits >> 63;
    const int ebits = (int)((bits >> 52) & 0x7ffu);
    const uint64_t frac = bits & 0xfffffffffffffull;
    if (ebits == 0x7ff || fabs(v) >= 1e12) {
        int n = snprintf(buf, cap, "%.6f", v);
        return n < 0 ? 0 : ((size_t)n < cap ? (size_t)n : cap - 1);
    }
    uint64_t D = 0; /* round(|v| 10^6) */
    if (ebits != 0 || frac != 0) {
        const uint64_t m = ebits ? frac | (1ull << 52) : frac;
        const int e = (ebits ? ebits : 1) - 1075;
        u128 num = (u128)m * 1000000u, trunc;
        if (e >= 0) D = (uint64_t)(num << e);
        else if (-e >= 127) D = 0; /* |v| < 2^-74 */
        else D = (uint64_t)div_round(num, 1, -e, &trunc);
    }
    size_t n = 0;
    if (neg) buf[n++] = '-';
    n += put_u64(buf + n, D / 1000000u);
    buf[n++] = '.';
    uint32_t f = (uint32_t)(D % 1000000u);
    for (int i = 5; i >= 0; i--) {
        buf[n + (size_t)i] = (char)('0' + f % 10u);
        f /= 10u;
    }
    return n + 6;
}

#define OUT_BUF (1 << 18)
#define ROW_SLACK 4096 /* > one row: 36 values x 16 bytes + a frame time */

ef_code ef_lld_csv_write(FILE *f, const char *what, const float *x, int64_t T, double step, ef_error *err)
{
    char *buf = malloc(OUT_BUF);
    if (!buf) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory for the output buffer", what);
    size_t n = 0;
    n += (size_t)snprintf(buf, OUT_BUF, "frameTime");
    for (int c = 0; c < EF_LLD_DIMS; c++) {
        const char *name = ef_lld_name(c);
        size_t k = strlen(name);
        buf[n++] = ';';
        memcpy(buf + n, name, k);
        n += k;
    }
    buf[n++] = '\n';
    for (int64_t t = 0; t < T; t++) {
        if (OUT_BUF - n < ROW_SLACK) {
            if (fwrite(buf, 1, n, f) != n) goto fail;
            n = 0;
        }
        n += ef_fmt_f6(buf + n, 400, (double)t * step);
        const float *row = x + t * EF_LLD_DIMS;
        for (int c = 0; c < EF_LLD_DIMS; c++) {
            buf[n++] = ';';
            n += ef_fmt_g7(buf + n, row[c]);
        }
        buf[n++] = '\n';
    }
    if ((n && fwrite(buf, 1, n, f) != n) || fflush(f) != 0 || ferror(f)) goto fail;
    free(buf);
    return EF_OK;
fail:
    free(buf);
    return ef_fail(err, EF_ERR_IO, "%s: write failed", what);
}
