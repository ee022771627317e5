/* ef_audio_load: any libsndfile-readable file -> mono float samples at the target rate.
 *
 * The file is read in blocks of EF_DECODE_BLOCK frames, mixed down to mono (channel mean)
 * and, when its rate differs, streamed through libsoxr (high quality). Memory is bounded by
 * the output samples: the output array is sized once from the header's frame count (it only
 * grows if a file reports fewer frames than it holds, or claims more than its size allows)
 * and trimmed at the end; everything else is a few blocks.
 *
 * Scaling: libsndfile maps integer PCM to [-1, 1) by dividing by 2^(bits-1); openSMILE (and
 * the acoustic spec) divide int16 by 32767, so integer formats are rescaled by 32768/32767,
 * which makes an int16 value v come out as exactly v / 32767 (rounded to float). Float and
 * compressed formats (Vorbis, ...) are kept as decoded.
 *
 * ef_audio_load is a loop over the streaming reader (ef_audio_reader_*, audio/reader.h),
 * which the LLD pipeline uses directly so that it never holds the whole signal. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio/reader.h"
#include "emofuse/audio.h"

#define EF_DECODE_BLOCK 4096

/* What a RIFF/WAVE header claims, read by us: libsndfile silently shortens a data chunk
 * that runs past the end of the file (so its frame count is already the truncated one)
 * and reports a sample rate of 0 only as "SF_INFO struct incomplete". */
typedef struct {
    bool is_wav;          /* a RIFF/WAVE file with a readable fmt chunk */
    uint32_t sample_rate; /* from fmt */
    int64_t data_frames;  /* data chunk size / block align; -1 unknown or streamed (0, 0xFFFFFFFF) */
} wav_claim;

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walk the chunks of the first 64 KiB (fmt and data come first in every writer we know). */
static wav_claim read_wav_claim(const char *path)
{
    wav_claim w = {false, 0, -1};
    FILE *f = fopen(path, "rb");
    if (!f) return w;
    static const size_t cap = 65536;
    unsigned char *b = malloc(cap);
    size_t n = b ? fread(b, 1, cap, f) : 0;
    fclose(f);
    if (n < 12 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WAVE", 4) != 0) {
        free(b);
        return w;
    }
    unsigned block_align = 0;
    size_t pos = 12;
    while (pos + 8 <= n) {
        const uint32_t size = le32(b + pos + 4);
        if (memcmp(b + pos, "fmt ", 4) == 0 && size >= 16 && pos + 8 + 16 <= n) {
            w.is_wav = true;
            w.sample_rate = le32(b + pos + 12);
            block_align = (unsigned)b[pos + 20] | (unsigned)b[pos + 21] << 8;
        } else if (memcmp(b + pos, "data", 4) == 0) {
            if (w.is_wav && block_align > 0 && size != 0 && size != 0xFFFFFFFFu) w.data_frames = size / block_align;
            break;
        }
        pos += 8 + (size_t)size + (size & 1u);
    }
    free(b);
    return w;
}

typedef struct {
    float *data;
    int64_t n, cap;
} sample_buf;

static bool buf_append(sample_buf *b, const float *x, int64_t k)
{
    if (b->n + k > b->cap) {
        int64_t cap = b->cap + b->cap / 2;
        if (cap < b->n + k) cap = b->n + k;
        if (cap < 1024) cap = 1024;
        float *d = realloc(b->data, (size_t)cap * sizeof(float));
        if (!d) return false;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->n, x, (size_t)k * sizeof(float));
    b->n += k;
    return true;
}

static bool is_integer_pcm(int format)
{
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8:
    case SF_FORMAT_PCM_16:
    case SF_FORMAT_PCM_24:
    case SF_FORMAT_PCM_32:
        return true;
    default:
        return false;
    }
}

/* Feed k mono samples (x may be NULL with k = 0 to flush) through the resampler,
 * appending everything it produces. */
static ef_code resample_push(soxr_t rs, const float *x, size_t k, float *obuf, size_t ocap, sample_buf *out,
                             const char *path, ef_error *err)
{
    size_t used = 0;
    for (;;) {
        size_t idone = 0, odone = 0;
        soxr_error_t e = soxr_process(rs, x ? x + used : NULL, x ? k - used : 0, &idone, obuf, ocap, &odone);
        if (e) return ef_fail(err, EF_ERR_FORMAT, "%s: resampling failed: %s", path, e);
        if (odone && !buf_append(out, obuf, (int64_t)odone))
            return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory for the decoded samples", path);
        used += idone;
        if (x && used >= k && odone < ocap) return EF_OK;
        if (!x && odone == 0) return EF_OK;
    }
}

/* Channel mean of k interleaved frames, times scale, into mono; a non-finite sample is an
 * error naming its frame (first_frame + i). */
static ef_code mix_block(float *mono, const float *block, int64_t k, int ch, double scale, int64_t first_frame,
                         const char *path, ef_error *err)
{
    for (int64_t i = 0; i < k; i++) {
        double s = 0;
        for (int c = 0; c < ch; c++) s += block[i * ch + c];
        double v = s / ch * scale;
        if (!isfinite(v))
            return ef_fail(err, EF_ERR_FORMAT, "%s: sample frame %lld is NaN or infinite", path,
                           (long long)(first_frame + i));
        mono[i] = (float)v;
    }
    return EF_OK;
}

/* The streaming decoder (audio/reader.h): the file stays open, blocks are decoded on demand. */
struct ef_audio_reader {
    char *path;          /* for messages */
    SNDFILE *sf;
    SF_INFO info;
    wav_claim wav;
    int ch;
    bool resample, eof;
    double scale;
    soxr_t rs;
    float *block, *mono, *obuf; /* (EF_DECODE_BLOCK * ch), (EF_DECODE_BLOCK), (ocap) */
    size_t ocap;
    sample_buf pend;     /* output of the last decoded block, handed out by ef_audio_reader_next */
    int64_t frame_index; /* input frames decoded so far */
    int64_t expected;    /* presizing hint in output samples, -1 unknown */
};

void ef_audio_reader_close(ef_audio_reader *r)
{
    if (!r) return;
    if (r->rs) soxr_delete(r->rs);
    if (r->sf) sf_close(r->sf);
    free(r->block);
    free(r->mono);
    free(r->obuf);
    free(r->pend.data);
    free(r->path);
    free(r);
}

int64_t ef_audio_reader_expected(const ef_audio_reader *r) { return r->expected; }

ef_code ef_audio_reader_open(ef_audio_reader **out, const char *path, int target_rate, ef_error *err)
{
    *out = NULL;
    if (target_rate < 1000 || target_rate > 768000)
        return ef_fail(err, EF_ERR_ARG, "%s: target rate %d Hz is outside [1000, 768000]", path, target_rate);
    struct stat st;
    if (stat(path, &st) != 0) return ef_fail(err, EF_ERR_IO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) return ef_fail(err, EF_ERR_IO, "%s: is a directory, not an audio file", path);
    if (S_ISREG(st.st_mode) && st.st_size == 0)
        return ef_fail(err, EF_ERR_FORMAT, "%s: empty file (0 bytes), not an audio file", path);

    const wav_claim wav = S_ISREG(st.st_mode) ? read_wav_claim(path) : (wav_claim){false, 0, -1};
    if (wav.is_wav && (wav.sample_rate < EF_AUDIO_MIN_RATE || wav.sample_rate > EF_AUDIO_MAX_RATE))
        return ef_fail(err, EF_ERR_FORMAT, "%s: the WAV header says %lu Hz, outside the supported %d..%d Hz", path,
                       (unsigned long)wav.sample_rate, EF_AUDIO_MIN_RATE, EF_AUDIO_MAX_RATE);
    ef_audio_reader *r = calloc(1, sizeof(*r));
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    }
    r->wav = wav;
    r->expected = -1;
    r->sf = sf_open(path, SFM_READ, &r->info);
    if (!r->sf) {
        ef_audio_reader_close(r);
        return ef_fail(err, EF_ERR_FORMAT, "%s: %s", path, sf_strerror(NULL));
    }
    const SF_INFO info = r->info;
    ef_code rc = EF_OK;
    if (info.channels < 1 || info.samplerate < 1) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: invalid header (%d channels, %d Hz)", path, info.channels,
                     info.samplerate);
        goto fail;
    }
    /* A header can claim any rate: 1 Hz upsampled to 16 kHz turns 32 KB into 1.5 GB. */
    if (info.samplerate < EF_AUDIO_MIN_RATE || info.samplerate > EF_AUDIO_MAX_RATE) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: sample rate %d Hz is outside the supported %d..%d Hz", path,
                     info.samplerate, EF_AUDIO_MIN_RATE, EF_AUDIO_MAX_RATE);
        goto fail;
    }
    r->ch = info.channels;
    r->resample = info.samplerate != target_rate;
    const double ratio = (double)target_rate / info.samplerate;
    r->scale = is_integer_pcm(info.format) ? 32768.0 / 32767.0 : 1.0;
    r->block = malloc(sizeof(float) * EF_DECODE_BLOCK * (size_t)r->ch);
    r->mono = malloc(sizeof(float) * EF_DECODE_BLOCK);
    r->ocap = (size_t)ceil(EF_DECODE_BLOCK * ratio) + 256;
    r->obuf = r->resample ? malloc(sizeof(float) * r->ocap) : NULL;
    if (!r->block || !r->mono || (r->resample && !r->obuf)) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (info.frames > 0 && info.frames < ((sf_count_t)1 << 40)) {
        int64_t want = r->resample ? (int64_t)ceil((double)info.frames * ratio) + 64 : (int64_t)info.frames;
        /* A header can claim far more frames than the file holds (a corrupt FLAC
         * STREAMINFO says up to 2^36): never pre-size beyond what the file's bytes can
         * plausibly decode to (16 output samples per byte is above speech FLAC's ~3);
         * past that the buffer grows geometrically, as for an under-reporting header. */
        if (S_ISREG(st.st_mode)) {
            const double plausible = (double)st.st_size * 16.0 * (ratio > 1.0 ? ratio : 1.0) + 65536.0;
            if ((double)want > plausible) want = (int64_t)plausible;
        }
        r->expected = want;
    }
    if (r->resample) {
        soxr_error_t e = NULL;
        soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        r->rs = soxr_create((double)info.samplerate, (double)target_rate, 1, &e, &io, &q, NULL);
        if (!r->rs || e) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: cannot resample %d -> %d Hz: %s", path, info.samplerate,
                         target_rate, e ? e : "soxr_create failed");
            goto fail;
        }
    }
    *out = r;
    return EF_OK;
fail:
    ef_audio_reader_close(r);
    return rc;
}

/* End of input: the decoder's own error, the truncation check, then the resampler's tail
 * into r->pend. */
static ef_code reader_finish(ef_audio_reader *r, ef_error *err)
{
    const char *path = r->path;
    r->eof = true;
    if (sf_error(r->sf) != SF_ERR_NO_ERROR)
        return ef_fail(err, EF_ERR_FORMAT, "%s: decoding failed after %lld frames: %s", path,
                       (long long)r->frame_index, sf_strerror(r->sf));
    /* A truncated file (an interrupted download or copy) decodes to fewer frames than its
     * header promises; using what is there would silently analyse part of the utterance. */
    const SF_INFO info = r->info;
    const int major = info.format & SF_FORMAT_TYPEMASK;
    const bool exact_count = major != SF_FORMAT_OGG && major != SF_FORMAT_MPEG; /* lossy: an estimate */
    const int64_t promised = r->wav.data_frames >= 0 ? r->wav.data_frames : exact_count ? (int64_t)info.frames : -1;
    if (promised > 0 && r->frame_index < promised && info.frames < ((sf_count_t)1 << 40))
        return ef_fail(err, EF_ERR_FORMAT,
                       "%s: truncated: the header promises %lld sample frames, the file holds %lld (an incomplete "
                       "download or copy?)", path, (long long)promised, (long long)r->frame_index);
    if (r->resample && r->frame_index > 0) return resample_push(r->rs, NULL, 0, r->obuf, r->ocap, &r->pend, path, err);
    return EF_OK;
}

ef_code ef_audio_reader_next(ef_audio_reader *r, const float **x, int64_t *k, ef_error *err)
{
    *x = NULL;
    *k = 0;
    r->pend.n = 0;
    ef_code rc = EF_OK;
    /* the resampler may hold a whole first block back (its latency): decode until
     * something comes out or the input ends */
    while (r->pend.n == 0 && !r->eof) {
        sf_count_t got = sf_readf_float(r->sf, r->block, EF_DECODE_BLOCK);
        if (got <= 0) {
            rc = reader_finish(r, err);
            break;
        }
        if ((rc = mix_block(r->mono, r->block, got, r->ch, r->scale, r->frame_index, r->path, err))) break;
        r->frame_index += got;
        if (r->resample) rc = resample_push(r->rs, r->mono, (size_t)got, r->obuf, r->ocap, &r->pend, r->path, err);
        else if (!buf_append(&r->pend, r->mono, got))
            rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory for the decoded samples", r->path);
        if (rc) break;
    }
    if (rc) {
        r->eof = true;
        r->pend.n = 0;
        return rc;
    }
    *x = r->pend.data;
    *k = r->pend.n;
    return EF_OK;
}

ef_code ef_audio_load(const char *path, int target_rate, float **samples, int64_t *n, ef_error *err)
{
    *samples = NULL;
    *n = 0;
    ef_audio_reader *r = NULL;
    ef_code rc = ef_audio_reader_open(&r, path, target_rate, err);
    if (rc) return rc;
    sample_buf out = {0};
    /* Size the output once from the header so the array is never reallocated (and never
     * briefly held twice) on the normal path. */
    const int64_t want = ef_audio_reader_expected(r);
    if (want > 0) {
        out.data = malloc((size_t)want * sizeof(float));
        if (!out.data) {
            rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory for %lld samples", path, (long long)want);
            goto done;
        }
        out.cap = want;
    }
    for (;;) {
        const float *x = NULL;
        int64_t k = 0;
        if ((rc = ef_audio_reader_next(r, &x, &k, err))) goto done;
        if (k == 0) break;
        if (!buf_append(&out, x, k)) {
            rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory for the decoded samples", path);
            goto done;
        }
    }

    /* Trim to the exact length; keep a valid (non-NULL) pointer even for n = 0. */
    if (out.n == 0) {
        free(out.data);
        out.data = malloc(sizeof(float));
        if (!out.data) {
            rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
            goto done;
        }
    } else if (out.n < out.cap) {
        float *d = realloc(out.data, (size_t)out.n * sizeof(float));
        if (d) out.data = d;
    }
    *samples = out.data;
    *n = out.n;
    out.data = NULL;

done:
    ef_audio_reader_close(r);
    free(out.data);
    return rc;
}

/* Same steps as ef_audio_load (blocks of EF_DECODE_BLOCK frames, channel mean, the same
 * streaming resampler), so a buffer decoded by the caller gives the file's samples. */
ef_code ef_audio_convert(const void *pcm, int format, int64_t frames, int channels, int rate, int target_rate,
                         float **samples, int64_t *n, ef_error *err)
{
    const char *what = "audio buffer";
    *samples = NULL;
    *n = 0;
    if (target_rate < 1000 || target_rate > 768000)
        return ef_fail(err, EF_ERR_ARG, "%s: target rate %d Hz is outside [1000, 768000]", what, target_rate);
    if (rate < 1 || rate > 768000 || channels < 1 || channels > 1024 || frames < 0 || (frames > 0 && !pcm) ||
        (format != EF_PCM_F32 && format != EF_PCM_S16))
        return ef_fail(err, EF_ERR_ARG, "%s: invalid (%lld frames, %d channels, %d Hz, format %d)", what,
                       (long long)frames, channels, rate, format);
    const bool resample = rate != target_rate;
    const double ratio = (double)target_rate / rate;
    /* int16 v becomes v / 32768 as libsndfile gives it, then the file path's rescaling. */
    const double scale = format == EF_PCM_S16 ? 32768.0 / 32767.0 : 1.0;
    ef_code rc = EF_OK;
    sample_buf out = {0};
    soxr_t rs = NULL;
    float *block = malloc(sizeof(float) * EF_DECODE_BLOCK * (size_t)channels);
    float *mono = malloc(sizeof(float) * EF_DECODE_BLOCK);
    size_t ocap = (size_t)ceil(EF_DECODE_BLOCK * ratio) + 256;
    float *obuf = resample ? malloc(sizeof(float) * ocap) : NULL;
    int64_t want = resample ? (int64_t)ceil((double)frames * ratio) + 64 : frames;
    out.data = malloc((size_t)(want > 0 ? want : 1) * sizeof(float));
    out.cap = want > 0 ? want : 1;
    if (!block || !mono || (resample && !obuf) || !out.data) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", what);
        goto done;
    }
    if (resample) {
        soxr_error_t e = NULL;
        soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        rs = soxr_create((double)rate, (double)target_rate, 1, &e, &io, &q, NULL);
        if (!rs || e) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: cannot resample %d -> %d Hz: %s", what, rate, target_rate,
                         e ? e : "soxr_create failed");
            goto done;
        }
    }
    for (int64_t f0 = 0; f0 < frames; f0 += EF_DECODE_BLOCK) {
        int64_t got = frames - f0 < EF_DECODE_BLOCK ? frames - f0 : EF_DECODE_BLOCK;
        size_t m = (size_t)got * (size_t)channels;
        if (format == EF_PCM_F32) memcpy(block, (const float *)pcm + f0 * channels, m * sizeof(float));
        else {
            const int16_t *x = (const int16_t *)pcm + f0 * channels;
            for (size_t i = 0; i < m; i++) block[i] = (float)x[i] / 32768.0f;
        }
        if ((rc = mix_block(mono, block, got, channels, scale, f0, what, err))) goto done;
        if (resample) rc = resample_push(rs, mono, (size_t)got, obuf, ocap, &out, what, err);
        else if (!buf_append(&out, mono, got)) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", what);
        if (rc) goto done;
    }
    if (resample && frames > 0 && (rc = resample_push(rs, NULL, 0, obuf, ocap, &out, what, err))) goto done;
    *samples = out.data;
    *n = out.n;
    out.data = NULL;
done:
    if (rs) soxr_delete(rs);
    free(block);
    free(mono);
    free(obuf);
    free(out.data);
    return rc;
}
