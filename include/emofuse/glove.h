/* GloVe word vectors: convert the text release (one "word v1 ... vD" line per word) ONCE
 * into a binary index file, then memory-map that index so that opening the 1.9M x 300
 * glove.42B vocabulary costs well under a second and lookups cost one hash probe.
 *
 * Index file format (version 1, all integers little-endian; see docs/glove.md):
 *   [0, 128)           header: ef_glove_header below
 *   [off_vectors, ...) N x D float32 rows, row i = vector of word i (64-byte aligned)
 *   [off_offsets, ...) (N + 1) x uint64: word i is bytes [offsets[i], offsets[i+1] - 1) of
 *                      the pool, followed by one NUL byte
 *   [off_pool, ...)    the words, UTF-8 bytes exactly as in the text file, NUL-terminated
 *   [off_table, ...)   n_buckets x uint64 open-addressing hash table, n_buckets a power of
 *                      two >= 2 N: entry = (tag << 32) | (word index + 1), 0 = empty,
 *                      h = FNV-1a 64 of the word bytes, tag = h >> 32,
 *                      probe h & (n_buckets-1), then +1, +2, ... (linear probing)
 * Words appear in file order; a repeated word keeps its FIRST vector (later ones are
 * counted in dropped_duplicates and not stored). */
#ifndef EMOFUSE_GLOVE_H
#define EMOFUSE_GLOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emofuse/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EF_GLOVE_MAGIC "EFGLOVE\0"
#define EF_GLOVE_VERSION 1u
#define EF_GLOVE_HEADER_SIZE 128

/* On-disk header (exactly 128 bytes). */
typedef struct {
    char magic[8];              /* EF_GLOVE_MAGIC */
    uint32_t version;           /* EF_GLOVE_VERSION */
    uint32_t dim;               /* D */
    uint64_t n_words;           /* N (distinct words stored) */
    uint64_t n_buckets;         /* hash table size, power of two */
    uint64_t off_vectors;       /* byte offsets of the sections, from the file start */
    uint64_t off_offsets;
    uint64_t off_pool;
    uint64_t pool_size;         /* bytes in the word pool */
    uint64_t off_table;
    uint64_t file_size;         /* total size, a truncation check */
    uint64_t dropped_duplicates;/* lines whose word was already seen */
    uint64_t source_bytes;      /* size of the text file it was built from */
    uint32_t endian_check;      /* 0x01020304 as written by the builder */
    uint8_t reserved[28];
} ef_glove_header;

typedef struct {
    uint64_t lines;             /* non-empty lines read */
    uint64_t words;             /* distinct words stored */
    uint64_t duplicates;        /* repeated words dropped (first occurrence kept) */
    int dim;
    uint64_t bytes_in;          /* text bytes parsed */
    double seconds;
} ef_glove_build_stats;

/* Optional progress callback for the build: bytes of text consumed so far / total
 * (total 0 when unknown). Called about every 64 MB. */
typedef void (*ef_glove_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* Parse the text file at txt_path and write the index atomically (temp + rename) to
 * index_path. Vectors are streamed to disk; memory is proportional to the vocabulary's
 * words (~40 MB for glove.42B), never to N x D. Errors name "file:line: cause"
 * (wrong number of values, not a number, non-finite value, empty word, no lines).
 * gzip-compressed text (recognised by its magic bytes, whatever the name) is read through
 * zlib; corrupt or truncated gzip data is an EF_ERR_FORMAT error and nothing is written.
 * stats, progress may be NULL. */
ef_code ef_glove_build(const char *txt_path, const char *index_path, ef_glove_build_stats *stats,
                       ef_glove_progress_fn progress, void *progress_ctx, ef_error *err);

/* Same from an open stream (e.g. a pipe): txt_path names it in messages,
 * total is its size for progress (0 = unknown). The stream is read to its end, not closed. */
ef_code ef_glove_build_stream(FILE *in, const char *txt_path, uint64_t total, const char *index_path,
                              ef_glove_build_stats *stats, ef_glove_progress_fn progress, void *progress_ctx,
                              ef_error *err);

/* Where emofuse keeps the index of a GloVe text file: the path without ".gz" and ".txt",
 * plus ".efg" (glove.42B.300d.txt -> glove.42B.300d.efg). `models glove-index` writes it
 * there and `features text --glove FILE.txt` looks for it there, so one index serves both.
 * False when it does not fit in cap bytes. */
bool ef_glove_index_path(const char *txt_path, char *out, size_t cap);

typedef struct ef_glove ef_glove;

/* Memory-map an index written by ef_glove_build. Validates the header, section bounds
 * and the word offsets; NULL on failure with err filled. */
ef_glove *ef_glove_open(const char *index_path, ef_error *err);
void ef_glove_close(ef_glove *g);

int ef_glove_dim(const ef_glove *g);
int64_t ef_glove_size(const ef_glove *g);
/* Word i (NUL-terminated, in the mapped file) and its length. */
const char *ef_glove_word(const ef_glove *g, int64_t i, size_t *len);
/* Row i (D floats in the mapped file). */
const float *ef_glove_vector(const ef_glove *g, int64_t i);
/* Exact byte lookup; -1 when absent. */
int64_t ef_glove_find(const ef_glove *g, const char *word, size_t len);

/* Tokenise text with the BERT basic tokenizer (ef_basic_tokenize: lower-case, accents
 * stripped, split on whitespace and punctuation, CJK characters split; see docs/glove.md for
 * why accents are stripped) and return one D-vector per token: *rows = malloc'ed T x D
 * (caller frees; NULL when T = 0), *T = number of tokens, *n_missing = tokens not in the
 * vocabulary (their rows are all zero; n_missing may be NULL). */
ef_code ef_glove_embed_text(const ef_glove *g, const char *text, float **rows, int64_t *T, int *n_missing,
                            ef_error *err);

/* The hash of a word's bytes that places it in the index (FNV-1a 64-bit, see
 * src/text/glove_index.c for its starting basis): part of the index file format. */
uint64_t ef_glove_hash(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
