/* ef_audio_load on files written with libsndfile into a temporary directory: WAV, FLAC,
 * OGG/Vorbis and AIFF at 8 / 16 / 44.1 / 48 kHz, mono and stereo -> correct length at
 * 16 kHz and a sine's frequency preserved (spectral peak); exact int16/32767 scaling;
 * channel mean; a header-only file (n = 0), a file shorter than one frame, all zeros and
 * clipped input through the LLD pipeline (finite output); 0-byte, garbage, truncated and
 * missing files -> an error naming the file; a FLAC whose header claims 2^36 - 1 frames
 * (a corrupt STREAMINFO) is refused as truncated instead of failing with "out of memory"
 * (the header's count is only trusted up to what the file size allows); a truncated WAV,
 * out-of-range header sample rates and overflowing amplitudes are refused. */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/fft.h"
#include "emofuse/audio.h"
#include "testutil.h"

static char tmp[4096];

static const char *tpath(const char *name)
{
    static char buf[8][4200];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 4200, "%s/%s", tmp, name);
    return p;
}

/* Write `frames` frames of ch channels; channel c carries amp[c] * sin(2 pi f t). */
static void write_sine(const char *path, int format, int rate, int ch, double f, const double *amp, int64_t frames)
{
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = format};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    CHECK_MSG(sf != NULL, "%s: %s", path, sf_strerror(NULL));
    if (!sf) return;
    float *buf = malloc(sizeof(float) * (size_t)(frames > 0 ? frames : 1) * ch);
    for (int64_t i = 0; i < frames; i++)
        for (int c = 0; c < ch; c++) buf[i * ch + c] = (float)(amp[c] * sin(2 * M_PI * f * i / rate));
    if (frames > 0) CHECK(sf_writef_float(sf, buf, frames) == frames);
    sf_close(sf);
    free(buf);
}

/* Frequency of the largest FFT peak over 8192 samples from the middle of x (16 kHz). */
static double peak_hz(const float *x, int64_t n)
{
    const int N = 8192;
    if (n < N) return -1;
    fftwf_plan plan;
    ef_error err = {0};
    if (ef_fft_r2c_plan(N, &plan, &err)) return -1;
    float *in = fftwf_malloc(sizeof(float) * N);
    fftwf_complex *out = fftwf_malloc(sizeof(fftwf_complex) * (N / 2 + 1));
    const int64_t off = (n - N) / 2;
    for (int i = 0; i < N; i++) in[i] = x[off + i] * (float)(0.5 - 0.5 * cos(2 * M_PI * i / N));
    fftwf_execute_dft_r2c(plan, in, out);
    int best = 1;
    double bm = 0;
    for (int k = 1; k <= N / 2; k++) {
        const double m = out[k][0] * out[k][0] + out[k][1] * out[k][1];
        if (m > bm) {
            bm = m;
            best = k;
        }
    }
    fftwf_free(in);
    fftwf_free(out);
    return best * 16000.0 / N;
}

static void check_format(const char *name, int format, int rate, int ch, double f, const double *amp,
                         double seconds, double expect_amp)
{
    const char *path = tpath(name);
    const int64_t frames = (int64_t)llround(seconds * rate);
    write_sine(path, format, rate, ch, f, amp, frames);
    float *x = NULL;
    int64_t n = -1;
    ef_error err = {0};
    ef_code rc = ef_audio_load(path, 16000, &x, &n, &err);
    CHECK_MSG(rc == EF_OK, "%s", err.msg);
    if (rc) return;
    const int64_t want = (int64_t)llround(seconds * 16000);
    CHECK_MSG(llabs(n - want) <= 2, "%s: %lld samples, expected %lld", name, (long long)n, (long long)want);
    const double pk = peak_hz(x, n);
    CHECK_MSG(fabs(pk - f) < 4.0, "%s: peak at %.1f Hz, expected %.1f", name, pk, f);
    /* amplitude of the mono mix in the middle (away from resampler edges) */
    double mx = 0;
    for (int64_t i = n / 4; i < 3 * n / 4; i++) mx = fmax(mx, fabs(x[i]));
    CHECK_MSG(fabs(mx - expect_amp) < 0.02 * expect_amp + 2e-3, "%s: amplitude %.4f, expected %.4f", name, mx,
              expect_amp);
    free(x);
}

static void test_formats(void)
{
    const double mono[1] = {0.5}, st[2] = {0.6, 0.2};
    check_format("a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 440.0, mono, 1.0, 0.5);
    check_format("b.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 8000, 1, 1000.0, mono, 1.5, 0.5);
    check_format("c.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 44100, 2, 700.0, st, 1.2, 0.4);
    check_format("d.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 48000, 2, 1500.0, st, 1.0, 0.4);
    check_format("e.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 44100, 2, 3000.0, st, 0.8, 0.4);
}

static void test_int16_scaling(void)
{
    /* int16 v must come out as v / 32767 (openSMILE's scaling), including the extremes */
    const char *path = tpath("scale.wav");
    SF_INFO info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    short v[5] = {0, 1, -1, 32767, -32768};
    CHECK(sf && sf_write_short(sf, v, 5) == 5);
    sf_close(sf);
    float *x = NULL;
    int64_t n = 0;
    ef_error err = {0};
    CHECK(ef_audio_load(path, 16000, &x, &n, &err) == EF_OK && n == 5);
    if (x && n == 5) {
        for (int i = 0; i < 5; i++) CHECK_MSG(x[i] == (float)(v[i] / 32767.0), "sample %d = %.9g", i, x[i]);
    }
    free(x);
}

static void run_lld(const char *what, const float *x, int64_t n, int64_t expect_T)
{
    ef_lld_params p = ef_lld_default_params();
    float *y = NULL;
    int64_t T = -1;
    ef_error err = {0};
    ef_code rc = ef_lld_compute(&p, x, n, &y, &T, &err);
    CHECK_MSG(rc == EF_OK, "%s: %s", what, err.msg);
    CHECK_MSG(T == expect_T, "%s: T = %lld, expected %lld", what, (long long)T, (long long)expect_T);
    int bad = 0;
    for (int64_t i = 0; i < T * EF_LLD_DIMS; i++) bad += !isfinite(y[i]);
    CHECK_MSG(bad == 0, "%s: %d non-finite values", what, bad);
    free(y);
}

static void test_edge_signals(void)
{
    ef_error err = {0};
    float *x = NULL;
    int64_t n = -1;
    /* header only: a valid file with zero frames */
    const double a[1] = {0.5};
    write_sine(tpath("empty.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 100, a, 0);
    CHECK(ef_audio_load(tpath("empty.wav"), 16000, &x, &n, &err) == EF_OK);
    CHECK(n == 0 && x != NULL);
    run_lld("empty", x, n, 0);
    free(x);
    /* resampled header-only file (libsndfile writes no header at all for a frameless FLAC,
     * which is then a 0-byte file and an error, so use AIFF) */
    write_sine(tpath("empty48.aiff"), SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 48000, 2, 100, (double[]){0.5, 0.5}, 0);
    CHECK(ef_audio_load(tpath("empty48.aiff"), 16000, &x, &n, &err) == EF_OK && n == 0);
    free(x);

    /* shorter than one (60 ms) frame: 900 samples */
    write_sine(tpath("short.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 300, a, 900);
    CHECK(ef_audio_load(tpath("short.wav"), 16000, &x, &n, &err) == EF_OK && n == 900);
    run_lld("short", x, n, 0);
    free(x);
    /* exactly one frame */
    float one[960] = {0};
    run_lld("one frame", one, 960, 1);

    /* all zeros, 1 s: silence floors, no NaN/Inf; rows = (16000 - 960) / 160 + 1 */
    const double z[1] = {0.0};
    write_sine(tpath("zeros.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 300, z, 16000);
    CHECK(ef_audio_load(tpath("zeros.wav"), 16000, &x, &n, &err) == EF_OK && n == 16000);
    run_lld("zeros", x, n, 95);
    free(x);

    /* clipped: amplitude 3 written to PCM_16 with clipping -> square-ish wave at full scale */
    SF_INFO info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(tpath("clip.wav"), SFM_WRITE, &info);
    CHECK(sf != NULL);
    sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    float buf[16000];
    for (int i = 0; i < 16000; i++) buf[i] = (float)(3.0 * sin(2 * M_PI * 200 * i / 16000.0));
    sf_writef_float(sf, buf, 16000);
    sf_close(sf);
    CHECK(ef_audio_load(tpath("clip.wav"), 16000, &x, &n, &err) == EF_OK && n == 16000);
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < n; i++) {
        lo = fminf(lo, x[i]);
        hi = fmaxf(hi, x[i]);
    }
    CHECK_MSG(hi <= 1.0f && hi > 0.999f && lo >= -1.0001f && lo < -0.999f, "clipped range [%g, %g]", lo, hi);
    run_lld("clipped", x, n, 95);
    free(x);
}

static void expect_error(const char *path, const char *cause)
{
    float *x = (float *)1;
    int64_t n = -1;
    ef_error err = {0};
    ef_code rc = ef_audio_load(path, 16000, &x, &n, &err);
    CHECK_MSG(rc != EF_OK, "%s: loaded", path);
    CHECK(x == NULL && n == 0);
    CHECK_MSG(strncmp(err.msg, path, strlen(path)) == 0 && err.msg[strlen(path)] == ':',
              "error does not start with the path: '%s'", err.msg);
    CHECK_MSG(strstr(err.msg, cause) != NULL, "error '%s' lacks '%s'", err.msg, cause);
    CHECK(strchr(err.msg, '\n') == NULL);
}

static void test_errors(void)
{
    FILE *f = fopen(tpath("zero.wav"), "wb");
    fclose(f);
    expect_error(tpath("zero.wav"), "empty file");
    f = fopen(tpath("garbage.flac"), "wb");
    for (int i = 0; i < 5000; i++) fputc((i * 7919) & 0xff, f);
    fclose(f);
    expect_error(tpath("garbage.flac"), "");
    expect_error(tpath("does-not-exist.wav"), "No such file");
    /* a FLAC cut in the middle of its frames: the decoder loses sync -> error, not silence */
    const double amp[1] = {0.5};
    write_sine(tpath("cut.flac"), SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1, 440.0, amp, 32000);
    f = fopen(tpath("cut.flac"), "rb");
    static unsigned char bytes[1 << 17];
    const size_t len = f ? fread(bytes, 1, sizeof bytes, f) : 0;
    if (f) fclose(f);
    CHECK(len > 1000);
    f = fopen(tpath("cut.flac"), "wb");
    fwrite(bytes, 1, len / 2, f);
    fclose(f);
    expect_error(tpath("cut.flac"), "decoding failed");
    expect_error(tmp, "directory");

    /* ef_lld_file prefixes nothing twice: the message still starts with the path */
    ef_lld_params p = ef_lld_default_params();
    float *y = NULL;
    int64_t T = 0;
    ef_error err = {0};
    CHECK(ef_lld_file(&p, tpath("garbage.flac"), &y, &T, &err) != EF_OK);
    CHECK_MSG(strncmp(err.msg, tpath("garbage.flac"), strlen(tpath("garbage.flac"))) == 0, "%s", err.msg);
}

/* FLAC STREAMINFO says 2^36 - 1 frames: the decoder must not try to pre-allocate them. */
static void test_lying_header(void)
{
    const double amp[1] = {0.4};
    const char *good = tpath("honest.flac"), *bad = tpath("lying.flac");
    write_sine(good, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1, 200.0, amp, 8000);
    FILE *fp = fopen(good, "rb");
    CHECK(fp != NULL);
    if (!fp) return;
    unsigned char buf[1 << 16];
    size_t sz = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    CHECK(sz > 42 && sz < sizeof buf && memcmp(buf, "fLaC", 4) == 0 && (buf[4] & 0x7f) == 0);
    if (sz <= 42) return;
    /* STREAMINFO body at byte 8; total samples = low 36 bits of bytes 21..25 */
    buf[21] |= 0x0f;
    memset(buf + 22, 0xff, 4);
    fp = fopen(bad, "wb");
    CHECK(fp != NULL && fwrite(buf, 1, sz, fp) == sz);
    if (fp) fclose(fp);
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(bad, SFM_READ, &info);
    CHECK_MSG(sf && info.frames == ((sf_count_t)1 << 36) - 1, "libsndfile reads %lld frames from the patched header",
              (long long)info.frames);
    if (sf) sf_close(sf);
    float *x = NULL, *y = NULL;
    int64_t nx = 0, ny = 0;
    ef_error err = {0};
    CHECK(ef_audio_load(good, 16000, &x, &nx, &err) == EF_OK);
    /* It used to decode to the 8000 real frames; a header promising more than the file
     * holds is now refused as truncated, naming both counts (and without trying to
     * allocate 2^36 samples). */
    ef_code rc = ef_audio_load(bad, 16000, &y, &ny, &err);
    CHECK_MSG(rc == EF_ERR_FORMAT && strstr(err.msg, "truncated") && strstr(err.msg, "68719476735") &&
                  strstr(err.msg, "8000") && strstr(err.msg, bad) && y == NULL,
              "lying header: %s", err.msg);
    CHECK(nx == 8000);
    free(x);
    free(y);
}

/* Patch 4 little-endian bytes of a file at off. */
static void patch_u32(const char *path, long off, uint32_t v)
{
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (!f) return;
    unsigned char b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
    CHECK(fseek(f, off, SEEK_SET) == 0 && fwrite(b, 1, 4, f) == 4);
    fclose(f);
}

/* Issue 11: a truncated WAV (libsndfile silently shortens its data chunk), header sample
 * rates of 0, 1 and 500 kHz (1 Hz once made a 32 KB file 1.5 GB), and finite samples so
 * large that the spectra overflow (they came out as all-zero "silence" with EF_OK). */
static void test_hostile_headers(void)
{
    const double amp[1] = {0.5};
    write_sine(tpath("full.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 200.0, amp, 16000);
    FILE *f = fopen(tpath("full.wav"), "rb");
    static unsigned char bytes[40000];
    const size_t len = f ? fread(bytes, 1, sizeof bytes, f) : 0;
    if (f) fclose(f);
    CHECK(len == 44 + 32000);
    f = fopen(tpath("cut.wav"), "wb");
    CHECK(f && fwrite(bytes, 1, 44 + 16000, f) == 44 + 16000);
    if (f) fclose(f);
    expect_error(tpath("cut.wav"), "truncated: the header promises 16000 sample frames, the file holds 8000");

    const uint32_t rates[3] = {0, 1, 500000};
    const char *names[3] = {"sr0.wav", "sr1.wav", "sr500k.wav"};
    for (int i = 0; i < 3; i++) {
        f = fopen(tpath(names[i]), "wb");
        CHECK(f && fwrite(bytes, 1, len, f) == len);
        if (f) fclose(f);
        patch_u32(tpath(names[i]), 24, rates[i]);
        patch_u32(tpath(names[i]), 28, rates[i] * 2); /* byte rate */
        expect_error(tpath(names[i]), "outside the supported 1000..384000 Hz");
    }

    /* float samples of 1e25 (and 1e18, where only the squared spectra overflow) */
    const double scales[2] = {1e25, 1e18};
    for (int i = 0; i < 2; i++) {
        write_sine(tpath("huge.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 1, 200.0, &scales[i], 16000);
        float *x = NULL;
        int64_t n = 0, T = 0;
        ef_error err = {0};
        CHECK(ef_audio_load(tpath("huge.wav"), 16000, &x, &n, &err) == EF_OK && n == 16000);
        free(x);
        ef_lld_params p = ef_lld_default_params();
        ef_code rc = ef_lld_file(&p, tpath("huge.wav"), &x, &T, &err);
        CHECK_MSG(rc == EF_ERR_NUMERIC && strstr(err.msg, "overflows") && strstr(err.msg, "huge.wav"),
                  "amplitude %g: rc %d '%s'", scales[i], rc, err.msg);
        free(x);
    }
    /* ... while 1e3 (loud, but far from overflow) still works */
    const double loud[1] = {1e3};
    write_sine(tpath("loud.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 1, 200.0, loud, 16000);
    float *y = NULL;
    int64_t T = 0;
    ef_error err = {0};
    ef_lld_params p = ef_lld_default_params();
    CHECK_MSG(ef_lld_file(&p, tpath("loud.wav"), &y, &T, &err) == EF_OK && T == 95, "%s", err.msg);
    free(y);
    /* NaN samples handed to ef_lld_compute directly are refused too */
    float z[2000] = {0};
    z[1500] = NAN;
    CHECK(ef_lld_compute(&p, z, 2000, &y, &T, &err) == EF_ERR_NUMERIC && strstr(err.msg, "sample 1500"));
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "%s", ef_test_tmpdir());
    test_formats();
    test_int16_scaling();
    test_edge_signals();
    test_errors();
    test_lying_header();
    test_hostile_headers();
    return ef_test_exit();
}
