/* libFuzzer target for the vocab.txt parser (src/text/vocab.c): arbitrary bytes as a
 * vocab file. A rejected input must come with an error message naming the file; an
 * accepted one must have the four required special tokens and a consistent id <-> token
 * mapping for every id. Build and run: see fuzz/README.md. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ef_vocab *v = NULL;
    ef_error err = {0};
    ef_code rc = ef_vocab_parse(&v, (const char *)data, size, "fuzz", &err);
    if (rc != EF_OK) {
        if (v || strncmp(err.msg, "fuzz: ", 6) != 0) abort();
        return 0;
    }
    int32_t n = ef_vocab_size(v);
    if (n <= 0 || ef_vocab_unk_id(v) < 0 || ef_vocab_cls_id(v) < 0 || ef_vocab_sep_id(v) < 0 || ef_vocab_pad_id(v) < 0)
        abort();
    size_t maxb = 0;
    for (int32_t id = 0; id < n; id++) {
        const char *t = ef_vocab_token(v, id);
        size_t len = strlen(t);
        if (len > maxb) maxb = len;
        if (ef_vocab_find(v, t, len) != id) abort();
        if (len > 2 && t[0] == '#' && t[1] == '#' && ef_vocab_find_piece(v, t + 2, len - 2, true) != id) abort();
    }
    if (maxb != ef_vocab_max_token_bytes(v) || ef_vocab_token(v, n) != NULL) abort();
    ef_vocab_free(v);
    return 0;
}
