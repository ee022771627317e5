/* Driver of the pitch / voice-quality stage: per-frame SHS candidates, Viterbi
 * smoothing, the RMS silence gate, then the jitter/shimmer/HNR analysis (openSMILE's
 * streaming method by default, cycle marks with EF_VQ_CYCLES).
 * Row t = the 60 ms window starting at sample t * hop (openSMILE's left-aligned framing,
 * frameTime t * 10 ms). SHS and Viterbi are streamed (frames are analysed straight from
 * the caller's samples, decisions come out at most 30 frames later), so besides the
 * four caller-owned output arrays the stage needs O(frame) memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/pitch.h"

/* the RMS silence gate (constants in pitch.h) */
#define RMS_GATE EF_SHS_RMS_GATE
#define OPENSMILE_SCALE EF_SHS_OPENSMILE_SCALE

int64_t ef_pitch_n_frames(const ef_lld_params *p, int64_t n)
{
    int64_t len = lround(p->pitch_frame_size * p->sample_rate), hop = lround(p->frame_step * p->sample_rate);
    if (hop < 1 || n < len) return 0;
    return (n - len) / hop + 1;
}

/* f0[k] of a decided frame, with the RMS silence gate applied */
static float gated_f0(const ef_viterbi *v, const float *rms_ring, int64_t k)
{
    float f = ef_viterbi_f0(v, k);
    if (!(rms_ring[k % EF_VIT_RING] * OPENSMILE_SCALE > RMS_GATE) || !isfinite(f)) f = 0.0f;
    return f;
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
    /* SHS and Viterbi run as one stream: the Viterbi keeps the candidates of its last 32
     * frames only, so this stage holds O(frame) memory besides the four output arrays. */
    ef_viterbi *vit = malloc(sizeof(*vit));
    float *frame = malloc(sizeof(float) * (size_t)len);
    if (!vit || !frame) {
        rc = ef_fail(err, EF_ERR_NOMEM, "pitch: out of memory");
        goto done;
    }
    ef_viterbi_init(vit, p->voicing_cutoff);
    float rms_ring[EF_VIT_RING];
    int64_t done_frames = 0;
    for (int64_t t = 0; t < n_frames; t++) {
        int64_t s0 = t * hop;
        int64_t avail = n - s0;
        const float *fr = frame;
        if (avail >= len) {
            fr = samples + s0; /* analysed in place */
        } else { /* the last frames may reach past the signal: zero-padded copy */
            int64_t k = avail > 0 ? avail : 0;
            if (k > 0) memcpy(frame, samples + s0, sizeof(float) * (size_t)k);
            memset(frame + k, 0, sizeof(float) * (size_t)(len - k));
        }
        ef_shs_cands c;
        if (!ef_shs_analyse(shs, fr, &c, &rms_ring[t % EF_VIT_RING])) {
            rc = ef_fail(err, EF_ERR_NUMERIC,
                         "pitch: frame %lld: the spectrum overflows single precision (sample values far outside "
                         "[-1, 1]: rescale the audio)", (long long)t);
            goto done;
        }
        const int64_t d = ef_viterbi_push(vit, &c);
        for (; done_frames < d; done_frames++) f0[done_frames] = gated_f0(vit, rms_ring, done_frames);
    }
    const int64_t d = ef_viterbi_finish(vit);
    for (; done_frames < d; done_frames++) f0[done_frames] = gated_f0(vit, rms_ring, done_frames);

    if (p->voice_quality == EF_VQ_CYCLES)
        rc = ef_voice_quality_cycles(jitter, shimmer, loghnr, samples, n, p->sample_rate, hop, len, f0, n_frames,
                                     p->f0_min, p->f0_max, err);
    else
        rc = ef_voice_quality(jitter, shimmer, loghnr, samples, n, p->sample_rate, hop, len, f0, n_frames, err);
    if (rc) goto done;
    /* contract: never NaN/Inf (the stages already avoid them; this is the last guard) */
    for (int64_t t = 0; t < n_frames; t++) {
        if (!isfinite(jitter[t])) jitter[t] = 0.0f;
        if (!isfinite(shimmer[t])) shimmer[t] = 0.0f;
        if (!isfinite(loghnr[t])) loghnr[t] = -100.0f;
    }

done:
    free(vit);
    free(frame);
    ef_shs_free(shs);
    return rc;
}
