/* libFuzzer target for the safetensors reader (src/io/safetensors_read.c).
 * The reader works on files (it mmaps them), so each input is written to a private temp
 * file first; every accepted tensor is then read in full and converted, so that an
 * offset or size the validator let through would be caught by ASan.
 * Build and run (see docs/bert.md):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I/usr/include/json-c \
 *     fuzz/fuzz_safetensors.c src/io/safetensors_read.c src/core/status.c -ljson-c -o fuzz_st
 *   ./fuzz_st -max_total_time=60 -max_len=4096 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emofuse/safetensors.h"

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz-st-%d.safetensors", (int)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    ef_safetensors_file *f = NULL;
    ef_error err = {0};
    if (ef_safetensors_open(&f, path, &err) == EF_OK) {
        volatile float sink = 0;
        for (int64_t i = 0; i < ef_safetensors_count(f); i++) {
            const ef_safetensors_tensor *t = ef_safetensors_get(f, i);
            const unsigned char *p = t->data;
            for (size_t k = 0; k < t->nbytes; k++) sink += p[k];
            if (t->dtype == EF_DT_F32 || t->dtype == EF_DT_F16 || t->dtype == EF_DT_BF16) {
                size_t n = t->nbytes / ef_dtype_size(t->dtype);
                float *buf = malloc(n * sizeof(float) + 1);
                ef_convert_to_f32(buf, t->data, t->dtype, n);
                for (size_t k = 0; k < n; k++) sink += buf[k];
                free(buf);
            }
            if (ef_safetensors_find(f, t->name) != t) abort(); /* names are unique */
        }
        for (int64_t i = 0; i < ef_safetensors_meta_count(f); i++) {
            const char *k, *v;
            ef_safetensors_meta_at(f, i, &k, &v);
            if (ef_safetensors_meta(f, k) == NULL || strlen(v) > size) abort();
        }
        ef_safetensors_close(f);
    } else if (err.msg[0] == '\0') {
        abort(); /* every failure must say why */
    }
    return 0;
}
