/* Every error of the BERT model loader (src/text/bert_load.c, bert_config.c), each on a
 * broken copy of the tiny fixture model built in a temporary folder: the call must fail
 * with the right code and a message naming the file and the offending key or tensor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emofuse/bert.h"
#include "text/bert_model.h"
#include "emofuse/safetensors.h"
#include "testutil.h"

static ef_safetensors_file *tiny;
static char *tiny_config;
static int case_no;

/* Per tensor: add it to w (possibly renamed, twice, converted...), or skip it. */
typedef void (*mutate_fn)(ef_safetensors_writer *w, const ef_safetensors_tensor *t);

static void keep(ef_safetensors_writer *w, const ef_safetensors_tensor *t)
{
    CHECK(ef_safetensors_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data, NULL) == EF_OK);
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    fputs(text, fp);
    fclose(fp);
}

/* config.json of the tiny model with the first `from` replaced by `to`. */
static char *config_with(const char *from, const char *to)
{
    char *s = malloc(strlen(tiny_config) + strlen(to) + 1);
    const char *p = from ? strstr(tiny_config, from) : NULL;
    if (!p) {
        strcpy(s, tiny_config);
        return s;
    }
    size_t k = (size_t)(p - tiny_config);
    memcpy(s, tiny_config, k);
    strcpy(s + k, to);
    strcat(s, p + strlen(from));
    return s;
}

/* A fresh model folder; NULL config / negative vocab / NULL mutate leave that file out. */
static const char *build(const char *config, int vocab_n, const char *vocab_drop, mutate_fn mutate)
{
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s/case%d", ef_test_tmpdir(), ++case_no);
    mkdir(dir, 0755);
    char path[1100];
    if (config) {
        snprintf(path, sizeof path, "%s/config.json", dir);
        write_text(path, config);
    }
    if (vocab_n >= 0) {
        snprintf(path, sizeof path, "%s/vocab.txt", dir);
        FILE *fp = fopen(path, "wb");
        static const char *special[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
        for (int i = 0; i < vocab_n; i++) {
            if (i < 5 && !(vocab_drop && strcmp(vocab_drop, special[i]) == 0)) fprintf(fp, "%s\n", special[i]);
            else fprintf(fp, "tok%d\n", i);
        }
        fclose(fp);
    }
    if (mutate) {
        ef_safetensors_writer *w = ef_safetensors_writer_new();
        for (int64_t i = 0; i < ef_safetensors_count(tiny); i++) mutate(w, ef_safetensors_get(tiny, i));
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        ef_error err = {0};
        CHECK_MSG(ef_safetensors_writer_save(w, path, &err) == EF_OK, "%s", err.msg);
        ef_safetensors_writer_free(w);
    }
    return dir;
}

/* Load must fail with `code` and a message containing every needle. */
static void expect_fail(const char *what, const char *dir, ef_code code, const char *n1, const char *n2)
{
    ef_bert_model *m = (ef_bert_model *)1;
    ef_error err = {0};
    ef_code rc = ef_bert_load(&m, dir, &err);
    CHECK_MSG(rc == code, "%s: got code %d (%s), want %d", what, rc, err.msg, code);
    CHECK_MSG(m == NULL, "%s: model not NULL on failure", what);
    CHECK_MSG(n1 == NULL || strstr(err.msg, n1), "%s: message '%s' lacks '%s'", what, err.msg, n1);
    CHECK_MSG(n2 == NULL || strstr(err.msg, n2), "%s: message '%s' lacks '%s'", what, err.msg, n2);
    if (rc == EF_OK && m) ef_bert_free(m);
}

static void expect_ok(const char *what, const char *dir)
{
    ef_bert_model *m = NULL;
    ef_error err = {0};
    CHECK_MSG(ef_bert_load(&m, dir, &err) == EF_OK, "%s: %s", what, err.msg);
    ef_bert_free(m);
}

/* ---- tensor mutations ---- */
static void drop_bias(ef_safetensors_writer *w, const ef_safetensors_tensor *t)
{
    if (strcmp(t->name, "encoder.layer.1.output.dense.bias") != 0) keep(w, t);
}
static void add_prefixed_dup(ef_safetensors_writer *w, const ef_safetensors_tensor *t)
{
    keep(w, t);
    if (strcmp(t->name, "embeddings.LayerNorm.weight") == 0)
        ef_safetensors_writer_add(w, "bert.embeddings.LayerNorm.weight", t->dtype, t->ndim, t->shape, t->data, NULL);
}
static void add_gamma_dup(ef_safetensors_writer *w, const ef_safetensors_tensor *t)
{
    keep(w, t);
    if (strcmp(t->name, "encoder.layer.0.output.LayerNorm.bias") == 0)
        ef_safetensors_writer_add(w, "encoder.layer.0.output.LayerNorm.beta", t->dtype, t->ndim, t->shape, t->data,
                                  NULL);
}
static void wrong_shape(ef_safetensors_writer *w, const ef_safetensors_tensor *t)
{
    if (strcmp(t->name, "embeddings.position_embeddings.weight") == 0) {
        int64_t shape[2] = {32, 32};
        ef_safetensors_writer_add(w, t->name, t->dtype, 2, shape, t->data, NULL);
    } else {
        keep(w, t);
    }
}
static void wrong_rank(ef_safetensors_writer *w, const ef_safetensors_tensor *t)
{
    if (strcmp(t->name, "encoder.layer.0.attention.self.key.bias") == 0) {
        int64_t shape[2] = {1, 32};
        ef_safetensors_writer_add(w, t->name, t->dtype, 2, shape, t->data, NULL);
    } else {
        keep(w, t);
    }
}
static void wrong_dtype(ef_safetensors_writer *w, const ef_safetensors_tensor *t)
{
    if (strcmp(t->name, "encoder.layer.0.intermediate.dense.bias") == 0)
        ef_safetensors_writer_add(w, t->name, EF_DT_I32, t->ndim, t->shape, t->data, NULL);
    else
        keep(w, t);
}
static void extra_layer(ef_safetensors_writer *w, const ef_safetensors_tensor *t)
{
    keep(w, t);
    if (strcmp(t->name, "encoder.layer.1.output.dense.bias") == 0)
        ef_safetensors_writer_add(w, "encoder.layer.2.output.dense.bias", t->dtype, t->ndim, t->shape, t->data, NULL);
}
static void with_nan(ef_safetensors_writer *w, const ef_safetensors_tensor *t)
{
    if (strcmp(t->name, "encoder.layer.1.attention.self.value.weight") == 0) {
        float *copy = malloc(t->nbytes);
        memcpy(copy, t->data, t->nbytes);
        copy[100] = 0.0f / 0.0f;
        ef_safetensors_writer_add_copy(w, t->name, t->dtype, t->ndim, t->shape, copy, NULL);
        free(copy);
    } else {
        keep(w, t);
    }
}
static void with_heads(ef_safetensors_writer *w, const ef_safetensors_tensor *t)
{
    keep(w, t);
    if (strcmp(t->name, "embeddings.word_embeddings.weight") == 0) {
        int64_t s1[1] = {100};
        static float z[100];
        ef_safetensors_writer_add(w, "cls.predictions.bias", EF_DT_F32, 1, s1, z, NULL);
        int64_t s2[2] = {32, 32};
        ef_safetensors_writer_add(w, "pooler.dense.weight", EF_DT_F32, 2, s2, t->data, NULL);
    }
}

int main(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bert/tiny/model.safetensors", ef_test_fixtures_dir());
    ef_error err = {0};
    if (ef_safetensors_open(&tiny, path, &err) != EF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    snprintf(path, sizeof path, "%s/bert/tiny/config.json", ef_test_fixtures_dir());
    tiny_config = read_text(path);
    CHECK(tiny_config != NULL);

    /* The unmodified copy loads: the builder itself is sound. */
    expect_ok("intact copy", build(tiny_config, 100, NULL, keep));
    expect_ok("pooler and cls heads are ignored", build(tiny_config, 100, NULL, with_heads));

    /* Folder and files. */
    expect_fail("no folder", "/nonexistent/emofuse-bert", EF_ERR_IO, "/nonexistent/emofuse-bert", NULL);
    expect_fail("missing config.json", build(NULL, 100, NULL, keep), EF_ERR_IO, "config.json", "No such file");
    const char *d = build(tiny_config, 100, NULL, NULL);
    snprintf(path, sizeof path, "%s/pytorch_model.bin", d);
    write_text(path, "not a pickle");
    expect_fail("only pytorch_model.bin", d, EF_ERR_FORMAT, "models fetch bert-base-uncased", "safetensors");
    expect_fail("no weights at all", build(tiny_config, 100, NULL, NULL), EF_ERR_IO, "model.safetensors",
                "models fetch");
    expect_fail("missing vocab.txt", build(tiny_config, -1, NULL, keep), EF_ERR_IO, "vocab.txt", NULL);
    d = build(tiny_config, 100, NULL, NULL);
    snprintf(path, sizeof path, "%s/model.safetensors", d);
    write_text(path, "\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":");
    expect_fail("corrupt safetensors", d, EF_ERR_FORMAT, "model.safetensors", NULL);

    /* config.json */
    char *c;
    expect_fail("malformed JSON", build("{\"num_hidden_layers\": 2,", 100, NULL, keep), EF_ERR_FORMAT,
                "config.json", "malformed JSON");
    expect_fail("trailing garbage", build("{} x", 100, NULL, keep), EF_ERR_FORMAT, "config.json", "malformed");
    expect_fail("not an object", build("[1, 2]", 100, NULL, keep), EF_ERR_FORMAT, "config.json", "object");
    expect_fail("missing key", build(c = config_with("\"hidden_size\"", "\"hidden_sizes\""), 100, NULL, keep),
                EF_ERR_FORMAT, "config.json", "missing key 'hidden_size'");
    free(c);
    expect_fail("string number", build(c = config_with("\"intermediate_size\": 64", "\"intermediate_size\": \"64\""),
                                       100, NULL, keep),
                EF_ERR_FORMAT, "config.json", "key 'intermediate_size' must be an integer");
    free(c);
    expect_fail("float layers", build(c = config_with("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 2.5"), 100,
                                      NULL, keep),
                EF_ERR_FORMAT, "config.json", "'num_hidden_layers'");
    free(c);
    expect_fail("negative", build(c = config_with("\"max_position_embeddings\": 64", "\"max_position_embeddings\": -1"),
                                  100, NULL, keep),
                EF_ERR_FORMAT, "config.json", "'max_position_embeddings' = -1 is out of range");
    free(c);
    expect_fail("huge", build(c = config_with("\"vocab_size\": 100", "\"vocab_size\": 99999999999999999999"), 100,
                              NULL, keep),
                EF_ERR_FORMAT, "config.json", "'vocab_size'");
    free(c);
    expect_fail("heads do not divide", build(c = config_with("\"num_attention_heads\": 4", "\"num_attention_heads\": 5"),
                                             100, NULL, keep),
                EF_ERR_FORMAT, "config.json", "does not divide");
    free(c);
    expect_fail("relu", build(c = config_with("\"gelu\"", "\"relu\""), 100, NULL, keep), EF_ERR_FORMAT, "config.json",
                "key 'hidden_act' = \"relu\" is not supported");
    free(c);
    expect_fail("eps zero", build(c = config_with("1e-12", "0"), 100, NULL, keep), EF_ERR_FORMAT, "config.json",
                "'layer_norm_eps'");
    free(c);
    expect_fail("relative positions", build(c = config_with("\"absolute\"", "\"relative_key\""), 100, NULL, keep),
                EF_ERR_FORMAT, "config.json", "position_embedding_type");
    free(c);

    /* Tensors. */
    expect_fail("missing tensor", build(tiny_config, 100, NULL, drop_bias), EF_ERR_FORMAT, "model.safetensors",
                "missing tensor 'encoder.layer.1.output.dense.bias'");
    expect_fail("duplicate after prefix stripping", build(tiny_config, 100, NULL, add_prefixed_dup), EF_ERR_FORMAT,
                "duplicate tensor", "embeddings.LayerNorm.weight");
    expect_fail("duplicate gamma/beta alias", build(tiny_config, 100, NULL, add_gamma_dup), EF_ERR_FORMAT,
                "duplicate tensor", "LayerNorm.beta");
    expect_fail("wrong shape", build(tiny_config, 100, NULL, wrong_shape), EF_ERR_FORMAT,
                "tensor 'embeddings.position_embeddings.weight' has wrong shape: got [32, 32], expected [64, 32]",
                "model.safetensors");
    expect_fail("wrong rank", build(tiny_config, 100, NULL, wrong_rank), EF_ERR_FORMAT,
                "tensor 'encoder.layer.0.attention.self.key.bias' has wrong shape: got [1, 32], expected [32]", NULL);
    expect_fail("wrong dtype", build(tiny_config, 100, NULL, wrong_dtype), EF_ERR_FORMAT,
                "'encoder.layer.0.intermediate.dense.bias' has unsupported dtype I32", NULL);
    expect_fail("unexpected tensor (extra layer)", build(tiny_config, 100, NULL, extra_layer), EF_ERR_FORMAT,
                "unexpected tensor 'encoder.layer.2.output.dense.bias'", NULL);
    expect_fail("NaN weight", build(tiny_config, 100, NULL, with_nan), EF_ERR_FORMAT,
                "'encoder.layer.1.attention.self.value.weight' contains NaN", NULL);
    expect_fail("config vocab_size disagrees with the embeddings",
                build(c = config_with("\"vocab_size\": 100", "\"vocab_size\": 101"), 101, NULL, keep), EF_ERR_FORMAT,
                "'embeddings.word_embeddings.weight' has wrong shape: got [100, 32], expected [101, 32]", NULL);
    free(c);
    expect_fail("fewer layers in config than file",
                build(c = config_with("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"), 100, NULL, keep),
                EF_ERR_FORMAT, "unexpected tensor 'encoder.layer.1.", NULL);
    free(c);

    /* vocab.txt */
    expect_fail("vocab too short", build(tiny_config, 99, NULL, keep), EF_ERR_FORMAT,
                "vocab.txt: has 99 tokens but the word embeddings have 100 rows", NULL);
    expect_fail("vocab too long", build(tiny_config, 101, NULL, keep), EF_ERR_FORMAT, "has 101 tokens", NULL);
    expect_fail("vocab without [SEP]", build(tiny_config, 100, "[SEP]", keep), EF_ERR_FORMAT, "vocab.txt",
                "no '[SEP]'");

    ef_safetensors_close(tiny);
    free(tiny_config);
    return ef_test_exit();
}
