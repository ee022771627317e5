/* Internal interface between the LLD pipeline (lld.c) and the pitch / voice-quality
 * stage (pitch.c drives pitch_shs.c, pitch_viterbi.c, voice_quality.c or
 * voice_quality_cycles.c). Not a public header. The stages mirror openSMILE's
 * ComParE_2016 chain (cPitchShs -> cPitchSmootherViterbi -> RMS gate -> cPitchJitter);
 * docs/acoustic-pitch.md has the details and the deliberate differences. */
#ifndef EMOFUSE_AUDIO_PITCH_H
#define EMOFUSE_AUDIO_PITCH_H

#include <stdbool.h>
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

/* openSMILE zeroes F0 where the RMS of the Gaussian-windowed 60 ms frame is <= 0.001
 * (cValbasedSelector, samples scaled by 1/32768; ours are scaled by 1/32767): the gate
 * is rms * EF_SHS_OPENSMILE_SCALE > EF_SHS_RMS_GATE. EF_SHS_RMS_GATE_RAW is the same
 * threshold on our rms (ef_shs_analyse computes rms exactly near it). */
#define EF_SHS_RMS_GATE 0.001
#define EF_SHS_OPENSMILE_SCALE (32767.0 / 32768.0)
#define EF_SHS_RMS_GATE_RAW (EF_SHS_RMS_GATE / EF_SHS_OPENSMILE_SCALE)

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
 * spectrum, SHS, candidates. *rms = RMS of the windowed frame (for the silence gate).
 * false (no candidates) when finite samples give a non-finite magnitude spectrum. */
bool ef_shs_analyse(ef_shs *s, const float *frame, ef_shs_cands *out, float *rms);
/* The same for n <= EF_SHS_LANES frames at once (their spline solves, chains of
 * dependent operations, run interleaved); every frame's result is exactly what
 * ef_shs_analyse gives it. Returns the number of leading frames analysed: n, or the index
 * of the first frame whose spectrum overflows (the frames from it on are not analysed). */
#define EF_SHS_LANES 4
int ef_shs_analyse_n(ef_shs *s, int n, const float *const *frames, ef_shs_cands *outs, float *rms);

/* ---- stage 2: Viterbi smoothing over candidates (pitch_viterbi.c) ---- */

#define EF_VIT_NSTATES (EF_SHS_NCAND + 1) /* 6 candidates + unvoiced */
#define EF_VIT_BUFLEN 30                  /* openSMILE's path buffer (frames) */
#define EF_VIT_RING 32                    /* candidate ring: >= BUFLEN + 1, power of two */

/* Streaming form of openSMILE's incremental Viterbi (30-frame path buffer, forced
 * decisions when paths do not merge). Frames are pushed one at a time; a frame is
 * decided at most EF_VIT_BUFLEN - 1 pushes later, so only the last EF_VIT_RING frames'
 * candidates are kept: memory is O(1) in the file length (about 4 KiB, no allocation).
 * Plain data, caller-owned (stack is fine); one per analysis. */
typedef struct {
    double cost[EF_VIT_NSTATES];
    int paths[2][EF_VIT_NSTATES][EF_VIT_BUFLEN]; /* best path into each state, ring by frame % BUFLEN */
    int pb;                                      /* current half of paths */
    int64_t pushed;                              /* frames pushed so far */
    int64_t decided;                             /* frames [0, decided) are decided */
    double last_change, cutoff;                  /* openSMILE's running "lastChange"; voicing cutoff */
    ef_shs_cands ring[EF_VIT_RING];              /* candidates of frame k at k % EF_VIT_RING */
    int8_t state[EF_VIT_RING];                   /* chosen state of decided frame k (6 = unvoiced) */
} ef_viterbi;

void ef_viterbi_init(ef_viterbi *v, double voicing_cutoff);
/* Add the next frame's candidates; returns the number of decided frames (frames
 * [0, return) are decided; it never decreases). */
int64_t ef_viterbi_push(ef_viterbi *v, const ef_shs_cands *c);
/* End of input: decide every remaining frame along the cheapest path; returns pushed. */
int64_t ef_viterbi_finish(ef_viterbi *v);
/* F0 (Hz, 0 = unvoiced) chosen for decided frame k; k must be one of the last
 * EF_VIT_RING frames pushed (read decisions right after each push / finish). */
float ef_viterbi_f0(const ef_viterbi *v, int64_t k);

/* Whole-array convenience form: f0 (T) from cands (T). Returns EF_OK (EF_ERR_NOMEM is
 * kept in the signature for compatibility; nothing is allocated). */
ef_code ef_pitch_viterbi(float *f0, const ef_shs_cands *cands, int64_t T, double voicing_cutoff, ef_error *err);

/* ---- stage 3: jitter, shimmer, HNR from the waveform (voice_quality.c) ---- */

/* Streaming period analysis like openSMILE's cPitchJitter: frame t uses f0[t] and the
 * waveform from where frame t-1's last complete period ended. Frames go in order
 * (t = 0, 1, ...) through one ef_vq_stream: plain data carried between frames plus work
 * buffers (grown, reused). x[i] is sample base + i of a signal of n samples; frame t reads
 * samples [ef_vq_stream_keep_from (before the call), t * hop + frame_len), zeros beyond n.
 * Outputs as in ef_pitch_voice_quality. hop, frame_len in samples. */
typedef struct {
    float *buf;   /* waveform segment of the current step */
    long cap;
    double *cc;
    long cc_cap;
    double *pre;  /* prefix sums of x and x^2 for the correlation */
    long pre_cap;
    double *avg;  /* average period waveform */
    long avg_cap;
    long *pstart; /* period starts */
    long p_cap;
    long last_idx, last_mis; /* where the next step reads; samples carried over */
    double last_t0;
    float last_jitter, last_shimmer;
} ef_vq_stream;

void ef_vq_stream_init(ef_vq_stream *v);
void ef_vq_stream_free(ef_vq_stream *v);
ef_code ef_vq_stream_frame(ef_vq_stream *v, const float *x, int64_t base, int64_t n, int rate, int hop,
                           int frame_len, int64_t t, float f0, float *jitter, float *shimmer, float *loghnr,
                           ef_error *err);
/* First sample the next frame may read. */
int64_t ef_vq_stream_keep_from(const ef_vq_stream *v);

/* The period search's normalised cross-correlation of adjacent segments x[0..L) and
 * x[L..2L), cc[L - lmin] for L in [lmin, lmax]; P and Q are scratch of 2 lmax + 1
 * doubles each. simd = false forces the scalar code, for the test that both paths are
 * bit-identical (voice_quality.c). */
void ef_vq_adjacent_xcorr(double *cc, const float *x, long lmin, long lmax, double *P, double *Q, bool simd);

/* Whole-array form: outputs (T) for f0 (T), x (n) from sample 0. */
ef_code ef_voice_quality(float *jitter, float *shimmer, float *loghnr, const float *x, int64_t n, int rate,
                         int hop, int frame_len, const float *f0, int64_t T, ef_error *err);

/* The opt-in EF_VQ_CYCLES method (voice_quality_cycles.c): glottal cycle marks by
 * waveform matching at the Viterbi F0 within each voiced run, sub-sample precision;
 * jitter, shimmer and HNR of the cycles inside each frame's window. A run is a maximal
 * stretch of frames [ta, tb] with ef_vq_cycles_voiced; ef_vq_cycles_run analyses one from
 * its f0 (f0[k - ta]) and the samples [ta * hop, tb * hop + frame_len) (x[i] is sample
 * base + i, n the signal's length) into jitter, shimmer, loghnr [k - ta]. Frames outside
 * runs get 0, 0, -100. f0_min/f0_max bound the accepted periods. The ef_vq_cycles work
 * space (cycle marks, windows) is reused across runs; one per analysis. */
typedef struct ef_vq_cycles ef_vq_cycles;
ef_code ef_vq_cycles_create(ef_vq_cycles **out, ef_error *err);
void ef_vq_cycles_free(ef_vq_cycles *c);
bool ef_vq_cycles_voiced(float f0, int rate);
ef_code ef_vq_cycles_run(ef_vq_cycles *c, float *jitter, float *shimmer, float *loghnr, const float *x, int64_t base,
                         int64_t n, int rate, int hop, int frame_len, const float *f0, int64_t ta, int64_t tb,
                         double f0_min, double f0_max, ef_error *err);

/* ---- the stage as a stream (pitch.c), for the block-wise LLD pipeline ---- */

/* Frames are pushed in order (frame t = the t-th push, its pitch window starting at
 * sample t * hop); results come out up to EF_VIT_BUFLEN frames later (the Viterbi's
 * decisions), and for EF_VQ_CYCLES at the end of each voiced run. x[i] is sample
 * base + i for the samples [base, end) the caller holds; each call needs at least
 * [ef_pitch_stream_keep_from, end of the pushed frame's window). Frame k's F0, jitter,
 * shimmer, logHNR are written to rows[k * stride + 0..3] (rows may move between calls).
 * ef_pitch_stream_finish ends the input (end = the signal's length) and writes every
 * remaining frame. The rows are exactly ef_pitch_voice_quality's. */
typedef struct ef_pitch_stream ef_pitch_stream;
ef_code ef_pitch_stream_create(ef_pitch_stream **out, const ef_lld_params *p, ef_error *err);
void ef_pitch_stream_free(ef_pitch_stream *s);
/* frame: the pushed frame's pitch_len samples (inside the window, or a padded copy) */
ef_code ef_pitch_stream_push(ef_pitch_stream *s, const float *frame, const float *x, int64_t base, int64_t end,
                             float *rows, int stride, ef_error *err);
/* n <= EF_SHS_LANES consecutive frames at once (faster: ef_shs_analyse_n), the same rows
 * as n single pushes. *pushed = the frames taken (all but those from a failing one on). */
ef_code ef_pitch_stream_push_n(ef_pitch_stream *s, int n, const float *const *frames, const float *x, int64_t base,
                               int64_t end, float *rows, int stride, int *pushed, ef_error *err);
ef_code ef_pitch_stream_finish(ef_pitch_stream *s, const float *x, int64_t base, int64_t end, float *rows,
                               int stride, ef_error *err);
/* First sample a later call may read (<= the next frame's start). */
int64_t ef_pitch_stream_keep_from(const ef_pitch_stream *s);
/* Samples of one pitch window. */
int ef_pitch_stream_frame_len(const ef_pitch_stream *s);

#endif
