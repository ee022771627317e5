/* FNV-1a 64-bit hashing: a fast, stable fingerprint for cache keys and result keys (not
 * for security). Streaming: hashing "ab" equals hashing "a" then "b". */
#ifndef EMOFUSE_HASH_H
#define EMOFUSE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define EF_FNV1A64_INIT 14695981039346656037ULL

uint64_t ef_fnv1a64(uint64_t h, const void *data, size_t n);
/* Hash a NUL-terminated string plus its terminator, so ("ab","c") differs from ("a","bc"). */
uint64_t ef_fnv1a64_str(uint64_t h, const char *s);

#endif
