/* Opt-in voice-quality method (EF_VQ_CYCLES): jitter, shimmer and HNR from individual
 * glottal cycles, Praat-style, instead of openSMILE's adjacent-segment correlation
 * (voice_quality.c, the default). Each period here is the distance between two cycle
 * marks, so random cycle-to-cycle jitter is measured as defined (docs/acoustic-pitch.md,
 * "Two voice-quality methods", has the figures against synthetic truth).
 *
 * Per voiced run of frames (consecutive f0 > 0):
 *   1. marks may lie within the run's frame centres +- VOICED_MARGIN hops; correlation
 *      windows may use every sample of the run's pitch windows;
 *   2. anchor: the extremum of the run's dominant polarity within half a period of the
 *      run's middle (Praat's "absolute extremum" start);
 *   3. cycle marks, from the anchor forwards and backwards: the next mark is where a
 *      Hann-weighted one-period window centred on the current mark best matches the
 *      waveform (weighted Pearson correlation over integer lags in [0.75, 1.25] x the
 *      local Viterbi period; the highest interior local maximum, refined by a parabola
 *      and then by a parabola through sinc-interpolated correlations at +-REFINE_STEP);
 *      a correlation <= MIN_CC ends the chain, which restarts (a new segment, no period
 *      across the gap) at the next extremum one period further;
 *   4. per 10 ms frame, over the marks inside the frame's pitch window:
 *      jitter  = mean |P_j - P_{j-1}| / mean P  (P = distance of consecutive marks;
 *                pairs with ratio > 1.3 skipped, as Praat's "maximum period factor")
 *      shimmer = sum |A_j - A_{j+1}| / sum (A_j + A_{j+1}) / 2, A = peak-to-peak amplitude
 *                of the one-period window centred on each mark
 *      logHNR  = 10 log10(r / (1 - r)), r = mean interpolated correlation of consecutive
 *                cycles (Boersma's autocorrelation HNR), in [-100, 100] dB.
 * Unvoiced frames give 0, 0, -100 like the default method. Memory: the marks of one
 * voiced run and the window buffers (grown geometrically, reused across runs); nothing
 * is allocated per frame. One call per run (ef_vq_cycles_run): the block-wise pipeline keeps
 * the open run's samples until the run ends. No shared state: thread-safe and reentrant. */
#include <math.h>
#include <stdlib.h>

#include "audio/pitch.h"

#define LAG_REL 0.25          /* search lags within +-25 % of the local period */
#define MIN_CC 0.5            /* weakest cycle-to-cycle correlation that continues a chain */
#define MAX_PERIOD_FACTOR 1.3 /* consecutive periods differing more are not compared */
#define VOICED_MARGIN 1.0     /* hops beyond the first / last voiced frame centre */
#define LOG_HNR_FLOOR (-100.0f)
#define LOG_HNR_CEIL 100.0f

typedef struct {
    double pos;   /* sample position (sub-sample) */
    float amp;    /* peak-to-peak amplitude of the period window centred on pos */
    float r_next; /* correlation with the next mark (valid when seg matches) */
    int seg;      /* chain segment; periods only between marks of one segment */
} vq_mark;

typedef struct {
    const float *x;  /* x[i] is sample xbase + i */
    int64_t xbase;
    int64_t lo, hi;  /* samples the correlation windows may use: the run's frames' windows */
    double vlo, vhi; /* cycle marks lie in [vlo, vhi): the run's frame centres +- VOICED_MARGIN hops */
    const float *f0; /* Viterbi F0 of the run's frames, f0[t - ta] */
    int64_t ta, tb;  /* the run's frames [ta, tb] */
    int rate, hop, frame_len;
} vq_run;

typedef struct {
    vq_mark *m;
    long n, cap;
} mark_list;

static int push_mark(mark_list *l, double pos, float amp, float r_next, int seg)
{
    if (l->n == l->cap) {
        long c = l->cap ? 2 * l->cap : 256;
        vq_mark *q = realloc(l->m, sizeof(*q) * (size_t)c);
        if (!q) return 0;
        l->m = q;
        l->cap = c;
    }
    l->m[l->n++] = (vq_mark){pos, amp, r_next, seg};
    return 1;
}

/* sample i of the signal (the run's samples are in the window) */
static inline const float *at(const vq_run *u, int64_t i) { return u->x + (i - u->xbase); }

/* local period (samples) at position pos: the F0 of the run's frame whose window centre is
 * nearest */
static double period_at(const vq_run *u, double pos)
{
    double tf = (pos - 0.5 * u->frame_len) / u->hop;
    int64_t t = (int64_t)lround(tf);
    if (t < u->ta) t = u->ta;
    if (t > u->tb) t = u->tb;
    return u->rate / (double)u->f0[t - u->ta];
}

static long half_window(double P)
{
    long h = lround(0.5 * P);
    return h < 1 ? 1 : h;
}

/* peak-to-peak amplitude of the finite samples in [c - h, c + h] within the run */
static float amplitude(const vq_run *u, long c, long h)
{
    long a = c - h, b = c + h;
    if (a < u->lo) a = (long)u->lo;
    if (b > u->hi - 1) b = (long)u->hi - 1;
    float mx = 0.0f, mn = 0.0f;
    int any = 0;
    for (long i = a; i <= b; i++) {
        float v = *at(u, i);
        if (!isfinite(v)) continue;
        if (!any || v > mx) mx = v;
        if (!any || v < mn) mn = v;
        any = 1;
    }
    return any ? mx - mn : 0.0f;
}

/* position of the extremum of sign s (max of s*x) among finite samples in [a, b] within
 * the run; -1 when there is none */
static long extremum(const vq_run *u, long a, long b, int s)
{
    if (a < u->lo) a = (long)u->lo;
    if (b > u->hi - 1) b = (long)u->hi - 1;
    long best = -1;
    float bv = 0.0f;
    for (long i = a; i <= b; i++) {
        float v = (float)s * *at(u, i);
        if (isfinite(v) && (best < 0 || v > bv)) {
            best = i;
            bv = v;
        }
    }
    return best;
}

/* Offset in [-1, 1] and height of the parabola through (-1, a), (0, b), (1, c). */
static double parabola3(double a, double b, double c, double *peak)
{
    double curv = a - 2.0 * b + c;
    if (!(curv < 0.0)) {
        *peak = b;
        return 0.0;
    }
    double d = 0.5 * (a - c) / curv;
    if (d > 1.0) d = 1.0;
    if (d < -1.0) d = -1.0;
    *peak = b - 0.25 * (a - c) * d;
    return d;
}

/* Hann weights of a (2h + 1)-point window, cached while h stays the same */
typedef struct {
    double *w, *wx; /* weights; weighted reference window */
    long h, cap;
} vq_win;

static int win_prepare(vq_win *v, long h)
{
    const long n = 2 * h + 1;
    if (n > v->cap) {
        long c = n + n / 2 + 16;
        double *w = realloc(v->w, sizeof(double) * (size_t)c);
        if (!w) return 0;
        v->w = w;
        double *wx = realloc(v->wx, sizeof(double) * (size_t)c);
        if (!wx) return 0;
        v->wx = wx;
        v->cap = c;
        v->h = -1;
    }
    if (v->h != h) {
        for (long i = 0; i < n; i++) v->w[i] = 0.5 - 0.5 * cos(2.0 * M_PI * (double)(i + 1) / (double)(n + 1));
        v->h = h;
    }
    return 1;
}

/* Weighted Pearson correlation of the prepared reference window (v->wx, sums sw, sx,
 * vx; starting at sample a) with the waveform shifted by the real lag dir * lag, read
 * through a Hann-windowed sinc interpolator (SINC_HALF taps each side). Returns -2 when
 * the taps leave the run. Used to refine the parabola's sub-sample peak: the
 * correlation's curvature at a sharp glottal excitation is not parabolic over +-1 sample. */
#define SINC_HALF 8
#define REFINE_STEP 0.25
static double corr_frac(const vq_run *u, vq_win *v, long a, long w, double sw, double sx, double vx, int dir,
                        double lag)
{
    const double sh = dir * lag, fl = floor(sh), f = sh - fl;
    const long b0 = a + (long)fl;
    if (b0 - SINC_HALF + 1 < u->lo || b0 + w - 1 + SINC_HALF >= u->hi) return -2.0;
    double tap[2 * SINC_HALF];
    for (int k = -SINC_HALF + 1; k <= SINC_HALF; k++) {
        const double t = (double)k - f; /* sample b + k sits t samples from the point b + f */
        const double sinc = t == 0.0 ? 1.0 : sin(M_PI * t) / (M_PI * t);
        tap[k + SINC_HALF - 1] = sinc * (0.5 + 0.5 * cos(M_PI * t / SINC_HALF));
    }
    double sy = 0.0, syy = 0.0, sxy = 0.0;
    for (long i = 0; i < w; i++) {
        const float *xb = at(u, b0 + i - SINC_HALF + 1);
        double y = 0.0;
        for (int k = 0; k < 2 * SINC_HALF; k++) y += tap[k] * xb[k];
        const double wy = v->w[i] * y;
        sy += wy;
        syy += wy * y;
        sxy += v->wx[i] * y;
    }
    const double vy = syy - sy * sy / sw;
    return vy > 0.0 ? (sxy - sx * sy / sw) / sqrt(vx * vy) : 0.0;
}

/* One cycle step from mark m in direction dir (+1 / -1): the Hann-weighted window
 * [c - h, c + h] (c = round(m), 2h + 1 ~ one period) against the same-weighted windows
 * centred at c + dir L, L in [Lmin - 1, Lmax + 1]; weighted Pearson correlation. The
 * taper centres the match on the cycle mark (the excitation) and removes the edge
 * effects of a rectangular window at fractional periods. Returns 1 and the next mark and
 * its interpolated correlation, 0 when no interior peak above MIN_CC exists or a window
 * leaves the run, -1 when out of memory. */
static int step(const vq_run *u, vq_win *v, double m, int dir, double *m_next, double *r_out)
{
    const double P = period_at(u, m);
    const long c = lround(m), h = half_window(P), w = 2 * h + 1;
    long lmin = (long)floor((1.0 - LAG_REL) * P), lmax = (long)ceil((1.0 + LAG_REL) * P);
    if (lmin < 2) lmin = 2;
    if (lmax < lmin + 2) lmax = lmin + 2;
    const long l0 = lmin - 1, l1 = lmax + 1; /* one more on each side for the parabola */
    if (c - h < u->lo || c + h >= u->hi) return 0;
    const long far_lo = dir > 0 ? c + l0 - h : c - l1 - h, far_hi = dir > 0 ? c + l1 + h : c - l0 + h;
    if (far_lo < u->lo || far_hi >= u->hi) return 0;
    if (!win_prepare(v, h)) return -1;
    const double *wt = v->w;
    double *wx = v->wx;
    const float *ref = at(u, c - h);
    double sw = 0.0, sx = 0.0, sxx = 0.0;
    for (long i = 0; i < w; i++) {
        wx[i] = wt[i] * ref[i];
        sw += wt[i];
        sx += wx[i];
        sxx += wx[i] * ref[i];
    }
    const double vx = sxx - sx * sx / sw;
    if (!(vx > 0.0)) return 0;
    double r_prev2 = 0.0, r_prev = 0.0, best_r = -2.0, best_a = 0.0, best_c = 0.0;
    long best_l = -1;
    for (long l = l0; l <= l1; l++) {
        const float *cand = ref + dir * l;
        double sy = 0.0, syy = 0.0, sxy = 0.0;
        for (long i = 0; i < w; i++) {
            const double y = cand[i], wy = wt[i] * y;
            sy += wy;
            syy += wy * y;
            sxy += wx[i] * y;
        }
        const double vy = syy - sy * sy / sw;
        const double r = vy > 0.0 ? (sxy - sx * sy / sw) / sqrt(vx * vy) : 0.0;
        /* r_prev (lag l - 1) is an interior local maximum: l - 1 in [lmin, lmax] */
        if (l - 1 >= lmin && l - 1 <= lmax && r_prev > r_prev2 && r_prev >= r && r_prev > best_r) {
            best_r = r_prev;
            best_l = l - 1;
            best_a = r_prev2;
            best_c = r;
        }
        r_prev2 = r_prev;
        r_prev = r;
    }
    if (best_l < 0 || !(best_r > MIN_CC)) return 0;
    double peak;
    double d = parabola3(best_a, best_r, best_c, &peak);
    /* refine: the interpolated correlation at +-REFINE_STEP around the parabola's peak */
    {
        const double lag = (double)best_l + d;
        const double r0 = corr_frac(u, v, c - h, w, sw, sx, vx, dir, lag - REFINE_STEP);
        const double r1 = corr_frac(u, v, c - h, w, sw, sx, vx, dir, lag);
        const double r2 = corr_frac(u, v, c - h, w, sw, sx, vx, dir, lag + REFINE_STEP);
        if (r0 > -2.0 && r2 > -2.0 && r1 >= r0 && r1 >= r2) {
            double pk;
            const double e = parabola3(r0, r1, r2, &pk);
            d += e * REFINE_STEP;
            peak = pk;
        }
    }
    if (peak > 1.0) peak = 1.0;
    *m_next = m + dir * ((double)best_l + d);
    if (!(*m_next >= u->vlo && *m_next < u->vhi)) return 0;
    *r_out = peak;
    return 1;
}

/* Marks of one voiced run, sorted by position, into l (cleared first). */
static int mark_run(const vq_run *u, vq_win *v, mark_list *l)
{
    l->n = 0;
    if (u->hi - u->lo < 4) return 1;
    /* dominant polarity over the run */
    float mx = 0.0f, mn = 0.0f;
    for (int64_t i = u->lo; i < u->hi; i++) {
        const float xi = *at(u, i);
        if (!isfinite(xi)) continue;
        if (xi > mx) mx = xi;
        if (xi < mn) mn = xi;
    }
    if (mx == 0.0f && mn == 0.0f) return 1;
    const int s = mx >= -mn ? 1 : -1;
    const double mid = 0.5 * (u->vlo + u->vhi);
    double P = period_at(u, mid);
    long a = extremum(u, (long)floor(mid - 0.5 * P), (long)ceil(mid + 0.5 * P), s);
    if (a < 0) return 1;
    int seg = 0;
    /* backwards from the anchor (stored in reverse, flipped below) */
    if (!push_mark(l, (double)a, amplitude(u, a, half_window(P)), 0.0f, seg)) return 0;
    double m = (double)a;
    for (;;) {
        double nm, r;
        const int st = step(u, v, m, -1, &nm, &r);
        if (st < 0) return 0;
        if (st) {
            P = period_at(u, nm);
            if (!push_mark(l, nm, amplitude(u, lround(nm), half_window(P)), (float)r, seg)) return 0;
            m = nm;
            continue;
        }
        /* chain broken: restart at the next extremum one period earlier */
        P = period_at(u, m);
        long e = extremum(u, (long)floor(m - 1.5 * P), (long)ceil(m - 0.5 * P), s);
        if (e < 0 || (double)e >= m || (double)e < u->vlo) break;
        seg++;
        if (!push_mark(l, (double)e, amplitude(u, e, half_window(period_at(u, (double)e))), 0.0f, seg)) return 0;
        m = (double)e;
    }
    for (long i = 0, j = l->n - 1; i < j; i++, j--) {
        vq_mark t = l->m[i];
        l->m[i] = l->m[j];
        l->m[j] = t;
    }
    /* forwards from the anchor (now the last mark) */
    seg = l->m[l->n - 1].seg;
    m = (double)a;
    int next_seg = 0;
    for (long i = 0; i < l->n; i++)
        if (l->m[i].seg >= next_seg) next_seg = l->m[i].seg + 1;
    for (;;) {
        double nm, r;
        const int st = step(u, v, m, 1, &nm, &r);
        if (st < 0) return 0;
        if (st) {
            l->m[l->n - 1].r_next = (float)r;
            P = period_at(u, nm);
            if (!push_mark(l, nm, amplitude(u, lround(nm), half_window(P)), 0.0f, seg)) return 0;
            m = nm;
            continue;
        }
        P = period_at(u, m);
        long e = extremum(u, (long)ceil(m + 0.5 * P), (long)floor(m + 1.5 * P), s);
        if (e < 0 || (double)e <= m || (double)e >= u->vhi) break;
        seg = next_seg++;
        if (!push_mark(l, (double)e, amplitude(u, e, half_window(period_at(u, (double)e))), 0.0f, seg)) return 0;
        m = (double)e;
    }
    return 1;
}

/* jitter, shimmer, logHNR of the marks [j0, j1) (those inside one frame's window) */
static void frame_measures(const vq_mark *mk, long j0, long j1, double pmin, double pmax, float *jit, float *shim,
                           float *hnr)
{
    double per_sum = 0.0, dper_sum = 0.0, amp_sum = 0.0, damp_sum = 0.0, r_sum = 0.0;
    long n_per = 0, n_dper = 0, n_amp = 0;
    double prev_p = 0.0; /* previous valid period ending at mark j (0 = none) */
    for (long j = j0; j + 1 < j1; j++) {
        double p = 0.0;
        if (mk[j].seg == mk[j + 1].seg) {
            p = mk[j + 1].pos - mk[j].pos;
            if (!(p >= pmin && p <= pmax)) p = 0.0;
        }
        if (p > 0.0) {
            per_sum += p;
            n_per++;
            if (prev_p > 0.0 && fmax(p, prev_p) <= MAX_PERIOD_FACTOR * fmin(p, prev_p)) {
                dper_sum += fabs(p - prev_p);
                n_dper++;
            }
            const double a0 = mk[j].amp, a1 = mk[j + 1].amp;
            if (isfinite(a0) && isfinite(a1)) {
                amp_sum += 0.5 * (a0 + a1);
                damp_sum += fabs(a0 - a1);
                n_amp++;
            }
            r_sum += mk[j].r_next;
        }
        prev_p = p;
    }
    double j = (n_dper > 0 && per_sum > 0.0) ? (dper_sum / n_dper) / (per_sum / n_per) : 0.0;
    double s = (n_amp > 0 && amp_sum > 0.0) ? damp_sum / amp_sum : 0.0;
    *jit = (float)(j > 1.0 ? 1.0 : j);
    *shim = (float)(s > 1.0 ? 1.0 : s);
    float lg = 0.0f; /* no two cycles to compare: 0 dB, like the default method */
    if (n_per > 0) {
        double r = r_sum / n_per;
        if (!(r > 0.0)) lg = LOG_HNR_FLOOR;
        else if (r >= 1.0) lg = LOG_HNR_CEIL;
        else {
            double v = 10.0 * log10(r / (1.0 - r));
            lg = (float)(v > LOG_HNR_CEIL ? LOG_HNR_CEIL : v < LOG_HNR_FLOOR ? LOG_HNR_FLOOR : v);
        }
    }
    *hnr = lg;
}

struct ef_vq_cycles {
    mark_list l;
    vq_win v;
};

ef_code ef_vq_cycles_create(ef_vq_cycles **out, ef_error *err)
{
    *out = calloc(1, sizeof(**out));
    return *out ? EF_OK : ef_fail(err, EF_ERR_NOMEM, "pitch: out of memory (cycle marks)");
}

void ef_vq_cycles_free(ef_vq_cycles *c)
{
    if (!c) return;
    free(c->l.m);
    free(c->v.w);
    free(c->v.wx);
    free(c);
}

bool ef_vq_cycles_voiced(float f0, int rate) { return f0 > 0.0f && isfinite(f0) && rate / (double)f0 >= 4.0; }

ef_code ef_vq_cycles_run(ef_vq_cycles *c, float *jitter, float *shimmer, float *loghnr, const float *x, int64_t base,
                         int64_t n, int rate, int hop, int frame_len, const float *f0, int64_t ta, int64_t tb,
                         double f0_min, double f0_max, ef_error *err)
{
    /* periods outside the search range (with the lag margin) are not cycles of this voice */
    const double pmin = (1.0 - LAG_REL) * rate / f0_max, pmax = (1.0 + LAG_REL) * rate / f0_min;
    vq_run u = {.x = x, .xbase = base, .f0 = f0, .ta = ta, .tb = tb, .rate = rate, .hop = hop, .frame_len = frame_len};
    u.lo = u.ta * hop;
    u.hi = u.tb * hop + frame_len;
    if (u.hi > n) u.hi = n;
    if (u.lo > u.hi) u.lo = u.hi;
    EF_ASSERT(u.lo >= base || u.lo == u.hi);
    u.vlo = (double)u.ta * hop + 0.5 * frame_len - VOICED_MARGIN * hop;
    u.vhi = (double)u.tb * hop + 0.5 * frame_len + VOICED_MARGIN * hop;
    mark_list *l = &c->l;
    if (!mark_run(&u, &c->v, l)) return ef_fail(err, EF_ERR_NOMEM, "pitch: out of memory (cycle marks)");
    /* frames of the run: marks inside [k hop, k hop + frame_len), two moving pointers */
    long j0 = 0, j1 = 0;
    for (int64_t k = u.ta; k <= u.tb; k++) {
        const double w0 = (double)(k * hop), w1 = w0 + frame_len;
        while (j0 < l->n && l->m[j0].pos < w0) j0++;
        if (j1 < j0) j1 = j0;
        while (j1 < l->n && l->m[j1].pos < w1) j1++;
        frame_measures(l->m, j0, j1, pmin, pmax, &jitter[k - ta], &shimmer[k - ta], &loghnr[k - ta]);
    }
    return EF_OK;
}
