/* Internal interfaces of the LLD pipeline (lld.c): framing, the spectral stage (mel
 * filterbank, MFCC, loudness) and the contour post-processing (smoothing, deltas).
 * Not a public header. See docs/acoustic-features.md for the algorithms. */
#ifndef EMOFUSE_AUDIO_LLD_INTERNAL_H
#define EMOFUSE_AUDIO_LLD_INTERNAL_H

#include <fftw3.h>
#include <stdbool.h>
#include <stdint.h>

#include "emofuse/audio.h"

/* Frame geometry in samples, derived from the parameters (rounded to whole samples). */
typedef struct {
    int hop;        /* 160 at 16 kHz */
    int frame_len;  /* spectral window, 512 */
    int pitch_len;  /* pitch window, 960 */
} ef_lld_geometry;

ef_lld_geometry ef_lld_geometry_of(const ef_lld_params *p);

/* Number of output rows for n samples: frame t (start t * hop) exists when BOTH its
 * spectral and its pitch window fit, i.e. T = (n - max(frame_len, pitch_len)) / hop + 1,
 * or 0 when n is shorter than one window. With the defaults this is the 60 ms stream. */
int64_t ef_lld_n_frames(const ef_lld_geometry *g, int64_t n);

/* Triangular mel filterbank in "one split per bin" form: adjacent HTK-style triangles
 * overlap by half, so FFT bin k (bin_lo <= k < bin_hi) gives weight[k] of its power to band
 * band[k] (rising slope) and 1 - weight[k] to band[k] - 1 (falling slope); band indices
 * outside [0, n_mel) are dropped. */
typedef struct {
    int n_mel;
    int bin_lo, bin_hi;   /* bins [bin_lo, bin_hi) contribute */
    int *band;            /* (n_bins) */
    float *weight;        /* (n_bins) */
    double *centre_hz;    /* (n_mel) band centre frequencies */
} ef_melbank;

/* Bands equally spaced on the mel scale m = 1127 ln(1 + f / 700) between lo_hz and hi_hz,
 * for an FFT of nfft points at sample_rate. */
ef_code ef_melbank_init(ef_melbank *mb, int n_mel, double lo_hz, double hi_hz, int nfft, int sample_rate,
                        ef_error *err);
void ef_melbank_free(ef_melbank *mb);
/* mel (n_mel) = filterbank applied to power (n_bins = nfft/2 + 1). */
void ef_melbank_apply(const ef_melbank *mb, const float *power, double *mel);

/* MFCC from a mel power spectrum computed on samples in [-1, 1]: HTK scaling (x 32767^2),
 * log(max(., 1)), DCT-II with sqrt(2 / n_mel), lifter 1 + L/2 sin(pi i / L), i = 1..n_mfcc. */
typedef struct {
    int n_mel, n_mfcc;
    double *dct;      /* (n_mfcc, n_mel), lifter and sqrt(2 / n_mel) folded in */
} ef_mfcc;

ef_code ef_mfcc_init(ef_mfcc *m, int n_mel, int n_mfcc, int cep_lifter, ef_error *err);
void ef_mfcc_free(ef_mfcc *m);
void ef_mfcc_apply(const ef_mfcc *m, const double *mel, float *mfcc);

/* Loudness: mean over bands of (max(mel, 9.3e-10) * E(f_centre))^0.33 with the PLP
 * equal-loudness curve E (Hermansky 1990 as used by openSMILE, max 1). */
typedef struct {
    int n_mel;
    double *eql;      /* (n_mel) */
} ef_loudness;

ef_code ef_loudness_init(ef_loudness *l, const ef_melbank *mb, ef_error *err);
void ef_loudness_free(ef_loudness *l);
float ef_loudness_apply(const ef_loudness *l, const double *mel);
/* The equal-loudness weight at frequency f (Hz). */
double ef_equal_loudness_weight(double f_hz);

/* The whole spectral stage for one frame; one context per thread (holds FFT buffers). */
typedef struct {
    int frame_len, nfft, n_bins;
    float *window;          /* (frame_len) Hamming, 0.54 - 0.46 cos(2 pi i / (frame_len - 1)) */
    float *fft_in;          /* (nfft) fftwf_malloc */
    fftwf_complex *fft_out; /* (n_bins) fftwf_malloc */
    float *power;           /* (n_bins) */
    double *mel;            /* (n_mel) */
    fftwf_plan plan;        /* shared, from fft.h */
    ef_melbank mb;
    ef_mfcc mfcc;
    ef_loudness loud;
} ef_spectral;

ef_code ef_spectral_init(ef_spectral *s, const ef_lld_params *p, ef_error *err);
void ef_spectral_free(ef_spectral *s);
/* frame (frame_len samples) -> *loudness and mfcc (n_mfcc). */
/* false (outputs unset) when the frame's power spectrum is not finite (samples far
 * outside [-1, 1]). */
bool ef_spectral_frame(ef_spectral *s, const float *frame, float *loudness, float *mfcc);

/* Moving average over `window` (odd) frames, in place, on columns [0, n_cols) of a
 * row-major (T, stride) matrix; frames beyond either end repeat the edge frame. Columns
 * with skip_zero[c] follow openSMILE's noZeroSma: a 0 stays 0 and zeros are left out of
 * the neighbours' averages (so unvoiced F0 stays 0; logHNR's -100 is NOT skipped). */
ef_code ef_lld_smooth(float *x, int64_t T, int stride, int n_cols, const bool *skip_zero, int window,
                      ef_error *err);

/* Regression deltas over +-W frames, edges repeated:
 * d[t] = sum_{i=1..W} i (x[t+i] - x[t-i]) / (2 sum i^2), reading columns [src, src + n_cols)
 * and writing [dst, dst + n_cols) of the same (T, stride) matrix (ranges must not overlap). */
void ef_lld_delta(float *x, int64_t T, int stride, int src, int dst, int n_cols, int W);

#endif
