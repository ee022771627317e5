/* A randomly initialised BERT model folder (config.json, vocab.txt, model.safetensors)
 * that ef_bert_load reads like a pretrained one: for the demo and for users without
 * pretrained weights. Its features carry no pretrained knowledge (the experiment runner
 * says so); what they keep is a fixed, seeded, word-identity-preserving map from words to
 * 768-dim vectors mixed by random attention.
 *
 * The vocabulary is built from the corpus's own texts with the project's BasicTokenizer,
 * so WordPiece maps every seen word to one whole-word id (no ## pieces at all). Weights
 * follow HuggingFace's BertPreTrainedModel._init_weights: N(0, initializer_range = 0.02)
 * for every Linear and Embedding weight, the padding row of the word embeddings zeroed,
 * biases 0, LayerNorm weight 1 / bias 0. All draws come from one ef_rng in file order, so
 * the same texts and params give byte-identical files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emofuse/atomic_file.h"
#include "bert_model.h"
#include "emofuse/bert.h"
#include "emofuse/hash.h"
#include "emofuse/progress.h"
#include "emofuse/rng.h"
#include "emofuse/safetensors.h"
#include "emofuse/tokenizer.h"

#define INIT_STD 0.02
#define TYPE_VOCAB 2
#define MAX_VOCAB (1 << 24) /* bert_config.c's bound on vocab_size */

ef_bert_random_params ef_bert_random_default_params(void)
{
    ef_bert_random_params p = {.layers = 4, .hidden = 768, .heads = 12, .intermediate = 3072,
                               .max_positions = 512, .seed = 1};
    return p;
}

/* ---- vocabulary: distinct words in first-seen order --------------------------------- */

/* `text` is vocab.txt itself ("token\n" per id); the hash table maps a token to its id. */
typedef struct {
    char *text;
    size_t len, cap;
    size_t *off;      /* (n) start of token id in text */
    int64_t n, off_cap;
    int64_t *slot;    /* (mask + 1) token id or -1 */
    uint64_t mask;
} word_set;

static uint64_t fnv1a(const char *s, size_t n) { return ef_fnv1a64(EF_FNV1A64_INIT, s, n); }

static void set_free(word_set *s)
{
    free(s->text);
    free(s->off);
    free(s->slot);
    memset(s, 0, sizeof *s);
}

static size_t tok_len(const word_set *s, int64_t id)
{
    size_t end = id + 1 < s->n ? s->off[id + 1] : s->len;
    return end - s->off[id] - 1; /* without '\n' */
}

static int rehash(word_set *s, uint64_t cap)
{
    int64_t *t = malloc(cap * sizeof *t);
    if (!t) return -1;
    memset(t, 0xff, cap * sizeof *t);
    for (int64_t id = 0; id < s->n; id++) {
        uint64_t i = fnv1a(s->text + s->off[id], tok_len(s, id)) & (cap - 1);
        while (t[i] >= 0) i = (i + 1) & (cap - 1);
        t[i] = id;
    }
    free(s->slot);
    s->slot = t;
    s->mask = cap - 1;
    return 0;
}

/* Add w (n bytes) if new. 0 ok (added or present), -1 out of memory. */
static int set_add(word_set *s, const char *w, size_t n)
{
    if (!s->slot || 2 * (uint64_t)(s->n + 1) > s->mask + 1) {
        if (rehash(s, s->slot ? 2 * (s->mask + 1) : 1024)) return -1;
    }
    uint64_t i = fnv1a(w, n) & s->mask;
    for (; s->slot[i] >= 0; i = (i + 1) & s->mask) {
        int64_t id = s->slot[i];
        if (tok_len(s, id) == n && memcmp(s->text + s->off[id], w, n) == 0) return 0;
    }
    if (s->len + n + 1 > s->cap) {
        size_t c = s->cap ? s->cap : 4096;
        while (c < s->len + n + 1) c *= 2;
        char *t = realloc(s->text, c);
        if (!t) return -1;
        s->text = t;
        s->cap = c;
    }
    if (s->n == s->off_cap) {
        int64_t c = s->off_cap ? 2 * s->off_cap : 1024;
        size_t *o = realloc(s->off, (size_t)c * sizeof *o);
        if (!o) return -1;
        s->off = o;
        s->off_cap = c;
    }
    s->off[s->n] = s->len;
    memcpy(s->text + s->len, w, n);
    s->text[s->len + n] = '\n';
    s->len += n + 1;
    s->slot[i] = s->n++;
    return 0;
}

static ef_code build_vocab(word_set *s, const char *const *texts, int64_t n_texts, ef_error *err)
{
    /* The ids the loader and the tokenizer look up: [PAD] 0 (config pad_token_id), [UNK],
     * [CLS], [SEP] (all four required by vocab.c), [MASK] (optional there; BERT has it). */
    static const char *special[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    for (int i = 0; i < 5; i++)
        if (set_add(s, special[i], strlen(special[i]))) return ef_fail(err, EF_ERR_NOMEM, "vocabulary: out of memory");
    ef_words w;
    ef_words_init(&w);
    ef_code rc = EF_OK;
    for (int64_t t = 0; t < n_texts && !rc; t++) {
        const char *text = texts[t] ? texts[t] : "";
        if ((rc = ef_basic_tokenize(&w, text, strlen(text), err))) {
            ef_error_prefix(err, "text %lld", (long long)t);
            break;
        }
        for (size_t k = 0; k < w.count && !rc; k++) {
            /* WordPiece makes a word of more than 100 code points [UNK] without a lookup. */
            if (w.nchars[k] > EF_WORDPIECE_MAX_CHARS) continue;
            if (set_add(s, w.word[k], w.len[k])) rc = ef_fail(err, EF_ERR_NOMEM, "vocabulary: out of memory");
            else if (s->n > MAX_VOCAB)
                rc = ef_fail(err, EF_ERR_ARG, "vocabulary: more than %d distinct words (config.json's limit)",
                             MAX_VOCAB);
        }
    }
    ef_words_free(&w);
    return rc;
}

/* ---- weights ------------------------------------------------------------------------ */

typedef struct {
    char name[96];
    int ndim;
    int64_t shape[2];
    int kind;         /* INIT_* */
} tensor_spec;

enum { INIT_NORMAL, INIT_ZERO, INIT_ONE, INIT_EMBED_PAD };

static void spec(tensor_spec *t, int *n, const char *name, int ndim, int64_t d0, int64_t d1, int kind)
{
    tensor_spec *x = &t[(*n)++];
    snprintf(x->name, sizeof x->name, "%s", name);
    x->ndim = ndim;
    x->shape[0] = d0;
    x->shape[1] = ndim == 2 ? d1 : 0;
    x->kind = kind;
}

static int64_t spec_numel(const tensor_spec *t) { return t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1); }

/* The tensors of a BertModel in the order (and with the names) bert_load.c lists them. */
static int make_specs(tensor_spec *t, const ef_bert_random_params *p, int64_t V)
{
    int n = 0;
    int64_t C = p->hidden, I = p->intermediate;
    spec(t, &n, "embeddings.word_embeddings.weight", 2, V, C, INIT_EMBED_PAD);
    spec(t, &n, "embeddings.position_embeddings.weight", 2, p->max_positions, C, INIT_NORMAL);
    spec(t, &n, "embeddings.token_type_embeddings.weight", 2, TYPE_VOCAB, C, INIT_NORMAL);
    spec(t, &n, "embeddings.LayerNorm.weight", 1, C, 0, INIT_ONE);
    spec(t, &n, "embeddings.LayerNorm.bias", 1, C, 0, INIT_ZERO);
    static const struct {
        const char *suffix;
        int ndim, d0, d1, kind; /* d: 0 = C, 1 = I */
    } layer[16] = {
        {"attention.self.query.weight", 2, 0, 0, INIT_NORMAL},   {"attention.self.query.bias", 1, 0, 0, INIT_ZERO},
        {"attention.self.key.weight", 2, 0, 0, INIT_NORMAL},     {"attention.self.key.bias", 1, 0, 0, INIT_ZERO},
        {"attention.self.value.weight", 2, 0, 0, INIT_NORMAL},   {"attention.self.value.bias", 1, 0, 0, INIT_ZERO},
        {"attention.output.dense.weight", 2, 0, 0, INIT_NORMAL}, {"attention.output.dense.bias", 1, 0, 0, INIT_ZERO},
        {"attention.output.LayerNorm.weight", 1, 0, 0, INIT_ONE},
        {"attention.output.LayerNorm.bias", 1, 0, 0, INIT_ZERO},
        {"intermediate.dense.weight", 2, 1, 0, INIT_NORMAL},     {"intermediate.dense.bias", 1, 1, 0, INIT_ZERO},
        {"output.dense.weight", 2, 0, 1, INIT_NORMAL},           {"output.dense.bias", 1, 0, 0, INIT_ZERO},
        {"output.LayerNorm.weight", 1, 0, 0, INIT_ONE},          {"output.LayerNorm.bias", 1, 0, 0, INIT_ZERO},
    };
    for (int l = 0; l < p->layers; l++)
        for (int k = 0; k < 16; k++) {
            char nm[96];
            snprintf(nm, sizeof nm, "encoder.layer.%d.%s", l, layer[k].suffix);
            spec(t, &n, nm, layer[k].ndim, layer[k].d0 ? I : C, layer[k].d1 ? I : C, layer[k].kind);
        }
    return n;
}

static void init_tensor(float *w, const tensor_spec *t, ef_rng *rng)
{
    int64_t n = spec_numel(t);
    switch (t->kind) {
    case INIT_ZERO: memset(w, 0, (size_t)n * sizeof *w); break;
    case INIT_ONE:
        for (int64_t i = 0; i < n; i++) w[i] = 1.0f;
        break;
    default:
        for (int64_t i = 0; i < n; i++) w[i] = (float)(INIT_STD * ef_rng_normal(rng));
        /* nn.Embedding(padding_idx = pad_token_id = 0): HF zeroes that row after drawing. */
        if (t->kind == INIT_EMBED_PAD) memset(w, 0, (size_t)t->shape[1] * sizeof *w);
        break;
    }
}

/* ---- files -------------------------------------------------------------------------- */

static ef_code check_params(const ef_bert_random_params *p, ef_error *err)
{
    if (p->layers < 1 || p->layers > EF_BERT_MAX_LAYERS)
        return ef_fail(err, EF_ERR_ARG, "random encoder: layers = %d is out of range [1, %d]", p->layers,
                       EF_BERT_MAX_LAYERS);
    if (p->hidden < 1 || p->hidden > 16384)
        return ef_fail(err, EF_ERR_ARG, "random encoder: hidden = %d is out of range [1, 16384]", p->hidden);
    if (p->heads < 1 || p->heads > 1024)
        return ef_fail(err, EF_ERR_ARG, "random encoder: heads = %d is out of range [1, 1024]", p->heads);
    if (p->hidden % p->heads != 0)
        return ef_fail(err, EF_ERR_ARG, "random encoder: heads = %d does not divide hidden = %d", p->heads,
                       p->hidden);
    if (p->intermediate < 1 || p->intermediate > 65536)
        return ef_fail(err, EF_ERR_ARG, "random encoder: intermediate = %d is out of range [1, 65536]",
                       p->intermediate);
    if (p->max_positions < 3 || p->max_positions > 65536)
        return ef_fail(err, EF_ERR_ARG, "random encoder: max_positions = %d is out of range [3, 65536]",
                       p->max_positions);
    return EF_OK;
}

static char *join(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", dir, file);
    return s;
}

/* Make the renames and the unlink so far durable in this order (best effort: some file
 * systems cannot fsync a directory, and the files themselves are already fsync'ed). */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    (void)fsync(fd);
    close(fd);
}

/* Refuse to replace a model.safetensors that is not ours (e.g. a real bert-base-uncased). */
static ef_code remove_old_model(const char *st_path, ef_error *err)
{
    if (access(st_path, F_OK) != 0) return EF_OK;
    ef_safetensors_file *f = NULL;
    ef_error e2 = {0};
    int ours = 0;
    if (ef_safetensors_open(&f, st_path, &e2) == EF_OK) {
        const char *v = ef_safetensors_meta(f, "emofuse.random_encoder");
        ours = v && strcmp(v, "true") == 0;
        ef_safetensors_close(f);
    }
    if (!ours)
        return ef_fail(err, EF_ERR_ARG,
                       "%s: exists and is not an emofuse random encoder; refusing to overwrite it (choose another "
                       "folder)",
                       st_path);
    if (unlink(st_path) != 0) return ef_fail(err, EF_ERR_IO, "%s: cannot remove: %s", st_path, strerror(errno));
    return EF_OK;
}

ef_code ef_bert_write_random(const char *dir, const char *const *texts, int64_t n_texts,
                             const ef_bert_random_params *p, ef_error *err)
{
    if (!dir || !*dir) return ef_fail(err, EF_ERR_ARG, "random encoder: no output folder");
    if (!p) return ef_fail(err, EF_ERR_ARG, "random encoder: no parameters");
    if (n_texts < 0 || (n_texts > 0 && !texts))
        return ef_fail(err, EF_ERR_ARG, "random encoder: %lld texts but no text array", (long long)n_texts);
    ef_code rc = check_params(p, err);
    if (rc) return rc;

    word_set vocab = {0};
    tensor_spec *specs = NULL;
    float *block = NULL;
    ef_safetensors_writer *w = NULL;
    char *cfg_path = join(dir, "config.json"), *vocab_path = join(dir, "vocab.txt");
    char *st_path = join(dir, "model.safetensors");
    if (!cfg_path || !vocab_path || !st_path) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", dir);
        goto done;
    }
    if ((rc = build_vocab(&vocab, texts, n_texts, err))) goto done;
    int64_t V = vocab.n;

    /* All weights in one block: the safetensors writer keeps pointers until it saves. */
    int n_specs = 5 + 16 * p->layers;
    specs = calloc((size_t)n_specs, sizeof *specs);
    if (!specs) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", dir);
        goto done;
    }
    make_specs(specs, p, V);
    size_t total = 0;
    for (int k = 0; k < n_specs; k++) total += (size_t)spec_numel(&specs[k]);
    block = malloc(total * sizeof *block);
    w = ef_safetensors_writer_new();
    if (!block || !w) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory for %.1f MB of weights", dir, total * 4.0 / 1e6);
        goto done;
    }
    ef_rng rng;
    ef_rng_seed(&rng, p->seed);
    size_t off = 0;
    for (int k = 0; k < n_specs && !rc; k++) {
        if (ef_interrupted()) {
            rc = ef_fail(err, EF_ERR_INTERRUPTED, "%s: interrupted (nothing written)", dir);
            break;
        }
        init_tensor(block + off, &specs[k], &rng);
        rc = ef_safetensors_writer_add(w, specs[k].name, EF_DT_F32, specs[k].ndim, specs[k].shape, block + off, err);
        off += (size_t)spec_numel(&specs[k]);
    }
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)p->seed);
    /* "format": "pt" is what transformers' from_pretrained requires of a safetensors file
     * that has metadata at all. */
    if (!rc) rc = ef_safetensors_writer_meta(w, "format", "pt", err);
    if (!rc) rc = ef_safetensors_writer_meta(w, "emofuse.random_encoder", "true", err);
    if (!rc) rc = ef_safetensors_writer_meta(w, "emofuse.seed", seed, err);
    if (rc) goto done;

    char cfg[2048];
    int cn = snprintf(cfg, sizeof cfg,
                      "{\n"
                      "  \"architectures\": [\"BertModel\"],\n"
                      "  \"model_type\": \"bert\",\n"
                      "  \"attention_probs_dropout_prob\": 0.1,\n"
                      "  \"hidden_act\": \"gelu\",\n"
                      "  \"hidden_dropout_prob\": 0.1,\n"
                      "  \"hidden_size\": %d,\n"
                      "  \"initializer_range\": %g,\n"
                      "  \"intermediate_size\": %d,\n"
                      "  \"layer_norm_eps\": 1e-12,\n"
                      "  \"max_position_embeddings\": %d,\n"
                      "  \"num_attention_heads\": %d,\n"
                      "  \"num_hidden_layers\": %d,\n"
                      "  \"pad_token_id\": 0,\n"
                      "  \"position_embedding_type\": \"absolute\",\n"
                      "  \"type_vocab_size\": %d,\n"
                      "  \"vocab_size\": %lld,\n"
                      "  \"emofuse_random_encoder\": true,\n"
                      "  \"emofuse_seed\": %llu\n"
                      "}\n",
                      p->hidden, INIT_STD, p->intermediate, p->max_positions, p->heads, p->layers, TYPE_VOCAB,
                      (long long)V, (unsigned long long)p->seed);
    if (cn < 0 || (size_t)cn >= sizeof cfg) {
        rc = ef_fail(err, EF_ERR_INTERNAL, "%s: config.json does not fit its buffer", dir);
        goto done;
    }

    /* Only now touch the folder. The loader needs all three files, and model.safetensors
     * (the last one written) exists only when the other two belong to it. */
    if ((rc = ef_mkdir_p(dir, err))) goto done;
    if ((rc = remove_old_model(st_path, err))) goto done;
    sync_dir(dir);
    if ((rc = ef_atomic_write(cfg_path, cfg, (size_t)cn, err))) goto done;
    if ((rc = ef_atomic_write(vocab_path, vocab.text, vocab.len, err))) goto done;
    sync_dir(dir);
    if ((rc = ef_safetensors_writer_save(w, st_path, err))) goto done;
    sync_dir(dir);
done:
    ef_safetensors_writer_free(w);
    free(block);
    free(specs);
    set_free(&vocab);
    free(cfg_path);
    free(vocab_path);
    free(st_path);
    return rc;
}
