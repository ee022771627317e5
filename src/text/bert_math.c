/* Vectorised element-wise math of the BERT encoder: exact GELU (erf) and softmax (exp).
 *
 * AVX-512 and AVX2 paths (chosen at run time, see ef_bert_isa): 16 / 8 floats at a time with
 * our own erf and exp approximations, accurate to a few float ulps (measured by
 * tests/text/test_bert_gemm.c against erf()/exp() in double over dense grids; numbers
 * in docs/bert.md). Portable path: libm erff / expf, one float at a time.
 *
 * erf(z), a = |z|:
 *   a < 1:  erf(a) = a * P(a^2), P of degree 6 (Chebyshev interpolant of erf(sqrt t)/sqrt t);
 *   a >= 1: erfc(a) = exp(-a^2) * u * G(u), u = 1/a, G of degree 10 (Chebyshev interpolant
 *           of a * exp(a^2) * erfc(a) over u in [1/16, 1]; a is clamped to 16, where
 *           erfc underflows anyway), erf(a) = 1 - erfc(a).
 * exp(-a^2) uses the exact split a^2 = hi + lo (fma) so large a lose no accuracy.
 * GELU(x) = 0.5 x (1 + erf(x/sqrt2)) takes 1 + erf(z) = erfc(|z|) directly for z <= -1,
 * which avoids the cancellation of 1 + erf near -1 (more accurate than erff there).
 * exp(x): n = round(x log2 e), r = x - n ln2 (Cody-Waite, two constants), degree-7 Taylor
 * polynomial on |r| <= ln2/2 (truncation error < 5e-9 relative), scaled by 2^n (scalef;
 * AVX2: two exact power-of-two factors 2^(n/2) 2^(n - n/2) built from the exponent bits,
 * which also yields subnormal results correctly). The AVX2 code is the AVX-512 code
 * transcribed (same constants, same operation order): same results up to the last bit
 * wherever scalef and the two-factor scaling agree (normal results). */
#include <math.h>
#include <stdint.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "bert_gemm.h"
#include "bert_gemm_kernels.h"

#ifndef M_SQRT1_2
#define M_SQRT1_2 0.70710678118654752440
#endif

#if defined(__x86_64__) || defined(__i386__)
#define T512 __attribute__((target("avx512f,avx512vl,fma")))

/* P(t), t = a^2 in [0, 1]: erf(a) = a P(a^2) (coefficients from the fit in docs/bert.md) */
static const float erf_p[7] = {1.1283791065216064f,    -0.3761262595653534f,   0.11283594369888306f,
                               -0.02685421146452427f,  0.005189087241888046f,  -0.000801686430349946f,
                               7.875875598983839e-05f};
/* G(u), u = 1/a in [1/16, 1]: erfc(a) = exp(-a^2) u G(u) */
static const float erfc_g[11] = {0.5641971230506897f,  -0.000330525916069746f, -0.2763098180294037f,
                                 -0.053308989852666855f, 0.7065525054931641f,   -0.8642513751983643f,
                                 0.1597326099872589f,  0.6813576817512512f,    -0.8130974769592285f,
                                 0.39999067783355713f, -0.07694888114929199f};

T512 static inline __m512 exp16(__m512 x)
{
    /* max/min with the constant FIRST so that a NaN x propagates */
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
    x = _mm512_min_ps(_mm512_set1_ps(88.7f), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* For a = |z| >= 0: *small = a P(a^2) (erf, valid for a < 1), returns erfc(a) (valid a >= 1). */
T512 static inline __m512 erf_parts(__m512 a, __m512 *small)
{
    __m512 t = _mm512_mul_ps(a, a);
    __m512 p = _mm512_set1_ps(erf_p[6]);
    for (int i = 5; i >= 0; i--) p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(erf_p[i]));
    *small = _mm512_mul_ps(a, p);
    __m512 ac = _mm512_min_ps(_mm512_set1_ps(16.0f), _mm512_max_ps(_mm512_set1_ps(1.0f), a));
    __m512 u = _mm512_div_ps(_mm512_set1_ps(1.0f), ac);
    __m512 g = _mm512_set1_ps(erfc_g[10]);
    for (int i = 9; i >= 0; i--) g = _mm512_fmadd_ps(g, u, _mm512_set1_ps(erfc_g[i]));
    __m512 hi = _mm512_mul_ps(ac, ac);
    __m512 lo = _mm512_fmsub_ps(ac, ac, hi);                     /* ac^2 = hi + lo exactly */
    __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), hi));      /* exp(-hi) */
    e = _mm512_fnmadd_ps(e, lo, e);                                /* * (1 - lo) = exp(-hi-lo) */
    return _mm512_mul_ps(_mm512_mul_ps(e, u), g);
}

T512 static inline __m512 erf16(__m512 z)
{
    __m512 a = _mm512_abs_ps(z), small;
    __m512 c = erf_parts(a, &small);
    __mmask16 lt1 = _mm512_cmp_ps_mask(a, _mm512_set1_ps(1.0f), _CMP_LT_OQ);
    __m512 r = _mm512_mask_blend_ps(lt1, _mm512_sub_ps(_mm512_set1_ps(1.0f), c), small);
    /* copy the sign of z; NaN stays NaN through the polynomial */
    __m512i sign = _mm512_and_si512(_mm512_castps_si512(z), _mm512_set1_epi32((int)0x80000000u));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(r), sign));
}

T512 static inline __m512 gelu16(__m512 x)
{
    __m512 z = _mm512_mul_ps(x, _mm512_set1_ps((float)M_SQRT1_2));
    __m512 a = _mm512_abs_ps(z), small;
    __m512 c = erf_parts(a, &small);
    __mmask16 lt1 = _mm512_cmp_ps_mask(a, _mm512_set1_ps(1.0f), _CMP_LT_OQ);
    __mmask16 neg = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ);
    /* 1 + erf(z): |z| < 1: 1 +- small; z >= 1: 2 - erfc; z <= -1: erfc */
    __m512 one = _mm512_set1_ps(1.0f);
    __m512 f_small = _mm512_mask_blend_ps(neg, _mm512_add_ps(one, small), _mm512_sub_ps(one, small));
    __m512 f_big = _mm512_mask_blend_ps(neg, _mm512_sub_ps(_mm512_set1_ps(2.0f), c), c);
    __m512 f = _mm512_mask_blend_ps(lt1, f_big, f_small);
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), f);
}

T512 void ef_bert_gelu_avx512(float *x, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, gelu16(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(x + i, m, gelu16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

T512 static void erf_avx512(float *out, const float *in, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, erf16(_mm512_loadu_ps(in + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(out + i, m, erf16(_mm512_maskz_loadu_ps(m, in + i)));
    }
}

T512 static void exp_avx512(float *out, const float *in, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, exp16(_mm512_loadu_ps(in + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(out + i, m, exp16(_mm512_maskz_loadu_ps(m, in + i)));
    }
}

/* One row: r = exp(r - max) / sum. Masked tail lanes are -inf (exp -> 0, max unaffected). */
T512 static void softmax_row_avx512(float *r, int n)
{
    __m512 ninf = _mm512_set1_ps(-INFINITY), mx = ninf;
    int j = 0;
    for (; j + 16 <= n; j += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(r + j));
    __mmask16 m = (__mmask16)((1u << (n - j)) - 1u);
    if (j < n) mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(ninf, m, r + j));
    __m512 vmx = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
    __m512 sum = _mm512_setzero_ps();
    for (j = 0; j + 16 <= n; j += 16) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(r + j), vmx));
        _mm512_storeu_ps(r + j, e);
        sum = _mm512_add_ps(sum, e);
    }
    if (j < n) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, r + j), vmx));
        e = _mm512_maskz_mov_ps(m, e);
        _mm512_mask_storeu_ps(r + j, m, e);
        sum = _mm512_add_ps(sum, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
    for (j = 0; j + 16 <= n; j += 16) _mm512_storeu_ps(r + j, _mm512_mul_ps(_mm512_loadu_ps(r + j), inv));
    if (j < n) _mm512_mask_storeu_ps(r + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, r + j), inv));
}

/* ---- AVX2 + FMA: the same functions on 8 floats ---------------------------------------- */
#define TAVX2 __attribute__((target("avx2,fma")))

/* lanes [0, r) set, for r in [0, 8]: mask_tab + 8 - r */
static const int32_t mask_tab[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

TAVX2 static inline __m256 abs8(__m256 x) { return _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }

/* 2^n for integral n in [-126, 127] (as float) */
TAVX2 static inline __m256 pow2i8(__m256i n)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}

TAVX2 static inline __m256 exp8(__m256 x)
{
    x = _mm256_max_ps(_mm256_set1_ps(-104.0f), x);
    x = _mm256_min_ps(_mm256_set1_ps(88.7f), x);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    /* n in [-150, 128]: 2^n = 2^h 2^(n-h), h = n/2 (truncated), both factors normal */
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i h = _mm256_srai_epi32(ni, 1);
    return _mm256_mul_ps(_mm256_mul_ps(p, pow2i8(h)), pow2i8(_mm256_sub_epi32(ni, h)));
}

TAVX2 static inline __m256 erf_parts8(__m256 a, __m256 *small)
{
    __m256 t = _mm256_mul_ps(a, a);
    __m256 p = _mm256_set1_ps(erf_p[6]);
    for (int i = 5; i >= 0; i--) p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(erf_p[i]));
    *small = _mm256_mul_ps(a, p);
    __m256 ac = _mm256_min_ps(_mm256_set1_ps(16.0f), _mm256_max_ps(_mm256_set1_ps(1.0f), a));
    __m256 u = _mm256_div_ps(_mm256_set1_ps(1.0f), ac);
    __m256 g = _mm256_set1_ps(erfc_g[10]);
    for (int i = 9; i >= 0; i--) g = _mm256_fmadd_ps(g, u, _mm256_set1_ps(erfc_g[i]));
    __m256 hi = _mm256_mul_ps(ac, ac);
    __m256 lo = _mm256_fmsub_ps(ac, ac, hi);
    __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), hi));
    e = _mm256_fnmadd_ps(e, lo, e);
    return _mm256_mul_ps(_mm256_mul_ps(e, u), g);
}

TAVX2 static inline __m256 erf8(__m256 z)
{
    __m256 a = abs8(z), small;
    __m256 c = erf_parts8(a, &small);
    __m256 lt1 = _mm256_cmp_ps(a, _mm256_set1_ps(1.0f), _CMP_LT_OQ);
    __m256 r = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), c), small, lt1);
    __m256 sign = _mm256_and_ps(z, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)));
    return _mm256_or_ps(r, sign);
}

TAVX2 static inline __m256 gelu8(__m256 x)
{
    __m256 z = _mm256_mul_ps(x, _mm256_set1_ps((float)M_SQRT1_2));
    __m256 a = abs8(z), small;
    __m256 c = erf_parts8(a, &small);
    __m256 lt1 = _mm256_cmp_ps(a, _mm256_set1_ps(1.0f), _CMP_LT_OQ);
    __m256 neg = _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ);
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 f_small = _mm256_blendv_ps(_mm256_add_ps(one, small), _mm256_sub_ps(one, small), neg);
    __m256 f_big = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.0f), c), c, neg);
    __m256 f = _mm256_blendv_ps(f_big, f_small, lt1);
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), f);
}

TAVX2 static inline __m256i tail_mask8(size_t r) { return _mm256_loadu_si256((const __m256i *)(mask_tab + 8 - r)); }

TAVX2 void ef_bert_gelu_avx2(float *x, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, gelu8(_mm256_loadu_ps(x + i)));
    if (i < n) {
        __m256i m = tail_mask8(n - i);
        _mm256_maskstore_ps(x + i, m, gelu8(_mm256_maskload_ps(x + i, m)));
    }
}

TAVX2 static void erf_avx2(float *out, const float *in, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, erf8(_mm256_loadu_ps(in + i)));
    if (i < n) {
        __m256i m = tail_mask8(n - i);
        _mm256_maskstore_ps(out + i, m, erf8(_mm256_maskload_ps(in + i, m)));
    }
}

TAVX2 static void exp_avx2(float *out, const float *in, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, exp8(_mm256_loadu_ps(in + i)));
    if (i < n) {
        __m256i m = tail_mask8(n - i);
        _mm256_maskstore_ps(out + i, m, exp8(_mm256_maskload_ps(in + i, m)));
    }
}

TAVX2 static inline float hmax8(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

TAVX2 static inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* One row: r = exp(r - max) / sum. Tail lanes: -inf for the max, 0 for the sum. */
TAVX2 static void softmax_row_avx2(float *r, int n)
{
    __m256 ninf = _mm256_set1_ps(-INFINITY), mx = ninf;
    int j = 0;
    for (; j + 8 <= n; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(r + j));
    __m256i m = tail_mask8((size_t)(n - j));
    if (j < n) mx = _mm256_max_ps(mx, _mm256_blendv_ps(ninf, _mm256_maskload_ps(r + j, m), _mm256_castsi256_ps(m)));
    __m256 vmx = _mm256_set1_ps(hmax8(mx));
    __m256 sum = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n; j += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(r + j), vmx));
        _mm256_storeu_ps(r + j, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (j < n) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_maskload_ps(r + j, m), vmx));
        e = _mm256_and_ps(e, _mm256_castsi256_ps(m));
        _mm256_maskstore_ps(r + j, m, e);
        sum = _mm256_add_ps(sum, e);
    }
    __m256 inv = _mm256_set1_ps(1.0f / hsum8(sum));
    for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(r + j, _mm256_mul_ps(_mm256_loadu_ps(r + j), inv));
    if (j < n) _mm256_maskstore_ps(r + j, m, _mm256_mul_ps(_mm256_maskload_ps(r + j, m), inv));
}

#else /* not x86: ef_bert_isa() is generic, these are never called */
static void ef_bert_gelu_avx512(float *x, size_t n) { (void)x; (void)n; }
static void ef_bert_gelu_avx2(float *x, size_t n) { (void)x; (void)n; }
static void erf_avx2(float *out, const float *in, size_t n) { (void)out; (void)in; (void)n; }
static void exp_avx2(float *out, const float *in, size_t n) { (void)out; (void)in; (void)n; }
static void softmax_row_avx2(float *r, int n) { (void)r; (void)n; }
static void erf_avx512(float *out, const float *in, size_t n) { (void)out; (void)in; (void)n; }
static void exp_avx512(float *out, const float *in, size_t n) { (void)out; (void)in; (void)n; }
static void softmax_row_avx512(float *r, int n) { (void)r; (void)n; }
#endif

void ef_bert_gelu(float *x, size_t n)
{
    int isa = ef_bert_isa();
    if (isa >= EF_BERT_ISA_AVX512) {
        ef_bert_gelu_avx512(x, n);
        return;
    }
    if (isa == EF_BERT_ISA_AVX2) {
        ef_bert_gelu_avx2(x, n);
        return;
    }
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}

void ef_bert_softmax_rows(float *s, int rows, int n, int ld)
{
    int isa = ef_bert_isa();
    for (int i = 0; i < rows; i++) {
        float *r = s + (size_t)i * ld;
        if (isa >= EF_BERT_ISA_AVX512) {
            softmax_row_avx512(r, n);
            continue;
        }
        if (isa == EF_BERT_ISA_AVX2) {
            softmax_row_avx2(r, n);
            continue;
        }
        float mx = r[0];
        for (int j = 1; j < n; j++) mx = r[j] > mx ? r[j] : mx;
        float sum = 0.0f;
        for (int j = 0; j < n; j++) {
            r[j] = expf(r[j] - mx);
            sum += r[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < n; j++) r[j] *= inv;
    }
}

void ef_bert_erf_vec(float *out, const float *in, size_t n)
{
    int isa = ef_bert_isa();
    if (isa >= EF_BERT_ISA_AVX512) {
        erf_avx512(out, in, n);
        return;
    }
    if (isa == EF_BERT_ISA_AVX2) {
        erf_avx2(out, in, n);
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] = erff(in[i]);
}

void ef_bert_exp_vec(float *out, const float *in, size_t n)
{
    int isa = ef_bert_isa();
    if (isa >= EF_BERT_ISA_AVX512) {
        exp_avx512(out, in, n);
        return;
    }
    if (isa == EF_BERT_ISA_AVX2) {
        exp_avx2(out, in, n);
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] = expf(in[i]);
}
