/* Open a GloVe text release for the index builder, plain or gzip-compressed (the releases
 * ship as .zip or .txt; users often keep them as .txt.gz), as one stdio stream. */
#ifndef EMOFUSE_TEXT_GLOVE_TEXT_OPEN_H
#define EMOFUSE_TEXT_GLOVE_TEXT_OPEN_H

#include <stdint.h>
#include <stdio.h>

#include "emofuse/status.h"

typedef struct {
    FILE *fp;            /* read this: lines of "word v1 ... vD" */
    uint64_t total;      /* bytes of text for progress, 0 when unknown (compressed input) */
    void *gz;            /* zlib's gzFile when the file is gzip data, else NULL */
    char gz_error[160];  /* zlib's message after a failed read ("unexpected end of file") */
} glove_text;

/* Open path; gzip data is recognised by its magic bytes, not by the name. */
ef_code glove_text_open(glove_text *t, const char *path, ef_error *err);

/* Close the stream; returns zlib's message when the compressed data was corrupt or
 * truncated (reads failed), else NULL. The message lives in t until t is reused. */
const char *glove_text_close(glove_text *t);

#endif
