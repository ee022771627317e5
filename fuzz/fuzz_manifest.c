/* libFuzzer target: manifest CSVs (src/io/manifest.c, src/io/csv.c): RFC 4180 quoting,
 * the id column, id validation (UTF-8, control characters, reserved names, duplicates).
 * Contract: a rejected file gives a one-line message and no manifest; an accepted one has
 * non-empty, unique ids that ef_manifest_find finds again, and audio paths for every row. */
#include "fuzz_input.h"

#include <string.h>

#include "emofuse/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_put_input(data, size);
    if (!path) return 0;
    ef_manifest *m = NULL;
    ef_error err = {0};
    if (ef_manifest_load(&m, path, &err) != EF_OK) {
        if (m) abort();
        fuzz_check_message(err.msg);
        return 0;
    }
    const int64_t n = ef_manifest_rows(m);
    for (int64_t r = 0; r < n; r++) {
        const char *id = ef_manifest_id(m, r);
        if (!id || !id[0] || ef_manifest_find(m, id) != r) abort();
        free(ef_manifest_audio_path(m, r));
    }
    ef_manifest_free(m);
    return 0;
}
