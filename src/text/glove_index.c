/* Open a binary GloVe index (written by glove_build.c) by memory-mapping it: opening costs
 * a header check plus one pass over the (N + 1) word offsets; vectors are paged in lazily
 * by the OS as lookups touch them. */
#include "emofuse/glove.h"
#include "emofuse/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct ef_glove {
    void *map;
    size_t map_size;
    ef_glove_header h;
    const float *vectors;       /* N x D */
    const uint64_t *offsets;    /* N + 1 */
    const char *pool;
    const uint64_t *table;      /* n_buckets */
};

uint64_t ef_glove_hash(const char *s, size_t len)
{
    /* FNV-1a 64 (core's ef_fnv1a64) from the basis the index format was written with, one
     * digit short of the standard 14695981039346656037: built indexes store bucket
     * positions from it, so it stays (still a well-mixed FNV-1a, just another start). */
    return ef_fnv1a64(1469598103934665603ull, s, len);
}

/* a + b <= limit without overflow */
static int fits(uint64_t a, uint64_t b, uint64_t limit) { return a <= limit && b <= limit - a; }

ef_glove *ef_glove_open(const char *path, ef_error *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        ef_fail(err, EF_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size < EF_GLOVE_HEADER_SIZE) {
        ef_fail(err, EF_ERR_FORMAT, "%s: too short for a GloVe index (%llu bytes)", path, (unsigned long long)size);
        close(fd);
        return NULL;
    }
    void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        ef_fail(err, EF_ERR_IO, "%s: cannot mmap: %s", path, strerror(errno));
        return NULL;
    }
    ef_glove *g = calloc(1, sizeof *g);
    if (!g) {
        munmap(map, (size_t)size);
        ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    g->map = map;
    g->map_size = (size_t)size;
    memcpy(&g->h, map, sizeof g->h);
    const ef_glove_header *h = &g->h;
    const char *why = NULL;
    if (memcmp(h->magic, EF_GLOVE_MAGIC, 8) != 0)
        why = "not a GloVe index (bad magic; build one with ef_glove_build)";
    else if (h->endian_check != 0x01020304u)
        why = "written on a host of the other byte order";
    else if (h->version != EF_GLOVE_VERSION)
        why = "unsupported index version (rebuild it from the text file)";
    else if (h->file_size != size)
        why = "size differs from the header (truncated or appended file)";
    else if (h->dim == 0 || h->n_words == 0 || h->n_words >= 0xffffffffull)
        why = "empty or invalid dimensions";
    else if (h->n_buckets < 2 * h->n_words || (h->n_buckets & (h->n_buckets - 1)) != 0)
        why = "invalid hash table size";
    else if (h->off_vectors != EF_GLOVE_HEADER_SIZE || h->n_words > size / 4 / h->dim ||
             !fits(h->off_vectors, h->n_words * h->dim * 4, h->off_offsets) || (h->off_offsets & 7) ||
             !fits(h->off_offsets, (h->n_words + 1) * 8, h->off_pool) || !fits(h->off_pool, h->pool_size, h->off_table) ||
             (h->off_table & 7) || h->n_buckets > size / 8 || !fits(h->off_table, h->n_buckets * 8, size))
        why = "section offsets out of bounds";
    if (!why) {
        const char *base = map;
        g->vectors = (const float *)(base + h->off_vectors);
        g->offsets = (const uint64_t *)(base + h->off_offsets);
        g->pool = base + h->off_pool;
        g->table = (const uint64_t *)(base + h->off_table);
        /* Offsets must rise inside the pool and each word must end with its NUL: lookups
         * (and this check) then never read outside the pool even from a damaged file. */
        if (g->offsets[0] != 0 || g->offsets[h->n_words] != h->pool_size) why = "corrupt word offsets";
        for (uint64_t i = 0; !why && i < h->n_words; i++)
            if (g->offsets[i + 1] > h->pool_size || g->offsets[i + 1] <= g->offsets[i] + 1 ||
                g->pool[g->offsets[i + 1] - 1] != '\0')
                why = "corrupt word offsets";
    }
    if (why) {
        ef_fail(err, EF_ERR_FORMAT, "%s: %s", path, why);
        ef_glove_close(g);
        return NULL;
    }
    return g;
}

void ef_glove_close(ef_glove *g)
{
    if (!g) return;
    if (g->map) munmap(g->map, g->map_size);
    free(g);
}

int ef_glove_dim(const ef_glove *g) { return (int)g->h.dim; }
int64_t ef_glove_size(const ef_glove *g) { return (int64_t)g->h.n_words; }

const char *ef_glove_word(const ef_glove *g, int64_t i, size_t *len)
{
    EF_ASSERT(i >= 0 && (uint64_t)i < g->h.n_words);
    if (len) *len = (size_t)(g->offsets[i + 1] - g->offsets[i] - 1);
    return g->pool + g->offsets[i];
}

const float *ef_glove_vector(const ef_glove *g, int64_t i)
{
    EF_ASSERT(i >= 0 && (uint64_t)i < g->h.n_words);
    return g->vectors + (uint64_t)i * g->h.dim;
}

int64_t ef_glove_find(const ef_glove *g, const char *word, size_t len)
{
    uint64_t h = ef_glove_hash(word, len);
    uint32_t tag = (uint32_t)(h >> 32);
    uint64_t mask = g->h.n_buckets - 1, b = h & mask;
    /* The table is at most half full, so the probe ends at an empty bucket; the probe
     * count bound only guards against a damaged (full) table. */
    for (uint64_t probes = 0; probes < g->h.n_buckets; probes++, b = (b + 1) & mask) {
        uint64_t e = g->table[b];
        if (!e) return -1;
        if ((uint32_t)(e >> 32) != tag) continue;
        uint64_t i = (e & 0xffffffffu) - 1;
        if (i >= g->h.n_words) return -1;
        if (g->offsets[i + 1] - g->offsets[i] - 1 == len && memcmp(g->pool + g->offsets[i], word, len) == 0)
            return (int64_t)i;
    }
    return -1;
}

bool ef_glove_index_path(const char *txt_path, char *out, size_t cap)
{
    size_t n = strlen(txt_path);
    if (n >= 3 && strcmp(txt_path + n - 3, ".gz") == 0) n -= 3;
    if (n >= 4 && strncmp(txt_path + n - 4, ".txt", 4) == 0) n -= 4;
    if (n + sizeof ".efg" > cap) return false;
    memcpy(out, txt_path, n);
    memcpy(out + n, ".efg", sizeof ".efg");
    return true;
}
