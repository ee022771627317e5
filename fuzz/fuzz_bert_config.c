/* libFuzzer target for the BERT config.json parser (src/text/bert_config.c): any input
 * either parses into a config whose invariants hold or fails with a message.
 * Build and run (see docs/bert.md):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I/usr/include/json-c \
 *     fuzz/fuzz_bert_config.c src/text/bert_config.c src/core/status.c -ljson-c -o fuzz_cfg
 *   ./fuzz_cfg -max_total_time=60 -dict=fuzz/bert_config.dict */
#include <stdint.h>
#include <stdlib.h>

#include "emofuse/bert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ef_bert_config c;
    ef_error err = {0};
    if (ef_bert_config_parse(&c, (const char *)data, size, "fuzz", &err) == EF_OK) {
        if (c.n_layers < 1 || c.n_layers > EF_BERT_MAX_LAYERS || c.hidden < 1 || c.n_heads < 1 ||
            c.hidden % c.n_heads != 0 || c.intermediate < 1 || c.max_positions < 3 || c.vocab_size < 1 ||
            c.type_vocab_size < 1 || !(c.layer_norm_eps > 0.0f))
            abort();
    } else if (err.msg[0] == '\0') {
        abort();
    }
    return 0;
}
