/* The block-wise LLD pipeline (lld.c) against its whole-signal form: for every signal and
 * block size forced with EMOFUSE_LLD_BLOCK (1, 7, 160, 4097 samples), ef_lld_compute and
 * ef_lld_file must give the same bytes as ef_lld_compute over the whole array (env unset).
 * Signals: harmonic voice with silences and noise, lengths around the frame boundaries
 * (0, 500, 959, 960, 961, 1121, 3333, 16077 samples) and not multiples of any block; both
 * voice-quality methods; files at 16 kHz mono, 44.1 kHz stereo and 48 kHz stereo (the
 * whole-file reference then is ef_audio_load + ef_lld_compute: the same resampled samples).
 * Also: a NaN in a float file is still refused with the decoder's message. */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/audio.h"
#include "testutil.h"

static const char *const BLOCKS[] = {"1", "7", "160", "4097"};
#define NBLOCKS (int)(sizeof BLOCKS / sizeof BLOCKS[0])

/* voiced (gliding F0, 12 harmonics) 0.4 s, silence 0.1 s, noise 0.15 s, repeated */
static void synth(float *x, int64_t n, double rate, uint32_t seed)
{
    double ph = 0;
    for (int64_t i = 0; i < n; i++) {
        const double t = i / rate, c = fmod(t, 0.65);
        seed = seed * 1664525u + 1013904223u;
        const double noise = ((seed >> 8) / 16777216.0 - 0.5);
        double v = 0;
        if (c < 0.4) {
            ph += 2 * M_PI * (140.0 + 60.0 * sin(2 * M_PI * t / 1.3)) / rate;
            for (int h = 1; h <= 12; h++) v += sin(h * ph) / h;
            v = 0.2 * v + 1e-3 * noise;
        } else if (c >= 0.5) {
            v = 0.05 * noise;
        }
        x[i] = (float)v;
    }
}

static bool same(const float *a, int64_t Ta, const float *b, int64_t Tb)
{
    return Ta == Tb && (Ta == 0 || memcmp(a, b, sizeof(float) * (size_t)Ta * EF_LLD_DIMS) == 0);
}

static void check_arrays(void)
{
    static const int64_t lens[] = {0, 500, 959, 960, 961, 1121, 3333, 16077};
    for (int vq = 0; vq < 2; vq++)
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            const int64_t n = lens[li];
            float *sig = malloc(sizeof(float) * (size_t)(n + 1));
            synth(sig, n, 16000, 7u + (uint32_t)li);
            ef_lld_params p = ef_lld_default_params();
            p.voice_quality = vq ? EF_VQ_CYCLES : EF_VQ_OPENSMILE;
            ef_error err = {0};
            float *ref = NULL, *got = NULL;
            int64_t Tr = 0, Tg = 0;
            unsetenv("EMOFUSE_LLD_BLOCK");
            CHECK_MSG(ef_lld_compute(&p, sig, n, &ref, &Tr, &err) == EF_OK, "%s", err.msg);
            CHECK(Tr == (n >= 960 ? (n - 960) / 160 + 1 : 0));
            for (int b = 0; b < NBLOCKS; b++) {
                setenv("EMOFUSE_LLD_BLOCK", BLOCKS[b], 1);
                CHECK_MSG(ef_lld_compute(&p, sig, n, &got, &Tg, &err) == EF_OK, "%s", err.msg);
                CHECK_MSG(same(ref, Tr, got, Tg), "n %lld, vq %d, block %s: rows differ", (long long)n, vq, BLOCKS[b]);
                free(got);
            }
            unsetenv("EMOFUSE_LLD_BLOCK");
            free(ref);
            free(sig);
        }
}

static void write_wav(const char *path, int rate, int ch, int64_t frames, int format)
{
    float *mono = malloc(sizeof(float) * (size_t)frames), *x = malloc(sizeof(float) * (size_t)frames * ch);
    synth(mono, frames, rate, 99u);
    for (int64_t i = 0; i < frames; i++)
        for (int c = 0; c < ch; c++) x[i * ch + c] = mono[i] * (c ? 0.7f : 1.0f);
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = SF_FORMAT_WAV | format};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    CHECK_MSG(sf != NULL, "%s: %s", path, sf_strerror(NULL));
    if (sf) {
        sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
        sf_writef_float(sf, x, frames);
        sf_close(sf);
    }
    free(mono);
    free(x);
}

static void check_files(void)
{
    static const struct { int rate, ch; int64_t frames; } files[] = {
        {16000, 1, 40013}, {44100, 2, 110251}, {48000, 2, 96007}, {44100, 1, 2000}, {16000, 1, 900}};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/blocks%zu.wav", ef_test_tmpdir(), f);
        write_wav(path, files[f].rate, files[f].ch, files[f].frames, SF_FORMAT_PCM_16);
        const ef_lld_params p = ef_lld_default_params();
        ef_error err = {0};
        unsetenv("EMOFUSE_LLD_BLOCK");
        float *s = NULL, *ref = NULL, *got = NULL;
        int64_t n = 0, Tr = 0, Tg = 0;
        CHECK_MSG(ef_audio_load(path, 16000, &s, &n, &err) == EF_OK, "%s", err.msg);
        CHECK_MSG(ef_lld_compute(&p, s, n, &ref, &Tr, &err) == EF_OK, "%s", err.msg);
        CHECK(Tr == (n >= 960 ? (n - 960) / 160 + 1 : 0));
        CHECK_MSG(ef_lld_file(&p, path, &got, &Tg, &err) == EF_OK, "%s", err.msg);
        CHECK_MSG(same(ref, Tr, got, Tg), "%s, default block: rows differ", path);
        free(got);
        for (int b = 0; b < NBLOCKS; b++) {
            setenv("EMOFUSE_LLD_BLOCK", BLOCKS[b], 1);
            CHECK_MSG(ef_lld_file(&p, path, &got, &Tg, &err) == EF_OK, "%s", err.msg);
            CHECK_MSG(same(ref, Tr, got, Tg), "%s, block %s: rows differ", path, BLOCKS[b]);
            free(got);
        }
        unsetenv("EMOFUSE_LLD_BLOCK");
        free(s);
        free(ref);
        remove(path);
    }
}

/* A NaN late in a float file: the decoder's error (naming the file and the sample frame),
 * even though the frames before it were analysed already; no output. */
static void check_nan_file(void)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/blocks_nan.wav", ef_test_tmpdir());
    const int64_t n = 20000;
    float *x = malloc(sizeof(float) * n);
    synth(x, n, 16000, 5u);
    x[17000] = NAN;
    SF_INFO info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    CHECK(sf != NULL);
    if (sf) {
        sf_writef_float(sf, x, n);
        sf_close(sf);
    }
    free(x);
    const ef_lld_params p = ef_lld_default_params();
    ef_error err = {0};
    float *y = NULL;
    int64_t T = 0;
    setenv("EMOFUSE_LLD_BLOCK", "160", 1);
    CHECK(ef_lld_file(&p, path, &y, &T, &err) == EF_ERR_FORMAT && y == NULL && T == 0);
    CHECK_MSG(strstr(err.msg, path) == err.msg && strstr(err.msg, "sample frame 17000 is NaN"), "%s", err.msg);
    unsetenv("EMOFUSE_LLD_BLOCK");
    remove(path);
}

int main(void)
{
    check_arrays();
    check_files();
    check_nan_file();
    return ef_test_exit();
}
