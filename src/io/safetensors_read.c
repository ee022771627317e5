/* safetensors reader: mmap the file, parse and validate the JSON header (json-c), and
 * expose tensors as pointers into the mapping. Every check names the file and tensor. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emofuse/safetensors.h"

struct ef_safetensors_file {
    char *path;
    void *map;
    size_t map_size;
    const uint8_t *data;   /* byte after the header */
    size_t data_size;
    ef_safetensors_tensor *tensors; /* sorted by data offset */
    int64_t n_tensors;
    const ef_safetensors_tensor **by_name; /* sorted by name */
    char **meta_keys, **meta_values;
    int64_t n_meta;
    char *names;           /* storage for names (one block) */
};

static const struct {
    const char *name;
    ef_dtype dt;
    size_t size;
} dtypes[] = {
    {"F32", EF_DT_F32, 4}, {"F16", EF_DT_F16, 2}, {"BF16", EF_DT_BF16, 2}, {"F64", EF_DT_F64, 8},
    {"I64", EF_DT_I64, 8}, {"I32", EF_DT_I32, 4}, {"I16", EF_DT_I16, 2},   {"I8", EF_DT_I8, 1},
    {"U8", EF_DT_U8, 1},   {"BOOL", EF_DT_BOOL, 1},
};

size_t ef_dtype_size(ef_dtype dt)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dt == dt) return dtypes[i].size;
    return 0;
}

const char *ef_dtype_name(ef_dtype dt)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dt == dt) return dtypes[i].name;
    return "?";
}

int ef_dtype_parse(const char *s, ef_dtype *out)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(dtypes[i].name, s) == 0) {
            *out = dtypes[i].dt;
            return 0;
        }
    return -1;
}

void ef_safetensors_close(ef_safetensors_file *f)
{
    if (!f) return;
    if (f->map && f->map != MAP_FAILED) munmap(f->map, f->map_size);
    for (int64_t i = 0; i < f->n_meta; i++) {
        free(f->meta_keys[i]);
        free(f->meta_values[i]);
    }
    free(f->meta_keys);
    free(f->meta_values);
    for (int64_t i = 0; i < f->n_tensors; i++) free((char *)f->tensors[i].name);
    free(f->tensors);
    free(f->by_name);
    free(f->path);
    free(f);
}

static int cmp_offset(const void *a, const void *b)
{
    const ef_safetensors_tensor *x = a, *y = b;
    const uint8_t *px = x->data, *py = y->data;
    if (px != py) return px < py ? -1 : 1;
    return (x->nbytes > y->nbytes) - (x->nbytes < y->nbytes);
}

static int cmp_name_ptr(const void *a, const void *b)
{
    return strcmp((*(const ef_safetensors_tensor *const *)a)->name, (*(const ef_safetensors_tensor *const *)b)->name);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* json-c silently keeps one of two equal keys, so duplicates are found on the raw text:
 * collect every key at depth 1 (raw, escapes kept) and look for equal neighbours. */
static ef_code check_duplicate_keys(const char *path, const char *json, size_t len, size_t *n_keys, ef_error *err)
{
    size_t cap = 64, n = 0;
    char **keys = malloc(cap * sizeof *keys);
    if (!keys) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    ef_code rc = EF_OK;
    int depth = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        char c = json[i];
        if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') depth--;
        else if (c == '"') {
            size_t start = ++i;
            while (i < len && json[i] != '"') i += (json[i] == '\\') ? 2 : 1;
            if (i >= len) break;
            size_t j = i + 1;
            while (j < len && (json[j] == ' ' || json[j] == '\n' || json[j] == '\t' || json[j] == '\r')) j++;
            if (depth == 1 && j < len && json[j] == ':') {
                if (n == cap) {
                    char **nk = realloc(keys, 2 * cap * sizeof *keys);
                    if (!nk) { rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path); break; }
                    keys = nk;
                    cap *= 2;
                }
                keys[n] = strndup(json + start, i - start);
                if (!keys[n]) { rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path); break; }
                n++;
            }
        }
    }
    if (!rc) {
        qsort(keys, n, sizeof *keys, cmp_str_ptr);
        for (size_t i = 1; i < n && !rc; i++)
            if (strcmp(keys[i - 1], keys[i]) == 0)
                rc = ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s' appears twice in the header", path, keys[i]);
    }
    for (size_t i = 0; i < n; i++) free(keys[i]);
    free(keys);
    *n_keys = n;
    return rc;
}

static ef_code parse_tensor(ef_safetensors_file *f, const char *name, json_object *obj, ef_safetensors_tensor *t,
                            ef_error *err)
{
    const char *path = f->path;
    json_object *jdt, *jshape, *joff;
    if (!json_object_is_type(obj, json_type_object))
        return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': entry is not a JSON object", path, name);
    if (!json_object_object_get_ex(obj, "dtype", &jdt) || !json_object_is_type(jdt, json_type_string))
        return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': missing or non-string dtype", path, name);
    if (ef_dtype_parse(json_object_get_string(jdt), &t->dtype) != 0)
        return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': unsupported dtype '%s'", path, name,
                       json_object_get_string(jdt));
    if (!json_object_object_get_ex(obj, "shape", &jshape) || !json_object_is_type(jshape, json_type_array))
        return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': missing or non-array shape", path, name);
    size_t nd = json_object_array_length(jshape);
    if (nd > EF_SAFETENSORS_MAX_DIMS)
        return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': rank %zu exceeds %d", path, name, nd,
                       EF_SAFETENSORS_MAX_DIMS);
    t->ndim = (int)nd;
    uint64_t count = 1;
    for (size_t i = 0; i < nd; i++) {
        json_object *d = json_object_array_get_idx(jshape, i);
        if (!json_object_is_type(d, json_type_int))
            return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': shape entry %zu is not an integer", path, name, i);
        int64_t v = json_object_get_int64(d);
        if (v < 0 || v > (int64_t)1 << 48)
            return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': shape entry %zu = %lld out of range", path, name, i,
                           (long long)v);
        t->shape[i] = v;
        if (v != 0 && count > UINT64_MAX / (uint64_t)v)
            return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': shape overflows", path, name);
        count *= (uint64_t)v;
    }
    size_t esz = ef_dtype_size(t->dtype);
    if (count > UINT64_MAX / esz) return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': size overflows", path, name);
    uint64_t expect = count * esz;
    if (!json_object_object_get_ex(obj, "data_offsets", &joff) || !json_object_is_type(joff, json_type_array) ||
        json_object_array_length(joff) != 2)
        return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': data_offsets must be [begin, end]", path, name);
    json_object *jb = json_object_array_get_idx(joff, 0), *je = json_object_array_get_idx(joff, 1);
    if (!json_object_is_type(jb, json_type_int) || !json_object_is_type(je, json_type_int))
        return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': data_offsets are not integers", path, name);
    int64_t b = json_object_get_int64(jb), e = json_object_get_int64(je);
    if (b < 0 || e < b || (uint64_t)e > f->data_size)
        return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': data_offsets [%lld, %lld] outside the %zu data bytes",
                       path, name, (long long)b, (long long)e, f->data_size);
    if ((uint64_t)(e - b) != expect)
        return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s': %lld bytes stored but dtype %s and shape need %llu",
                       path, name, (long long)(e - b), ef_dtype_name(t->dtype), (unsigned long long)expect);
    t->data = f->data + b;
    t->nbytes = (size_t)(e - b);
    return EF_OK;
}

static ef_code parse_metadata(ef_safetensors_file *f, json_object *meta, ef_error *err)
{
    if (!json_object_is_type(meta, json_type_object))
        return ef_fail(err, EF_ERR_FORMAT, "%s: __metadata__ is not a JSON object", f->path);
    int64_t n = json_object_object_length(meta);
    f->meta_keys = calloc((size_t)n + 1, sizeof(char *));
    f->meta_values = calloc((size_t)n + 1, sizeof(char *));
    if (!f->meta_keys || !f->meta_values) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", f->path);
    json_object_object_foreach(meta, key, val)
    {
        if (!json_object_is_type(val, json_type_string))
            return ef_fail(err, EF_ERR_FORMAT, "%s: __metadata__ value of '%s' is not a string", f->path, key);
        f->meta_keys[f->n_meta] = strdup(key);
        f->meta_values[f->n_meta] = strdup(json_object_get_string(val));
        f->n_meta++;
        if (!f->meta_keys[f->n_meta - 1] || !f->meta_values[f->n_meta - 1])
            return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", f->path);
    }
    return EF_OK;
}

static ef_code parse_header(ef_safetensors_file *f, const char *json, size_t len, ef_error *err)
{
    json_tokener *tok = json_tokener_new();
    if (!tok) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", f->path);
    json_object *root = json_tokener_parse_ex(tok, json, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t consumed = (size_t)json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        if (root) json_object_put(root);
        return ef_fail(err, EF_ERR_FORMAT, "%s: header is not valid JSON (%s)", f->path,
                       json_tokener_error_desc(jerr));
    }
    /* The format allows trailing spaces as padding, nothing else. */
    for (size_t i = consumed; i < len; i++)
        if (json[i] != ' ') {
            json_object_put(root);
            return ef_fail(err, EF_ERR_FORMAT, "%s: trailing bytes after the JSON header", f->path);
        }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return ef_fail(err, EF_ERR_FORMAT, "%s: header is not a JSON object", f->path);
    }
    size_t n_raw = 0;
    ef_code rc = check_duplicate_keys(f->path, json, len, &n_raw, err);
    int64_t n = json_object_object_length(root);
    /* Keys equal only after unescaping ("a" and "\u0061") pass the raw comparison, but
     * json-c keeps just one of them: fewer parsed keys than raw ones means a duplicate. */
    if (!rc && (size_t)n != n_raw)
        rc = ef_fail(err, EF_ERR_FORMAT, "%s: a tensor name appears twice in the header (spelt differently)", f->path);
    f->tensors = calloc((size_t)n + 1, sizeof *f->tensors);
    if (!f->tensors) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", f->path);
    json_object_object_foreach(root, key, val)
    {
        if (rc) break;
        if (strcmp(key, "__metadata__") == 0) {
            rc = parse_metadata(f, val, err);
            continue;
        }
        ef_safetensors_tensor *t = &f->tensors[f->n_tensors];
        rc = parse_tensor(f, key, val, t, err);
        if (rc) break;
        t->name = strdup(key);
        if (!t->name) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", f->path);
        else f->n_tensors++;
    }
    json_object_put(root);
    if (rc) return rc;

    /* Overlaps: sort by offset and compare neighbours (zero-size tensors never overlap). */
    qsort(f->tensors, (size_t)f->n_tensors, sizeof *f->tensors, cmp_offset);
    for (int64_t i = 1; i < f->n_tensors; i++) {
        const ef_safetensors_tensor *a = &f->tensors[i - 1], *b = &f->tensors[i];
        if (a->nbytes && b->nbytes && (const uint8_t *)a->data + a->nbytes > (const uint8_t *)b->data)
            return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s' overlaps tensor '%s'", f->path, b->name, a->name);
    }
    f->by_name = malloc(sizeof *f->by_name * ((size_t)f->n_tensors + 1));
    if (!f->by_name) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", f->path);
    for (int64_t i = 0; i < f->n_tensors; i++) f->by_name[i] = &f->tensors[i];
    qsort(f->by_name, (size_t)f->n_tensors, sizeof *f->by_name, cmp_name_ptr);
    return EF_OK;
}

ef_code ef_safetensors_open(ef_safetensors_file **out, const char *path, ef_error *err)
{
    *out = NULL;
    ef_safetensors_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ef_code rc = ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        ef_safetensors_close(f);
        return rc;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        ef_safetensors_close(f);
        return ef_fail(err, EF_ERR_IO, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    if (size < 8) {
        close(fd);
        ef_safetensors_close(f);
        return ef_fail(err, EF_ERR_FORMAT, "%s: truncated: %zu bytes, no safetensors header", path, size);
    }
    f->map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        ef_safetensors_close(f);
        return ef_fail(err, EF_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    }
    f->map_size = size;
    const uint8_t *p = f->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | p[i];
    if (hlen > EF_SAFETENSORS_MAX_HEADER) {
        ef_safetensors_close(f);
        /* Mostly another kind of file (a CSV, a JSON config): say so before the number. */
        return ef_fail(err, EF_ERR_FORMAT,
                       "%s: not a safetensors file (its first 8 bytes give a header length of %llu, over the %u-byte "
                       "limit)",
                       path, (unsigned long long)hlen, EF_SAFETENSORS_MAX_HEADER);
    }
    if (hlen > size - 8) {
        ef_safetensors_close(f);
        return ef_fail(err, EF_ERR_FORMAT, "%s: truncated: header says %llu bytes but the file has %zu", path,
                       (unsigned long long)hlen, size - 8);
    }
    if (hlen < 2 || p[8] != '{') {
        ef_safetensors_close(f);
        return ef_fail(err, EF_ERR_FORMAT, "%s: not a safetensors file (header does not start with '{')", path);
    }
    f->data = p + 8 + hlen;
    f->data_size = size - 8 - (size_t)hlen;
    ef_code rc = parse_header(f, (const char *)p + 8, (size_t)hlen, err);
    if (rc) {
        ef_safetensors_close(f);
        return rc;
    }
    *out = f;
    return EF_OK;
}

const char *ef_safetensors_path(const ef_safetensors_file *f) { return f->path; }
int64_t ef_safetensors_count(const ef_safetensors_file *f) { return f->n_tensors; }
const ef_safetensors_tensor *ef_safetensors_get(const ef_safetensors_file *f, int64_t i)
{
    return (i >= 0 && i < f->n_tensors) ? &f->tensors[i] : NULL;
}

const ef_safetensors_tensor *ef_safetensors_find(const ef_safetensors_file *f, const char *name)
{
    int64_t lo = 0, hi = f->n_tensors - 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        const ef_safetensors_tensor *t = f->by_name[mid];
        int c = strcmp(name, t->name);
        if (c == 0) return t;
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return NULL;
}

const char *ef_safetensors_meta(const ef_safetensors_file *f, const char *key)
{
    for (int64_t i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
    return NULL;
}

int64_t ef_safetensors_meta_count(const ef_safetensors_file *f) { return f->n_meta; }
void ef_safetensors_meta_at(const ef_safetensors_file *f, int64_t i, const char **key, const char **value)
{
    *key = f->meta_keys[i];
    *value = f->meta_values[i];
}

static void shape_str(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && k < n; i++) k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

ef_code ef_safetensors_expect(const ef_safetensors_file *f, const char *name, int ndim, const int64_t *shape,
                              const ef_safetensors_tensor **out, ef_error *err)
{
    const ef_safetensors_tensor *t = ef_safetensors_find(f, name);
    if (!t) return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s' is missing", f->path, name);
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) {
        char got[160], want[160];
        shape_str(got, sizeof got, t->ndim, t->shape);
        shape_str(want, sizeof want, ndim, shape);
        return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s' has wrong shape: got %s, expected %s", f->path, name, got,
                       want);
    }
    if (out) *out = t;
    return EF_OK;
}

void ef_convert_to_f32(float *dst, const void *src, ef_dtype dt, size_t n)
{
    const uint8_t *s = src;
    if (dt == EF_DT_F32) {
        memcpy(dst, src, n * 4);
    } else if (dt == EF_DT_BF16) {
        for (size_t i = 0; i < n; i++) {
            uint32_t bits = (uint32_t)(s[2 * i] | (s[2 * i + 1] << 8)) << 16;
            memcpy(&dst[i], &bits, 4);
        }
    } else if (dt == EF_DT_F16) {
        for (size_t i = 0; i < n; i++) {
            uint16_t h = (uint16_t)(s[2 * i] | (s[2 * i + 1] << 8));
            uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
            if (exp == 0) {
                if (man == 0) bits = sign;
                else { /* subnormal: renormalise */
                    int e = -1;
                    do {
                        e++;
                        man <<= 1;
                    } while (!(man & 0x400));
                    bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
                }
            } else if (exp == 31) {
                bits = sign | 0x7f800000u | (man << 13);
            } else {
                bits = sign | ((exp + 112) << 23) | (man << 13);
            }
            memcpy(&dst[i], &bits, 4);
        }
    }
}

int ef_safetensors_aligned(const ef_safetensors_tensor *t)
{
    size_t a = ef_dtype_size(t->dtype);
    return ((uintptr_t)t->data % (a ? a : 1)) == 0;
}
