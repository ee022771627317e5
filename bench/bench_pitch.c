/* Speed of the pitch / voice-quality stage (columns 0-3 of the LLDs), single thread,
 * per stage: SHS candidates, Viterbi, jitter/shimmer/HNR, and the whole
 * ef_pitch_voice_quality call. Input: FLAC/WAV files given as arguments (16 kHz mono),
 * e.g. bench_pitch ../shared/data/ravdess/Actor_01/ *.flac. Reports seconds of audio
 * per second of compute ("x real time", thread CPU time, plus wall time for the whole
 * stage) and the peak RSS of the process.
 * openSMILE's whole ComParE LLD set runs ~72x real time (docs/acoustic-lld-spec.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <sndfile.h>

#include "audio/pitch.h"

/* CPU time of this thread: on a shared, loaded machine wall time mostly measures the
 * other jobs; the whole-stage line also reports wall time. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static float *decode(const char *path, int64_t *n)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) return NULL;
    if (info.channels != 1 || info.samplerate != 16000) {
        fprintf(stderr, "%s: need 16 kHz mono, skipped\n", path);
        sf_close(sf);
        return NULL;
    }
    float *x = malloc(sizeof(float) * (size_t)(info.frames > 0 ? info.frames : 1));
    *n = sf_readf_float(sf, x, info.frames);
    sf_close(sf);
    return x;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        printf("usage: bench_pitch FILE...   (16 kHz mono audio)\n");
        return argc < 2;
    }
    ef_lld_params p = ef_lld_default_params();
    double audio_s = 0, t_shs = 0, t_vit = 0, t_vq = 0, t_all = 0, w_all = 0;
    int files = 0;
    for (int a = 1; a < argc; a++) {
        int64_t n = 0;
        float *x = decode(argv[a], &n);
        if (!x) continue;
        int64_t T = ef_pitch_n_frames(&p, n);
        if (T <= 0) {
            free(x);
            continue;
        }
        float *f0 = malloc(sizeof(float) * (size_t)T), *j = malloc(sizeof(float) * (size_t)T);
        float *s = malloc(sizeof(float) * (size_t)T), *h = malloc(sizeof(float) * (size_t)T);
        ef_shs_cands *c = malloc(sizeof(*c) * (size_t)T);
        ef_shs *shs = NULL;
        if (ef_shs_create(&shs, &p, NULL) != EF_OK) return 1;
        /* stages separately (as ef_pitch_voice_quality runs them) */
        double t0 = now();
        for (int64_t t = 0; t < T; t++) {
            float rms;
            ef_shs_analyse(shs, x + t * 160, &c[t], &rms);
        }
        double t1 = now();
        ef_pitch_viterbi(f0, c, T, p.voicing_cutoff, NULL);
        double t2 = now();
        ef_voice_quality(j, s, h, x, n, 16000, 160, ef_shs_frame_len(shs), f0, T, NULL);
        double t3 = now(), w3 = wall();
        ef_pitch_voice_quality(&p, x, n, T, f0, j, s, h, NULL);
        double t4 = now();
        w_all += wall() - w3;
        t_shs += t1 - t0;
        t_vit += t2 - t1;
        t_vq += t3 - t2;
        t_all += t4 - t3;
        audio_s += n / 16000.0;
        files++;
        ef_shs_free(shs);
        free(c);
        free(f0);
        free(j);
        free(s);
        free(h);
        free(x);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("files %d, audio %.1f s\n", files, audio_s);
    printf("(CPU time of the thread)\n");
    printf("SHS candidates     %8.3f s  %8.0fx real time\n", t_shs, audio_s / t_shs);
    printf("Viterbi            %8.3f s  %8.0fx real time\n", t_vit, audio_s / t_vit);
    printf("jitter/shimmer/HNR %8.3f s  %8.0fx real time\n", t_vq, audio_s / t_vq);
    printf("whole pitch stage  %8.3f s  %8.0fx real time (single thread)\n", t_all, audio_s / t_all);
    printf("whole pitch stage  %8.3f s  %8.0fx real time (wall clock)\n", w_all, audio_s / w_all);
    printf("peak RSS %ld KiB\n", ru.ru_maxrss);
    return 0;
}
