/* safetensors writer: collects tensor descriptors and metadata, then writes header +
 * data in one atomic file. The header is padded with spaces to a multiple of 8 bytes so
 * that every tensor starts 8-byte aligned in a memory mapping (as HuggingFace does). */
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/atomic_file.h"
#include "emofuse/hash.h"
#include "emofuse/safetensors.h"

typedef struct {
    char *name;
    ef_dtype dtype;
    int ndim;
    int64_t shape[EF_SAFETENSORS_MAX_DIMS];
    const void *data;
    void *owned;
    size_t nbytes;
} writer_tensor;

struct ef_safetensors_writer {
    writer_tensor *t;
    size_t n, cap;
    json_object *meta;
    /* Open-addressing index of the names (tensor index + 1, 0 = empty), so that the
     * duplicate check stays O(1) for feature stores of 100k+ utterances. */
    size_t *slots;
    size_t nslots;      /* a power of two, at least twice n */
};

static size_t name_slot(const ef_safetensors_writer *w, const char *name)
{
    size_t i = (size_t)ef_fnv1a64_str(EF_FNV1A64_INIT, name) & (w->nslots - 1);
    while (w->slots[i] && strcmp(w->t[w->slots[i] - 1].name, name) != 0) i = (i + 1) & (w->nslots - 1);
    return i;
}

/* Make room for one more name; 0 on success. */
static int grow_index(ef_safetensors_writer *w)
{
    if (2 * (w->n + 1) <= w->nslots) return 0;
    size_t ns = w->nslots ? 2 * w->nslots : 64;
    size_t *old = w->slots, on = w->nslots;
    w->slots = calloc(ns, sizeof *w->slots);
    if (!w->slots) {
        w->slots = old;
        return -1;
    }
    w->nslots = ns;
    for (size_t i = 0; i < on; i++)
        if (old[i]) w->slots[name_slot(w, w->t[old[i] - 1].name)] = old[i];
    free(old);
    return 0;
}

ef_safetensors_writer *ef_safetensors_writer_new(void)
{
    ef_safetensors_writer *w = calloc(1, sizeof *w);
    if (w) w->meta = json_object_new_object();
    if (w && !w->meta) {
        free(w);
        return NULL;
    }
    return w;
}

void ef_safetensors_writer_free(ef_safetensors_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->t[i].name);
        free(w->t[i].owned);
    }
    free(w->t);
    free(w->slots);
    json_object_put(w->meta);
    free(w);
}

static ef_code add(ef_safetensors_writer *w, const char *name, ef_dtype dt, int ndim, const int64_t *shape,
                   const void *data, int copy, ef_error *err)
{
    if (ndim < 0 || ndim > EF_SAFETENSORS_MAX_DIMS)
        return ef_fail(err, EF_ERR_ARG, "tensor '%s': rank %d is not supported", name, ndim);
    if (strcmp(name, "__metadata__") == 0 || name[0] == '\0')
        return ef_fail(err, EF_ERR_ARG, "tensor '%s': reserved or empty name", name);
    if (grow_index(w) != 0) return ef_fail(err, EF_ERR_NOMEM, "tensor '%s': out of memory", name);
    size_t slot = name_slot(w, name);
    if (w->slots[slot]) return ef_fail(err, EF_ERR_ARG, "tensor '%s' added twice", name);
    size_t esz = ef_dtype_size(dt);
    if (esz == 0) return ef_fail(err, EF_ERR_ARG, "tensor '%s': unknown dtype %d", name, (int)dt);
    /* Overflow-checked byte size: a wrapped product would write a file whose header
     * disagrees with its data (and copy too few bytes). */
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return ef_fail(err, EF_ERR_ARG, "tensor '%s': negative dimension", name);
        if (shape[i] != 0 && count > SIZE_MAX / esz / (size_t)shape[i])
            return ef_fail(err, EF_ERR_ARG, "tensor '%s': size overflows", name);
        count *= (size_t)shape[i];
    }
    if (w->n == w->cap) {
        size_t nc = w->cap ? 2 * w->cap : 16;
        writer_tensor *nt = realloc(w->t, nc * sizeof *nt);
        if (!nt) return ef_fail(err, EF_ERR_NOMEM, "tensor '%s': out of memory", name);
        w->t = nt;
        w->cap = nc;
    }
    writer_tensor *t = &w->t[w->n];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->nbytes = count * esz;
    t->data = data;
    if (copy && t->nbytes) {
        t->owned = malloc(t->nbytes);
        if (t->owned) memcpy(t->owned, data, t->nbytes);
        t->data = t->owned;
    }
    if (!t->name || (copy && t->nbytes && !t->owned)) {
        free(t->name);
        free(t->owned);
        return ef_fail(err, EF_ERR_NOMEM, "tensor '%s': out of memory", name);
    }
    w->slots[slot] = w->n + 1;
    w->n++;
    return EF_OK;
}

ef_code ef_safetensors_writer_add(ef_safetensors_writer *w, const char *name, ef_dtype dt, int ndim,
                                  const int64_t *shape, const void *data, ef_error *err)
{
    return add(w, name, dt, ndim, shape, data, 0, err);
}

ef_code ef_safetensors_writer_add_copy(ef_safetensors_writer *w, const char *name, ef_dtype dt, int ndim,
                                       const int64_t *shape, const void *data, ef_error *err)
{
    return add(w, name, dt, ndim, shape, data, 1, err);
}

ef_code ef_safetensors_writer_meta(ef_safetensors_writer *w, const char *key, const char *value, ef_error *err)
{
    json_object *v = json_object_new_string(value);
    if (!v || json_object_object_add(w->meta, key, v) != 0)
        return ef_fail(err, EF_ERR_NOMEM, "metadata '%s': out of memory", key);
    return EF_OK;
}

ef_code ef_safetensors_writer_save(ef_safetensors_writer *w, const char *path, ef_error *err)
{
    json_object *root = json_object_new_object();
    if (!root) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    if (json_object_object_length(w->meta) > 0) json_object_object_add(root, "__metadata__", json_object_get(w->meta));
    size_t offset = 0;
    for (size_t i = 0; i < w->n; i++) {
        writer_tensor *t = &w->t[i];
        json_object *o = json_object_new_object();
        json_object *shape = json_object_new_array();
        json_object *off = json_object_new_array();
        for (int d = 0; d < t->ndim; d++) json_object_array_add(shape, json_object_new_int64(t->shape[d]));
        json_object_array_add(off, json_object_new_int64((int64_t)offset));
        json_object_array_add(off, json_object_new_int64((int64_t)(offset + t->nbytes)));
        json_object_object_add(o, "dtype", json_object_new_string(ef_dtype_name(t->dtype)));
        json_object_object_add(o, "shape", shape);
        json_object_object_add(o, "data_offsets", off);
        json_object_object_add(root, t->name, o);
        offset += t->nbytes;
    }
    const char *js = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!js) {
        json_object_put(root);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory for the header", path);
    }
    size_t jlen = strlen(js);
    size_t padded = (jlen + 7) & ~(size_t)7;
    ef_atomic_file af;
    ef_code rc = ef_atomic_open(&af, path, err);
    if (rc) {
        json_object_put(root);
        return rc;
    }
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    int ok = fwrite(len8, 1, 8, af.fp) == 8 && fwrite(js, 1, jlen, af.fp) == jlen;
    for (size_t i = jlen; ok && i < padded; i++) ok = fputc(' ', af.fp) != EOF;
    json_object_put(root);
    for (size_t i = 0; ok && i < w->n; i++)
        if (w->t[i].nbytes) ok = fwrite(w->t[i].data, 1, w->t[i].nbytes, af.fp) == w->t[i].nbytes;
    if (!ok) {
        int e = errno;
        ef_atomic_abort(&af);
        return ef_fail(err, EF_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    return ef_atomic_commit(&af, err);
}
