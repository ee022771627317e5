/* Driver of the pitch / voice-quality stage: per-frame SHS candidates, Viterbi
 * smoothing, the RMS silence gate, then the jitter/shimmer/HNR analysis (openSMILE's
 * streaming method by default, cycle marks with EF_VQ_CYCLES).
 * Row t = the 60 ms window starting at sample t * hop (openSMILE's left-aligned framing,
 * frameTime t * 10 ms). The whole stage is a stream (ef_pitch_stream): frames are pushed
 * one at a time, the Viterbi decides each at most 30 frames later, and each decided frame
 * goes straight on to the voice-quality analysis, which for the default method reads only
 * the waveform since the previous frame's last period. So the stage needs O(frame) memory
 * and the samples from ef_pitch_stream_keep_from on; the LLD pipeline (lld.c) feeds it
 * block by block. EF_VQ_CYCLES analyses whole voiced runs, so there the samples of the
 * open run are kept (a run is as long as the voicing lasts). ef_pitch_voice_quality is
 * the whole-array form (one push per frame over the caller's samples). */
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

struct ef_pitch_stream {
    ef_lld_params p;
    int hop, len;
    ef_shs *shs;
    ef_viterbi vit;
    float rms_ring[EF_VIT_RING];
    int64_t n_f0;  /* frames [0, n_f0) have their (gated) F0 in rows */
    int64_t n_vq;  /* frames [0, n_vq) have jitter, shimmer, logHNR too */
    ef_vq_stream vq;     /* EF_VQ_OPENSMILE */
    ef_vq_cycles *cy;    /* EF_VQ_CYCLES: */
    int64_t scan;        /* frames [n_vq, scan) form the open voiced run */
    float *run;          /* (4, run_cap): its f0, then the run's jitter, shimmer, logHNR */
    int64_t run_cap;
};

void ef_pitch_stream_free(ef_pitch_stream *s)
{
    if (!s) return;
    ef_shs_free(s->shs);
    ef_vq_stream_free(&s->vq);
    ef_vq_cycles_free(s->cy);
    free(s->run);
    free(s);
}

ef_code ef_pitch_stream_create(ef_pitch_stream **out, const ef_lld_params *p, ef_error *err)
{
    *out = NULL;
    ef_code rc = ef_lld_params_check(p, err);
    if (rc) return rc;
    ef_pitch_stream *s = calloc(1, sizeof(*s));
    if (!s) return ef_fail(err, EF_ERR_NOMEM, "pitch: out of memory");
    s->p = *p;
    s->hop = (int)lround(p->frame_step * p->sample_rate);
    ef_vq_stream_init(&s->vq);
    if ((rc = ef_shs_create(&s->shs, p, err)) ||
        (p->voice_quality == EF_VQ_CYCLES && (rc = ef_vq_cycles_create(&s->cy, err)))) {
        ef_pitch_stream_free(s);
        return rc;
    }
    s->len = ef_shs_frame_len(s->shs);
    ef_viterbi_init(&s->vit, p->voicing_cutoff);
    *out = s;
    return EF_OK;
}

int ef_pitch_stream_frame_len(const ef_pitch_stream *s) { return s->len; }

int64_t ef_pitch_stream_keep_from(const ef_pitch_stream *s)
{
    int64_t k = s->n_vq * s->hop; /* the open voiced run (cycles) or the next frame */
    if (!s->cy) {
        const int64_t v = ef_vq_stream_keep_from(&s->vq);
        if (v < k) k = v;
    }
    return k;
}

/* the last guard of the contract: never NaN/Inf (the stages already avoid them) */
static void put_vq(float *row, float jitter, float shimmer, float loghnr)
{
    row[1] = isfinite(jitter) ? jitter : 0.0f;
    row[2] = isfinite(shimmer) ? shimmer : 0.0f;
    row[3] = isfinite(loghnr) ? loghnr : -100.0f;
}

/* Cycles: analyse the voiced run [n_vq, scan) (its f0 collected in s->run). */
static ef_code close_run(ef_pitch_stream *s, const float *x, int64_t base, int64_t end, float *rows, int stride,
                         ef_error *err)
{
    const int64_t ta = s->n_vq, m = s->scan - ta;
    if (m <= 0) return EF_OK;
    float *f0 = s->run, *jit = s->run + s->run_cap, *shim = jit + s->run_cap, *hnr = shim + s->run_cap;
    ef_code rc = ef_vq_cycles_run(s->cy, jit, shim, hnr, x, base, end, s->p.sample_rate, s->hop, s->len, f0, ta,
                                  s->scan - 1, s->p.f0_min, s->p.f0_max, err);
    if (rc) return rc;
    for (int64_t i = 0; i < m; i++) put_vq(rows + (ta + i) * stride, jit[i], shim[i], hnr[i]);
    s->n_vq = s->scan;
    return EF_OK;
}

/* Voice quality of the decided frames [n_vq, n_f0); at the end (eof) the open run too. */
static ef_code advance_vq(ef_pitch_stream *s, const float *x, int64_t base, int64_t end, float *rows, int stride,
                          bool eof, ef_error *err)
{
    ef_code rc = EF_OK;
    if (!s->cy) {
        for (; s->n_vq < s->n_f0; s->n_vq++) {
            const int64_t k = s->n_vq;
            float j, sh, h;
            if ((rc = ef_vq_stream_frame(&s->vq, x, base, end, s->p.sample_rate, s->hop, s->len, k, rows[k * stride],
                                         &j, &sh, &h, err)))
                return rc;
            put_vq(rows + k * stride, j, sh, h);
        }
        return EF_OK;
    }
    while (s->scan < s->n_f0) {
        const float f = rows[s->scan * stride];
        if (ef_vq_cycles_voiced(f, s->p.sample_rate)) {
            const int64_t m = s->scan - s->n_vq;
            if (m >= s->run_cap) { /* (4, cap) layout: regrow and restack the f0 row */
                const int64_t cap = 2 * s->run_cap + 64;
                float *r = malloc(sizeof(float) * 4 * (size_t)cap);
                if (!r) return ef_fail(err, EF_ERR_NOMEM, "pitch: out of memory (cycle marks)");
                if (m > 0) memcpy(r, s->run, sizeof(float) * (size_t)m);
                free(s->run);
                s->run = r;
                s->run_cap = cap;
            }
            s->run[m] = f;
            s->scan++;
            continue;
        }
        if ((rc = close_run(s, x, base, end, rows, stride, err))) return rc;
        put_vq(rows + s->scan * stride, 0.0f, 0.0f, -100.0f);
        s->n_vq = ++s->scan;
    }
    if (eof) rc = close_run(s, x, base, end, rows, stride, err);
    return rc;
}

/* f0[k] of a decided frame, with the RMS silence gate applied */
static float gated_f0(const ef_viterbi *v, const float *rms_ring, int64_t k)
{
    float f = ef_viterbi_f0(v, k);
    if (!(rms_ring[k % EF_VIT_RING] * OPENSMILE_SCALE > RMS_GATE) || !isfinite(f)) f = 0.0f;
    return f;
}

ef_code ef_pitch_stream_push_n(ef_pitch_stream *s, int n, const float *const *frames, const float *x, int64_t base,
                               int64_t end, float *rows, int stride, int *pushed, ef_error *err)
{
    const int64_t t0 = s->vit.pushed;
    ef_shs_cands c[EF_SHS_LANES];
    float rms[EF_SHS_LANES];
    const int good = ef_shs_analyse_n(s->shs, n, frames, c, rms);
    for (int f = 0; f < good; f++) {
        /* each frame's RMS enters the ring just before the frame itself: the ring holds
         * exactly the frames the Viterbi stage may still decide */
        s->rms_ring[(t0 + f) % EF_VIT_RING] = rms[f];
        const int64_t d = ef_viterbi_push(&s->vit, &c[f]);
        for (; s->n_f0 < d; s->n_f0++) rows[s->n_f0 * stride] = gated_f0(&s->vit, s->rms_ring, s->n_f0);
    }
    *pushed = good;
    ef_code rc = advance_vq(s, x, base, end, rows, stride, false, err);
    if (rc || good == n) return rc;
    return ef_fail(err, EF_ERR_NUMERIC,
                   "pitch: frame %lld: the spectrum overflows single precision (sample values far outside "
                   "[-1, 1]: rescale the audio)", (long long)(t0 + good));
}

ef_code ef_pitch_stream_push(ef_pitch_stream *s, const float *frame, const float *x, int64_t base, int64_t end,
                             float *rows, int stride, ef_error *err)
{
    int pushed;
    return ef_pitch_stream_push_n(s, 1, &frame, x, base, end, rows, stride, &pushed, err);
}

ef_code ef_pitch_stream_finish(ef_pitch_stream *s, const float *x, int64_t base, int64_t end, float *rows,
                               int stride, ef_error *err)
{
    const int64_t d = ef_viterbi_finish(&s->vit);
    for (; s->n_f0 < d; s->n_f0++) rows[s->n_f0 * stride] = gated_f0(&s->vit, s->rms_ring, s->n_f0);
    return advance_vq(s, x, base, end, rows, stride, true, err);
}

ef_code ef_pitch_voice_quality(const ef_lld_params *p, const float *samples, int64_t n, int64_t n_frames,
                               float *f0, float *jitter, float *shimmer, float *loghnr, ef_error *err)
{
    if (n_frames <= 0) return EF_OK;
    if (!samples && n > 0) return ef_fail(err, EF_ERR_ARG, "pitch: samples is NULL");
    ef_pitch_stream *s = NULL;
    ef_code rc = ef_pitch_stream_create(&s, p, err);
    if (rc) return rc;
    const int len = s->len;
    float *frame = malloc(sizeof(float) * (size_t)len);
    float *rows = malloc(sizeof(float) * 4 * (size_t)n_frames); /* (T, 4) */
    if (!frame || !rows) {
        rc = ef_fail(err, EF_ERR_NOMEM, "pitch: out of memory");
        goto done;
    }
    for (int64_t t = 0; t < n_frames && !rc; t++) {
        const int64_t s0 = t * s->hop, avail = n - s0;
        const float *fr = frame;
        if (avail >= len) {
            fr = samples + s0; /* analysed in place */
        } else { /* the last frames may reach past the signal: zero-padded copy */
            const int64_t k = avail > 0 ? avail : 0;
            if (k > 0) memcpy(frame, samples + s0, sizeof(float) * (size_t)k);
            memset(frame + k, 0, sizeof(float) * (size_t)(len - k));
        }
        rc = ef_pitch_stream_push(s, fr, samples, 0, n, rows, 4, err);
    }
    if (!rc) rc = ef_pitch_stream_finish(s, samples, 0, n, rows, 4, err);
    if (!rc)
        for (int64_t t = 0; t < n_frames; t++) {
            f0[t] = rows[4 * t];
            jitter[t] = rows[4 * t + 1];
            shimmer[t] = rows[4 * t + 2];
            loghnr[t] = rows[4 * t + 3];
        }
done:
    free(frame);
    free(rows);
    ef_pitch_stream_free(s);
    return rc;
}
