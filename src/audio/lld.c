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
 * Block-wise: the pipeline is one engine (lld_engine) fed samples in order. Frame t is
 * analysed (pitch stream and spectral stage, writing row t's columns 0-17) as soon as
 * its windows have arrived; the pitch stream fills columns 0-3 up to 30 frames later
 * (Viterbi decisions). Smoothing and deltas need both ends of the file (edge frames are
 * repeated), and run over the (T, 36) output once the input has ended; they keep O(window)
 * rows of raw values, so nothing but the output grows with the file. ef_lld_file streams
 * the decoder (audio/reader.h) through the engine, which keeps only the samples that some
 * stage may still read (ef_pitch_stream_keep_from: the pitch window and the voice-quality
 * look-back, or the open voiced run with EF_VQ_CYCLES): a 10-minute file costs its
 * 8.6 MB of output plus a ~160 KB sample window, not its 38 MB of samples. ef_lld_compute hands the
 * caller's samples over as one window. EMOFUSE_LLD_BLOCK=N (samples) feeds both through
 * the engine's sample window in blocks of N instead (tests force tiny blocks); the output
 * is the same bytes for every N.
 *
 * Errors keep the whole-file precedence: a decoding error (NaN sample, truncation) beats
 * a non-finite resampled sample, which beats a pitch-stage error, which beats a spectral
 * one, whichever frame comes first; so after an error the engine stops analysing but the
 * decoder is drained to the end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/lld_internal.h"
#include "audio/pitch.h"
#include "audio/reader.h"

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

/* Default block (samples) of the file path: a second at 16 kHz, ~4 decoder blocks. */
#define LLD_BLOCK_DEFAULT 16384

/* EMOFUSE_LLD_BLOCK, when set to a positive integer (samples); otherwise 0. */
static int64_t forced_block(void)
{
    const char *e = getenv("EMOFUSE_LLD_BLOCK");
    if (!e || !*e) return 0;
    char *end = NULL;
    const long long v = strtoll(e, &end, 10);
    return (*end == '\0' && v > 0 && v <= (1LL << 30)) ? (int64_t)v : 0;
}

/* Deferred errors by whole-file precedence (lower ranks win); see the file comment. */
enum { RANK_NONE = 0, RANK_SAMPLE = 1, RANK_PITCH = 2, RANK_SPECTRAL = 3 };

typedef struct {
    ef_lld_geometry g;
    int64_t need;          /* samples of frame t's longer window: frame t exists once t hop + need arrived */
    ef_pitch_stream *pitch;
    ef_spectral sp;
    bool sp_ready;
    float *x;              /* (cap, 36) output rows */
    int64_t cap, nf;       /* rows allocated; frames analysed so far */
    int rank;              /* RANK_* of the deferred error in err */
    ef_code rc;
    ef_error err;
    /* the sample window of the block-wise path: buf[i] is sample base + i, i < len */
    float *buf;
    int64_t base, len, bcap;
    int64_t seen;          /* samples pushed so far */
} lld_engine;

static void engine_free(lld_engine *e)
{
    ef_pitch_stream_free(e->pitch);
    if (e->sp_ready) ef_spectral_free(&e->sp);
    free(e->x);
    free(e->buf);
}

static ef_code engine_init(lld_engine *e, const ef_lld_params *p, int64_t rows_hint, ef_error *err)
{
    memset(e, 0, sizeof(*e));
    e->g = ef_lld_geometry_of(p);
    e->need = e->g.frame_len > e->g.pitch_len ? e->g.frame_len : e->g.pitch_len;
    ef_code rc = ef_pitch_stream_create(&e->pitch, p, err);
    if (!rc && !(rc = ef_spectral_init(&e->sp, p, err))) e->sp_ready = true;
    if (rc) return rc;
    e->cap = rows_hint > 0 ? rows_hint : 1;
    e->x = malloc(sizeof(float) * (size_t)e->cap * EF_LLD_DIMS);
    if (!e->x) return ef_fail(err, EF_ERR_NOMEM, "lld: out of memory for %lld frames", (long long)e->cap);
    return EF_OK;
}

static void defer(lld_engine *e, int rank, ef_code rc, const ef_error *err)
{
    if (e->rank != RANK_NONE && e->rank <= rank) return;
    e->rank = rank;
    e->rc = rc;
    e->err = *err;
}

/* Analyse every frame whose windows lie in the samples [base, end) at w (w[i] = sample
 * base + i). Only out-of-memory returns at once; other errors are deferred. */
static ef_code engine_frames(lld_engine *e, const float *w, int64_t base, int64_t end, ef_error *err)
{
    const int hop = e->g.hop;
    while ((e->rank == RANK_NONE || e->rank == RANK_SPECTRAL) && e->nf * hop + e->need <= end) {
        /* up to EF_SHS_LANES frames at once: the pitch stage interleaves their spline solves */
        int m = 1;
        while (m < EF_SHS_LANES && (e->nf + m) * hop + e->need <= end) m++;
        if (e->nf + m > e->cap) { /* geometric growth; a large block grows by mremap, without a copy */
            const int64_t cap = e->cap + e->cap / 2 + 1024;
            float *x = realloc(e->x, sizeof(float) * (size_t)cap * EF_LLD_DIMS);
            if (!x) return ef_fail(err, EF_ERR_NOMEM, "lld: out of memory for %lld frames", (long long)cap);
            e->x = x;
            e->cap = cap;
        }
        const float *frs[EF_SHS_LANES];
        for (int f = 0; f < m; f++) frs[f] = w + ((e->nf + f) * hop - base);
        ef_error perr = {0};
        int pushed = 0;
        ef_code rc = ef_pitch_stream_push_n(e->pitch, m, frs, w, base, end, e->x, EF_LLD_DIMS, &pushed, &perr);
        if (rc == EF_ERR_NOMEM) {
            *err = perr;
            return rc;
        }
        for (int f = 0; f < pushed; f++) {
            const int64_t t = e->nf;
            float *row = e->x + t * EF_LLD_DIMS;
            if (e->rank == RANK_NONE && !ef_spectral_frame(&e->sp, frs[f], &row[4], &row[5])) {
                ef_error serr = {0};
                ef_code src = ef_fail(&serr, EF_ERR_NUMERIC,
                                      "lld: frame %lld: the spectrum overflows single precision (sample values far "
                                      "outside [-1, 1]: rescale the audio)", (long long)t);
                defer(e, RANK_SPECTRAL, src, &serr);
            }
            e->nf = t + 1;
        }
        if (rc) {
            defer(e, RANK_PITCH, rc, &perr);
            break;
        }
    }
    return EF_OK;
}

/* Block-wise path: append k samples to the window (dropping what no stage reads any
 * more) and analyse what they complete. */
static ef_code engine_push(lld_engine *e, const float *s, int64_t k, ef_error *err)
{
    for (int64_t i = 0; i < k && e->rank != RANK_SAMPLE; i++)
        if (!isfinite(s[i])) {
            ef_error serr = {0};
            ef_code rc = ef_fail(&serr, EF_ERR_NUMERIC, "lld: sample %lld is NaN or infinite", (long long)(e->seen + i));
            defer(e, RANK_SAMPLE, rc, &serr);
        }
    e->seen += k;
    if (e->rank == RANK_SAMPLE || e->rank == RANK_PITCH) return EF_OK; /* only draining now */
    if (e->len + k > e->bcap) {
        int64_t keep = ef_pitch_stream_keep_from(e->pitch);
        if (keep > e->nf * e->g.hop) keep = e->nf * e->g.hop;
        EF_ASSERT(keep >= e->base);
        const int64_t drop = keep - e->base < e->len ? keep - e->base : e->len;
        if (drop > 0) {
            memmove(e->buf, e->buf + drop, sizeof(float) * (size_t)(e->len - drop));
            e->len -= drop;
            e->base += drop;
        }
        /* keep at least half the window free, so the moves cost O(1) per sample */
        if (e->len + k > e->bcap || 2 * e->len > e->bcap) {
            int64_t cap = 2 * (e->len + k) + 4 * e->need;
            float *b = realloc(e->buf, sizeof(float) * (size_t)cap);
            if (!b) return ef_fail(err, EF_ERR_NOMEM, "lld: out of memory for the sample window");
            e->buf = b;
            e->bcap = cap;
        }
    }
    memcpy(e->buf + e->len, s, sizeof(float) * (size_t)k);
    e->len += k;
    return engine_frames(e, e->buf, e->base, e->base + e->len, err);
}

/* End of input (the samples [base, end) at w still in the window): the deferred error,
 * or the remaining pitch decisions, smoothing, deltas and the finiteness check; then the
 * rows trimmed to (T, 36) move to *out. */
static ef_code engine_finish(lld_engine *e, const ef_lld_params *p, const float *w, int64_t base, int64_t end,
                             float **out, int64_t *T, ef_error *err)
{
    if (e->rank != RANK_NONE) {
        *err = e->err;
        return e->rc;
    }
    const int64_t nf = e->nf;
    ef_code rc;
    if (nf > 0 && (rc = ef_pitch_stream_finish(e->pitch, w, base, end, e->x, EF_LLD_DIMS, err))) return rc;
    float *x = e->x;
    /* Smoothing; F0, jitter, shimmer and logHNR skip zeros (openSMILE's noZeroSma). */
    bool skip_zero[EF_LLD_BASE_DIMS] = {true, true, true, true};
    if ((rc = ef_lld_smooth(x, nf, EF_LLD_DIMS, EF_LLD_BASE_DIMS, skip_zero, p->smooth_window, err))) return rc;
    ef_lld_delta(x, nf, EF_LLD_DIMS, 0, EF_LLD_BASE_DIMS, EF_LLD_BASE_DIMS, p->delta_window);
    for (int64_t i = 0; i < nf * EF_LLD_DIMS; i++)
        if (!isfinite(x[i]))
            return ef_fail(err, EF_ERR_NUMERIC, "lld: non-finite %s at frame %lld", ef_lld_name((int)(i % EF_LLD_DIMS)),
                           (long long)(i / EF_LLD_DIMS));
    const int64_t rows = nf > 0 ? nf : 1;
    if (rows < e->cap) {
        float *t = realloc(x, sizeof(float) * (size_t)rows * EF_LLD_DIMS);
        if (t) x = t;
    }
    e->x = NULL;
    *out = x;
    *T = nf;
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
    lld_engine e;
    if ((rc = engine_init(&e, p, nf, err))) goto done;
    const int64_t block = forced_block();
    if (block == 0) { /* the caller's samples are the window */
        if (!(rc = engine_frames(&e, samples, 0, n, err))) rc = engine_finish(&e, p, samples, 0, n, out, T, err);
    } else {
        for (int64_t i = 0; i < n && !rc; i += block) rc = engine_push(&e, samples + i, n - i < block ? n - i : block, err);
        if (!rc) rc = engine_finish(&e, p, e.buf, e.base, e.base + e.len, out, T, err);
    }
done:
    engine_free(&e);
    return rc;
}

ef_code ef_lld_file(const ef_lld_params *p, const char *path, float **out, int64_t *T, ef_error *err)
{
    *out = NULL;
    *T = 0;
    ef_code rc = ef_lld_params_check(p, err);
    if (rc) return rc;
    ef_audio_reader *r = NULL;
    if ((rc = ef_audio_reader_open(&r, path, p->sample_rate, err))) return rc;
    const ef_lld_geometry g = ef_lld_geometry_of(p);
    const int64_t expected = ef_audio_reader_expected(r);
    lld_engine e;
    bool lld_error = true; /* errors of the analysis get the path in front; the decoder's have it */
    if ((rc = engine_init(&e, p, expected > 0 ? ef_lld_n_frames(&g, expected) : 1024, err))) goto done;
    const int64_t forced = forced_block(), block = forced ? forced : LLD_BLOCK_DEFAULT;
    for (;;) {
        const float *x = NULL;
        int64_t k = 0;
        if ((rc = ef_audio_reader_next(r, &x, &k, err))) {
            lld_error = false;
            goto done;
        }
        if (k == 0) break;
        for (int64_t i = 0; i < k && !rc; i += block) rc = engine_push(&e, x + i, k - i < block ? k - i : block, err);
        if (rc) goto done;
    }
    rc = engine_finish(&e, p, e.buf, e.base, e.base + e.len, out, T, err);
done:
    engine_free(&e);
    ef_audio_reader_close(r);
    if (rc && lld_error) ef_error_prefix(err, "%s", path);
    return rc;
}
