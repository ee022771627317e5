/* Driver of the pitch / voice-quality stage: per-frame SHS candidates, Viterbi
 * smoothing, the RMS silence gate, then the streaming jitter/shimmer/HNR analysis.
 * Row t = the 60 ms window starting at sample t * hop (openSMILE's left-aligned framing,
 * frameTime t * 10 ms). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/pitch.h"

/* openSMILE zeroes F0 where the RMS of the Gaussian-windowed 60 ms frame is <= 0.001
 * (cValbasedSelector, samples scaled by 1/32768; ours are scaled by 1/32767). */
#define RMS_GATE 0.001
#define OPENSMILE_SCALE (32767.0 / 32768.0)

int64_t ef_pitch_n_frames(const ef_lld_params *p, int64_t n)
{
    int64_t len = lround(p->pitch_frame_size * p->sample_rate), hop = lround(p->frame_step * p->sample_rate);
    if (hop < 1 || n < len) return 0;
    return (n - len) / hop + 1;
}

ef_code ef_pitch_voice_quality(const ef_lld_params *p, const float *samples, int64_t n, int64_t n_frames,
                               float *f0, float *jitter, float *shimmer, float *loghnr, ef_error *err)
{
    if (n_frames <= 0) return EF_OK;
    if (!samples && n > 0) return ef_fail(err, EF_ERR_ARG, "pitch: samples is NULL");
    ef_code rc = ef_lld_params_check(p, err);
    if (rc) return rc;
    int hop = (int)lround(p->frame_step * p->sample_rate);
    ef_shs *shs = NULL;
    rc = ef_shs_create(&shs, p, err);
    if (rc) return rc;
    int len = ef_shs_frame_len(shs);
    ef_shs_cands *cands = malloc(sizeof(*cands) * (size_t)n_frames);
    float *rms = malloc(sizeof(float) * (size_t)n_frames);
    float *frame = malloc(sizeof(float) * (size_t)len);
    if (!cands || !rms || !frame) {
        rc = ef_fail(err, EF_ERR_NOMEM, "pitch: out of memory (%lld frames)", (long long)n_frames);
        goto done;
    }

    for (int64_t t = 0; t < n_frames; t++) {
        int64_t s0 = t * hop;
        int64_t avail = n - s0;
        if (avail >= len) {
            memcpy(frame, samples + s0, sizeof(float) * (size_t)len);
        } else {
            int64_t k = avail > 0 ? avail : 0;
            if (k > 0) memcpy(frame, samples + s0, sizeof(float) * (size_t)k);
            memset(frame + k, 0, sizeof(float) * (size_t)(len - k));
        }
        ef_shs_analyse(shs, frame, &cands[t], &rms[t]);
    }

    rc = ef_pitch_viterbi(f0, cands, n_frames, p->voicing_cutoff, err);
    if (rc) goto done;
    for (int64_t t = 0; t < n_frames; t++)
        if (!(rms[t] * OPENSMILE_SCALE > RMS_GATE) || !isfinite(f0[t])) f0[t] = 0.0f;

    rc = ef_voice_quality(jitter, shimmer, loghnr, samples, n, p->sample_rate, hop, len, f0, n_frames, err);
    if (rc) goto done;
    /* contract: never NaN/Inf (the stages already avoid them; this is the last guard) */
    for (int64_t t = 0; t < n_frames; t++) {
        if (!isfinite(jitter[t])) jitter[t] = 0.0f;
        if (!isfinite(shimmer[t])) shimmer[t] = 0.0f;
        if (!isfinite(loghnr[t])) loghnr[t] = -100.0f;
    }

done:
    free(cands);
    free(rms);
    free(frame);
    ef_shs_free(shs);
    return rc;
}
