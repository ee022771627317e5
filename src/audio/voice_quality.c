/* Jitter, shimmer and HNR from the waveform and the final F0, following openSMILE's
 * cPitchJitter (ComParE_2016: searchRangeRel 0.25, minNumPeriods 2, minCC 0.5).
 *
 * It is a streaming analysis, and that matters for agreement: each 10 ms step reads the
 * waveform from where the previous step's last period boundary was (not from the frame
 * start), cuts consecutive periods by normalised cross-correlation of adjacent
 * candidate-length segments, and carries the last period length and the last
 * jitter/shimmer values across voiced frames. Per frame:
 *   jitter  = mean |T_i - T_{i-1}| / mean T        (periods with correlation > 0.5)
 *   shimmer = sum |A_i - A_{i+1}| / sum (A_i + A_{i+1}) / 2, A = peak-to-peak amplitude
 *   logHNR  = 20 log10(RMS(average period) / RMS(period - average period)), -100 unvoiced
 * Both jitter and shimmer are capped at 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/pitch.h"
#include "emofuse/cpu_isa.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

#define SEARCH_RANGE_REL 0.25
#define MIN_NUM_PERIODS 2
#define MIN_CC 0.5
#define LOG_HNR_FLOOR (-100.0f)
#define LOG_HNR_CEIL 100.0f

/* sum x[i] y[i] for i in [i0, n), continuing the four accumulators a[] (element i goes to
 * a[i mod 4] while a full group of four remains, the tail to a[0]); the total in dot()'s
 * order. dot() and the AVX2 lanes' remainders share it, so they add in the same order. */
static double dot_from(const float *x, const float *y, long i0, long n, const double a[4])
{
    double a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    long i = i0;
    for (; i + 4 <= n; i += 4) {
        a0 += (double)x[i] * y[i];
        a1 += (double)x[i + 1] * y[i + 1];
        a2 += (double)x[i + 2] * y[i + 2];
        a3 += (double)x[i + 3] * y[i + 3];
    }
    for (; i < n; i++) a0 += (double)x[i] * y[i];
    return (a0 + a1) + (a2 + a3);
}

/* sum x[i] y[i], i < n, with four independent accumulators (latency-bound otherwise) */
static double dot(const float *x, const float *y, long n)
{
    static const double zero[4] = {0, 0, 0, 0};
    return dot_from(x, y, 0, n, zero);
}

/* The correlation of lag L from its dot product and the prefix sums (see below). */
static double lag_cc(double sxy_raw, long L, const double *P, const double *Q)
{
    double mx = P[L] / L, my = (P[2 * L] - P[L]) / L;
    double sxx = Q[L] - L * mx * mx, syy = (Q[2 * L] - Q[L]) - L * my * my;
    double sxy = sxy_raw - L * mx * my;
    return (sxx > 0.0 && syy > 0.0) ? sxy / (sqrt(sxx) * sqrt(syy)) : 0.0;
}

#if defined(__GNUC__) && defined(__x86_64__)
/* cc of the four lags L..L+3 at once, one lag per AVX2 lane: the per-lag loop was a
 * third of the voice-quality time, bound by the latency of dot()'s accumulators. Each
 * lane keeps dot()'s four accumulators (element i goes to accumulator i mod 4, the
 * tail past the last full group of four to the first) and lag_cc's operations in their
 * order, with explicit multiplies and adds (no FMA), so every cc is bit-identical to
 * the scalar code. Elements below 4 floor(L / 4) are in a full group for all four
 * lags; each lag finishes its own remainder in scalar code. */
__attribute__((target("avx2"))) static void lag_cc4_avx2(double *cc, const float *x, long L, const double *P,
                                                         const double *Q)
{
    __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    const long common = L & ~3L;
    for (long i = 0; i < common; i += 4) {
        for (int c = 0; c < 4; c++) {
            __m256d a = _mm256_set1_pd((double)x[i + c]);
            __m256d b = _mm256_cvtps_pd(_mm_loadu_ps(x + i + c + L)); /* x[i+c+L+l], lane l */
            acc[c] = _mm256_add_pd(acc[c], _mm256_mul_pd(a, b));
        }
    }
    double a[4][4], dots[4];
    for (int c = 0; c < 4; c++) _mm256_storeu_pd(a[c], acc[c]);
    for (int l = 0; l < 4; l++) {
        const double lane[4] = {a[0][l], a[1][l], a[2][l], a[3][l]};
        dots[l] = dot_from(x, x + L + l, common, L + l, lane);
    }
    const __m256d Ld = _mm256_set_pd((double)(L + 3), (double)(L + 2), (double)(L + 1), (double)L);
    const __m256d PL = _mm256_loadu_pd(P + L), QL = _mm256_loadu_pd(Q + L);
    const __m256d P2 = _mm256_set_pd(P[2 * L + 6], P[2 * L + 4], P[2 * L + 2], P[2 * L]);
    const __m256d Q2 = _mm256_set_pd(Q[2 * L + 6], Q[2 * L + 4], Q[2 * L + 2], Q[2 * L]);
    __m256d mx = _mm256_div_pd(PL, Ld), my = _mm256_div_pd(_mm256_sub_pd(P2, PL), Ld);
    __m256d sxx = _mm256_sub_pd(QL, _mm256_mul_pd(_mm256_mul_pd(Ld, mx), mx));
    __m256d syy = _mm256_sub_pd(_mm256_sub_pd(Q2, QL), _mm256_mul_pd(_mm256_mul_pd(Ld, my), my));
    __m256d sxy = _mm256_sub_pd(_mm256_loadu_pd(dots), _mm256_mul_pd(_mm256_mul_pd(Ld, mx), my));
    __m256d r = _mm256_div_pd(sxy, _mm256_mul_pd(_mm256_sqrt_pd(sxx), _mm256_sqrt_pd(syy)));
    const __m256d zero = _mm256_setzero_pd();
    __m256d ok = _mm256_and_pd(_mm256_cmp_pd(sxx, zero, _CMP_GT_OQ), _mm256_cmp_pd(syy, zero, _CMP_GT_OQ));
    _mm256_storeu_pd(cc, _mm256_and_pd(r, ok)); /* +0.0 where a segment is constant */
}
#endif

/* Pearson correlation of the adjacent segments x[0..L) and x[L..2L) for every
 * L in [lmin, lmax] (cc[L - lmin]); 0 when a segment is constant. P and Q are prefix
 * sums of x and x^2 over 2 * lmax + 1 samples, so each lag costs one dot product. */
void ef_vq_adjacent_xcorr(double *cc, const float *x, long lmin, long lmax, double *P, double *Q, bool simd)
{
    P[0] = Q[0] = 0.0;
    for (long i = 0; i < 2 * lmax; i++) {
        P[i + 1] = P[i] + x[i];
        Q[i + 1] = Q[i] + (double)x[i] * x[i];
    }
    long L = lmin;
#if defined(__GNUC__) && defined(__x86_64__)
    if (simd && ef_isa_level() >= EF_ISA_AVX2)
        for (; L + 3 <= lmax; L += 4) lag_cc4_avx2(cc + (L - lmin), x, L, P, Q);
#else
    (void)simd;
#endif
    for (; L <= lmax; L++) cc[L - lmin] = lag_cc(dot(x, x + L, L), L, P, Q);
}

/* Peak-to-peak amplitude of one period, ignoring its first and last sample. */
static float peak_to_peak(const float *x, long n)
{
    if (n < 3) return 0.0f;
    float mx = x[1], mn = x[1];
    for (long i = 1; i < n - 1; i++) {
        if (x[i] > mx) mx = x[i];
        if (x[i] < mn) mn = x[i];
    }
    return mx - mn;
}

/* Offset (in [-1, 1] for a real peak) and height of the parabola through
 * (-1, a), (0, b), (1, c); falls back to the middle point when flat. */
static double parabola3(double a, double b, double c, double *peak)
{
    double curv = a - 2.0 * b + c;
    if (curv == 0.0) {
        *peak = b;
        return 0.0;
    }
    double d = 0.5 * (a - c) / curv;
    *peak = b - 0.25 * (a - c) * d;
    return d;
}

static int grow(void **p, long *cap, long need, size_t elem)
{
    if (need <= *cap) return 1;
    long c = need + need / 2 + 16;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q) return 0;
    *p = q;
    *cap = c;
    return 1;
}

void ef_vq_stream_init(ef_vq_stream *v) { memset(v, 0, sizeof(*v)); }

void ef_vq_stream_free(ef_vq_stream *v)
{
    free(v->buf);
    free(v->cc);
    free(v->pre);
    free(v->avg);
    free(v->pstart);
    ef_vq_stream_init(v);
}

int64_t ef_vq_stream_keep_from(const ef_vq_stream *v) { return v->last_idx; }

ef_code ef_vq_stream_frame(ef_vq_stream *v, const float *x, int64_t base, int64_t n, int rate, int hop,
                           int frame_len, int64_t t, float f0, float *jitter, float *shimmer, float *loghnr,
                           ef_error *err)
{
    const double Ts = 1.0 / rate;
    long last_idx = v->last_idx, last_mis = v->last_mis;
    double last_t0 = v->last_t0;
    float last_jitter = v->last_jitter, last_shimmer = v->last_shimmer;
    ef_code rc = EF_OK;
    float jit_out = 0.0f, shim_out = 0.0f, hnr_out = LOG_HNR_FLOOR;

    do {
        double F0 = f0;
        long start_v = (long)(t * hop);
        long to_read0 = hop + last_mis;
        long to_read = to_read0;
        long T0f = 0, T0minF = 0, T0maxF = 0;
        int voiced = F0 > 0.0 && isfinite(F0);
        if (voiced) {
            double Tf = (1.0 / F0) / Ts;
            T0f = lround(Tf);
            T0minF = (long)floor((1.0 - SEARCH_RANGE_REL) * Tf);
            T0maxF = (long)ceil((1.0 + SEARCH_RANGE_REL) * Tf);
            if (T0minF < 2 || T0f < 6) voiced = 0; /* F0 far above any voice: treat as unvoiced */
            long two_pp = MIN_NUM_PERIODS * T0maxF + MIN_NUM_PERIODS;
            if (voiced && to_read < two_pp) to_read = two_pp;
        }
        long max_read = last_mis + frame_len;
        if (to_read > max_read) to_read = max_read;
        if (start_v - last_mis != last_idx) { /* cannot happen offline; kept for safety */
            last_idx = start_v;
            if (to_read > frame_len) to_read = frame_len;
        }

        if (!voiced) {
            last_idx += to_read0;
            last_mis = 0;
            last_t0 = 0.0;
            last_jitter = last_shimmer = 0.0f;
            break; /* jit_out, shim_out, hnr_out already hold 0, 0, -100 */
        }

        /* the step's waveform, zero beyond the end of the signal */
        long nT = to_read;
        long ncc = T0maxF - T0minF + 1;
        if (!grow((void **)&v->buf, &v->cap, nT, sizeof(float)) || !grow((void **)&v->cc, &v->cc_cap, ncc, sizeof(double)) ||
            !grow((void **)&v->avg, &v->avg_cap, T0f + 1, sizeof(double)) ||
            !grow((void **)&v->pre, &v->pre_cap, 2 * (2 * T0maxF + 1), sizeof(double)) ||
            !grow((void **)&v->pstart, &v->p_cap, nT / T0minF + 4, sizeof(long))) {
            return ef_fail(err, EF_ERR_NOMEM, "pitch: out of memory (voice quality)");
        }
        float *m = v->buf;
        for (long i = 0; i < nT; i++) {
            int64_t k = (int64_t)last_idx + i;
            EF_ASSERT(k >= base || k < 0);
            m[i] = (k >= 0 && k < n) ? x[k - base] : 0.0f;
        }
        memset(v->avg, 0, sizeof(double) * (size_t)(T0f + 1));

        double jit_sum = 0.0, n_local = 0.0, period_sum = 0.0, n_periods = 0.0;
        double amp_sum = 0.0, amp_diff_sum = 0.0;
        long start = 0, last_period = 0, pp = 0;
        long np = 0;
        while (start < nT - 2 * T0maxF - 1) {
            ef_vq_adjacent_xcorr(v->cc, m + start, T0minF, T0maxF, v->pre, v->pre + 2 * T0maxF + 1, true);
            long maxI = -1;
            double best = 0.0;
            for (long i = 1; i < T0maxF - T0minF - 1; i++) {
                if (v->cc[i - 1] < v->cc[i] && v->cc[i] > v->cc[i + 1] && (maxI == -1 || v->cc[i] > best)) {
                    maxI = i;
                    best = v->cc[i];
                }
            }
            if (maxI < 0) {
                /* no correlation peak: skip one expected period */
                pp = T0f;
                start += T0f;
            } else {
                pp = T0minF + maxI;
                long os = start;
                start += pp;
                float a0 = peak_to_peak(m + os, pp), a1 = peak_to_peak(m + start, pp);
                v->pstart[np++] = os;
                for (long i = 0; i < T0f; i++) v->avg[i] += m[os + i];
                double cc_peak;
                double off = parabola3(v->cc[maxI - 1], v->cc[maxI], v->cc[maxI + 1], &cc_peak);
                double period = fabs((double)T0minF + (double)maxI + off) * Ts;
                if (cc_peak > MIN_CC) {
                    period_sum += period;
                    n_periods += 1.0;
                    if (last_t0 > 0.0) {
                        jit_sum += fabs(last_t0 - period);
                        n_local += 1.0;
                    }
                    last_t0 = period;
                    amp_sum += (a0 + a1) / 2.0;
                    amp_diff_sum += fabs((double)a0 - (double)a1);
                }
            }
            if (start < to_read0 - 1) last_period = start;
        }
        v->pstart[np++] = start;

        /* harmonic part: RMS of the average period (edges skipped) */
        double eh = 0.0;
        for (long i = 0; i < T0f && start + i < nT; i++) {
            v->avg[i] += m[start + i];
            v->avg[i] /= (double)np;
            if (i > 2 && i < T0f - 2) eh += v->avg[i] * v->avg[i];
        }
        if (T0f - 4 > 0) eh /= (double)(T0f - 4);
        eh = sqrt(eh);
        /* noise part: RMS of each period minus the average period */
        v->pstart[np] = pp > 0 ? start + pp : 0;
        double en = 0.0;
        long nen = 0;
        for (long i = 0; i < np; i++) {
            long a = v->pstart[i], b = v->pstart[i + 1] < a + T0f ? v->pstart[i + 1] : a + T0f;
            long k = 2;
            for (long j = a + 2; j < b - 2 && j < nT; j++) {
                double d = m[j] - v->avg[k++];
                en += d * d;
                nen++;
            }
        }
        if (nen > 0) en /= (double)nen;
        en = sqrt(en);
        float lg = 0.0f; /* openSMILE's value when no period could be compared */
        if (en > 0.0) {
            double hnr = eh / en;
            lg = hnr > 0.0 ? (float)(20.0 * log10(hnr)) : LOG_HNR_FLOOR;
        } else if (np >= 2 && nen > 0 && eh > 0.0) {
            /* two or more periods, all identical (only digital test signals): openSMILE
             * reports 0 dB here (as it does, rightly, when one period is all there is),
             * which reads as "as much noise as harmonics"; we report the ceiling. */
            lg = LOG_HNR_CEIL;
        }
        if (!(lg >= LOG_HNR_FLOOR)) lg = LOG_HNR_FLOOR;
        hnr_out = lg;

        /* with no accepted period the previous frame's values are repeated */
        if (n_periods > 0.0 && n_local > 0.0) {
            last_jitter = (float)((jit_sum / n_local) / (period_sum / n_periods));
            if (last_jitter > 1.0f) last_jitter = 1.0f;
            jit_out = last_jitter;
        } else if (n_periods == 0.0) {
            jit_out = last_jitter;
        } else {
            jit_out = 0.0f;
        }
        if (n_periods > 0.0) {
            last_shimmer = amp_sum > 0.0 ? (float)(amp_diff_sum / amp_sum) : 0.0f;
            if (last_shimmer > 1.0f) last_shimmer = 1.0f;
        }
        shim_out = last_shimmer;

        last_mis = to_read0 - last_period;
        last_idx += last_period;
    
    } while (0);
    v->last_idx = last_idx;
    v->last_mis = last_mis;
    v->last_t0 = last_t0;
    v->last_jitter = last_jitter;
    v->last_shimmer = last_shimmer;
    *jitter = jit_out;
    *shimmer = shim_out;
    *loghnr = hnr_out;
    return rc;
}

ef_code ef_voice_quality(float *jitter, float *shimmer, float *loghnr, const float *x, int64_t n, int rate,
                         int hop, int frame_len, const float *f0, int64_t T, ef_error *err)
{
    ef_vq_stream v;
    ef_vq_stream_init(&v);
    ef_code rc = EF_OK;
    for (int64_t t = 0; t < T && !rc; t++)
        rc = ef_vq_stream_frame(&v, x, 0, n, rate, hop, frame_len, t, f0[t], &jitter[t], &shimmer[t], &loghnr[t], err);
    ef_vq_stream_free(&v);
    return rc;
}
