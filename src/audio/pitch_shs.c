/* Subharmonic-summation (SHS) pitch candidates per 60 ms frame, following openSMILE's
 * ComParE chain cWindower(gauss) -> cTransformFFT -> cFFTmagphase -> cSpecScale(peak
 * enhancement, smoothing, spline onto an octave axis, auditory weighting) ->
 * cPitchShs(greedy peaks) -> cPitchBase (range filter, best score first). Written from the algorithm description;
 * see docs/acoustic-pitch.md.
 *
 * Speed: everything that depends only on the frame size (window, spline system on the
 * log-frequency axis, interpolation positions, auditory weights, harmonic shifts) is
 * built once in ef_shs_create; a frame then costs one 1024-point real FFT plus a few
 * linear passes over 513 points. Every output value is computed with exactly the
 * operations of the straightforward code (outputs are compared bit for bit against
 * openSMILE-matched references): the speed-ups only remove branches (local-maximum
 * scans), clear the FFT padding once, split the RMS energy sum (exact recomputation near
 * the gate threshold) and run element-wise float steps four lanes wide. See the speed
 * section of docs/acoustic-features.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#if defined(__SSE2__) || (defined(__GNUC__) && defined(__x86_64__))
#include <immintrin.h>
#endif

#include "audio/fft.h"
#include "audio/pitch.h"
#include "emofuse/cpu_isa.h"

#define SHS_N_HARMONICS 15
#define SHS_COMPRESSION 0.85
#define SHS_MIN_F 25.0  /* lowest frequency of the octave axis */
#define GAUSS_SIGMA 0.4

/* four doubles, one per lane (frame) of ef_shs_analyse_n; GCC vector extensions, so that
 * the baseline build uses SSE2 pairs and the AVX2 clone one register */
typedef double shs_v4d __attribute__((vector_size(4 * sizeof(double))));
typedef float shs_v4f __attribute__((vector_size(4 * sizeof(float))));
typedef int32_t shs_v4i __attribute__((vector_size(4 * sizeof(int32_t))));

struct ef_shs {
    int n;       /* samples per frame (960) */
    int nfft;    /* FFT length, next power of two (1024) */
    int nmag;    /* magnitude bins nfft/2 + 1 = points on the octave axis (513) */
    int pad;     /* symmetric zero padding in front of the frame */
    double f0_min, f0_max;
    fftwf_plan plan; /* shared (fft.c), executed with the new-array interface */
    float *fin;      /* (nfft) windowed, zero-padded frame, fftwf_malloc'ed */
    fftwf_complex *fout; /* (nmag) */
    double *win;     /* (n) Gaussian window */
    /* natural cubic spline over the log2-frequency positions of the FFT bins */
    double *xt;      /* (nmag) log2 frequency of bin i (bin 0 extrapolated) */
    double *inv_h;   /* (nmag) 1 / (xt[i+1] - xt[i]) */
    double *u_prev;  /* (nmag) forward elimination: u[i] = d_i u_d[i] - u_prev[i] u[i-1] */
    double *u_d;
    double *y2c;      /* back-substitution factors (sig - 1) / p */
    /* interpolation at the equally spaced octave-axis points */
    int *klo;         /* (nmag) left knot of point k */
    double *ca, *cb, *cc, *cd; /* y = ca*y[klo] + cb*y[klo+1] + cc*y2[klo] + cd*y2[klo+1] */
    double *audw;     /* (nmag) auditory weighting */
    int shift[SHS_N_HARMONICS + 1]; /* octave-axis shift of harmonic h */
    float fmin_t, fstep_t;          /* axis origin and step (log2 Hz), as openSMILE keeps them */
    /* per-frame work; the spline arrays once per lane (ef_shs_analyse_n) */
    double *lanes;                       /* one block: y, scratch, u of every lane */
    double *y[EF_SHS_LANES], *tmp[EF_SHS_LANES], *u[EF_SHS_LANES]; /* (nmag) each */
    float *spec;         /* (EF_SHS_LANES, nmag) octave-scale spectra, one per lane */
    shs_v4d *yv, *y2v;   /* (nmag) y and y2 of the four lanes interleaved (octave_spectrum) */
    float *ss;           /* (nmag) SHS sum spectrum */
    int *posmax;         /* (nmag) peak positions for enhancement */
};

void ef_shs_free(ef_shs *s)
{
    if (!s) return;
    fftwf_free(s->fin);
    fftwf_free(s->fout);
    free(s->win);
    free(s->xt);
    free(s->inv_h);
    free(s->u_prev);
    free(s->u_d);
    free(s->y2c);
    free(s->klo);
    free(s->ca);
    free(s->cb);
    free(s->cc);
    free(s->cd);
    free(s->audw);
    free(s->lanes);
    free(s->spec);
    free(s->yv);
    free(s->y2v);
    free(s->ss);
    free(s->posmax);
    free(s);
}

int ef_shs_frame_len(const ef_shs *s) { return s->n; }

ef_code ef_shs_create(ef_shs **out, const ef_lld_params *p, ef_error *err)
{
    *out = NULL;
    int n = (int)lround(p->pitch_frame_size * p->sample_rate);
    if (n < 16) return ef_fail(err, EF_ERR_ARG, "pitch_frame_size: %g s is under 16 samples", p->pitch_frame_size);
    int nfft = ef_fft_size_for(n);
    int nmag = nfft / 2 + 1;
    ef_shs *s = calloc(1, sizeof(*s));
    if (!s) return ef_fail(err, EF_ERR_NOMEM, "pitch: out of memory");
    s->n = n;
    s->nfft = nfft;
    s->nmag = nmag;
    s->pad = (nfft - n) / 2;
    s->f0_min = p->f0_min;
    s->f0_max = p->f0_max;
    size_t m = (size_t)nmag;
    s->fin = fftwf_malloc(sizeof(float) * (size_t)nfft);
    s->fout = fftwf_malloc(sizeof(fftwf_complex) * m);
    s->win = malloc(sizeof(double) * (size_t)n);
    s->xt = malloc(sizeof(double) * m);
    s->inv_h = calloc(m, sizeof(double));
    s->u_prev = calloc(m, sizeof(double));
    s->u_d = calloc(m, sizeof(double));
    s->y2c = calloc(m, sizeof(double));
    s->klo = malloc(sizeof(int) * m);
    s->ca = malloc(sizeof(double) * m);
    s->cb = malloc(sizeof(double) * m);
    s->cc = malloc(sizeof(double) * m);
    s->cd = malloc(sizeof(double) * m);
    s->audw = malloc(sizeof(double) * m);
    s->lanes = malloc(sizeof(double) * m * 3 * EF_SHS_LANES);
    s->spec = malloc(sizeof(float) * m * EF_SHS_LANES);
    s->yv = aligned_alloc(sizeof(shs_v4d), sizeof(shs_v4d) * m);
    s->y2v = aligned_alloc(sizeof(shs_v4d), sizeof(shs_v4d) * m);
    s->ss = malloc(sizeof(float) * m);
    s->posmax = malloc(sizeof(int) * (m + 2));
    if (!s->fin || !s->fout || !s->win || !s->xt || !s->inv_h || !s->u_prev || !s->u_d ||
        !s->y2c || !s->klo || !s->ca || !s->cb || !s->cc || !s->cd || !s->audw || !s->lanes ||
        !s->spec || !s->yv || !s->y2v || !s->ss || !s->posmax) {
        ef_shs_free(s);
        return ef_fail(err, EF_ERR_NOMEM, "pitch: out of memory");
    }
    /* FFTW's planner is not thread-safe: plans come from the audio module's shared,
     * mutex-guarded cache (fft.c) and are only executed here */
    ef_code rc = ef_fft_r2c_plan(nfft, &s->plan, err);
    if (rc) {
        ef_shs_free(s);
        return rc;
    }

    for (int l = 0; l < EF_SHS_LANES; l++) {
        s->y[l] = s->lanes + (3 * (size_t)l) * m;
        s->tmp[l] = s->y[l] + m;
        s->u[l] = s->tmp[l] + m;
    }
    memset(s->fin, 0, sizeof(float) * (size_t)nfft); /* the padding stays zero (see shs_front) */
    /* lanes a batch leaves unused are computed but never stored: keep them finite */
    memset(s->yv, 0, sizeof(shs_v4d) * m);
    memset(s->y2v, 0, sizeof(shs_v4d) * m);

    /* Gaussian window exp(-0.5 ((i - (N-1)/2) / (sigma (N-1)/2))^2) */
    double half = (n - 1) / 2.0;
    for (int i = 0; i < n; i++) {
        double t = (i - half) / (GAUSS_SIGMA * half);
        s->win[i] = exp(-0.5 * t * t);
    }

    /* Octave axis: bin i sits at log2(i * df); bin 0 (DC) is linearly extrapolated
     * as openSMILE does. Target points equally spaced from log2(25 Hz) to log2(fs/2). */
    double df = (double)p->sample_rate / nfft;
    for (int i = 1; i < nmag; i++) s->xt[i] = log2(i * df);
    s->xt[0] = 2.0 * s->xt[1] - s->xt[2];
    double max_f = df * (nmag - 1);
    double fmin_t = log2(SHS_MIN_F), fmax_t = log2(max_f);
    double dft = (fmax_t - fmin_t) / (nmag - 1);

    /* Natural spline: the tridiagonal elimination only depends on the knots. */
    for (int i = 0; i + 1 < nmag; i++) s->inv_h[i] = 1.0 / (s->xt[i + 1] - s->xt[i]);
    {
        double y2prev = 0.0;
        for (int i = 1; i + 1 < nmag; i++) {
            double sg = (s->xt[i] - s->xt[i - 1]) / (s->xt[i + 1] - s->xt[i - 1]);
            double pp = sg * y2prev + 2.0;
            s->u_prev[i] = sg / pp;
            s->u_d[i] = 6.0 / (s->xt[i + 1] - s->xt[i - 1]) / pp;
            s->y2c[i] = (sg - 1.0) / pp;
            y2prev = s->y2c[i];
        }
    }
    for (int k = 0; k < nmag; k++) {
        double x = fmin_t + k * dft;
        /* bisection: largest klo with xt[klo] <= x, clamped to [0, nmag-2] */
        int lo = 0, hi = nmag - 1;
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (s->xt[mid] > x) hi = mid;
            else lo = mid;
        }
        double h = s->xt[hi] - s->xt[lo];
        double a = (s->xt[hi] - x) / h, b = (x - s->xt[lo]) / h;
        s->klo[k] = lo;
        s->ca[k] = a;
        s->cb[k] = b;
        s->cc[k] = (a * a * a - a) * h * h / 6.0;
        s->cd[k] = (b * b * b - b) * h * h / 6.0;
    }

    /* openSMILE hands the SHS stage points-per-octave and the axis as floats */
    double n_oct = log2(max_f / SHS_MIN_F);
    float ppo = (float)(nmag / n_oct);
    double atan_s = ppo * log2(65.0 / 50.0) - 1.0;
    for (int k = 0; k < nmag; k++) s->audw[k] = 0.5 + atan(3.0 * (k + 1 - atan_s) / ppo) / M_PI;
    for (int h = 2; h <= SHS_N_HARMONICS; h++) s->shift[h] = (int)floor((double)ppo * log2((double)h));
    s->fmin_t = (float)fmin_t;
    s->fstep_t = (float)(((float)fmax_t - s->fmin_t) / (float)(nmag - 1));
    *out = s;
    return EF_OK;
}

/* Keep +-2 bins around every local maximum of the linear magnitude spectrum and zero
 * the valleys between maxima (peak enhancement of Hermes' SHS). */
#if defined(__GNUC__) && defined(__x86_64__)
/* Interior local maxima i in [1, i_end) (a[i] > a[i-1], a[i] >= a[i+1]) sixteen bins at a
 * time: two AVX-512 compares per eight bins, the hits' indices compress-stored. The same
 * ordered comparisons as the scalar loop (false on NaN), so the same list. Returns the
 * first bin it did not look at. */
__attribute__((target("avx512f"))) static int local_maxima_avx512(const double *a, int i_end, int *posmax,
                                                                   int *nmax)
{
    const __m512i step = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int i = 1, m = *nmax;
    for (; i + 16 <= i_end; i += 16) {
        __m512d x0 = _mm512_loadu_pd(a + i), x1 = _mm512_loadu_pd(a + i + 8);
        __mmask8 k0 = _mm512_cmp_pd_mask(x0, _mm512_loadu_pd(a + i - 1), _CMP_GT_OQ) &
                      _mm512_cmp_pd_mask(x0, _mm512_loadu_pd(a + i + 1), _CMP_GE_OQ);
        __mmask8 k1 = _mm512_cmp_pd_mask(x1, _mm512_loadu_pd(a + i + 7), _CMP_GT_OQ) &
                      _mm512_cmp_pd_mask(x1, _mm512_loadu_pd(a + i + 9), _CMP_GE_OQ);
        __mmask16 k = (__mmask16)(k0 | ((unsigned)k1 << 8));
        _mm512_mask_compressstoreu_epi32(posmax + m, k, _mm512_add_epi32(_mm512_set1_epi32(i), step));
        m += __builtin_popcount(k);
    }
    *nmax = m;
    return i;
}
#endif

static void spec_enhance(double *a, int n, int *posmax)
{
    int nmax = 0;
    if (n < 3) return;
    if (a[0] > a[1]) posmax[nmax++] = 0;
    int i0 = 1;
#if defined(__GNUC__) && defined(__x86_64__)
    if (ef_isa_level() >= EF_ISA_AVX512) i0 = local_maxima_avx512(a, n - 1, posmax, &nmax);
#endif
    /* branch-free: local maxima of a magnitude spectrum are unpredictable, and this loop
     * was a fifth of the SHS time with a data-dependent branch (posmax has n + 2 slots) */
    for (int i = i0; i < n - 1; i++) {
        posmax[nmax] = i;
        nmax += (a[i] > a[i - 1]) & (a[i] >= a[i + 1]);
    }
    if (a[n - 1] > a[n - 2]) posmax[nmax++] = n - 1;
    if (nmax == 1) {
        /* openSMILE indexes posmax[1] here (an unset slot, 0): everything from bin 3 on is
         * zeroed. Reproduced for agreement; it only happens for single-peak spectra. */
        for (int j = 3; j < n; j++) a[j] = 0;
    } else {
        for (int i = 1; i < nmax; i++)
            for (int j = posmax[i - 1] + 3; j <= posmax[i] - 3; j++) a[j] = 0;
    }
}

/* [1 2 1]/4 smoothing of a into out; the sample before bin 0 counts as 0, the last bin
 * is kept. Out of place, so that the loop reads only unsmoothed values and vectorises
 * (each bin still (prev + 2 a + next) / 4 in that order); the caller swaps the buffers
 * instead of copying back (a 4 KB copy per frame cost more than the smoothing). */
static void spec_smooth(const double *restrict a, double *restrict out, int n)
{
    if (n < 2) {
        if (n == 1) out[0] = a[0];
        return;
    }
    out[0] = (0.0 + 2.0 * a[0] + a[1]) * 0.25;
    for (int i = 1; i < n - 1; i++) out[i] = (a[i - 1] + 2.0 * a[i] + a[i + 1]) * 0.25;
    out[n - 1] = a[n - 1];
}

/* Vertex of the parabola through (x1,y1), (x2,y2), (x3,y3): returns its x, *y its value.
 * Falls back to the largest point when the three are collinear. */
static double parabola_peak(double x1, double y1, double x2, double y2, double x3, double y3, double *y)
{
    double den = (x1 - x2) * (x1 - x3) * (x2 - x3);
    if (den != 0.0) {
        double a = (x3 * (y2 - y1) + x2 * (y1 - y3) + x1 * (y3 - y2)) / den;
        double b = (x3 * x3 * (y1 - y2) + x2 * x2 * (y3 - y1) + x1 * x1 * (y2 - y3)) / den;
        double c = (x2 * x3 * (x2 - x3) * y1 + x3 * x1 * (x3 - x1) * y2 + x1 * x2 * (x1 - x2) * y3) / den;
        if (a != 0.0) {
            double x = -b / (2.0 * a);
            *y = c - a * x * x;
            return x;
        }
    }
    if (y1 > y2 && y1 > y3) {
        *y = y1;
        return x1;
    }
    if (y3 > y1 && y3 > y2) {
        *y = y3;
        return x3;
    }
    *y = y2;
    return x2;
}

/* The element-wise loops below are built per instruction set (EF_TARGET_CLONES): each
 * output element is the same IEEE operations on the same operands whatever the vector
 * width, so every clone gives bit-identical results. */

/* y += a * x, the SHS inner loop; restrict lets the compiler vectorise it. */
EF_TARGET_CLONES static void axpy_f(float *restrict y, const float *restrict x, float a, int n)
{
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        y[j] += x[j] * a;
        y[j + 1] += x[j + 1] * a;
        y[j + 2] += x[j + 2] * a;
        y[j + 3] += x[j + 3] * a;
    }
    for (; j < n; j++) y[j] += x[j] * a;
}

/* The spline evaluated at the octave-axis points, auditory-weighted, negatives to 0, for
 * the n lanes at once: each point reads its two knots' y and y2 as one vector of the
 * four lanes (the lanes interleaved, so the indexed loads are contiguous; AVX2 gathers of
 * one frame were slower than scalar on Zen 4). Per lane the scalar operations in their
 * order: ((ca y[lo] + cb y[lo+1]) + cc y2[lo]) + cd y2[lo+1] in double, rounded to float,
 * times the weight in double, rounded again; bit-identical to one frame at a time. */
EF_TARGET_CLONES static void octave_spectrum(ef_shs *s, int n)
{
    const int nm = s->nmag;
    const int *restrict klo = s->klo;
    const double *restrict ca = s->ca, *restrict cb = s->cb, *restrict cc = s->cc, *restrict cd = s->cd;
    const double *restrict audw = s->audw;
    const shs_v4d *restrict Y = s->yv, *restrict Y2 = s->y2v;
    for (int k = 0; k < nm; k++) {
        const int lo = klo[k];
        shs_v4d v = ca[k] * Y[lo];
        v = v + cb[k] * Y[lo + 1];
        v = v + cc[k] * Y2[lo];
        v = v + cd[k] * Y2[lo + 1];
        const shs_v4f vf = __builtin_convertvector(v, shs_v4f);
        const shs_v4f w = __builtin_convertvector(__builtin_convertvector(vf, shs_v4d) * audw[k], shs_v4f);
        const shs_v4f zero = {0, 0, 0, 0};
        shs_v4i bits;
        memcpy(&bits, &w, sizeof bits);
        bits &= (shs_v4i)(vf > zero); /* negatives and NaN to +0, a select, not a branch */
        float out[4];
        memcpy(out, &bits, sizeof out);
        for (int l = 0; l < n; l++) s->spec[(size_t)l * nm + k] = out[l];
    }
}

enum { SHS_OVERFLOW = -1, SHS_SILENT = 0, SHS_VOICE = 1 };

/* Window, FFT magnitude, peak enhancement and smoothing of one frame into s->y[lane]
 * (nmag; s->tmp[lane] is its scratch, and the two are swapped by the smoothing).
 * SHS_SILENT: no candidates; SHS_OVERFLOW: finite samples, non-finite spectrum. */
static int shs_front(ef_shs *s, int lane, const float *frame, float *rms)
{
    double *y = s->y[lane];
    const int n = s->n, nm = s->nmag;

    /* window (+ energy of the windowed frame for the silence gate). The zero padding
     * around the frame was set once in ef_shs_create: an out-of-place r2c FFTW plan
     * preserves its input, so only the n windowed samples are rewritten. */
    float *fin = s->fin + s->pad;
    for (int i = 0; i < n; i++) fin[i] = (float)(frame[i] * s->win[i]);
    /* The energy only feeds the RMS gate (rms > 0.001) and the silence test (e > 0).
     * Four partial sums avoid a 960-long chain of dependent additions; when the result
     * lands within 1e-6 (relative, 8 float ulps) of the gate threshold, the sum is redone in the
     * original sequential order, so the gate decision is exactly the reference's. */
    double e0 = 0.0, e1 = 0.0, e2 = 0.0, e3 = 0.0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        e0 += (double)fin[i] * fin[i];
        e1 += (double)fin[i + 1] * fin[i + 1];
        e2 += (double)fin[i + 2] * fin[i + 2];
        e3 += (double)fin[i + 3] * fin[i + 3];
    }
    for (; i < n; i++) e0 += (double)fin[i] * fin[i];
    double e = (e0 + e1) + (e2 + e3);
    *rms = (float)sqrt(e / n);
    if (fabs((double)*rms - EF_SHS_RMS_GATE_RAW) <= 1e-6 * EF_SHS_RMS_GATE_RAW) {
        e = 0.0;
        for (int k = 0; k < n; k++) e += (double)fin[k] * fin[k];
        *rms = (float)sqrt(e / n);
    }
    if (!(e > 0.0)) return SHS_SILENT; /* no candidates (also keeps NaN input out) */

    fftwf_execute_dft_r2c(s->plan, s->fin, s->fout);
    int i0 = 0;
#if defined(__SSE2__)
    /* |X| four bins at a time: the same float multiply, add and correctly rounded square
     * root as the scalar loop (sqrtps is exact like sqrtss), so bit-identical */
    for (; i0 + 4 <= nm; i0 += 4) {
        const float *c = &s->fout[i0][0];
        __m128 a = _mm_loadu_ps(c), b = _mm_loadu_ps(c + 4);
        __m128 re = _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), im = _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
        __m128 mag = _mm_sqrt_ps(_mm_add_ps(_mm_mul_ps(re, re), _mm_mul_ps(im, im)));
        _mm_storeu_pd(y + i0, _mm_cvtps_pd(mag));
        _mm_storeu_pd(y + i0 + 2, _mm_cvtps_pd(_mm_movehl_ps(mag, mag)));
    }
#endif
    for (int i = i0; i < nm; i++) {
        float re = s->fout[i][0], im = s->fout[i][1];
        y[i] = (float)sqrtf(re * re + im * im);
    }

    /* Finite samples whose magnitude spectrum overflows (|x| of ~1e17 and more) would be
     * smoothed into NaNs that the candidate search reads as "no pitch": flag the frame
     * (false) instead. (Infinite samples, e = inf, keep the old contract: the frame
     * yields no usable candidates; ef_lld_* refuse such samples before this stage.) */
    /* Only the sum's finiteness is used, and a sum of 513 finite float magnitudes (each
     * under 3.4e38) cannot overflow a double: it is non-finite exactly when some y[k] is
     * inf or NaN, in any order of addition. Four partial sums, then, instead of one
     * 513-long chain of dependent additions (3% of `features audio`). */
    double t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0;
    int k0 = 0;
    for (; k0 + 4 <= nm; k0 += 4) {
        t0 += y[k0];
        t1 += y[k0 + 1];
        t2 += y[k0 + 2];
        t3 += y[k0 + 3];
    }
    for (; k0 < nm; k0++) t0 += y[k0];
    if (isfinite(e) && !isfinite((t0 + t1) + (t2 + t3))) return SHS_OVERFLOW;
    spec_enhance(y, nm, s->posmax);
    double *smoothed = s->tmp[lane];
    spec_smooth(y, smoothed, nm);
    s->tmp[lane] = y; /* swap: the smoothed magnitudes are the lane's y from here on */
    s->y[lane] = smoothed;
    return SHS_VOICE;
}

/* Both sweeps for n frames: forward u[i] -= u_prev[i] u[i-1], back y2[k] = y2c[k]
 * y2[k+1] + u[k] into lane l of Y2 (four lanes interleaved); inlined with n constant,
 * one carried value per frame. */
static inline __attribute__((always_inline)) void spline_chains(const int n, const int nm, const double *u_prev,
                                                                const double *y2c, double *const *u, double *Y2)
{
    double c[EF_SHS_LANES];
    for (int l = 0; l < n; l++) c[l] = 0.0; /* u[0] */
    for (int i = 1; i + 1 < nm; i++) {
        const double p = u_prev[i];
        for (int l = 0; l < n; l++) u[l][i] = c[l] = u[l][i] - p * c[l]; /* one multiply-add on the chain */
    }
    for (int l = 0; l < n; l++) Y2[(size_t)(nm - 1) * 4 + l] = c[l] = 0.0;
    for (int k = nm - 2; k >= 1; k--) {
        const double q = y2c[k];
        for (int l = 0; l < n; l++) Y2[(size_t)k * 4 + l] = c[l] = q * c[l] + u[l][k];
    }
    for (int l = 0; l < n; l++) Y2[l] = 0.0;
}

/* Natural cubic spline through (xt[i], y[l][i]) for the n frames of lanes[]: their y
 * and y2 into lanes 0..n-1 of s->yv and s->y2v. Both sweeps are chains of dependent
 * multiply-adds (a sixth of the pitch time for one frame); the frames' chains are
 * independent, so they run interleaved, one step of each per iteration. Every frame's
 * values are computed exactly as alone. */
static void shs_spline(ef_shs *s, const int *lanes, int n)
{
    const int nm = s->nmag;
    const double *inv_h = s->inv_h, *u_d = s->u_d, *u_prev = s->u_prev, *y2c = s->y2c;
    double *Y = (double *)s->yv, *Y2 = (double *)s->y2v;
    double *u[EF_SHS_LANES];
    for (int l = 0; l < n; l++) {
        const double *y = s->y[lanes[l]];
        u[l] = s->u[lanes[l]];
        /* the chain's independent part first: u[i] = d_i u_d[i], d the second difference */
        u[l][0] = 0.0;
        for (int i = 1; i + 1 < nm; i++)
            u[l][i] = ((y[i + 1] - y[i]) * inv_h[i] - (y[i] - y[i - 1]) * inv_h[i - 1]) * u_d[i];
        for (int i = 0; i < nm; i++) Y[(size_t)i * 4 + l] = y[i];
    }
    switch (n) { /* a constant lane count, so that the chains' carries stay in registers */
    case 4: spline_chains(4, nm, u_prev, y2c, u, Y2); break;
    case 3: spline_chains(3, nm, u_prev, y2c, u, Y2); break;
    case 2: spline_chains(2, nm, u_prev, y2c, u, Y2); break;
    case 1: spline_chains(1, nm, u_prev, y2c, u, Y2); break;
    default: break;
    }
}

/* Subharmonic summation and candidates of one frame from its octave spectrum. */
static void shs_back(ef_shs *s, const float *spec, ef_shs_cands *out)
{
    const int nm = s->nmag;

    /* subharmonic summation: shifted (compressed) copies of the spectrum add up at F0 */
    float *ss = s->ss;
    memcpy(ss, spec, sizeof(float) * (size_t)nm);
    float scale = (float)SHS_COMPRESSION;
    for (int h = 2; h <= SHS_N_HARMONICS; h++) {
        int sh = s->shift[h];
        if (sh < nm) axpy_f(ss, spec + sh, scale, nm - sh);
        scale *= (float)SHS_COMPRESSION;
    }
    /* ss /= 15, negatives to +0: four lanes at a time (the scalar loop was bound by the
     * divider); element-wise, so every value is exactly the scalar result */
    int j0 = 0;
#if defined(__GNUC__)
    {
        typedef float v4f __attribute__((vector_size(16)));
        typedef int v4i __attribute__((vector_size(16)));
        const v4f div = {SHS_N_HARMONICS, SHS_N_HARMONICS, SHS_N_HARMONICS, SHS_N_HARMONICS}, zero = {0, 0, 0, 0};
        for (; j0 + 4 <= nm; j0 += 4) {
            v4f v;
            memcpy(&v, ss + j0, sizeof v);
            v = v / div;
            v4i neg = v < zero;
            v4i bits;
            memcpy(&bits, &v, sizeof bits);
            bits &= ~neg;
            memcpy(ss + j0, &bits, sizeof bits);
        }
    }
#endif
    for (int j = j0; j < nm; j++) {
        float v = ss[j] / (float)SHS_N_HARMONICS;
        ss[j] = v < 0 ? 0 : v;
    }

    /* greedy peak picking: the 6 highest local maxima, best first (ties keep order).
     * Local maxima are listed branch-free first (with the mean, summed in the original
     * order); only they go through the insertion. */
    int *peaks = s->posmax, npk = 0;
    double mean = ss[0];
    for (int i = 1; i < nm - 1; i++) {
        peaks[npk] = i;
        npk += (ss[i - 1] < ss[i]) & (ss[i] > ss[i + 1]);
        mean += ss[i];
    }
    mean = (mean + ss[nm - 1]) / nm;
    int cidx[EF_SHS_NCAND];
    float cscore[EF_SHS_NCAND] = {0};
    int nc = 0;
    const float *last = &cscore[EF_SHS_NCAND - 1];
    for (int q = 0; q < npk; q++) {
        const int i = peaks[q];
        /* Most maxima are small: once all slots are filled (descending, every score > 0),
         * one not above the last slot finds no place in the scan below. */
        if (*last != 0.0f && !(*last < ss[i])) continue;
        for (int j = 0; j < EF_SHS_NCAND; j++) {
            if (cscore[j] == 0.0f || cscore[j] < ss[i]) {
                for (int k = EF_SHS_NCAND - 1; k > j; k--) {
                    cscore[k] = cscore[k - 1];
                    cidx[k] = cidx[k - 1];
                }
                cidx[j] = i;
                cscore[j] = ss[i];
                if (nc < EF_SHS_NCAND) nc++;
                break;
            }
        }
    }

    /* parabolic refinement on the log axis, voicing, then keep the in-range ones */
    int m = 0;
    for (int c = 0; c < nc; c++) {
        int j = cidx[c];
        double x1 = (float)((float)(j - 1) * s->fstep_t + s->fmin_t);
        double x2 = (float)((float)j * s->fstep_t + s->fmin_t);
        double x3 = (float)((float)(j + 1) * s->fstep_t + s->fmin_t);
        double sc;
        double fx = parabola_peak(x1, ss[j - 1], x2, ss[j], x3, ss[j + 1], &sc);
        float f = (float)exp2(fx);
        float v = (sc > 0.0 && sc > mean) ? (float)(1.0 - mean / sc) : 0.0f;
        if (!(f <= s->f0_max && f >= s->f0_min)) continue;
        out->f0[m] = f;
        out->voicing[m] = v;
        out->score[m] = (float)sc;
        m++;
    }
    out->n = m;
    /* best interpolated score to slot 0 (a swap, as openSMILE does) */
    int best = 0;
    for (int c = 1; c < EF_SHS_NCAND; c++)
        if (out->score[c] > out->score[best]) best = c;
    if (best > 0) {
        float t;
        t = out->f0[0], out->f0[0] = out->f0[best], out->f0[best] = t;
        t = out->voicing[0], out->voicing[0] = out->voicing[best], out->voicing[best] = t;
        t = out->score[0], out->score[0] = out->score[best], out->score[best] = t;
    }
}

int ef_shs_analyse_n(ef_shs *s, int n, const float *const *frames, ef_shs_cands *outs, float *rms)
{
    EF_ASSERT(n >= 0 && n <= EF_SHS_LANES);
    int voiced[EF_SHS_LANES] = {0}, nv = 0, good = n;
    for (int f = 0; f < n; f++) {
        memset(&outs[f], 0, sizeof(outs[f]));
        const int r = shs_front(s, f, frames[f], &rms[f]);
        if (r == SHS_OVERFLOW) {
            good = f;
            break;
        }
        if (r == SHS_VOICE) voiced[nv++] = f;
    }
    while (nv > 0 && voiced[nv - 1] >= good) nv--;
    shs_spline(s, voiced, nv);
    if (nv > 0) octave_spectrum(s, nv);
    for (int q = 0; q < nv; q++) shs_back(s, s->spec + (size_t)q * s->nmag, &outs[voiced[q]]);
    return good;
}

bool ef_shs_analyse(ef_shs *s, const float *frame, ef_shs_cands *out, float *rms)
{
    return ef_shs_analyse_n(s, 1, &frame, out, rms) == 1;
}
