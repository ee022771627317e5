/* libFuzzer target: model-config JSON (src/nn/model_config.c on src/io/json_strict.c).
 * Contract: a rejected text gives a one-line message naming "cfg" and leaves the config
 * unchanged; an accepted one validates, and its JSON (ef_model_config_to_json) reads back
 * to the same JSON (round trip). */
#include "fuzz_input.h"

#include <string.h>

#include "emofuse/json_strict.h"
#include "emofuse/nn_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the raw bytes through the strict parser (NUL bytes included) */
    json_object *o = NULL;
    ef_error err = {0};
    if (ef_json_parse_strict(&o, (const char *)data, size, "cfg", &err) == EF_OK) json_object_put(o);
    else fuzz_check_message(err.msg);

    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ef_model_config c = ef_model_config_default_params(EF_SYS_EF), before = c;
    if (ef_model_config_from_json(&c, text, "cfg", &err) != EF_OK) {
        fuzz_check_message(err.msg);
        if (strncmp(err.msg, "cfg", 3) != 0 || memcmp(&c, &before, sizeof c) != 0) abort();
    } else {
        if (ef_model_config_validate(&c, &err) != EF_OK) abort();
        char *j = ef_model_config_to_json(&c);
        ef_model_config d = ef_model_config_default_params(EF_SYS_TEXT);
        if (!j || ef_model_config_from_json(&d, j, "round trip", &err) != EF_OK) abort();
        char *j2 = ef_model_config_to_json(&d);
        if (!j2 || strcmp(j, j2) != 0) abort();
        free(j);
        free(j2);
    }
    free(text);
    return 0;
}
