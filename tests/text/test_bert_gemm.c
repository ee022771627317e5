/* The BERT encoder's GEMM kernel and vectorised math (src/text/bert_gemm.c, bert_math.c):
 * - ef_bert_gemm against a double-precision triple loop for odd M, N, K (not multiples of
 *   the 4x4 register tile, the 16-float K step, the 512-float K block or the 64-row W
 *   chunk), row strides larger than the widths (padding must stay untouched), with/without
 *   bias, accumulate, alpha, fused GELU, 1 and 2 threads, on every kernel this CPU can run
 *   (AVX-512, AVX2, portable OpenBLAS path: ef_bert_isa_cap);
 * - erf, exp, GELU and softmax against libm in double over dense grids, on every level;
 *   prints the max errors in float ulps (quoted in docs/bert.md). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/text/bert_gemm.h"
#include "testutil.h"

static float frand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static double gelu_d(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }

/* woff > 0: W rows at a stride that is a multiple of 16 floats, starting woff floats past
 * a 64-byte boundary (the kernels then peel columns to align the W loads, as for the
 * 8-byte-aligned weights of a safetensors file); woff = 0: an odd stride (no peeling). */
static void check_gemm_w(int M, int N, int K, int accumulate, int use_bias, float alpha, int gelu, int threads, int woff)
{
    int ldx = K + 3, ldw = woff ? (K + 15) / 16 * 16 : K + 5, ldo = N + 2;
    unsigned s = (unsigned)(M * 7919 + N * 104729 + K * 31 + accumulate * 3 + use_bias * 5 + gelu * 11);
    float *X = malloc(sizeof(float) * (size_t)M * ldx);
    size_t wbytes = ((size_t)N * ldw + 16) * sizeof(float); /* 16 floats of room for woff */
    float *Wbuf = aligned_alloc(64, (wbytes + 63) / 64 * 64), *W = Wbuf + woff;
    float *b = malloc(sizeof(float) * (size_t)N), *out = malloc(sizeof(float) * (size_t)M * ldo);
    float *init = malloc(sizeof(float) * (size_t)M * ldo);
    for (size_t i = 0; i < (size_t)M * ldx; i++) X[i] = frand(&s);
    for (size_t i = 0; i < (size_t)N * ldw; i++) W[i] = frand(&s);
    for (int i = 0; i < N; i++) b[i] = frand(&s);
    for (size_t i = 0; i < (size_t)M * ldo; i++) init[i] = frand(&s);
    memcpy(out, init, sizeof(float) * (size_t)M * ldo);
    ef_bert_gemm(out, ldo, X, ldx, W, ldw, use_bias ? b : NULL, alpha, M, N, K, accumulate, gelu, threads);
    double worst = 0.0;
    int bad_pad = 0;
    for (int m = 0; m < M; m++) {
        for (int n = 0; n < N; n++) {
            double d = 0.0, mag = 0.0;
            for (int k = 0; k < K; k++) {
                d += (double)X[(size_t)m * ldx + k] * W[(size_t)n * ldw + k];
                mag += fabs((double)X[(size_t)m * ldx + k] * W[(size_t)n * ldw + k]);
            }
            double ref = alpha * d + (use_bias ? b[n] : 0.0) + (accumulate ? init[(size_t)m * ldo + n] : 0.0);
            mag = fabs(alpha) * mag + 2.0;
            if (gelu) ref = gelu_d(ref);
            /* float accumulation: error grows with the magnitude of the summed terms */
            double e = fabs(out[(size_t)m * ldo + n] - ref) / (mag * 1e-6);
            if (e > worst) worst = e;
        }
        for (int n = N; n < ldo; n++) bad_pad += out[(size_t)m * ldo + n] != init[(size_t)m * ldo + n];
    }
    CHECK_MSG(worst <= 1.0, "gemm M=%d N=%d K=%d acc=%d bias=%d alpha=%g gelu=%d thr=%d woff=%d isa=%s: error %.3g x bound",
              M, N, K, accumulate, use_bias, alpha, gelu, threads, woff, ef_bert_isa_name(ef_bert_isa()), worst);
    CHECK_MSG(bad_pad == 0, "gemm M=%d N=%d K=%d wrote %d padding floats", M, N, K, bad_pad);
    free(X);
    free(Wbuf);
    free(b);
    free(out);
    free(init);
}

static void check_gemm(int M, int N, int K, int accumulate, int use_bias, float alpha, int gelu, int threads)
{
    check_gemm_w(M, N, K, accumulate, use_bias, alpha, gelu, threads, 0);
}

static void gemm_suite(void)
{
    static const int sizes[][3] = {{1, 1, 1},    {3, 5, 7},     {5, 6, 17},    {7, 13, 33},  {4, 4, 16},
                                   {9, 3, 16},   {17, 67, 515}, {16, 130, 1030}, {33, 70, 769}, {2, 129, 512},
                                   {6, 65, 1},    {200, 70, 1030}, {300, 9, 20}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int M = sizes[i][0], N = sizes[i][1], K = sizes[i][2];
        check_gemm(M, N, K, 0, 1, 1.0f, 0, 1);
        check_gemm(M, N, K, 1, 1, 1.0f, 0, 2);
        check_gemm(M, N, K, 0, 0, 0.125f, 0, 1);
        check_gemm(M, N, K, 1, 0, 1.0f, 0, 1);
        check_gemm(M, N, K, 0, 1, 1.0f, 1, 2);
        check_gemm_w(M, N, K, 1, 1, 1.0f, 0, 1, 2 + (int)(i % 13));
        check_gemm_w(M, N, K, 0, 1, 1.0f, 1, 2, 15 - (int)(i % 7));
    }
}

static double ulp_of(double ref)
{
    float f = (float)fabs(ref);
    if (f < FLT_MIN) return ldexp(1.0, -149);
    return nextafterf(f, INFINITY) - f;
}

static void level_suite(int level)
{
    ef_bert_isa_cap(level);
    CHECK(ef_bert_isa() == level);
    int fast = ef_bert_gemm_fast();
    printf("level %s:\n", ef_bert_isa_name(level));
    gemm_suite();

    /* erf / GELU over [-8, 8] and exp over [-104, 88], dense grids. */
    size_t n = 4000001;
    float *in = malloc(sizeof(float) * n), *out = malloc(sizeof(float) * n);
    double erf_ulp = 0, erf_abs = 0, gelu_ulp = 0, gelu_abs = 0, exp_ulp = 0;
    for (size_t i = 0; i < n; i++) in[i] = (float)(-8.0 + 16.0 * (double)i / (double)(n - 1));
    ef_bert_erf_vec(out, in, n);
    for (size_t i = 0; i < n; i++) {
        double ref = erf((double)in[i]), e = fabs(out[i] - ref);
        if (e / ulp_of(ref) > erf_ulp) erf_ulp = e / ulp_of(ref);
        if (e > erf_abs) erf_abs = e;
    }
    memcpy(out, in, sizeof(float) * n);
    ef_bert_gelu(out, n);
    for (size_t i = 0; i < n; i++) {
        /* reference: the same float product z = x/sqrt2 as the float code, then exact in
         * double; 1 + erf(z) as erfc(-z) (no cancellation for negative x) */
        double x = in[i], ref = 0.5 * x * erfc(-(double)(in[i] * (float)M_SQRT1_2));
        double e = fabs(out[i] - ref);
        if (e / ulp_of(ref) > gelu_ulp && fabs(ref) > 1e-30) gelu_ulp = e / ulp_of(ref);
        if (e > gelu_abs) gelu_abs = e;
    }
    for (size_t i = 0; i < n; i++) in[i] = (float)(-104.0 + 192.0 * (double)i / (double)(n - 1));
    ef_bert_exp_vec(out, in, n);
    for (size_t i = 0; i < n; i++) {
        double ref = exp((double)in[i]);
        if (ref < FLT_MIN) continue; /* subnormal results: not needed by softmax */
        double e = fabs(out[i] - ref) / ulp_of(ref);
        if (e > exp_ulp) exp_ulp = e;
    }
    printf("  erf max error %.3f ulp (abs %.3g); gelu max error %.3f ulp of result (abs %.3g); exp max error %.3f ulp\n",
           erf_ulp, erf_abs, gelu_ulp, gelu_abs, exp_ulp);
    CHECK_MSG(erf_ulp <= 3.0 && erf_abs <= 1.5e-7, "erf: %.3f ulp, abs %.3g", erf_ulp, erf_abs);
    CHECK_MSG(exp_ulp <= 2.0, "exp: %.3f ulp", exp_ulp);
    /* the portable path (0.5 x (1 + erff(z))) loses all relative accuracy to cancellation
     * for x << 0: only its absolute error is bounded */
    CHECK_MSG(gelu_abs <= 1e-6 && (!fast || gelu_ulp <= 16.0), "gelu: %.3f ulp, abs %.3g", gelu_ulp, gelu_abs);
    /* NaN propagates, infinities saturate */
    float sp[4] = {NAN, INFINITY, -INFINITY, 0.0f}, so[4];
    ef_bert_erf_vec(so, sp, 4);
    CHECK(isnan(so[0]) && so[1] == 1.0f && so[2] == -1.0f && so[3] == 0.0f);
    memcpy(so, sp, sizeof so);
    ef_bert_gelu(so, 4);
    CHECK(isnan(so[0]) && so[3] == 0.0f);

    /* softmax: rows of odd length with a row stride, against double */
    int rows = 5, len = 37, ld = 41;
    float *sm = malloc(sizeof(float) * (size_t)rows * ld), *orig = malloc(sizeof(float) * (size_t)rows * ld);
    unsigned s = 12345;
    for (int i = 0; i < rows * ld; i++) orig[i] = sm[i] = 20.0f * frand(&s);
    ef_bert_softmax_rows(sm, rows, len, ld);
    for (int r = 0; r < rows; r++) {
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < len; j++) mx = fmax(mx, orig[r * ld + j]);
        for (int j = 0; j < len; j++) sum += exp(orig[r * ld + j] - mx);
        for (int j = 0; j < len; j++) {
            double ref = exp(orig[r * ld + j] - mx) / sum;
            CHECK_MSG(fabs(sm[r * ld + j] - ref) <= 1e-7 + 1e-6 * ref, "softmax row %d col %d: %g vs %g", r, j,
                      sm[r * ld + j], ref);
        }
        for (int j = len; j < ld; j++) CHECK(sm[r * ld + j] == orig[r * ld + j]);
    }
    free(sm);
    free(orig);
    free(in);
    free(out);
}

int main(void)
{
    /* from the best level the CPU has (capped by EMOFUSE_CPU) down to the portable path */
    int top = ef_bert_isa();
    printf("CPU supports: %s; testing %s and below\n", ef_bert_isa_name(ef_bert_isa_cpu()), ef_bert_isa_name(top));
    for (int level = top; level >= EF_BERT_ISA_GENERIC; level--) level_suite(level);
    ef_bert_isa_cap(-1);
    return ef_test_exit();
}
