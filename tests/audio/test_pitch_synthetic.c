/* F0, jitter and shimmer on synthetic voices with known truth: trains of differentiated
 * Rosenberg glottal pulses (open phase 40 %, closing 16 % of the period) generated
 * analytically at fractional pulse positions, with optional random period jitter and
 * amplitude shimmer. Truth for jitter/shimmer is computed from the generated period and
 * amplitude sequences with the spec's formulas. Also: silence, all-zeros, noise, short
 * inputs never give NaN/Inf or spurious F0, and concurrent calls equal serial ones. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "audio/pitch.h"
#include "emofuse/cpu_isa.h"
#include "emofuse/rng.h"
#include "testutil.h"

#define RATE 16000

static int g_rate = RATE; /* sample rate used by synth() and run() */
static int g_vq = EF_VQ_OPENSMILE; /* voice-quality method used by compute() */
/* 0: pulse i starts (opens) at t_i and closes at t_i + 0.56 T_i; 1: pulse i CLOSES at
 * t_i + T_i (the closed phase comes first), so the glottal closure instants, the sharp
 * events a cycle method marks and between which cycle-based jitter is defined, are
 * exactly the generated period boundaries. */
static int g_gci = 0;
#define DUR 1.5

/* Rosenberg glottal flow at phase tau in [0, 1) of one period. */
static double rosenberg(double tau)
{
    const double op = 0.40, cl = 0.16;
    if (tau < op) return 0.5 * (1.0 - cos(M_PI * tau / op));
    if (tau < op + cl) return cos(M_PI * (tau - op) / (2.0 * cl));
    return 0.0;
}

/* Simple LCG in [0, 1) so the test does not depend on another module's RNG API. */
static double uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* x (n) = differentiated pulse train; periods T_i = T0 (1 + jit * (+-1)), amplitudes
 * A_i = 1 + shim * (+-1) with random signs; jit < 0 gives the deterministic period
 * pattern T0 (1 +- |jit|) in pairs (long, long, short, short, ...). Returns the true local
 * jitter / shimmer of the generated sequences. */
static void synth(float *x, int64_t n, double f0, double jit, double shim, uint64_t seed, double *true_jit,
                  double *true_shim)
{
    double *flow = calloc((size_t)n + 1, sizeof(double));
    double t = 0.0, prev_T = 0.0, prev_A = 0.0;
    double sum_dT = 0, sum_T = 0, sum_dA = 0, sum_mA = 0;
    int np = 0;
    uint64_t s = seed;
    while (t < (double)n) {
        double T;
        if (jit < 0) /* paired pattern long, long, short, short, ... */
            T = g_rate / f0 * (1.0 + ((np / 2) % 2 ? jit : -jit));
        else
            T = g_rate / f0 * (1.0 + (jit > 0 ? (uniform(&s) < 0.5 ? -jit : jit) : 0.0));
        double A = 1.0 + (shim > 0 ? (uniform(&s) < 0.5 ? -shim : shim) : 0.0);
        for (int64_t k = (int64_t)ceil(t); k < t + T && k <= n; k++) {
            double u = (k - t) / T;
            flow[k] += A * rosenberg(g_gci ? fmod(u + 0.56, 1.0) : u);
        }
        if (t + T < (double)n) { /* only complete periods count for the truth */
            if (np > 0) {
                sum_dT += fabs(T - prev_T);
                sum_dA += fabs(A - prev_A);
                sum_mA += (A + prev_A) / 2.0;
            }
            sum_T += T;
            np++;
        }
        prev_T = T;
        prev_A = A;
        t += T;
    }
    for (int64_t k = 0; k < n; k++) x[k] = (float)(0.5 * (flow[k + 1] - flow[k]) * (g_rate / f0) / 4.0);
    free(flow);
    *true_jit = np > 1 ? (sum_dT / (np - 1)) / (sum_T / np) : 0.0;
    *true_shim = sum_mA > 0 ? sum_dA / sum_mA : 0.0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* median of v over frames where f0 > 0 (skipping the first and last 5 frames) */
static float voiced_median(const float *v, const float *f0, int64_t T, int *nv)
{
    float *tmp = malloc(sizeof(float) * (size_t)T);
    int k = 0;
    for (int64_t t = 5; t + 5 < T; t++)
        if (f0[t] > 0) tmp[k++] = v[t];
    *nv = k;
    float m = 0.0f;
    if (k > 0) {
        qsort(tmp, (size_t)k, sizeof(float), cmp_float);
        m = k % 2 ? tmp[k / 2] : 0.5f * (tmp[k / 2 - 1] + tmp[k / 2]);
    }
    free(tmp);
    return m;
}

/* mean of v over frames where f0 > 0 (skipping the first and last 5 frames) */
static float voiced_mean(const float *v, const float *f0, int64_t T)
{
    double s = 0.0;
    int k = 0;
    for (int64_t t = 5; t + 5 < T; t++)
        if (f0[t] > 0) {
            s += v[t];
            k++;
        }
    return k ? (float)(s / k) : 0.0f;
}

typedef struct {
    float *f0, *jit, *shim, *hnr;
    int64_t T;
} result;

/* analyse x; no CHECKs here, so that worker threads can call it */
static ef_code compute(const float *x, int64_t n, result *r, ef_error *err)
{
    ef_lld_params p = ef_lld_default_params();
    p.sample_rate = g_rate;
    p.voice_quality = g_vq;
    r->T = ef_pitch_n_frames(&p, n);
    int64_t m = r->T > 0 ? r->T : 1;
    r->f0 = malloc(sizeof(float) * (size_t)m);
    r->jit = malloc(sizeof(float) * (size_t)m);
    r->shim = malloc(sizeof(float) * (size_t)m);
    r->hnr = malloc(sizeof(float) * (size_t)m);
    return ef_pitch_voice_quality(&p, x, n, r->T, r->f0, r->jit, r->shim, r->hnr, err);
}

static int run(const float *x, int64_t n, result *r)
{
    ef_error err;
    ef_code rc = compute(x, n, r, &err);
    CHECK_MSG(rc == EF_OK, "%s", err.msg);
    return rc == EF_OK;
}

static void result_free(result *r)
{
    free(r->f0);
    free(r->jit);
    free(r->shim);
    free(r->hnr);
}

static int all_finite(const result *r)
{
    for (int64_t t = 0; t < r->T; t++)
        if (!isfinite(r->f0[t]) || !isfinite(r->jit[t]) || !isfinite(r->shim[t]) || !isfinite(r->hnr[t])) return 0;
    return 1;
}

static void test_f0(void)
{
    const double f0s[] = {100, 150, 200, 300, 400};
    int64_t n = (int64_t)(DUR * RATE);
    float *x = malloc(sizeof(float) * (size_t)n);
    for (int i = 0; i < 5; i++) {
        double tj, ts;
        synth(x, n, f0s[i], 0.0, 0.0, 1, &tj, &ts);
        result r;
        if (!run(x, n, &r)) continue;
        int nv;
        float med = voiced_median(r.f0, r.f0, r.T, &nv);
        float jm = voiced_median(r.jit, r.f0, r.T, &nv);
        float hm = voiced_median(r.hnr, r.f0, r.T, &nv);
        printf("F0 %3.0f Hz: median %.2f Hz over %d voiced of %lld frames, jitter %.5f, logHNR %.1f dB\n", f0s[i], med,
               nv, (long long)r.T, jm, hm);
        CHECK_MSG(fabs(med - f0s[i]) <= 0.01 * f0s[i], "F0 %g: median %g", f0s[i], med);
        CHECK_MSG(nv >= (int)(0.95 * (r.T - 10)), "F0 %g: only %d voiced frames of %lld", f0s[i], nv, (long long)r.T);
        CHECK_MSG(jm < 0.002, "F0 %g: jitter %g on a perfectly periodic signal", f0s[i], jm);
        /* integer periods (100, 200, 400 Hz) are exactly periodic: the 100 dB ceiling */
        CHECK_MSG(hm > 15.0, "F0 %g: logHNR %g dB on a perfectly periodic signal", f0s[i], hm);
        CHECK(all_finite(&r));
        result_free(&r);
    }
    free(x);
}

static void test_jitter_shimmer(void)
{
    int64_t n = (int64_t)(DUR * RATE);
    float *x = malloc(sizeof(float) * (size_t)n);
    const double jits[] = {0.01, 0.02};
    const double f0s[] = {120, 200};
    for (int fi = 0; fi < 2; fi++)
        for (int i = 0; i < 2; i++) {
            double tj, ts;
            synth(x, n, f0s[fi], jits[i], 0.0, 7 + i, &tj, &ts);
            result r;
            if (!run(x, n, &r)) continue;
            int nv;
            float fm = voiced_median(r.f0, r.f0, r.T, &nv);
            float jm = voiced_mean(r.jit, r.f0, r.T);
            printf("jitter %.0f%% at %.0f Hz: truth %.4f measured (mean) %.4f, F0 %.1f, %d voiced\n", 100 * jits[i],
                   f0s[fi], tj, jm, fm, nv);
            /* Random jitter reads about half of the truth here. The cause is mostly
             * this train, not openSMILE's method: each pulse closes (the sharp event
             * any period estimate locks onto) at 0.56 of its own period, so closure
             * intervals are 0.44 T_i + 0.56 T_{i+1} and random differences shrink to
             * ~0.56 of the truth; the cycle-mark method reads the same ratio on these
             * trains, and both read close to the truth on closure-anchored trains
             * (test_cycles). We reproduce openSMILE exactly (test_pitch_opensmile);
             * assert the measured ratio band. */
            CHECK_MSG(jm >= 0.40 * tj && jm <= 0.70 * tj, "jitter truth %.4f measured %.4f", tj, jm);
            CHECK(nv > 100);
            result_free(&r);
        }
    /* Paired pattern: mixing neighbouring periods (at the closures, or by averaging)
     * keeps its local jitter, so here the measurement must match the truth. */
    for (int fi = 0; fi < 2; fi++)
        for (int i = 0; i < 2; i++) {
            double tj, ts;
            synth(x, n, f0s[fi], -jits[i], 0.0, 1, &tj, &ts);
            result r;
            if (!run(x, n, &r)) continue;
            int nv;
            float fm = voiced_median(r.f0, r.f0, r.T, &nv);
            float jm = voiced_mean(r.jit, r.f0, r.T);
            printf("paired jitter %.0f%% at %.0f Hz: truth %.4f measured (mean) %.4f, F0 %.1f, %d voiced\n",
                   100 * jits[i], f0s[fi], tj, jm, fm, nv);
            CHECK_MSG(fabs(jm - tj) <= 0.002, "paired jitter truth %.4f measured %.4f", tj, jm);
            CHECK(nv > 100);
            result_free(&r);
        }
    for (int fi = 0; fi < 2; fi++) {
        double tj, ts;
        synth(x, n, f0s[fi], 0.0, 0.05, 11, &tj, &ts);
        result r;
        if (!run(x, n, &r)) continue;
        int nv;
        float fm = voiced_median(r.f0, r.f0, r.T, &nv);
        float sm = voiced_mean(r.shim, r.f0, r.T);
        float jm = voiced_mean(r.jit, r.f0, r.T);
        (void)fm;
        printf("shimmer 5%% at %.0f Hz: truth %.4f measured (mean) %.4f, jitter %.4f, %d voiced\n", f0s[fi], ts, sm,
               jm, nv);
        CHECK_MSG(fabs(sm - ts) <= 0.002, "shimmer truth %.4f measured %.4f", ts, sm);
        CHECK(nv > 100);
        result_free(&r);
    }
    free(x);
}

static void check_unvoiced(const char *what, const result *r)
{
    CHECK_MSG(all_finite(r), "%s: NaN/Inf", what);
    int64_t voiced = 0;
    for (int64_t t = 0; t < r->T; t++) {
        voiced += r->f0[t] > 0;
        if (r->f0[t] == 0) CHECK_MSG(r->jit[t] == 0 && r->shim[t] == 0 && r->hnr[t] == -100.0f, "%s: frame %lld", what,
                                     (long long)t);
    }
    CHECK_MSG(voiced == 0, "%s: %lld voiced frames", what, (long long)voiced);
}

static void test_silence(void)
{
    int64_t n = RATE;
    float *x = calloc((size_t)n, sizeof(float));
    result r;
    if (run(x, n, &r)) {
        CHECK(r.T == (n - 960) / 160 + 1);
        check_unvoiced("all zeros", &r);
        result_free(&r);
    }
    /* near-silence: white noise at -90 dBFS, below openSMILE's RMS gate */
    uint64_t s = 3;
    for (int64_t i = 0; i < n; i++) x[i] = (float)(3e-5 * (uniform(&s) - 0.5));
    if (run(x, n, &r)) {
        check_unvoiced("near silence", &r);
        result_free(&r);
    }
    /* loud white noise: mostly unvoiced, never NaN */
    for (int64_t i = 0; i < n; i++) x[i] = (float)(0.5 * (uniform(&s) - 0.5));
    if (run(x, n, &r)) {
        CHECK(all_finite(&r));
        int64_t voiced = 0;
        for (int64_t t = 0; t < r.T; t++) voiced += r.f0[t] > 0;
        printf("white noise: %lld of %lld frames voiced\n", (long long)voiced, (long long)r.T);
        CHECK(voiced <= r.T / 5);
        result_free(&r);
    }
    /* a voice with a few corrupt samples (NaN, Inf): outputs stay finite */
    {
        double tj, ts;
        synth(x, n, 150.0, 0.01, 0.03, 5, &tj, &ts);
        x[4000] = NAN;
        x[8000] = INFINITY;
        x[8001] = -INFINITY;
        if (run(x, n, &r)) {
            CHECK_MSG(all_finite(&r), "corrupt samples: NaN/Inf in output");
            result_free(&r);
        }
    }
    /* shorter than one window: no rows; extra rows past the end are zero-padded */
    ef_lld_params p = ef_lld_default_params();
    CHECK(ef_pitch_n_frames(&p, 959) == 0);
    CHECK(ef_pitch_n_frames(&p, 960) == 1);
    float f0[5], j[5], sh[5], h[5];
    ef_error err;
    CHECK(ef_pitch_voice_quality(&p, x, 100, 5, f0, j, sh, h, &err) == EF_OK);
    for (int t = 0; t < 5; t++) CHECK(isfinite(f0[t]) && isfinite(j[t]) && isfinite(sh[t]) && isfinite(h[t]));
    CHECK(ef_pitch_voice_quality(&p, NULL, 0, 0, f0, j, sh, h, &err) == EF_OK);
    CHECK(ef_pitch_voice_quality(&p, x, 0, 3, f0, j, sh, h, &err) == EF_OK);
    for (int t = 0; t < 3; t++) CHECK(f0[t] == 0 && h[t] == -100.0f);
    free(x);
}

/* different signals analysed concurrently must match the serial results exactly */
typedef struct {
    const float *x;
    int64_t n;
    result r;
    ef_code rc;
    ef_error err;
} job;

static void *worker(void *arg)
{
    job *jb = arg;
    jb->rc = compute(jb->x, jb->n, &jb->r, &jb->err);
    return NULL;
}

static void test_threads(void)
{
    enum { NJ = 4 };
    int64_t n = RATE;
    float *x[NJ];
    job jobs[NJ];
    pthread_t th[NJ];
    for (int i = 0; i < NJ; i++) {
        double tj, ts;
        x[i] = malloc(sizeof(float) * (size_t)n);
        synth(x[i], n, 110.0 + 60.0 * i, 0.01, 0.03, 20 + i, &tj, &ts);
        jobs[i].x = x[i];
        jobs[i].n = n;
    }
    for (int i = 0; i < NJ; i++) pthread_create(&th[i], NULL, worker, &jobs[i]);
    for (int i = 0; i < NJ; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < NJ; i++) {
        result ser;
        CHECK_MSG(jobs[i].rc == EF_OK, "thread %d: %s", i, jobs[i].err.msg);
        if (!run(x[i], n, &ser)) continue;
        CHECK(ser.T == jobs[i].r.T);
        size_t b = sizeof(float) * (size_t)ser.T;
        CHECK_MSG(memcmp(ser.f0, jobs[i].r.f0, b) == 0 && memcmp(ser.jit, jobs[i].r.jit, b) == 0 &&
                      memcmp(ser.shim, jobs[i].r.shim, b) == 0 && memcmp(ser.hnr, jobs[i].r.hnr, b) == 0,
                  "thread %d differs from the serial run", i);
        result_free(&ser);
        result_free(&jobs[i].r);
        free(x[i]);
    }
}

/* other sample rates: the FFT size and every table follow the rate */
static void test_rates(void)
{
    const int rates[] = {8000, 22050, 44100};
    for (int i = 0; i < 3; i++) {
        g_rate = rates[i];
        int64_t n = (int64_t)(DUR * g_rate);
        float *x = malloc(sizeof(float) * (size_t)n);
        double tj, ts;
        synth(x, n, 170.0, 0.0, 0.05, 2, &tj, &ts);
        result r;
        if (run(x, n, &r)) {
            int nv;
            float med = voiced_median(r.f0, r.f0, r.T, &nv);
            float sm = voiced_mean(r.shim, r.f0, r.T);
            printf("%d Hz: F0 170 -> median %.2f over %d voiced of %lld frames, shimmer truth %.4f measured %.4f\n",
                   g_rate, med, nv, (long long)r.T, ts, sm);
            CHECK_MSG(fabs(med - 170.0) <= 1.7, "rate %d: F0 median %g", g_rate, med);
            CHECK(nv >= (int)(0.9 * (r.T - 10)));
            CHECK(all_finite(&r));
            result_free(&r);
        }
        free(x);
    }
    g_rate = RATE;
}

/* EF_VQ_CYCLES: true cycle-to-cycle jitter and shimmer from glottal cycle marks. On
 * pulse trains whose closures carry the jitter (g_gci = 1), random jitter must read as
 * the truth (the default method reads about half); F0 must be the default's bit for bit. */
static void test_cycles(void)
{
    int64_t n = (int64_t)(DUR * RATE);
    float *x = malloc(sizeof(float) * (size_t)n);
    const double jits[] = {0.01, 0.02};
    const double f0s[] = {120, 200};
    g_gci = 1;
    for (int fi = 0; fi < 2; fi++)
        for (int i = 0; i < 2; i++) {
            double tj, ts;
            synth(x, n, f0s[fi], jits[i], 0.0, 7 + i, &tj, &ts);
            result r, d;
            g_vq = EF_VQ_CYCLES;
            int ok = run(x, n, &r);
            g_vq = EF_VQ_OPENSMILE;
            if (!ok) continue;
            if (!run(x, n, &d)) {
                result_free(&r);
                continue;
            }
            int nv;
            float fm = voiced_median(r.f0, r.f0, r.T, &nv);
            float jm = voiced_mean(r.jit, r.f0, r.T), jd = voiced_mean(d.jit, d.f0, d.T);
            float hm = voiced_median(r.hnr, r.f0, r.T, &nv);
            printf("cycles: jitter %.0f%% at %.0f Hz: truth %.4f measured (mean) %.4f (openSMILE method %.4f), F0 %.1f, "
                   "logHNR %.1f dB, %d voiced\n",
                   100 * jits[i], f0s[fi], tj, jm, jd, fm, hm, nv);
            CHECK_MSG(fabs(jm - tj) <= 0.002, "cycles: jitter truth %.4f measured %.4f", tj, jm);
            CHECK(nv > 100);
            CHECK(r.T == d.T && memcmp(r.f0, d.f0, sizeof(float) * (size_t)r.T) == 0); /* F0 unchanged */
            CHECK(all_finite(&r));
            result_free(&r);
            result_free(&d);
        }
    /* shimmer 5 %, and exactly periodic trains (no jitter, high HNR) */
    for (int fi = 0; fi < 2; fi++)
        for (int k = 0; k < 2; k++) {
            double tj, ts, shim = k ? 0.05 : 0.0;
            synth(x, n, f0s[fi], 0.0, shim, 11, &tj, &ts);
            result r;
            g_vq = EF_VQ_CYCLES;
            int ok = run(x, n, &r);
            g_vq = EF_VQ_OPENSMILE;
            if (!ok) continue;
            int nv;
            float sm = voiced_mean(r.shim, r.f0, r.T), jm = voiced_mean(r.jit, r.f0, r.T);
            float hm = voiced_median(r.hnr, r.f0, r.T, &nv);
            printf("cycles: shimmer %.0f%% at %.0f Hz: truth %.4f measured (mean) %.4f, jitter %.4f, logHNR %.1f dB, %d "
                   "voiced\n",
                   100 * shim, f0s[fi], ts, sm, jm, hm, nv);
            CHECK_MSG(fabs(sm - ts) <= 0.01, "cycles: shimmer truth %.4f measured %.4f", ts, sm);
            CHECK_MSG(jm < 0.002, "cycles: jitter %.4f without period jitter", jm);
            if (!k) CHECK_MSG(hm > 20.0, "cycles: logHNR %.1f dB on a periodic train", hm);
            CHECK(nv > 100);
            CHECK(all_finite(&r));
            result_free(&r);
        }
    /* HNR from the same cycles: a periodic train plus white noise at a known SNR reads
     * that SNR (Boersma's r / (1 - r) of the cycle-to-cycle correlation) */
    for (int snr = 10; snr <= 20; snr += 10) {
        double tj, ts;
        synth(x, n, 150.0, 0.0, 0.0, 5, &tj, &ts);
        double e = 0.0;
        for (int64_t i = 0; i < n; i++) e += (double)x[i] * x[i];
        const double sd = sqrt(e / n / pow(10.0, snr / 10.0));
        uint64_t s = 99;
        for (int64_t i = 0; i < n; i++) { /* ~Gaussian: sum of 12 uniforms */
            double g = -6.0;
            for (int k = 0; k < 12; k++) g += uniform(&s);
            x[i] += (float)(sd * g);
        }
        result r;
        g_vq = EF_VQ_CYCLES;
        int ok = run(x, n, &r);
        g_vq = EF_VQ_OPENSMILE;
        if (!ok) continue;
        int nv;
        float hm = voiced_median(r.hnr, r.f0, r.T, &nv);
        printf("cycles: SNR %d dB at 150 Hz: logHNR median %.1f dB, %d voiced\n", snr, hm, nv);
        CHECK_MSG(fabs(hm - snr) <= 3.0, "cycles: logHNR %.1f dB at SNR %d dB", hm, snr);
        CHECK(nv > 100);
        CHECK(all_finite(&r));
        result_free(&r);
    }
    /* for information: the opening-anchored trains of test_jitter_shimmer, whose
     * closure-to-closure intervals mix neighbouring periods (0.44 T_i + 0.56 T_{i+1}) */
    g_gci = 0;
    for (int fi = 0; fi < 2; fi++)
        for (int i = 0; i < 2; i++) {
            double tj, ts;
            synth(x, n, f0s[fi], jits[i], 0.0, 7 + i, &tj, &ts);
            result r;
            g_vq = EF_VQ_CYCLES;
            int ok = run(x, n, &r);
            g_vq = EF_VQ_OPENSMILE;
            if (!ok) continue;
            printf("cycles, opening-anchored train: jitter %.0f%% at %.0f Hz: truth %.4f measured (mean) %.4f\n",
                   100 * jits[i], f0s[fi], tj, voiced_mean(r.jit, r.f0, r.T));
            CHECK(all_finite(&r));
            result_free(&r);
        }
    /* other sample rates: the marks' precision is in samples, so 8 kHz is the hardest */
    g_gci = 1;
    const int rates[] = {8000, 44100};
    for (int i = 0; i < 2; i++) {
        g_rate = rates[i];
        int64_t m = (int64_t)(DUR * g_rate);
        float *y = malloc(sizeof(float) * (size_t)m);
        double tj, ts;
        synth(y, m, 170.0, 0.01, 0.0, 13, &tj, &ts);
        result r;
        g_vq = EF_VQ_CYCLES;
        if (run(y, m, &r)) {
            float jm = voiced_mean(r.jit, r.f0, r.T);
            printf("cycles: %d Hz, jitter 1%% at 170 Hz: truth %.4f measured (mean) %.4f\n", g_rate, tj, jm);
            CHECK_MSG(fabs(jm - tj) <= 0.002, "cycles at %d Hz: jitter truth %.4f measured %.4f", g_rate, tj, jm);
            CHECK(all_finite(&r));
            result_free(&r);
        }
        g_vq = EF_VQ_OPENSMILE;
        free(y);
    }
    g_rate = RATE;
    g_gci = 0;
    /* silence, noise, corrupt samples: unvoiced frames 0 / 0 / -100, never NaN */
    g_vq = EF_VQ_CYCLES;
    result r;
    for (int64_t i = 0; i < n; i++) x[i] = 0.0f;
    if (run(x, n, &r)) {
        check_unvoiced("cycles: all zeros", &r);
        result_free(&r);
    }
    uint64_t s = 3;
    for (int64_t i = 0; i < n; i++) x[i] = (float)(0.5 * (uniform(&s) - 0.5));
    if (run(x, n, &r)) {
        CHECK_MSG(all_finite(&r), "cycles: white noise NaN/Inf");
        result_free(&r);
    }
    {
        double tj, ts;
        synth(x, n, 150.0, 0.01, 0.03, 5, &tj, &ts);
        x[4000] = NAN;
        x[8000] = INFINITY;
        x[8001] = -INFINITY;
        if (run(x, n, &r)) {
            CHECK_MSG(all_finite(&r), "cycles: corrupt samples gave NaN/Inf");
            result_free(&r);
        }
    }
    g_vq = EF_VQ_OPENSMILE;
    /* the parameter is validated */
    ef_lld_params p = ef_lld_default_params();
    CHECK(p.voice_quality == EF_VQ_OPENSMILE);
    p.voice_quality = 7;
    ef_error err;
    CHECK(ef_lld_params_check(&p, &err) == EF_ERR_ARG && strstr(err.msg, "voice_quality") != NULL);
    free(x);
}

/* The AVX2 cross-correlation (four lags per vector) against the scalar one: every cc
 * bit-identical, for lag ranges from 2 to 250 samples starting at every residue mod 4
 * (each lag's tail past its last group of four is handled separately), on a voice with
 * jitter, shimmer and noise and on plain noise. */
static void test_vq_xcorr_simd_equals_scalar(void)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (ef_isa_level() < EF_ISA_AVX2) {
        printf("SKIP vq xcorr simd: no AVX2 here (or EMOFUSE_CPU=generic): only the scalar path runs\n");
        return;
    }
#endif
    const int64_t n = 2048;
    float *x = malloc(sizeof(float) * (size_t)n);
    double *a = malloc(sizeof(double) * 512), *b = malloc(sizeof(double) * 512);
    double *pq = malloc(sizeof(double) * 2 * 1024);
    int64_t compared = 0, differing = 0;
    for (int sig = 0; sig < 2; sig++) {
        double tj, ts;
        uint64_t seed = 99 + sig;
        if (sig == 0) synth(x, n, 157, 0.02, 0.05, 31, &tj, &ts);
        else memset(x, 0, sizeof(float) * (size_t)n);
        for (int64_t i = 0; i < n; i++) x[i] += (float)(0.02 * (uniform(&seed) - 0.5));
        for (long lmin = 2; lmin <= 200; lmin += 7)
            for (long extra = 0; extra <= 50; extra += 5) {
                long lmax = lmin + extra;
                ef_vq_adjacent_xcorr(a, x, lmin, lmax, pq, pq + 2 * lmax + 1, false);
                ef_vq_adjacent_xcorr(b, x, lmin, lmax, pq, pq + 2 * lmax + 1, true);
                for (long L = 0; L <= lmax - lmin; L++) differing += memcmp(&a[L], &b[L], sizeof(double)) != 0;
                compared += lmax - lmin + 1;
            }
    }
    CHECK_MSG(differing == 0, "%lld of %lld AVX2 cross-correlations differ from the scalar ones", (long long)differing,
              (long long)compared);
    printf("vq xcorr simd: %lld correlations bit-identical to the scalar path\n", (long long)compared);
    free(x), free(a), free(b), free(pq);
}

/* The pitch stream fed four frames at a time (ef_pitch_stream_push_n, as the LLD
 * pipeline does) against one at a time: the same rows, and when the spectrum overflows
 * part-way (samples of 1e18 from sample `from` on, at several offsets inside a batch) the
 * same error naming the same frame, with the same rows written before it. */
static void test_stream_batches(void)
{
    const int64_t n = (int64_t)(0.8 * RATE);
    float *x = malloc(sizeof(float) * (size_t)n);
    const int64_t froms[] = {-1, 4000, 4160, 4320, 4480, 4640};
    ef_lld_params p = ef_lld_default_params();
    const int64_t T = ef_pitch_n_frames(&p, n);
    float *ra = calloc((size_t)T * 4, sizeof(float)), *rb = calloc((size_t)T * 4, sizeof(float));
    for (int fi = 0; fi < (int)(sizeof froms / sizeof froms[0]); fi++) {
        double tj, ts;
        synth(x, n, 180, 0.01, 0.02, 5, &tj, &ts);
        if (froms[fi] >= 0)
            for (int64_t i = froms[fi]; i < n; i++) x[i] *= 1e18f;
        ef_error ea = {0}, eb = {0};
        ef_code rca = EF_OK, rcb = EF_OK;
        ef_pitch_stream *a = NULL, *b = NULL;
        CHECK(ef_pitch_stream_create(&a, &p, &ea) == EF_OK && ef_pitch_stream_create(&b, &p, &eb) == EF_OK);
        const int hop = 160;
        for (int64_t t = 0; t < T && !rca; t++) rca = ef_pitch_stream_push(a, x + t * hop, x, 0, n, ra, 4, &ea);
        int64_t t = 0;
        while (t < T && !rcb) {
            const float *fr[EF_SHS_LANES];
            int m = 0, pushed = 0;
            for (; m < EF_SHS_LANES && t + m < T; m++) fr[m] = x + (t + m) * hop;
            rcb = ef_pitch_stream_push_n(b, m, fr, x, 0, n, rb, 4, &pushed, &eb);
            CHECK(pushed == (rcb ? pushed : m));
            t += pushed;
        }
        if (!rca) rca = ef_pitch_stream_finish(a, x, 0, n, ra, 4, &ea);
        if (!rcb) rcb = ef_pitch_stream_finish(b, x, 0, n, rb, 4, &eb);
        CHECK_MSG(rca == rcb && strcmp(ea.msg, eb.msg) == 0, "overflow from %lld: '%s' vs '%s'", (long long)froms[fi],
                  ea.msg, eb.msg);
        CHECK_MSG(memcmp(ra, rb, sizeof(float) * (size_t)T * 4) == 0, "overflow from %lld: rows differ",
                  (long long)froms[fi]);
        CHECK(froms[fi] < 0 ? rca == EF_OK : (rca == EF_ERR_NUMERIC && strstr(ea.msg, "overflows") != NULL));
        if (fi > 0) printf("stream batches: overflow from sample %lld: %s\n", (long long)froms[fi], ea.msg);
        ef_pitch_stream_free(a);
        ef_pitch_stream_free(b);
        memset(ra, 0, sizeof(float) * (size_t)T * 4);
        memset(rb, 0, sizeof(float) * (size_t)T * 4);
    }
    free(ra), free(rb), free(x);
}

int main(void)
{
    test_vq_xcorr_simd_equals_scalar();
    test_stream_batches();
    test_f0();
    test_jitter_shimmer();
    test_silence();
    test_threads();
    test_rates();
    test_cycles();
    g_vq = EF_VQ_CYCLES; /* the cycle method is reentrant too */
    test_threads();
    g_vq = EF_VQ_OPENSMILE;
    return ef_test_exit();
}
