/* Build the binary GloVe index (format: include/emofuse/glove.h, docs/glove.md) from the
 * text release in one streaming pass: each line's vector goes straight to the output file,
 * only the words (pool + offsets + hash table) stay in memory, so a 5 GB glove.42B text
 * needs ~70 MB of RAM, never N x D. */
#include "emofuse/glove.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/atomic_file.h"
#include "emofuse/progress.h"
#include "text/glove_internal.h"
#include "text/glove_text_open.h"

_Static_assert(sizeof(ef_glove_header) == EF_GLOVE_HEADER_SIZE, "header must be 128 bytes");

#define MAX_DIM 100000

/* Growing in-memory vocabulary: pool of NUL-terminated words, their offsets, and the
 * hash table in exactly the on-disk entry format. */
typedef struct {
    char *pool;
    uint64_t pool_size, pool_cap;
    uint64_t *offsets;          /* n + 1 entries used */
    uint64_t n, offsets_cap;
    uint64_t *table;
    uint64_t n_buckets;
} vocab;

static int vocab_rehash(vocab *v, uint64_t nb)
{
    uint64_t *t = calloc(nb, sizeof *t);
    if (!t) return -1;
    for (uint64_t i = 0; i < v->n; i++) {
        const char *w = v->pool + v->offsets[i];
        size_t len = (size_t)(v->offsets[i + 1] - v->offsets[i] - 1);
        uint64_t h = ef_glove_hash(w, len);
        uint64_t b = h & (nb - 1);
        while (t[b]) b = (b + 1) & (nb - 1);
        t[b] = ((h >> 32) << 32) | (i + 1);
    }
    free(v->table);
    v->table = t;
    v->n_buckets = nb;
    return 0;
}

/* Insert word if new. Returns 1 inserted, 0 duplicate, -1 out of memory. */
static int vocab_insert(vocab *v, const char *w, size_t len)
{
    if (2 * (v->n + 1) > v->n_buckets && vocab_rehash(v, v->n_buckets ? 2 * v->n_buckets : 1024) != 0)
        return -1;
    uint64_t h = ef_glove_hash(w, len);
    uint32_t tag = (uint32_t)(h >> 32);
    uint64_t mask = v->n_buckets - 1, b = h & mask;
    for (; v->table[b]; b = (b + 1) & mask) {
        uint64_t e = v->table[b];
        if ((uint32_t)(e >> 32) != tag) continue;
        uint64_t i = (e & 0xffffffffu) - 1;
        if (v->offsets[i + 1] - v->offsets[i] - 1 == len && memcmp(v->pool + v->offsets[i], w, len) == 0)
            return 0;
    }
    if (v->pool_size + len + 1 > v->pool_cap) {
        uint64_t cap = v->pool_cap ? v->pool_cap : 1 << 16;
        while (cap < v->pool_size + len + 1) cap *= 2;
        char *p = realloc(v->pool, cap);
        if (!p) return -1;
        v->pool = p;
        v->pool_cap = cap;
    }
    if (v->n + 2 > v->offsets_cap) {
        uint64_t cap = v->offsets_cap ? 2 * v->offsets_cap : 1 << 12;
        uint64_t *o = realloc(v->offsets, cap * sizeof *o);
        if (!o) return -1;
        v->offsets = o;
        v->offsets_cap = cap;
    }
    if (v->n == 0) v->offsets[0] = 0;
    memcpy(v->pool + v->pool_size, w, len);
    v->pool[v->pool_size + len] = '\0';
    v->pool_size += len + 1;
    v->offsets[v->n + 1] = v->pool_size;
    v->table[b] = ((uint64_t)tag << 32) | (v->n + 1);
    v->n++;
    return 1;
}

static void vocab_free(vocab *v)
{
    free(v->pool);
    free(v->offsets);
    free(v->table);
    memset(v, 0, sizeof *v);
}

static int write_zeros(FILE *fp, uint64_t n)
{
    static const char z[64];
    while (n) {
        size_t k = n < sizeof z ? (size_t)n : sizeof z;
        if (fwrite(z, 1, k, fp) != k) return -1;
        n -= k;
    }
    return 0;
}

static int host_is_little_endian(void)
{
    const uint32_t x = 1;
    unsigned char c;
    memcpy(&c, &x, 1);
    return c == 1;
}

/* Parse the values of one line (after the word) into out[0..cap). Returns the number of
 * values found (may exceed cap: then only counted), or -1 with *bad pointing at the field
 * that is not a finite number. */
static long parse_values(char *p, float *out, long cap, char **bad, int *nonfinite)
{
    long n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '\0') return n;
        char *end;
        float x;
        if (!ef_glove_parse_float(p, &end, &x) || (*end != ' ' && *end != '\t' && *end != '\0')) {
            *bad = p;
            *nonfinite = 0;
            return -1;
        }
        if (!isfinite(x)) {
            *bad = p;
            *nonfinite = 1;
            return -1;
        }
        if (n < cap) out[n] = x;
        n++;
        p = end;
    }
}

/* Copy at most ~40 bytes of a field for an error message. */
static void field_excerpt(const char *p, char *buf, size_t cap)
{
    size_t i = 0;
    while (p[i] && p[i] != ' ' && p[i] != '\t' && i + 4 < cap && i < 40) {
        buf[i] = p[i];
        i++;
    }
    buf[i] = '\0';
    if (p[i] && p[i] != ' ' && p[i] != '\t') snprintf(buf + i, cap - i, "...");
}

ef_code ef_glove_build(const char *txt_path, const char *index_path, ef_glove_build_stats *stats,
                       ef_glove_progress_fn progress, void *progress_ctx, ef_error *err)
{
    glove_text in;
    ef_code rc = glove_text_open(&in, txt_path, err);
    if (rc) return rc;
    rc = ef_glove_build_stream(in.fp, txt_path, in.total, index_path, stats, progress, progress_ctx, err);
    /* A cut .gz can end at a line end, or mid-line (a "wrong number of values" error):
     * either way the cause to report is the compressed data. */
    const char *gz_error = glove_text_close(&in);
    if (gz_error)
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: corrupt or truncated gzip data (%s): index not written", txt_path,
                     gz_error);
    return rc;
}

ef_code ef_glove_build_stream(FILE *in, const char *txt_path, uint64_t total, const char *index_path,
                              ef_glove_build_stats *stats, ef_glove_progress_fn progress, void *progress_ctx,
                              ef_error *err)
{
    if (!host_is_little_endian())
        return ef_fail(err, EF_ERR_INTERNAL, "%s: GloVe index requires a little-endian host", index_path);
    double t0 = ef_now();
    ef_atomic_file af;
    ef_code rc = ef_atomic_open(&af, index_path, err);
    if (rc) return rc;
    setvbuf(af.fp, NULL, _IOFBF, 1 << 20);

    vocab v = {0};
    char *line = NULL;
    size_t line_cap = 0;
    float *vec = NULL;
    long dim = 0, vec_cap = 0;
    uint64_t lineno = 0, lines = 0, dups = 0, bytes = 0, next_report = 64u << 20;
    ssize_t len;

    if (write_zeros(af.fp, EF_GLOVE_HEADER_SIZE) != 0) goto write_error;
    while ((len = getline(&line, &line_cap, in)) > 0) {
        lineno++;
        bytes += (uint64_t)len;
        if (progress && bytes >= next_report) {
            progress(progress_ctx, bytes, total);
            next_report = bytes + (64u << 20);
        }
        if ((lineno & 0xfff) == 0 && ef_interrupted()) {
            rc = ef_fail(err, EF_ERR_INTERRUPTED, "%s:%llu: interrupted", txt_path, (unsigned long long)lineno);
            goto fail;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0) continue; /* blank lines (e.g. a trailing one) carry no word */
        if (memchr(line, '\0', (size_t)len)) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%llu: NUL byte in line", txt_path, (unsigned long long)lineno);
            goto fail;
        }
        lines++;
        char *sp = line;
        while (*sp && *sp != ' ') sp++;
        size_t wlen = (size_t)(sp - line);
        if (wlen == 0) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%llu: line starts with a space (empty word)", txt_path,
                         (unsigned long long)lineno);
            goto fail;
        }
        if (*sp == '\0') {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%llu: word '%.40s' has no values", txt_path,
                         (unsigned long long)lineno, line);
            goto fail;
        }
        *sp = '\0';
        if (dim == 0) {
            /* The first line fixes D: count its values first. */
            char *bad = NULL;
            int nonfinite = 0;
            long n = parse_values(sp + 1, NULL, 0, &bad, &nonfinite);
            if (n < 0) {
                char ex[48];
                field_excerpt(bad, ex, sizeof ex);
                rc = ef_fail(err, EF_ERR_FORMAT, "%s:%llu: %s '%s' in the vector of '%.40s'", txt_path,
                             (unsigned long long)lineno, nonfinite ? "non-finite value" : "not a number", ex,
                             line);
                goto fail;
            }
            if (n == 0) { /* "word " with nothing after the space */
                rc = ef_fail(err, EF_ERR_FORMAT, "%s:%llu: word '%.40s' has no values", txt_path,
                             (unsigned long long)lineno, line);
                goto fail;
            }
            if (n > MAX_DIM) {
                rc = ef_fail(err, EF_ERR_FORMAT, "%s:%llu: %ld values, more than the %d supported", txt_path,
                             (unsigned long long)lineno, n, MAX_DIM);
                goto fail;
            }
            dim = n;
            vec_cap = n;
            vec = malloc((size_t)n * sizeof *vec);
            if (!vec) {
                rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", txt_path);
                goto fail;
            }
        }
        char *bad = NULL;
        int nonfinite = 0;
        long n = parse_values(sp + 1, vec, vec_cap, &bad, &nonfinite);
        if (n < 0) {
            char ex[48];
            field_excerpt(bad, ex, sizeof ex);
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%llu: %s '%s' in the vector of '%.40s'", txt_path,
                         (unsigned long long)lineno, nonfinite ? "non-finite value" : "not a number", ex, line);
            goto fail;
        }
        if (n != dim) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%llu: word '%.40s' has %ld values, expected %ld (dimension of the first line)",
                         txt_path, (unsigned long long)lineno, line, n, dim);
            goto fail;
        }
        if (v.n >= 0xfffffffeu) {
            rc = ef_fail(err, EF_ERR_FORMAT, "%s:%llu: more than 2^32 - 2 words", txt_path, (unsigned long long)lineno);
            goto fail;
        }
        int ins = vocab_insert(&v, line, wlen);
        if (ins < 0) {
            rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", txt_path);
            goto fail;
        }
        if (ins == 0) {
            dups++;
            continue;
        }
        if (fwrite(vec, sizeof *vec, (size_t)dim, af.fp) != (size_t)dim) goto write_error;
    }
    if (ferror(in)) {
        rc = ef_fail(err, EF_ERR_IO, "%s: read failed after line %llu", txt_path, (unsigned long long)lineno);
        goto fail;
    }
    if (v.n == 0) {
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: no word vectors found (empty file?)", txt_path);
        goto fail;
    }

    {
        ef_glove_header h;
        memset(&h, 0, sizeof h);
        memcpy(h.magic, EF_GLOVE_MAGIC, 8);
        h.version = EF_GLOVE_VERSION;
        h.dim = (uint32_t)dim;
        h.n_words = v.n;
        h.n_buckets = v.n_buckets;
        h.off_vectors = EF_GLOVE_HEADER_SIZE;
        uint64_t end_vec = h.off_vectors + v.n * (uint64_t)dim * sizeof(float);
        h.off_offsets = (end_vec + 7) & ~(uint64_t)7;
        h.off_pool = h.off_offsets + (v.n + 1) * sizeof(uint64_t);
        h.pool_size = v.pool_size;
        h.off_table = (h.off_pool + v.pool_size + 7) & ~(uint64_t)7;
        h.file_size = h.off_table + v.n_buckets * sizeof(uint64_t);
        h.dropped_duplicates = dups;
        h.source_bytes = bytes;
        h.endian_check = 0x01020304u;
        if (write_zeros(af.fp, h.off_offsets - end_vec) != 0 ||
            fwrite(v.offsets, sizeof(uint64_t), v.n + 1, af.fp) != v.n + 1 ||
            fwrite(v.pool, 1, v.pool_size, af.fp) != v.pool_size ||
            write_zeros(af.fp, h.off_table - (h.off_pool + v.pool_size)) != 0 ||
            fwrite(v.table, sizeof(uint64_t), v.n_buckets, af.fp) != v.n_buckets ||
            fseek(af.fp, 0, SEEK_SET) != 0 || fwrite(&h, sizeof h, 1, af.fp) != 1)
            goto write_error;
    }
    rc = ef_atomic_commit(&af, err);
    if (rc == EF_OK && stats) {
        stats->lines = lines;
        stats->words = v.n;
        stats->duplicates = dups;
        stats->dim = (int)dim;
        stats->bytes_in = bytes;
        stats->seconds = ef_now() - t0;
    }
    if (rc == EF_OK && progress) progress(progress_ctx, bytes, total);
    free(line);
    free(vec);
    vocab_free(&v);
    return rc;

write_error:
    rc = ef_fail(err, EF_ERR_IO, "%s: write failed: %s", index_path, strerror(errno));
fail:
    ef_atomic_abort(&af);
    free(line);
    free(vec);
    vocab_free(&v);
    return rc;
}
