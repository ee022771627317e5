/* Audio decoding and the acoustic front end: 18 openSMILE-compatible low-level
 * descriptors (LLDs) per 10 ms plus their +-2 frame regression deltas = 36 dims.
 * See docs/acoustic-features.md for the algorithms and the differences to openSMILE. */
#ifndef EMOFUSE_AUDIO_H
#define EMOFUSE_AUDIO_H

#include <stdint.h>

#include "emofuse/status.h"

/* Decode WAV/FLAC/OGG/AIFF (anything libsndfile reads) at any rate and channel count,
 * mix to mono (channel mean) and resample to target_rate with libsoxr (high quality).
 * *samples is malloc'ed, values in [-1, 1] (int16 full scale = 32767). An empty file
 * (valid header, no frames) gives *n = 0 and EF_OK with a 1-element buffer to free; a
 * 0-byte file is an error. Memory: the output samples plus a few 4096-frame blocks,
 * bounded by the file's real size whatever its header claims. Refused: a file rate outside
 * EF_AUDIO_MIN_RATE..EF_AUDIO_MAX_RATE Hz, NaN/Inf samples, and a truncated file (fewer
 * frames than a WAV, FLAC, AIFF... header promises; both counts are named).
 * Errors name the path and the cause ("<path>: <cause>"). */
#define EF_AUDIO_MIN_RATE 1000
#define EF_AUDIO_MAX_RATE 384000
ef_code ef_audio_load(const char *path, int target_rate, float **samples, int64_t *n, ef_error *err);

/* Sample formats of caller-decoded PCM (ef_audio_convert). */
enum { EF_PCM_F32 = 0, EF_PCM_S16 = 1 };

/* What ef_audio_load does after decoding, for PCM the caller already holds: frames
 * interleaved frames of `channels` channels at `rate` Hz, float (EF_PCM_F32, values as
 * decoded) or int16 (EF_PCM_S16, v -> v / 32767) -> mono (channel mean) at target_rate
 * (libsoxr, streamed in the same blocks), so a buffer gives exactly the samples of the
 * file it came from. *samples is malloc'ed (never NULL on success; *n may be 0). */
ef_code ef_audio_convert(const void *pcm, int format, int64_t frames, int channels, int rate, int target_rate,
                         float **samples, int64_t *n, ef_error *err);

#define EF_LLD_BASE_DIMS 18
#define EF_LLD_DIMS 36

/* Voice-quality method for jitter, shimmer and logHNR (docs/acoustic-pitch.md, "Two
 * voice-quality methods"): EF_VQ_OPENSMILE reproduces openSMILE's cPitchJitter (the
 * default; compatible with ComParE features); EF_VQ_CYCLES marks individual glottal
 * cycles (waveform matching at the Viterbi F0, sub-sample precision) and measures
 * cycle-to-cycle jitter/shimmer as defined, HNR from the same cycles. F0 is the same. */
enum { EF_VQ_OPENSMILE = 0, EF_VQ_CYCLES = 1 };

typedef struct {
    int sample_rate;          /* 16000: input is resampled to this */
    double frame_step;        /* 0.010 s hop */
    double frame_size;        /* 0.032 s spectral (MFCC, loudness) window */
    double pitch_frame_size;  /* 0.060 s pitch / voice-quality window */
    int smooth_window;        /* 3-frame moving average; 1 = off */
    int delta_window;         /* +-2 frame regression deltas */
    double f0_min, f0_max;    /* 52, 620 Hz SHS search range */
    double voicing_cutoff;    /* 0.70 */
    int n_mel;                /* 26 */
    int n_mfcc;               /* 13 */
    int cep_lifter;           /* 22 */
    int voice_quality;        /* EF_VQ_OPENSMILE (default, 0) or EF_VQ_CYCLES */
} ef_lld_params;

ef_lld_params ef_lld_default_params(void);
/* Check a parameter set; the error names the offending field. */
ef_code ef_lld_params_check(const ef_lld_params *p, ef_error *err);

/* Column names, i = 0..35: F0, jitterLocal, shimmerLocal, logHNR, loudness, mfcc1..13,
 * then the same with "_de". */
const char *ef_lld_name(int i);

/* Compute the 36-dim LLD matrix (T, 36), row-major, malloc'ed into *out, for mono
 * samples at p->sample_rate. Fewer samples than one pitch frame gives T = 0 and EF_OK.
 * Frame t starts at sample t * hop. */
ef_code ef_lld_compute(const ef_lld_params *p, const float *samples, int64_t n, float **out, int64_t *T,
                       ef_error *err);

/* load + compute, block by block: the same rows as ef_audio_load + ef_lld_compute, but
 * the decoder is streamed through the pipeline, so memory is the output (T, 36) plus a
 * small sample window, not the samples (EF_VQ_CYCLES keeps the open voiced run's).
 * Errors of the analysis are prefixed with the path; nothing is returned on error.
 * EMOFUSE_LLD_BLOCK=N (samples) forces N-sample blocks here and in ef_lld_compute (for
 * tests; the output does not depend on N). */
ef_code ef_lld_file(const ef_lld_params *p, const char *path, float **out, int64_t *T, ef_error *err);

#endif
