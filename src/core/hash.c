/* FNV-1a 64 (see hash.h). */
#include <string.h>

#include "emofuse/hash.h"

uint64_t ef_fnv1a64(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t ef_fnv1a64_str(uint64_t h, const char *s) { return ef_fnv1a64(h, s, strlen(s) + 1); }
