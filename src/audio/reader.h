/* Streaming form of ef_audio_load (decode.c): the file is decoded block by block on
 * demand, so a consumer (ef_lld_file) holds a few blocks instead of the whole signal.
 * The samples are exactly ef_audio_load's: the same 4096-frame blocks, channel mean,
 * scaling and libsoxr stream, whatever the consumer does with them. Not a public header. */
#ifndef EMOFUSE_AUDIO_READER_H
#define EMOFUSE_AUDIO_READER_H

#include <stdint.h>

#include "emofuse/status.h"

typedef struct ef_audio_reader ef_audio_reader;

/* Open and check the header (every check and message of ef_audio_load up to decoding). */
ef_code ef_audio_reader_open(ef_audio_reader **out, const char *path, int target_rate, ef_error *err);
/* The next decoded mono samples at the target rate: *x points to *k samples, valid until
 * the next call. *k = 0 means the end, after the truncation check and the resampler's
 * tail have passed. Errors (NaN samples, decoding, truncation) name the path; after an
 * error or the end every call returns *k = 0. */
ef_code ef_audio_reader_next(ef_audio_reader *r, const float **x, int64_t *k, ef_error *err);
/* Output samples the header suggests (at least the real count for an honest header,
 * bounded by what the file's size can decode to), for presizing; -1 when unknown. */
int64_t ef_audio_reader_expected(const ef_audio_reader *r);
void ef_audio_reader_close(ef_audio_reader *r);

#endif
