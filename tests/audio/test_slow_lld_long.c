/* One hour of synthetic speech-like audio (harmonic pulse trains with a gliding F0,
 * alternating with near-silence) written as a 16 kHz WAV and run through ef_lld_file:
 * checks the row count, finite output, that voiced stretches are louder than silences,
 * and that peak memory (getrusage ru_maxrss) stays below
 *     RSS before extraction + the (T, 36) output + 8 MiB,
 * i.e. decoding and the pipeline hold nothing proportional to the file but the output:
 * ef_lld_file streams the decoder through the block-wise pipeline (lld.c). Before the
 * block-wise pipeline the hour cost 231.4 MiB (start 3.9 + samples 219.7 + pitch columns
 * 5.5 + ~2.3), which this bound (~94 MiB) rejects.
 * Slow (label "slow"): runs only with EMOFUSE_SLOW_TESTS=1. EMOFUSE_LLD_LONG_SECONDS
 * overrides the duration (default 3600). */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "emofuse/audio.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define SR 16000

/* 2 s voiced (F0 gliding 110-260 Hz, 20 harmonics) then 1 s of faint noise, repeated. */
static void synth_block(float *x, int64_t start, int n, double *phase, uint32_t *rng)
{
    for (int i = 0; i < n; i++) {
        const int64_t s = start + i;
        const double t = (double)s / SR;
        const double cyc = fmod(t, 3.0);
        *rng = *rng * 1664525u + 1013904223u;
        const double noise = ((*rng >> 8) / 16777216.0 - 0.5) * 2e-4;
        if (cyc < 2.0) {
            const double f0 = 185.0 + 75.0 * sin(2 * M_PI * t / 7.0);
            *phase += 2 * M_PI * f0 / SR;
            if (*phase > 2 * M_PI) *phase -= 2 * M_PI;
            double v = 0;
            for (int h = 1; h <= 20; h++) v += sin(h * *phase) / h;
            x[i] = (float)(0.15 * v * fmin(1.0, fmin(cyc, 2.0 - cyc) / 0.05) + noise);
        } else {
            x[i] = (float)noise;
        }
    }
}

int main(void)
{
    if (!getenv("EMOFUSE_SLOW_TESTS") || strcmp(getenv("EMOFUSE_SLOW_TESTS"), "1") != 0)
        ef_test_skip("slow test: set EMOFUSE_SLOW_TESTS=1");
    const char *sec_env = getenv("EMOFUSE_LLD_LONG_SECONDS");
    const int64_t seconds = sec_env ? atoll(sec_env) : 3600;
    const int64_t n = seconds * SR;

    char path[4200];
    snprintf(path, sizeof path, "%s/long.wav", ef_test_tmpdir());
    SF_INFO info = {.samplerate = SR, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    CHECK_MSG(sf != NULL, "%s: %s", path, sf_strerror(NULL));
    if (!sf) return ef_test_exit();
    static float block[SR];
    double phase = 0;
    uint32_t rng = 12345;
    for (int64_t s = 0; s < n; s += SR) {
        const int k = (int)(n - s < SR ? n - s : SR);
        synth_block(block, s, k, &phase, &rng);
        sf_writef_float(sf, block, k);
    }
    sf_close(sf);

    struct rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    printf("peak RSS before extraction: %.1f MiB\n", ru0.ru_maxrss / 1024.0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    const ef_lld_params p = ef_lld_default_params();
    float *x = NULL;
    int64_t T = 0;
    ef_error err = {0};
    ef_code rc = ef_lld_file(&p, path, &x, &T, &err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    CHECK_MSG(rc == EF_OK, "%s", err.msg);
    remove(path);
    if (rc) return ef_test_exit();
    const double wall = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);

    const int64_t want_T = (n - 960) / 160 + 1;
    CHECK_MSG(T == want_T, "T = %lld, expected %lld", (long long)T, (long long)want_T);
    int64_t bad = 0;
    for (int64_t i = 0; i < T * EF_LLD_DIMS; i++) bad += !isfinite(x[i]);
    CHECK_MSG(bad == 0, "%lld non-finite values", (long long)bad);
    /* loudness (column 4) at 1.0 s (voiced) vs 2.5 s (silence) of every 3 s cycle */
    int64_t louder = 0, cycles = 0;
    for (int64_t c = 0; (c * 3 + 3) * 100 < T; c++, cycles++)
        louder += x[(c * 300 + 100) * EF_LLD_DIMS + 4] > 5 * x[(c * 300 + 250) * EF_LLD_DIMS + 4];
    CHECK_MSG(louder == cycles, "voiced louder than silence in %lld of %lld cycles", (long long)louder,
              (long long)cycles);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const double peak_mib = ru.ru_maxrss / 1024.0; /* Linux: KiB */
    /* what the process held before extracting (libraries, the test's own buffers) +
     * the (T, 36) output + 8 MiB. Under AddressSanitizer (its own allocator: realloc
     * always moves, freed blocks stay in quarantine, redzones) only gross growth is
     * checked: twice the output + 16 MiB. */
    const double base_mib = ru0.ru_maxrss / 1024.0;
    const double data_mib = (double)T * EF_LLD_DIMS * 4 / 1048576.0;
    const double limit_mib = SANITIZED ? base_mib + 2.0 * data_mib + 16.0 : base_mib + data_mib + 8.0;
    printf("%lld s of audio: %lld frames in %.2f s (%.0fx real time), peak RSS %.1f MiB (limit %.1f MiB: "
           "start %.1f + output %.1f%s)\n",
           (long long)seconds, (long long)T, wall, seconds / wall, peak_mib, limit_mib, base_mib, data_mib,
           SANITIZED ? ", doubled + 16 (ASan)" : " + 8");
    CHECK_MSG(peak_mib < limit_mib, "peak RSS %.1f MiB exceeds %.1f MiB", peak_mib, limit_mib);
    free(x);
    return ef_test_exit();
}
