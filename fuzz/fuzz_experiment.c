/* libFuzzer target: experiment settings files (src/experiment/settings.c, strict JSON):
 * loaded over the defaults and validated. Input byte 0 chooses the base (defaults or the
 * pepino2020 preset); the rest is the file. Contract: a rejected file gives a one-line
 * message naming the file or setting. */
#include "fuzz_input.h"

#include "emofuse/experiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *path = fuzz_put_input(data + 1, size - 1);
    if (!path) return 0;
    ef_experiment *x = NULL;
    ef_error err = {0};
    if (ef_experiment_new(&x, (data[0] & 1) ? "pepino2020" : NULL, &err) != EF_OK) abort();
    if (ef_experiment_load(x, path, &err) != EF_OK || ef_experiment_validate(x, &err) != EF_OK)
        fuzz_check_message(err.msg);
    ef_experiment_free(x);
    return 0;
}
