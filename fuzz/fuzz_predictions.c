/* libFuzzer target: prediction CSVs as `emofuse evaluate` reads them
 * (src/eval/predictions.c). Contract: a rejected file gives a one-line message; an
 * accepted one has K >= 2 classes, probabilities in [0, 1], labels in -1..K-1, at least
 * one labelled row, and ef_evaluate scores it. */
#include "fuzz_input.h"

#include <math.h>

#include "emofuse/predictions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_put_input(data, size);
    if (!path) return 0;
    ef_pred_run run;
    ef_error err = {0};
    if (ef_pred_run_load(&run, path, &err) != EF_OK) fuzz_check_message(err.msg);
    else {
        if (run.K < 2 || run.n < 1) abort();
        int64_t labelled = 0;
        for (int64_t i = 0; i < run.n; i++) {
            if (run.labels[i] < -1 || run.labels[i] >= run.K) abort();
            labelled += run.labels[i] >= 0;
            for (int k = 0; k < run.K; k++)
                if (!(run.probs[i * run.K + k] >= -1e-6f && run.probs[i * run.K + k] <= 1 + 1e-6f)) abort();
        }
        if (labelled < 1) abort();
        ef_eval_result res;
        if (ef_evaluate(&res, run.probs, run.labels, run.n, run.K, &err) != EF_OK || res.n != labelled ||
            !(res.av_rec >= 0 && res.av_rec <= 1))
            abort();
    }
    ef_pred_run_free(&run);
    return 0;
}
