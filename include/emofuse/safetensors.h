/* Reading and writing safetensors files (https://github.com/huggingface/safetensors):
 *   8-byte little-endian header length N, N bytes of JSON header, then raw tensor bytes.
 * The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]}
 * (offsets relative to the byte after the header) plus an optional "__metadata__"
 * object of string -> string.
 *
 * The reader trusts nothing: it bounds the header size, checks JSON types, ranks,
 * shape products against byte sizes (with overflow checks), offsets against the file
 * size, overlaps between tensors and duplicate names, and reports
 * "<path>: tensor '<name>': <cause>". Files are memory-mapped read-only; tensor data
 * pointers stay valid until ef_safetensors_close(). */
#ifndef EMOFUSE_SAFETENSORS_H
#define EMOFUSE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "emofuse/status.h"

typedef enum {
    EF_DT_F32,
    EF_DT_F16,
    EF_DT_BF16,
    EF_DT_F64,
    EF_DT_I64,
    EF_DT_I32,
    EF_DT_I16,
    EF_DT_I8,
    EF_DT_U8,
    EF_DT_BOOL
} ef_dtype;

#define EF_SAFETENSORS_MAX_DIMS 8
/* Headers above this size are rejected (the format's reference implementation uses 100 MB). */
#define EF_SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)

typedef struct {
    const char *name;
    ef_dtype dtype;
    int ndim;
    int64_t shape[EF_SAFETENSORS_MAX_DIMS];
    const void *data; /* into the mapping; aligned for files whose header is padded to 8
                       * bytes (HuggingFace and emofuse write them so); check
                       * ef_safetensors_aligned() before casting to float* */
    size_t nbytes;
} ef_safetensors_tensor;

typedef struct ef_safetensors_file ef_safetensors_file;

ef_code ef_safetensors_open(ef_safetensors_file **out, const char *path, ef_error *err);
void ef_safetensors_close(ef_safetensors_file *f);

const char *ef_safetensors_path(const ef_safetensors_file *f);
int64_t ef_safetensors_count(const ef_safetensors_file *f);
/* Tensors in file order (by data offset). */
const ef_safetensors_tensor *ef_safetensors_get(const ef_safetensors_file *f, int64_t i);
/* NULL when absent. Logarithmic (sorted index). */
const ef_safetensors_tensor *ef_safetensors_find(const ef_safetensors_file *f, const char *name);
/* Value of a __metadata__ key, NULL when absent. */
const char *ef_safetensors_meta(const ef_safetensors_file *f, const char *key);
int64_t ef_safetensors_meta_count(const ef_safetensors_file *f);
void ef_safetensors_meta_at(const ef_safetensors_file *f, int64_t i, const char **key, const char **value);

/* Bytes per element; parse/format dtype names ("F32", "BF16", ...). */
size_t ef_dtype_size(ef_dtype dt);
const char *ef_dtype_name(ef_dtype dt);
int ef_dtype_parse(const char *s, ef_dtype *out); /* 0 ok, -1 unknown */

/* True when t->data is aligned for its element type (safe to cast). */
int ef_safetensors_aligned(const ef_safetensors_tensor *t);

/* Convert n elements of F32/F16/BF16 data (possibly unaligned) to float. Other dtypes are
 * not converted (dst is left untouched): check t->dtype first. */
void ef_convert_to_f32(float *dst, const void *src, ef_dtype dt, size_t n);

/* Expect a tensor of the exact shape (any dtype: callers check dtype themselves);
 * the error names the file and the tensor. */
ef_code ef_safetensors_expect(const ef_safetensors_file *f, const char *name, int ndim, const int64_t *shape,
                              const ef_safetensors_tensor **out, ef_error *err);

/* Writer. Tensors are NOT copied: data must stay valid until ef_safetensors_writer_save().
 * Names must be unique; the file is written atomically (temp + rename), 8-byte aligned
 * tensor data, tensors in the order added. */
typedef struct ef_safetensors_writer ef_safetensors_writer;

ef_safetensors_writer *ef_safetensors_writer_new(void);
void ef_safetensors_writer_free(ef_safetensors_writer *w);
ef_code ef_safetensors_writer_add(ef_safetensors_writer *w, const char *name, ef_dtype dt, int ndim,
                                  const int64_t *shape, const void *data, ef_error *err);
/* Same, but the writer copies the data (for short-lived buffers). */
ef_code ef_safetensors_writer_add_copy(ef_safetensors_writer *w, const char *name, ef_dtype dt, int ndim,
                                       const int64_t *shape, const void *data, ef_error *err);
ef_code ef_safetensors_writer_meta(ef_safetensors_writer *w, const char *key, const char *value, ef_error *err);
ef_code ef_safetensors_writer_save(ef_safetensors_writer *w, const char *path, ef_error *err);

#endif
