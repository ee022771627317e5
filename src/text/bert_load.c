/* Loading a HuggingFace BERT model folder (config.json, vocab.txt, model.safetensors).
 *
 * Trust nothing: each tensor of the file is matched to the table of tensors that the
 * config implies. A tensor name may carry the "bert." prefix (BertModel vs BertFor*
 * checkpoints) and old checkpoints name LayerNorm parameters gamma/beta; both spellings
 * map to one canonical name, and two tensors with the same canonical name are an error.
 * Unknown tensors are errors (they mean a different architecture), except the pooler,
 * the pre-training heads (cls.*) and the position_ids buffer, which we do not use. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bert_model.h"
#include "emofuse/bert.h"
#include "emofuse/safetensors.h"

typedef struct {
    char name[96];           /* canonical name without "bert." */
    int ndim;
    int64_t shape[2];
    const float **slot;      /* where the F32 pointer goes */
    const ef_safetensors_tensor *t; /* the file's tensor once matched */
} expected;

static void shape_str(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "[");
    for (int d = 0; d < ndim && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

static void add(expected *e, int *n, const char *name, int ndim, int64_t d0, int64_t d1, const float **slot)
{
    expected *x = &e[(*n)++];
    snprintf(x->name, sizeof x->name, "%s", name);
    x->ndim = ndim;
    x->shape[0] = d0;
    x->shape[1] = d1;
    x->slot = slot;
    x->t = NULL;
}

/* Canonical name: strip "bert.", map LayerNorm.gamma/beta to weight/bias. Returns 0 when
 * the tensor is one we ignore. */
static int canonical(const char *name, char *out, size_t n)
{
    if (strncmp(name, "cls.", 4) == 0) return 0;
    if (strncmp(name, "bert.", 5) == 0) name += 5;
    if (strncmp(name, "pooler.", 7) == 0 || strncmp(name, "cls.", 4) == 0) return 0;
    if (strcmp(name, "embeddings.position_ids") == 0) return 0;
    size_t len = strlen(name);
    if (len >= n) len = n - 1;
    memcpy(out, name, len);
    out[len] = '\0';
    static const char *g = "LayerNorm.gamma", *b = "LayerNorm.beta";
    size_t lg = strlen(g), lb = strlen(b);
    if (len >= lg && strcmp(out + len - lg, g) == 0 && len - lg + strlen("LayerNorm.weight") < n)
        strcpy(out + len - lg, "LayerNorm.weight");
    else if (len >= lb && strcmp(out + len - lb, b) == 0 && len - lb + strlen("LayerNorm.bias") < n)
        strcpy(out + len - lb, "LayerNorm.bias");
    return 1;
}

static ef_code read_vocab(ef_bert_model *m, ef_error *err)
{
    FILE *fp = fopen(m->vocab_path, "rb");
    if (!fp) return ef_fail(err, EF_ERR_IO, "%s: %s", m->vocab_path, strerror(errno));
    /* Count tokens the way HuggingFace does (one per line, the last line may lack '\n')
     * and find the special tokens the encoder frames every sequence with. */
    char line[1024];
    int64_t count = 0;
    m->cls_id = m->sep_id = -1;
    int at_line_start = 1;
    size_t pos = 0;
    int c;
    while ((c = fgetc(fp)) != EOF) {
        if (c == '\n') {
            line[pos] = '\0';
            if (pos > 0 && line[pos - 1] == '\r') line[pos - 1] = '\0';
            if (strcmp(line, "[CLS]") == 0 && m->cls_id < 0) m->cls_id = (int32_t)count;
            if (strcmp(line, "[SEP]") == 0 && m->sep_id < 0) m->sep_id = (int32_t)count;
            count++;
            pos = 0;
            at_line_start = 1;
        } else {
            if (pos < sizeof line - 1) line[pos++] = (char)c;
            at_line_start = 0;
        }
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) return ef_fail(err, EF_ERR_IO, "%s: read error", m->vocab_path);
    if (!at_line_start) {
        line[pos] = '\0';
        if (strcmp(line, "[CLS]") == 0 && m->cls_id < 0) m->cls_id = (int32_t)count;
        if (strcmp(line, "[SEP]") == 0 && m->sep_id < 0) m->sep_id = (int32_t)count;
        count++;
    }
    if (count != m->cfg.vocab_size)
        return ef_fail(err, EF_ERR_FORMAT,
                       "%s: has %lld tokens but the word embeddings have %d rows (config.json vocab_size)",
                       m->vocab_path, (long long)count, m->cfg.vocab_size);
    if (m->cls_id < 0 || m->sep_id < 0)
        return ef_fail(err, EF_ERR_FORMAT, "%s: no '%s' token", m->vocab_path, m->cls_id < 0 ? "[CLS]" : "[SEP]");
    return EF_OK;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static char *join(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, file);
    return p;
}

void ef_bert_free(ef_bert_model *m)
{
    if (!m) return;
    ef_safetensors_close(m->st);
    free(m->owned);
    free(m->layers);
    free(m->dir);
    free(m->vocab_path);
    free(m);
}

static ef_code match_tensors(ef_bert_model *m, expected *e, int n_exp, ef_error *err)
{
    const char *path = ef_safetensors_path(m->st);
    char cname[128], got[128], want[128];
    for (int64_t i = 0; i < ef_safetensors_count(m->st); i++) {
        const ef_safetensors_tensor *t = ef_safetensors_get(m->st, i);
        if (!canonical(t->name, cname, sizeof cname)) continue;
        expected *x = NULL;
        for (int k = 0; k < n_exp; k++)
            if (strcmp(e[k].name, cname) == 0) {
                x = &e[k];
                break;
            }
        if (!x)
            return ef_fail(err, EF_ERR_FORMAT, "%s: unexpected tensor '%s' (not part of a %d-layer BERT encoder)",
                           path, t->name, m->cfg.n_layers);
        if (x->t)
            return ef_fail(err, EF_ERR_FORMAT, "%s: duplicate tensor '%s' (also stored as '%s')", path, t->name,
                           x->t->name);
        if (t->dtype != EF_DT_F32 && t->dtype != EF_DT_F16 && t->dtype != EF_DT_BF16)
            return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s' has unsupported dtype %s (expected F32, F16 or BF16)",
                           path, t->name, ef_dtype_name(t->dtype));
        int same = t->ndim == x->ndim;
        for (int d = 0; same && d < x->ndim; d++) same = t->shape[d] == x->shape[d];
        if (!same) {
            shape_str(got, sizeof got, t->ndim, t->shape);
            shape_str(want, sizeof want, x->ndim, x->shape);
            return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s' has wrong shape: got %s, expected %s", path, t->name,
                           got, want);
        }
        x->t = t;
    }
    for (int k = 0; k < n_exp; k++)
        if (!e[k].t) return ef_fail(err, EF_ERR_FORMAT, "%s: missing tensor '%s'", path, e[k].name);
    return EF_OK;
}

static size_t numel(const expected *x) { return (size_t)x->shape[0] * (size_t)(x->ndim == 2 ? x->shape[1] : 1); }

/* Point every slot at F32 data: in place when the file holds aligned F32, otherwise a
 * converted copy in one owned block. Then reject non-finite weights. */
static ef_code bind_tensors(ef_bert_model *m, expected *e, int n_exp, ef_error *err)
{
    size_t need = 0;
    for (int k = 0; k < n_exp; k++) {
        const ef_safetensors_tensor *t = e[k].t;
        if (t->dtype != EF_DT_F32 || ((uintptr_t)t->data % sizeof(float)) != 0) need += numel(&e[k]);
        m->weight_bytes += numel(&e[k]) * sizeof(float);
    }
    if (need) {
        m->owned = malloc(need * sizeof(float));
        if (!m->owned)
            return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory converting weights", ef_safetensors_path(m->st));
        m->owned_floats = need;
    }
    size_t off = 0;
    for (int k = 0; k < n_exp; k++) {
        const ef_safetensors_tensor *t = e[k].t;
        size_t n = numel(&e[k]);
        const float *p;
        if (t->dtype == EF_DT_F32 && ((uintptr_t)t->data % sizeof(float)) == 0) {
            p = t->data;
        } else {
            ef_convert_to_f32(m->owned + off, t->data, t->dtype, n);
            p = m->owned + off;
            off += n;
        }
        for (size_t i = 0; i < n; i++)
            if (!isfinite(p[i]))
                return ef_fail(err, EF_ERR_FORMAT, "%s: tensor '%s' contains NaN or Inf at element %zu",
                               ef_safetensors_path(m->st), t->name, i);
        *e[k].slot = p;
    }
    return EF_OK;
}

ef_code ef_bert_load(ef_bert_model **out, const char *dir, ef_error *err)
{
    *out = NULL;
    ef_bert_model *m = calloc(1, sizeof *m);
    char *cfg_path = join(dir, "config.json");
    char *st_path = join(dir, "model.safetensors");
    char *bin_path = join(dir, "pytorch_model.bin");
    expected *e = NULL;
    ef_code rc = EF_OK;
    if (!m || !cfg_path || !st_path || !bin_path) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", dir);
        goto fail;
    }
    m->dir = strdup(dir);
    m->vocab_path = join(dir, "vocab.txt");
    if (!m->dir || !m->vocab_path) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", dir);
        goto fail;
    }
    struct stat st;
    if (stat(dir, &st) != 0) {
        rc = ef_fail(err, EF_ERR_IO, "%s: %s", dir, strerror(errno));
        goto fail;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = ef_fail(err, EF_ERR_IO, "%s: not a model folder (not a directory)", dir);
        goto fail;
    }
    if ((rc = ef_bert_config_load(&m->cfg, cfg_path, err))) goto fail;
    if (!file_exists(st_path)) {
        if (file_exists(bin_path))
            rc = ef_fail(err, EF_ERR_FORMAT,
                         "%s: missing; the folder only has pytorch_model.bin (a Python pickle, which emofuse does "
                         "not read). Run `emofuse models fetch bert-base-uncased`, or convert it with Python: "
                         "`from safetensors.torch import save_file; import torch; "
                         "save_file(torch.load('pytorch_model.bin'), 'model.safetensors')`",
                         st_path);
        else
            rc = ef_fail(err, EF_ERR_IO, "%s: %s (run `emofuse models fetch bert-base-uncased`)", st_path,
                         strerror(ENOENT));
        goto fail;
    }
    const ef_bert_config *c = &m->cfg;
    int L = c->n_layers;
    int64_t C = c->hidden, I = c->intermediate;
    m->layers = calloc((size_t)L, sizeof *m->layers);
    e = calloc((size_t)(5 + 16 * L), sizeof *e);
    if (!m->layers || !e) {
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", dir);
        goto fail;
    }
    int n = 0;
    add(e, &n, "embeddings.word_embeddings.weight", 2, c->vocab_size, C, &m->wte);
    add(e, &n, "embeddings.position_embeddings.weight", 2, c->max_positions, C, &m->wpe);
    add(e, &n, "embeddings.token_type_embeddings.weight", 2, c->type_vocab_size, C, &m->tte);
    add(e, &n, "embeddings.LayerNorm.weight", 1, C, 0, &m->emb_ln_g);
    add(e, &n, "embeddings.LayerNorm.bias", 1, C, 0, &m->emb_ln_b);
    for (int l = 0; l < L; l++) {
        ef_bert_layer *ly = &m->layers[l];
        char p[32], nm[96];
#define ADD(suffix, nd, d0, d1, slot)                                   \
    do {                                                                \
        snprintf(nm, sizeof nm, "%s%s", p, suffix);                     \
        add(e, &n, nm, nd, d0, d1, slot);                               \
    } while (0)
        snprintf(p, sizeof p, "encoder.layer.%d.", l);
        ADD("attention.self.query.weight", 2, C, C, &ly->q_w);
        ADD("attention.self.query.bias", 1, C, 0, &ly->q_b);
        ADD("attention.self.key.weight", 2, C, C, &ly->k_w);
        ADD("attention.self.key.bias", 1, C, 0, &ly->k_b);
        ADD("attention.self.value.weight", 2, C, C, &ly->v_w);
        ADD("attention.self.value.bias", 1, C, 0, &ly->v_b);
        ADD("attention.output.dense.weight", 2, C, C, &ly->ao_w);
        ADD("attention.output.dense.bias", 1, C, 0, &ly->ao_b);
        ADD("attention.output.LayerNorm.weight", 1, C, 0, &ly->ln1_g);
        ADD("attention.output.LayerNorm.bias", 1, C, 0, &ly->ln1_b);
        ADD("intermediate.dense.weight", 2, I, C, &ly->fc_w);
        ADD("intermediate.dense.bias", 1, I, 0, &ly->fc_b);
        ADD("output.dense.weight", 2, C, I, &ly->proj_w);
        ADD("output.dense.bias", 1, C, 0, &ly->proj_b);
        ADD("output.LayerNorm.weight", 1, C, 0, &ly->ln2_g);
        ADD("output.LayerNorm.bias", 1, C, 0, &ly->ln2_b);
#undef ADD
    }
    if ((rc = ef_safetensors_open(&m->st, st_path, err))) goto fail;
    if ((rc = match_tensors(m, e, n, err))) goto fail;
    if ((rc = bind_tensors(m, e, n, err))) goto fail;
    if ((rc = read_vocab(m, err))) goto fail;
    free(e);
    free(cfg_path);
    free(st_path);
    free(bin_path);
    *out = m;
    return EF_OK;
fail:
    free(e);
    free(cfg_path);
    free(st_path);
    free(bin_path);
    ef_bert_free(m);
    return rc;
}

const ef_bert_config *ef_bert_model_config(const ef_bert_model *m) { return &m->cfg; }
const char *ef_bert_model_dir(const ef_bert_model *m) { return m->dir; }
const char *ef_bert_model_vocab_path(const ef_bert_model *m) { return m->vocab_path; }
int32_t ef_bert_model_cls_id(const ef_bert_model *m) { return m->cls_id; }
int32_t ef_bert_model_sep_id(const ef_bert_model *m) { return m->sep_id; }
size_t ef_bert_model_weight_bytes(const ef_bert_model *m) { return m->weight_bytes; }
