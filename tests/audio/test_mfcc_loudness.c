/* Spectral stage against the independent numpy reference (tests/reference/
 * lld_spectral_reference.py -> tests/fixtures/audio/spectral_*.f32): mel filterbank
 * weights, DCT + lifter, loudness, whole-frame MFCC/loudness from samples, smoothing and
 * deltas, and the same columns through ef_lld_compute. Also the zero-skipping rule. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/lld_internal.h"
#include "testutil.h"

static float *load_f32(const char *name, size_t expect)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/audio/%s", ef_test_fixtures_dir(), name);
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f) return NULL;
    float *x = malloc(sizeof(float) * (expect + 1));
    size_t got = fread(x, sizeof(float), expect + 1, f);
    fclose(f);
    CHECK_MSG(got == expect, "%s: %zu floats, expected %zu", name, got, expect);
    if (got != expect) {
        free(x);
        return NULL;
    }
    return x;
}

enum { NSIG = 5600, NF = 30, NBIN = 257, NMEL = 26 };

static void test_melbank(void)
{
    float *ref = load_f32("spectral_melbank.f32", NBIN * NMEL);
    if (!ref) return;
    ef_melbank mb;
    ef_error err = {0};
    CHECK(ef_melbank_init(&mb, NMEL, 20.0, 8000.0, 512, 16000, &err) == EF_OK);
    float *dense = calloc(NBIN * NMEL, sizeof(float));
    for (int k = mb.bin_lo; k < mb.bin_hi; k++) {
        const int b = mb.band[k];
        if (b < 0) continue;
        if (b < NMEL) dense[k * NMEL + b] = mb.weight[k];
        if (b >= 1) dense[k * NMEL + b - 1] = 1.0f - mb.weight[k];
    }
    CHECK(mb.bin_lo == 2 && mb.bin_hi == 256);
    CHECK(ef_test_close("melbank", dense, ref, NBIN * NMEL, 1e-6, 0));
    /* first/last band centres: mel-spaced 20-8000 Hz (values from numpy) */
    CHECK(fabs(mb.centre_hz[0] - 89.61154) < 1e-3 && fabs(mb.centre_hz[NMEL - 1] - 7233.01475) < 1e-3);
    ef_melbank_free(&mb);
    free(dense);
    free(ref);
}

static void test_mfcc_and_loudness_from_mel(void)
{
    float *mel = load_f32("spectral_mel.f32", NF * NMEL);
    float *raw = load_f32("spectral_raw.f32", NF * 14);
    if (!mel || !raw) return;
    ef_error err = {0};
    ef_mfcc m;
    ef_melbank mb;
    ef_loudness l;
    CHECK(ef_mfcc_init(&m, NMEL, 13, 22, &err) == EF_OK);
    CHECK(ef_melbank_init(&mb, NMEL, 20.0, 8000.0, 512, 16000, &err) == EF_OK);
    CHECK(ef_loudness_init(&l, &mb, &err) == EF_OK);
    float got[NF * 14], want[NF * 14];
    for (int t = 0; t < NF; t++) {
        double md[NMEL];
        for (int b = 0; b < NMEL; b++) md[b] = mel[t * NMEL + b];
        got[t * 14] = ef_loudness_apply(&l, md);
        ef_mfcc_apply(&m, md, &got[t * 14 + 1]);
        memcpy(&want[t * 14], &raw[t * 14], sizeof(float) * 14);
    }
    /* inputs are the reference's float32-rounded mel powers: agreement is to float precision */
    float gl[NF], wl[NF];
    for (int t = 0; t < NF; t++) {
        gl[t] = got[t * 14];
        wl[t] = want[t * 14];
    }
    CHECK(ef_test_close("loudness(mel)", gl, wl, NF, 1e-9, 1e-5));
    CHECK(ef_test_close("mfcc(mel)", got, want, NF * 14, 2e-4, 1e-5));
    ef_mfcc_free(&m);
    ef_loudness_free(&l);
    ef_melbank_free(&mb);
    free(mel);
    free(raw);
}

static void test_frames_from_samples(void)
{
    float *sig = load_f32("spectral_signal.f32", NSIG);
    float *raw = load_f32("spectral_raw.f32", NF * 14);
    float *post = load_f32("spectral_post.f32", NF * 28);
    if (!sig || !raw || !post) return;
    ef_lld_params p = ef_lld_default_params();
    ef_error err = {0};
    ef_spectral sp;
    CHECK(ef_spectral_init(&sp, &p, &err) == EF_OK);
    CHECK(sp.frame_len == 512 && sp.nfft == 512);
    float got[NF * 14];
    for (int t = 0; t < NF; t++) ef_spectral_frame(&sp, sig + t * 160, &got[t * 14], &got[t * 14 + 1]);
    ef_spectral_free(&sp);
    /* float FFT vs double numpy: MFCCs to ~1e-3 absolute (values ~1..30), loudness 1e-4 rel */
    CHECK(ef_test_close("raw frames", got, raw, NF * 14, 2e-3, 2e-4));

    /* smoothing + deltas on the reference's raw values */
    float buf[NF * 28];
    for (int t = 0; t < NF; t++) memcpy(&buf[t * 28], &raw[t * 14], sizeof(float) * 14);
    CHECK(ef_lld_smooth(buf, NF, 28, 14, NULL, 3, &err) == EF_OK);
    ef_lld_delta(buf, NF, 28, 0, 14, 14, 2);
    CHECK(ef_test_close("smooth+delta", buf, post, NF * 28, 1e-4, 1e-5));

    /* the whole pipeline: columns 4-17 and 22-35 of ef_lld_compute */
    float *x = NULL;
    int64_t T = 0;
    CHECK(ef_lld_compute(&p, sig, NSIG, &x, &T, &err) == EF_OK);
    CHECK_MSG(T == NF, "T = %lld, expected %d", (long long)T, NF);
    if (x && T == NF) {
        float a[NF * 28];
        for (int t = 0; t < NF; t++) {
            memcpy(&a[t * 28], &x[t * EF_LLD_DIMS + 4], sizeof(float) * 14);
            memcpy(&a[t * 28 + 14], &x[t * EF_LLD_DIMS + 22], sizeof(float) * 14);
        }
        CHECK(ef_test_close("ef_lld_compute spectral columns", a, post, NF * 28, 2e-3, 2e-4));
    }
    free(x);
    free(sig);
    free(raw);
    free(post);
}

static void test_skip_zero_smoothing(void)
{
    /* column 0 skips zeros (F0-like), column 1 does not (logHNR's -100 is not a zero) */
    float x[6 * 2] = {0, -100, 100, 10, 200, 20, 0, -100, 0, -100, 50, 30};
    const bool skip[2] = {true, false};
    ef_error err = {0};
    CHECK(ef_lld_smooth(x, 6, 2, 2, skip, 3, &err) == EF_OK);
    const float want[6 * 2] = {0,   (-100 - 100 + 10) / 3.0f, 150, (-100 + 10 + 20) / 3.0f, 150,
                               (10 + 20 - 100) / 3.0f, 0, (20 - 100 - 100) / 3.0f, 0, (-100 - 100 + 30) / 3.0f,
                               50, (-100 + 30 + 30) / 3.0f};
    CHECK(ef_test_close("noZero smoothing", x, want, 12, 1e-5, 1e-6));

    /* a ramp: deltas of a line are its slope away from the edges */
    float r[10 * 2];
    for (int t = 0; t < 10; t++) r[t * 2] = 3.0f * t;
    ef_lld_delta(r, 10, 2, 0, 1, 1, 2);
    CHECK(fabsf(r[5 * 2 + 1] - 3.0f) < 1e-6f);
    CHECK(fabsf(r[0 * 2 + 1] - (1 * 3 + 2 * 6) / 10.0f) < 1e-6f); /* edge repeated */
}

static void test_params(void)
{
    ef_error err = {0};
    ef_lld_params p = ef_lld_default_params();
    CHECK(ef_lld_params_check(&p, &err) == EF_OK);
    p.frame_step = 1e-5; /* less than one sample: would divide by a zero hop */
    CHECK(ef_lld_params_check(&p, &err) == EF_ERR_ARG && strncmp(err.msg, "frame_step:", 11) == 0);
    p = ef_lld_default_params();
    p.smooth_window = 4;
    CHECK(ef_lld_params_check(&p, &err) == EF_ERR_ARG && strncmp(err.msg, "smooth_window:", 14) == 0);
    float *x = NULL;
    int64_t T = -1;
    float sig[2000] = {0};
    CHECK(ef_lld_compute(&p, sig, 2000, &x, &T, &err) == EF_ERR_ARG && x == NULL && T == 0);
    /* geometry and row count of the defaults */
    p = ef_lld_default_params();
    const ef_lld_geometry g = ef_lld_geometry_of(&p);
    CHECK(g.hop == 160 && g.frame_len == 512 && g.pitch_len == 960);
    CHECK(ef_lld_n_frames(&g, 959) == 0 && ef_lld_n_frames(&g, 960) == 1 && ef_lld_n_frames(&g, 1119) == 1 &&
          ef_lld_n_frames(&g, 1120) == 2);
    for (int i = 0; i < EF_LLD_DIMS; i++) CHECK(ef_lld_name(i) != NULL);
    CHECK(ef_lld_name(EF_LLD_DIMS) == NULL && strcmp(ef_lld_name(22), "loudness_de") == 0);
}

int main(void)
{
    test_params();
    test_melbank();
    test_mfcc_and_loudness_from_mel();
    test_frames_from_samples();
    test_skip_zero_smoothing();
    return ef_test_exit();
}
