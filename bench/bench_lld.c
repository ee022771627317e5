/* Benchmark of the acoustic front end (decode + 36 LLDs per file, ef_lld_file).
 *
 *   bench_lld corpus MANIFEST [MAX_FILES]   every audio file of a manifest, once on 1 thread
 *                                           and once on all cores (ef_parallel_for over files)
 *   bench_lld long SECONDS DIR             one generated SECONDS-long 16 kHz WAV in DIR
 *   bench_lld wav SECONDS PATH             only write that WAV to PATH (bench/run_lld.sh
 *                                          runs the CLI and openSMILE on it side by side)
 *
 * Prints real-time factors (audio seconds / wall seconds) and the decode-only share.
 * Peak memory comes from /usr/bin/time -v in bench/run_lld.sh (one process per mode).
 * Reference: openSMILE 3.0 with this LLD set runs ~72x real time single-threaded in
 * < 10 MB (documented figure in ../shared/docs/acoustic-lld-spec.md); bench/run_lld.sh
 * measures a real openSMILE build side by side when given SMILE=... SMILE_CONF=... */
#include <math.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "emofuse/audio.h"
#include "emofuse/manifest.h"
#include "emofuse/parallel.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double audio_seconds(const char *path)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) return 0;
    sf_close(sf);
    return info.samplerate > 0 ? (double)info.frames / info.samplerate : 0;
}

typedef struct {
    char **paths;
    int64_t n;
    ef_lld_params p;
    int decode_only;
    atomic_int failures;
    atomic_llong frames;
} job;

static void run_one(void *ctx, int64_t i, int thread)
{
    (void)thread;
    job *j = ctx;
    ef_error err = {0};
    if (j->decode_only) {
        float *x = NULL;
        int64_t n = 0;
        if (ef_audio_load(j->paths[i], j->p.sample_rate, &x, &n, &err)) {
            fprintf(stderr, "error: %s\n", err.msg);
            atomic_fetch_add(&j->failures, 1);
        }
        free(x);
        return;
    }
    float *y = NULL;
    int64_t T = 0;
    if (ef_lld_file(&j->p, j->paths[i], &y, &T, &err)) {
        fprintf(stderr, "error: %s\n", err.msg);
        atomic_fetch_add(&j->failures, 1);
    }
    atomic_fetch_add(&j->frames, T);
    free(y);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Wall seconds of one pass; *cores = CPU seconds / wall seconds actually obtained (on a
 * shared machine this shows whether the extra threads got any CPU). */
static double timed(job *j, int threads, int decode_only, double *cores)
{
    j->decode_only = decode_only;
    const double t0 = now(), c0 = cpu_seconds();
    ef_parallel_for(j->n, threads, run_one, j);
    const double wall = now() - t0;
    if (cores) *cores = (cpu_seconds() - c0) / wall;
    return wall;
}

static int corpus(const char *manifest, int64_t max_files)
{
    ef_manifest *m = NULL;
    ef_error err = {0};
    if (ef_manifest_load(&m, manifest, &err)) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    job j = {.p = ef_lld_default_params()};
    j.n = ef_manifest_rows(m);
    if (max_files > 0 && j.n > max_files) j.n = max_files;
    j.paths = calloc((size_t)j.n, sizeof(char *));
    double secs = 0;
    for (int64_t i = 0; i < j.n; i++) {
        j.paths[i] = ef_manifest_audio_path(m, i);
        secs += audio_seconds(j.paths[i]);
    }
    const int cores = ef_cpu_count();
    double got1 = 0, gotn = 0;
    timed(&j, 1, 0, NULL); /* warm-up: page cache, FFTW plans */
    const double dec1 = timed(&j, 1, 1, NULL);
    const double t1 = timed(&j, 1, 0, &got1);
    const double tn = timed(&j, cores, 0, &gotn);
    printf("corpus: %lld files, %.1f s of audio (%.2f h), %lld frames\n", (long long)j.n, secs, secs / 3600,
           (long long)(atomic_load(&j.frames) / 3));
    printf("  %-28s %9s %12s\n", "run", "wall s", "x real time");
    printf("  %-28s %9.2f %12.0f\n", "decode only, 1 thread", dec1, secs / dec1);
    printf("  %-28s %9.2f %12.0f   (CPU obtained: %.2f cores; %.0fx per CPU-second)\n", "emofuse lld, 1 thread", t1,
           secs / t1, got1, secs / (t1 * got1));
    printf("  %-28s %9.2f %12.0f   (speed-up %.2fx with %d threads; CPU obtained: %.2f cores; %.0fx per CPU-second)\n",
           "emofuse lld, all cores", tn, secs / tn, t1 / tn, cores, gotn, secs / (tn * gotn));
    printf("  %-28s %9s %12.0f   (documented, not run here)\n", "openSMILE 3.0, 1 thread", "-", 72.0);
    printf("  ratio emofuse/openSMILE (1 thread): %.1fx\n", secs / t1 / 72.0);
    for (int64_t i = 0; i < j.n; i++) free(j.paths[i]);
    free(j.paths);
    ef_manifest_free(m);
    return atomic_load(&j.failures) ? 1 : 0;
}

/* Speech-like synthetic audio: 2 s of a harmonic pulse train with gliding F0, 1 s faint noise. */
static void synth(float *x, int64_t start, int n, double *phase, uint32_t *rng)
{
    for (int i = 0; i < n; i++) {
        const double t = (double)(start + i) / 16000.0;
        const double cyc = fmod(t, 3.0);
        *rng = *rng * 1664525u + 1013904223u;
        const double noise = ((*rng >> 8) / 16777216.0 - 0.5) * 2e-3;
        double v = 0;
        if (cyc < 2.0) {
            *phase = fmod(*phase + 2 * M_PI * (185.0 + 75.0 * sin(2 * M_PI * t / 7.0)) / 16000.0, 2 * M_PI);
            for (int h = 1; h <= 20; h++) v += sin(h * *phase) / h;
            v *= 0.15 * fmin(1.0, fmin(cyc, 2.0 - cyc) / 0.05);
        }
        x[i] = (float)(v + noise);
    }
}

/* Writes SECONDS of synth() audio to path as 16 kHz mono 16-bit WAV. */
static int write_synth(const char *path, double seconds)
{
    SF_INFO info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) {
        fprintf(stderr, "error: %s: %s\n", path, sf_strerror(NULL));
        return 1;
    }
    static float block[16000];
    double phase = 0;
    uint32_t rng = 7;
    const int64_t n = (int64_t)(seconds * 16000);
    for (int64_t s = 0; s < n; s += 16000) {
        const int k = (int)(n - s < 16000 ? n - s : 16000);
        synth(block, s, k, &phase, &rng);
        sf_writef_float(sf, block, k);
    }
    sf_close(sf);
    return 0;
}

static int long_file(double seconds, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/bench_lld_long_%d.wav", dir, (int)getpid());
    if (write_synth(path, seconds)) return 1;
    const int64_t n = (int64_t)(seconds * 16000);
    const ef_lld_params p = ef_lld_default_params();
    ef_error err = {0};
    float *x = NULL;
    int64_t T = 0, n_loaded = 0;
    double t0 = now();
    if (ef_audio_load(path, 16000, &x, &n_loaded, &err)) {
        fprintf(stderr, "error: %s\n", err.msg);
        remove(path);
        return 1;
    }
    free(x);
    const double dec = now() - t0;
    t0 = now();
    const double c0 = cpu_seconds();
    const ef_code rc = ef_lld_file(&p, path, &x, &T, &err);
    const double t = now() - t0, cpu = cpu_seconds() - c0;
    remove(path);
    if (rc) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    printf("long file: %.0f s of audio, %lld frames\n", seconds, (long long)T);
    printf("  decode only        %8.2f s  %8.0fx real time\n", dec, seconds / dec);
    printf("  emofuse lld        %8.2f s  %8.0fx real time (1 thread; CPU obtained %.2f cores, %.0fx per CPU-second)\n",
           t, seconds / t, cpu / t, seconds / cpu);
    printf("  samples as float32 %8.1f MB, output (T, 36) %8.1f MB\n", n * 4 / 1e6, T * 36 * 4 / 1e6);
    free(x);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "corpus") == 0) return corpus(argv[2], argc > 3 ? atoll(argv[3]) : 0);
    if (argc >= 4 && strcmp(argv[1], "long") == 0) return long_file(atof(argv[2]), argv[3]);
    if (argc >= 4 && strcmp(argv[1], "wav") == 0) return write_synth(argv[3], atof(argv[2]));
    fprintf(stderr, "usage: bench_lld corpus MANIFEST [MAX_FILES] | bench_lld long SECONDS DIR | bench_lld wav SECONDS PATH\n");
    return 2;
}
