/* libFuzzer target: trained model files (src/nn/model_file.c on the safetensors reader):
 * the embedded config and metadata, tensor names, shapes and dtypes against the model the
 * config describes. Contract: a rejected file gives a one-line message and no model. */
#include "fuzz_input.h"

#include "emofuse/nn_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_put_input(data, size);
    if (!path) return 0;
    ef_model *m = NULL;
    ef_model_meta meta = {0};
    ef_error err = {0};
    if (ef_model_load(&m, &meta, path, &err) != EF_OK) {
        if (m) abort();
        fuzz_check_message(err.msg);
    } else if (ef_model_config_validate(ef_model_config_of(m), &err) != EF_OK) abort();
    ef_model_free(m);
    ef_model_meta_free(&meta);
    return 0;
}
