/* libFuzzer target for the audio front end: the input bytes are an audio file (any format
 * libsndfile sniffs: WAV, FLAC, OGG, AIFF, AU, ...), decoded by ef_audio_load (libsndfile,
 * mono mix, libsoxr resampling) and run through ef_lld_compute (SHS pitch + Viterbi,
 * jitter/shimmer/HNR, loudness, MFCC, smoothing, deltas).
 *
 * ef_audio_load takes a path, so each input is put in an anonymous memory file (memfd,
 * opened through /proc/self/fd/N; a private temp file where memfd is missing). Contract
 * checked beyond "no sanitizer report": a failure leaves no buffer and a one-line message,
 * a success gives finite samples, exactly ef_lld_n_frames rows and finite features;
 * anything else abort()s. See fuzz/README.md for the build line and seeds. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "audio/lld_internal.h"
#include "emofuse/audio.h"

static char path[64];
static int fd = -1;

/* (Re)fill the file behind `path` with the input; 0 on failure. */
static int put_input(const uint8_t *data, size_t size)
{
    if (fd < 0) {
#ifdef MFD_CLOEXEC
        fd = memfd_create("fuzz-audio", MFD_CLOEXEC);
        if (fd >= 0) snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
#endif
        if (fd < 0) {
            snprintf(path, sizeof path, "/tmp/fuzz-audio-%d.bin", (int)getpid());
            fd = -2; /* temp file, rewritten each time */
        }
    }
    if (fd >= 0) {
        if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) return 0;
        size_t off = 0;
        while (off < size) {
            ssize_t w = write(fd, data + off, size - off);
            if (w <= 0) return 0;
            off += (size_t)w;
        }
        return 1;
    }
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    size_t w = fwrite(data, 1, size, fp);
    return fclose(fp) == 0 && w == size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!put_input(data, size)) return 0;
    ef_lld_params p = ef_lld_default_params();
    ef_error err = {0};
    float *x = NULL;
    int64_t n = -1;
    ef_code rc = ef_audio_load(path, p.sample_rate, &x, &n, &err);
    if (rc != EF_OK) {
        if (x || n != 0 || !err.msg[0] || strchr(err.msg, '\n')) abort();
        return 0;
    }
    if (!x || n < 0) abort();
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) abort();
    /* cap the work per input: a tiny compressed file can decode to minutes of samples */
    if (n > 16000 * 60) n = 16000 * 60;

    float *out = NULL;
    int64_t T = -1;
    rc = ef_lld_compute(&p, x, n, &out, &T, &err);
    if (rc != EF_OK) {
        /* a decoded, finite signal must always give features */
        fprintf(stderr, "ef_lld_compute failed on %lld samples: %s\n", (long long)n, err.msg);
        abort();
    }
    const ef_lld_geometry g = ef_lld_geometry_of(&p);
    if (!out || T != ef_lld_n_frames(&g, n)) abort();
    for (int64_t i = 0; i < T * EF_LLD_DIMS; i++)
        if (!isfinite(out[i])) abort();
    free(out);
    free(x);
    return 0;
}
