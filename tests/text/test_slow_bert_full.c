/* Slow: a full-size (12 layers, 768 hidden, 30522 vocab) random BERT generated at test
 * time by tests/reference/bert_reference.py, compared layer by layer with the PyTorch
 * reference for sequences of 5, 42 and 142 tokens, single and packed together.
 * Exit 77 unless EMOFUSE_SLOW_TESTS=1, or when /usr/bin/python3 with torch is missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "emofuse/bert.h"
#include "text/bert_model.h"
#include "emofuse/safetensors.h"
#include "testutil.h"

int main(void)
{
    const char *slow = getenv("EMOFUSE_SLOW_TESTS");
    if (!slow || strcmp(slow, "1") != 0) ef_test_skip("slow test: set EMOFUSE_SLOW_TESTS=1");
    if (system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") != 0)
        ef_test_skip("/usr/bin/python3 with torch and numpy is not available");
    char dir[1024], cmd[4096], path[1100];
    snprintf(dir, sizeof dir, "%s/bert-base-random", ef_test_tmpdir());
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/../reference/bert_reference.py' full '%s'", ef_test_fixtures_dir(),
             dir);
    int rc = system(cmd);
    CHECK_MSG(rc == 0, "reference script failed: %s", cmd);
    if (rc != 0) return ef_test_exit();
    ef_bert_model *m = NULL;
    ef_safetensors_file *ref = NULL;
    ef_error err = {0};
    CHECK_MSG(ef_bert_load(&m, dir, &err) == EF_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/expected.safetensors", dir);
    CHECK_MSG(ef_safetensors_open(&ref, path, &err) == EF_OK, "%s", err.msg);
    if (!m || !ref) return ef_test_exit();
    int L = m->cfg.n_layers, C = m->cfg.hidden;
    CHECK(L == 12 && C == 768 && m->owned == NULL);
    int lens[3], N = 0;
    int32_t ids[512];
    const float *want[3];
    for (int s = 0; s < 3; s++) {
        char nm[64];
        snprintf(nm, sizeof nm, "seq%d.input_ids", s);
        const ef_safetensors_tensor *t = ef_safetensors_find(ref, nm);
        snprintf(nm, sizeof nm, "seq%d.hidden", s);
        want[s] = ef_safetensors_find(ref, nm)->data;
        lens[s] = (int)t->shape[0];
        memcpy(ids + N, t->data, (size_t)lens[s] * sizeof(int32_t));
        N += lens[s];
    }
    ef_bert_workspace *ws = ef_bert_workspace_new(&m->cfg, N, 512);
    float *all = malloc((size_t)(L + 1) * N * C * sizeof(float));
    float *one = malloc((size_t)(L + 1) * N * C * sizeof(float));
    /* Single sequences. */
    int row = 0;
    for (int s = 0; s < 3; s++) {
        char what[64];
        CHECK(ef_bert_forward(m, ws, ids + row, &lens[s], 1, one, NULL, 0, &err) == EF_OK);
        snprintf(what, sizeof what, "full model seq %d (T=%d)", s, lens[s]);
        CHECK(ef_test_close(what, one, want[s], (size_t)(L + 1) * lens[s] * C, 1e-4, 1e-4));
        row += lens[s];
    }
    /* All three packed into one batch. */
    CHECK(ef_bert_forward(m, ws, ids, lens, 3, all, NULL, 0, &err) == EF_OK);
    row = 0;
    for (int s = 0; s < 3; s++) {
        char what[64];
        for (int l = 0; l <= L; l++)
            memcpy(one + (size_t)l * lens[s] * C, all + ((size_t)l * N + row) * C, (size_t)lens[s] * C * sizeof(float));
        snprintf(what, sizeof what, "full model packed seq %d", s);
        CHECK(ef_test_close(what, one, want[s], (size_t)(L + 1) * lens[s] * C, 1e-4, 1e-4));
        row += lens[s];
    }
    free(all);
    free(one);
    ef_bert_workspace_free(ws);
    ef_bert_free(m);
    ef_safetensors_close(ref);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return ef_test_exit();
}
