/* End-to-end `emofuse embed` on the tiny fixture model: the written safetensors file has
 * the documented tensors and shapes and matches the PyTorch reference (text.* tensors of
 * tests/fixtures/bert/expected.safetensors). Skips when the CLI is not built. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "emofuse/safetensors.h"
#include "testutil.h"

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int main(void)
{
    const char *bin = getenv("EMOFUSE_BIN");
    struct stat st;
    if (!bin || stat(bin, &st) != 0) ef_test_skip("EMOFUSE_BIN (the emofuse CLI) is not built");
    const char *fx = ef_test_fixtures_dir();
    char ref_path[1024], out[1024], cmd[4096];
    snprintf(ref_path, sizeof ref_path, "%s/bert/expected.safetensors", fx);
    snprintf(out, sizeof out, "%s/embed.safetensors", ef_test_tmpdir());
    ef_safetensors_file *ref = NULL, *got = NULL;
    ef_error err = {0};
    CHECK_MSG(ef_safetensors_open(&ref, ref_path, &err) == EF_OK, "%s", err.msg);
    const char *text = ef_safetensors_meta(ref, "text");
    CHECK(text != NULL && strchr(text, '\'') == NULL);
    snprintf(cmd, sizeof cmd, "'%s' embed --model '%s/bert/tiny' --text '%s' --out '%s' --all-layers 2>/dev/null", bin,
             fx, text, out);
    CHECK(run(cmd) == 0);
    CHECK_MSG(ef_safetensors_open(&got, out, &err) == EF_OK, "%s", err.msg);
    if (!got || !ref) return ef_test_exit();
    const ef_safetensors_tensor *ids = ef_safetensors_find(got, "input_ids"),
                                *emb = ef_safetensors_find(got, "embeddings"),
                                *hs = ef_safetensors_find(got, "hidden_states");
    const ef_safetensors_tensor *rids = ef_safetensors_find(ref, "text.input_ids"),
                                *remb = ef_safetensors_find(ref, "text.embeddings"),
                                *rhs = ef_safetensors_find(ref, "text.hidden");
    CHECK(ids && emb && hs && rids && remb && rhs);
    if (ids && emb && hs && rids && remb && rhs) {
        int64_t T = rids->shape[0];
        CHECK(ids->dtype == EF_DT_I32 && ids->ndim == 1 && ids->shape[0] == T);
        CHECK(memcmp(ids->data, rids->data, (size_t)T * 4) == 0);
        CHECK(emb->dtype == EF_DT_F32 && emb->ndim == 2 && emb->shape[0] == T - 2 && emb->shape[1] == 32);
        CHECK(hs->dtype == EF_DT_F32 && hs->ndim == 3 && hs->shape[0] == 3 && hs->shape[1] == T && hs->shape[2] == 32);
        CHECK(ef_test_close("embed embeddings", emb->data, remb->data, (size_t)(T - 2) * 32, 3e-4, 1e-4));
        CHECK(ef_test_close("embed hidden_states", hs->data, rhs->data, (size_t)3 * T * 32, 1e-4, 1e-4));
    }
    ef_safetensors_close(got);
    /* Without --all-layers there is no hidden_states; bad usage exits 2; a bad model 1. */
    snprintf(cmd, sizeof cmd, "'%s' embed -m '%s/bert/tiny' -t 'oh well' -o '%s' 2>/dev/null", bin, fx, out);
    CHECK(run(cmd) == 0);
    CHECK(ef_safetensors_open(&got, out, &err) == EF_OK);
    if (got) {
        CHECK(ef_safetensors_find(got, "hidden_states") == NULL);
        const ef_safetensors_tensor *e = ef_safetensors_find(got, "embeddings");
        CHECK(e && e->shape[0] == 2);
        ef_safetensors_close(got);
    }
    snprintf(cmd, sizeof cmd, "'%s' embed --model '%s/bert/tiny' --text x 2>/dev/null", bin, fx);
    CHECK(run(cmd) == 2);
    snprintf(cmd, sizeof cmd, "'%s' embed --model '%s/bert' --text x --out '%s' 2>/dev/null", bin, fx, out);
    CHECK(run(cmd) == 1);
    snprintf(cmd, sizeof cmd, "'%s' embed --help >/dev/null", bin);
    CHECK(run(cmd) == 0);
    ef_safetensors_close(ref);
    return ef_test_exit();
}
