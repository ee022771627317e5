/* Internal interface between the LLD pipeline (lld.c) and the pitch / voice-quality
 * stage (pitch_shs.c, pitch_viterbi.c, voice_quality.c). Not a public header. */
#ifndef EMOFUSE_AUDIO_PITCH_H
#define EMOFUSE_AUDIO_PITCH_H

#include <stdint.h>

#include "emofuse/audio.h"

/* Per frame t (frame start t * hop, window p->pitch_frame_size), BEFORE the 3-frame
 * smoothing and deltas: F0 in Hz (0 = unvoiced), jitter (local, fraction), shimmer
 * (local, fraction), logHNR (dB, -100 when unvoiced). Arrays have n_frames entries,
 * caller-owned. n_frames is what lld.c decides (aligned with openSMILE's rows). */
ef_code ef_pitch_voice_quality(const ef_lld_params *p, const float *samples, int64_t n, int64_t n_frames,
                               float *f0, float *jitter, float *shimmer, float *loghnr, ef_error *err);

#endif
