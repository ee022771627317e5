/* The LLD pipeline: frames -> pitch/voice quality (pitch_*.c, columns 0-3) and the spectral
 * stage (loudness, MFCC 1-13; columns 4-17) -> 3-frame smoothing -> +-2 frame deltas
 * (columns 18-35).
 *
 * Row alignment with openSMILE: row t is the frame starting at sample t * hop for BOTH the
 * 60 ms pitch window and the 32 ms spectral window (openSMILE joins its streams by frame
 * index, left-aligned). Checked against the 48 reference files: with this alignment the
 * smoothed MFCCs and loudness agree to ~1e-6 relative on every common row, while a shift by
 * one frame drops r to ~0.95. The number of rows is the number of complete 60 ms frames
 * (ef_lld_n_frames); openSMILE's output has one more row and its last 3 rows are
 * end-of-input artefacts, so ours ends with a proper (edge-repeated) moving average instead.
 *
 * Memory: besides the caller's samples, only the (T, 36) output, four T-length pitch arrays
 * and O(frame) scratch are allocated; ef_lld_file even writes the output over the samples
 * it decoded (see lld_run), so a file costs its samples plus the pitch arrays. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/lld_internal.h"
#include "audio/pitch.h"

ef_lld_geometry ef_lld_geometry_of(const ef_lld_params *p)
{
    ef_lld_geometry g;
    g.hop = (int)lround(p->frame_step * p->sample_rate);
    g.frame_len = (int)lround(p->frame_size * p->sample_rate);
    g.pitch_len = (int)lround(p->pitch_frame_size * p->sample_rate);
    return g;
}

int64_t ef_lld_n_frames(const ef_lld_geometry *g, int64_t n)
{
    const int64_t need = g->frame_len > g->pitch_len ? g->frame_len : g->pitch_len;
    return n >= need ? (n - need) / g->hop + 1 : 0;
}

/* The pipeline proper. x (nf, 36) receives the result; it may be the samples buffer itself
 * (ef_lld_file) when hop >= 36: the pitch stage reads all samples first, then row t is
 * written only after frame t was read, and rows never reach later frames because
 * 36 (t + 1) <= hop (t + 1) <= start of frame t + 1. */
static ef_code lld_run(const ef_lld_params *p, const float *samples, int64_t n, float *x, int64_t nf, ef_error *err)
{
    const ef_lld_geometry g = ef_lld_geometry_of(p);
    ef_code rc;
    /* Columns 0-3: pitch and voice quality, per frame, before smoothing. */
    float *pv = malloc(sizeof(float) * (size_t)nf * 4); /* (4, T): f0, jitter, shimmer, logHNR */
    if (!pv) return ef_fail(err, EF_ERR_NOMEM, "lld: out of memory for %lld frames", (long long)nf);
    if ((rc = ef_pitch_voice_quality(p, samples, n, nf, pv, pv + nf, pv + 2 * nf, pv + 3 * nf, err))) {
        free(pv);
        return rc;
    }

    /* Columns 4-17: loudness and MFCC 1-13 from the frame starting at t * hop. */
    ef_spectral sp;
    if ((rc = ef_spectral_init(&sp, p, err))) {
        free(pv);
        return rc;
    }
    for (int64_t t = 0; t < nf; t++) {
        float row[EF_LLD_BASE_DIMS];
        for (int c = 0; c < 4; c++) row[c] = pv[c * nf + t];
        if (!ef_spectral_frame(&sp, samples + t * g.hop, &row[4], &row[5])) {
            ef_spectral_free(&sp);
            free(pv);
            return ef_fail(err, EF_ERR_NUMERIC,
                           "lld: frame %lld: the spectrum overflows single precision (sample values far outside "
                           "[-1, 1]: rescale the audio)", (long long)t);
        }
        memcpy(x + t * EF_LLD_DIMS, row, sizeof row); /* after frame t was read (aliasing) */
    }
    ef_spectral_free(&sp);
    free(pv);

    /* Smoothing; F0, jitter, shimmer and logHNR skip zeros (openSMILE's noZeroSma). */
    bool skip_zero[EF_LLD_BASE_DIMS] = {true, true, true, true};
    if ((rc = ef_lld_smooth(x, nf, EF_LLD_DIMS, EF_LLD_BASE_DIMS, skip_zero, p->smooth_window, err))) return rc;
    ef_lld_delta(x, nf, EF_LLD_DIMS, 0, EF_LLD_BASE_DIMS, EF_LLD_BASE_DIMS, p->delta_window);

    for (int64_t i = 0; i < nf * EF_LLD_DIMS; i++)
        if (!isfinite(x[i]))
            return ef_fail(err, EF_ERR_NUMERIC, "lld: non-finite %s at frame %lld", ef_lld_name((int)(i % EF_LLD_DIMS)),
                           (long long)(i / EF_LLD_DIMS));
    return EF_OK;
}

/* Validate and size: *nf frames for n samples. */
static ef_code lld_prepare(const ef_lld_params *p, const float *samples, int64_t n, int64_t *nf, ef_error *err)
{
    ef_code rc = ef_lld_params_check(p, err);
    if (rc) return rc;
    if (n < 0 || (n > 0 && !samples)) return ef_fail(err, EF_ERR_ARG, "lld: invalid sample buffer");
    /* The later stages treat a non-finite value as silence or floor it away. */
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(samples[i]))
            return ef_fail(err, EF_ERR_NUMERIC, "lld: sample %lld is NaN or infinite", (long long)i);
    const ef_lld_geometry g = ef_lld_geometry_of(p);
    *nf = ef_lld_n_frames(&g, n);
    if (*nf > INT64_MAX / ((int64_t)sizeof(float) * EF_LLD_DIMS))
        return ef_fail(err, EF_ERR_ARG, "lld: %lld samples is too long", (long long)n);
    return EF_OK;
}

ef_code ef_lld_compute(const ef_lld_params *p, const float *samples, int64_t n, float **out, int64_t *T,
                       ef_error *err)
{
    *out = NULL;
    *T = 0;
    int64_t nf = 0;
    ef_code rc = lld_prepare(p, samples, n, &nf, err);
    if (rc) return rc;
    float *x = malloc(sizeof(float) * (size_t)(nf > 0 ? nf : 1) * EF_LLD_DIMS); /* (T, 36) */
    if (!x) return ef_fail(err, EF_ERR_NOMEM, "lld: out of memory for %lld frames", (long long)nf);
    if (nf > 0 && (rc = lld_run(p, samples, n, x, nf, err))) {
        free(x);
        return rc;
    }
    *out = x;
    *T = nf;
    return EF_OK;
}

ef_code ef_lld_file(const ef_lld_params *p, const char *path, float **out, int64_t *T, ef_error *err)
{
    *out = NULL;
    *T = 0;
    ef_code rc = ef_lld_params_check(p, err);
    if (rc) return rc;
    float *samples = NULL;
    int64_t n = 0, nf = 0;
    if ((rc = ef_audio_load(path, p->sample_rate, &samples, &n, err))) return rc;
    const ef_lld_geometry g = ef_lld_geometry_of(p);
    if ((rc = lld_prepare(p, samples, n, &nf, err))) goto fail;
    if (nf > 0 && g.hop >= EF_LLD_DIMS) {
        /* Peak memory = the samples (+ 4 T pitch floats): the output overwrites them in place
         * and the buffer is then trimmed to (T, 36). */
        if ((rc = lld_run(p, samples, n, samples, nf, err))) goto fail;
        float *x = realloc(samples, sizeof(float) * (size_t)nf * EF_LLD_DIMS);
        *out = x ? x : samples;
        *T = nf;
        return EF_OK;
    }
    rc = ef_lld_compute(p, samples, n, out, T, err);
    free(samples);
    if (rc) ef_error_prefix(err, "%s", path);
    return rc;
fail:
    free(samples);
    ef_error_prefix(err, "%s", path);
    return rc;
}
