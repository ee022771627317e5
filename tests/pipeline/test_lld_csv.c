/* The fast LLD CSV formatters against glibc's printf, byte for byte: ef_fmt_g7 vs "%.7g"
 * and ef_fmt_f6 vs "%.6f" on random bit patterns (every exponent, incl. subnormals, inf,
 * NaN, -0), random values in the LLD ranges, exact decimal ties (k + 0.5 scaled by powers
 * of two), values next to powers of ten (where the exponent and the %f/%e choice flip),
 * and frame times t * step; then ef_lld_csv_write against a printf writer. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/audio.h"
#include "emofuse/lld_csv.h"
#include "testutil.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static long bad_g7 = 0, bad_f6 = 0;

static void check_g7(float v)
{
    char want[64], got[EF_FMT_MAX + 1];
    snprintf(want, sizeof want, "%.7g", (double)v);
    size_t n = ef_fmt_g7(got, v);
    got[n] = '\0';
    if (strcmp(want, got) != 0 && bad_g7++ < 10)
        fprintf(stderr, "g7 %a: printf '%s', ef_fmt_g7 '%s'\n", (double)v, want, got);
}

static void check_f6(double v)
{
    char want[400], got[400];
    snprintf(want, sizeof want, "%.6f", v);
    size_t n = ef_fmt_f6(got, sizeof got, v);
    got[n] = '\0';
    if (strcmp(want, got) != 0 && bad_f6++ < 10) fprintf(stderr, "f6 %a: printf '%s', ef_fmt_f6 '%s'\n", v, want, got);
}

int main(void)
{
    long count = 0;
    /* random bit patterns: every exponent and class */
    for (int i = 0; i < 2000000; i++, count++) {
        uint32_t b = (uint32_t)next();
        float v;
        memcpy(&v, &b, sizeof v);
        check_g7(v);
    }
    /* the ranges LLD values take: |v| in [1e-9, 1e4], both signs */
    for (int i = 0; i < 2000000; i++, count++) {
        double u = (double)(next() >> 11) / 9007199254740992.0;
        float v = (float)(pow(10.0, -9.0 + 13.0 * u) * ((next() & 1) ? -1 : 1));
        check_g7(v);
    }
    /* exact ties: (k + 0.5) 2^j for 7-digit k, and k (8-digit) for the %e rounding */
    for (int i = 0; i < 1000000; i++, count += 2) {
        uint32_t k = 1000000u + (uint32_t)(next() % 9000000u);
        check_g7((float)((k + 0.5) * ldexp(1.0, (int)(next() % 5) - 2)));
        check_g7((float)(10000000u + (uint32_t)(next() % 90000000u)));
    }
    /* neighbours of powers of ten and of 9.9999995 10^n (rounding to the next decade) */
    for (int e = -40; e <= 38; e++)
        for (int s = 0; s < 2; s++) {
            float c = (float)(s ? 9.9999995 * pow(10.0, e) : pow(10.0, e));
            float lo = c, hi = c;
            for (int j = 0; j < 8; j++, count += 2) {
                check_g7(lo);
                check_g7(hi);
                lo = nextafterf(lo, 0.0f);
                hi = nextafterf(hi, INFINITY);
            }
        }
    const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1.0f, -100.0f, 0.0001f, 0.00001f,
                             1e-5f, 9999999.0f, 9999999.5f, 1e7f, 1e38f, 3.4028235e38f, 1.17549435e-38f, 1e-45f};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++, count++) check_g7(special[i]);
    CHECK_MSG(bad_g7 == 0, "%ld of %ld floats differ from %%.7g", bad_g7, count);

    long fcount = 0;
    const double steps[] = {0.01, 0.001, 0.005, 0.0125, 0.02, 1.0 / 3.0, 0.1};
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++)
        for (int64_t t = 0; t < 200000; t++, fcount++) check_f6((double)t * steps[s]);
    for (int i = 0; i < 1000000; i++, fcount += 2) {
        uint64_t b = next();
        double v;
        memcpy(&v, &b, sizeof v);
        check_f6(v);
        double u = (double)(next() >> 11) / 9007199254740992.0;
        check_f6(pow(10.0, -8.0 + 21.0 * u) * ((next() & 1) ? -1 : 1));
    }
    for (int i = 0; i < 200000; i++, fcount++) /* ties at the 7th decimal: k / 2^7 etc. */
        check_f6((double)(next() % 100000000u) / (double)(1u << (1 + next() % 12)));
    const double fspecial[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1e12, 999999999999.9999, 5e-7, 4.9999999e-7, -5e-7,
                               1.5e-6, 2.5e-6, 0.0000005, 1e300};
    for (size_t i = 0; i < sizeof fspecial / sizeof fspecial[0]; i++, fcount++) check_f6(fspecial[i]);
    CHECK_MSG(bad_f6 == 0, "%ld of %ld doubles differ from %%.6f", bad_f6, fcount);

    /* the whole writer against a printf writer */
    const int64_t T = 3000;
    float *x = malloc(sizeof(float) * (size_t)T * EF_LLD_DIMS);
    for (int64_t i = 0; i < T * EF_LLD_DIMS; i++) {
        double u = (double)(next() >> 11) / 9007199254740992.0;
        x[i] = (i % 7 == 0) ? 0.0f : (float)((u - 0.5) * pow(10.0, (double)(i % 9) - 5.0));
    }
    char *got = NULL, *want = NULL;
    size_t ngot = 0, nwant = 0;
    FILE *fg = open_memstream(&got, &ngot), *fw = open_memstream(&want, &nwant);
    ef_error err = {0};
    CHECK(ef_lld_csv_write(fg, "memstream", x, T, 0.01, &err) == EF_OK);
    fputs("frameTime", fw);
    for (int c = 0; c < EF_LLD_DIMS; c++) fprintf(fw, ";%s", ef_lld_name(c));
    fputc('\n', fw);
    for (int64_t t = 0; t < T; t++) {
        fprintf(fw, "%.6f", (double)t * 0.01);
        for (int c = 0; c < EF_LLD_DIMS; c++) fprintf(fw, ";%.7g", (double)x[t * EF_LLD_DIMS + c]);
        fputc('\n', fw);
    }
    fclose(fg);
    fclose(fw);
    CHECK_MSG(ngot == nwant && memcmp(got, want, ngot) == 0, "writer output differs (%zu vs %zu bytes)", ngot, nwant);
    free(got);
    free(want);
    free(x);
    printf("%ld floats (%%.7g) and %ld doubles (%%.6f) identical to printf\n", count, fcount);
    return ef_test_exit();
}
