/* Internal interface between the LLD pipeline (lld.c) and the pitch / voice-quality
 * stage (pitch.c drives pitch_shs.c, pitch_viterbi.c, voice_quality.c). Not a public
 * header. The stages mirror openSMILE's ComParE_2016 chain (cPitchShs ->
 * cPitchSmootherViterbi -> RMS gate -> cPitchJitter); docs/acoustic-pitch.md has the
 * details and the deliberate differences. */
#ifndef EMOFUSE_AUDIO_PITCH_H
#define EMOFUSE_AUDIO_PITCH_H

#include <stdint.h>

#include "emofuse/audio.h"

/* Per frame t (frame start t * hop, window p->pitch_frame_size), BEFORE the 3-frame
 * smoothing and deltas: F0 in Hz (0 = unvoiced), jitter (local, fraction), shimmer
 * (local, fraction), logHNR (dB, -100 when unvoiced). Arrays have n_frames entries,
 * caller-owned. n_frames is what lld.c decides (aligned with openSMILE's rows); frames
 * reaching past the end of the signal are zero-padded. Thread-safe and reentrant. */
ef_code ef_pitch_voice_quality(const ef_lld_params *p, const float *samples, int64_t n, int64_t n_frames,
                               float *f0, float *jitter, float *shimmer, float *loghnr, ef_error *err);

/* Number of complete pitch windows in n samples: floor((n - len) / hop) + 1, 0 when
 * n < len. openSMILE emits this many F0 rows (plus end-of-input artefacts). */
int64_t ef_pitch_n_frames(const ef_lld_params *p, int64_t n);

/* ---- stage 1: subharmonic summation per frame (pitch_shs.c) ---- */

#define EF_SHS_NCAND 6

/* Candidates of one frame in openSMILE's order (index 0 = best score); unused slots
 * hold f0 = voicing = score = 0. */
typedef struct {
    float f0[EF_SHS_NCAND];      /* Hz, inside [f0_min, f0_max] */
    float voicing[EF_SHS_NCAND]; /* 1 - mean/peak of the SHS spectrum, in [0, 1) */
    float score[EF_SHS_NCAND];   /* interpolated SHS peak height */
    int n;                       /* number of valid candidates */
} ef_shs_cands;

/* Work space of one SHS analyser: tables (window, octave-axis spline, auditory weight)
 * built once per (rate, frame size), buffers reused for every frame. Not shared between
 * threads; create one per call / thread. */
typedef struct ef_shs ef_shs;

ef_code ef_shs_create(ef_shs **out, const ef_lld_params *p, ef_error *err);
void ef_shs_free(ef_shs *s);
/* Samples in one pitch window (960 at 16 kHz / 60 ms). */
int ef_shs_frame_len(const ef_shs *s);
/* Analyse one frame (frame_len samples): Gaussian window, FFT magnitude, octave-scale
 * spectrum, SHS, candidates. *rms = RMS of the windowed frame (for the silence gate). */
void ef_shs_analyse(ef_shs *s, const float *frame, ef_shs_cands *out, float *rms);

/* ---- stage 2: Viterbi smoothing over candidates (pitch_viterbi.c) ---- */

/* Choose one candidate (or unvoiced) per frame with openSMILE's incremental Viterbi
 * (30-frame buffer, forced decisions when paths do not merge). f0 (T) gets the chosen
 * candidate's F0 or 0. Needs 7 * 30 ints + small buffers; returns EF_ERR_NOMEM only. */
ef_code ef_pitch_viterbi(float *f0, const ef_shs_cands *cands, int64_t T, double voicing_cutoff, ef_error *err);

/* ---- stage 3: jitter, shimmer, HNR from the waveform (voice_quality.c) ---- */

/* Streaming period analysis like openSMILE's cPitchJitter: frame t uses f0[t] and the
 * waveform from where frame t-1's last complete period ended. Outputs (T) as in
 * ef_pitch_voice_quality. hop, frame_len in samples. */
ef_code ef_voice_quality(float *jitter, float *shimmer, float *loghnr, const float *x, int64_t n, int rate,
                         int hop, int frame_len, const float *f0, int64_t T, ef_error *err);

#endif
