/* Text feature stores: BERT word-piece features or GloVe word vectors of every manifest
 * row's text (or of one shard of the rows) into a resumable store, as
 * `emofuse features text` builds them. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/glove.h"
#include "emofuse/pipeline.h"
#include "emofuse/tokenizer.h"
#include "pipeline/features_internal.h"

typedef struct {
    const ef_manifest *m;
    int col;
    int64_t first; /* item k is manifest row first + k */
    const ef_bert_model *bert;
    const ef_vocab *vocab;
    ef_bert_feat_opts bopt;
    const ef_glove *glove;
    atomic_llong glove_tokens, glove_missing; /* for the out-of-vocabulary report */
} text_ctx;

ef_pipeline_text_params ef_pipeline_text_default_params(void)
{
    return (ef_pipeline_text_params){.column = "transcript", .bert_model = NULL, .glove = NULL,
                                     .bert = ef_bert_feat_default_params(), .bert_batch = 256};
}

/* BERT: one call embeds a whole batch of texts, so the encoder packs them into large GEMMs. */
static void extract_bert(void *ctx, const int64_t *items, int n, int thread, float **rows, int64_t *T,
                         ef_code *codes, ef_error *errs)
{
    (void)thread;
    text_ctx *c = ctx;
    int C = ef_bert_model_config(c->bert)->hidden;
    ef_tokenizer *tok = NULL;
    ef_token_ids *ids = calloc((size_t)n, sizeof *ids);
    const int32_t **pieces = calloc((size_t)n, sizeof *pieces);
    int *lens = calloc((size_t)n, sizeof *lens);
    ef_error err = {0};
    ef_code rc = (!ids || !pieces || !lens) ? ef_fail(&err, EF_ERR_NOMEM, "out of memory")
                                            : ef_tokenizer_create(&tok, c->vocab, &err);
    for (int k = 0; !rc && k < n; k++) {
        const char *text = ef_manifest_cell(c->m, c->first + items[k], c->col);
        rc = ef_tokenizer_encode(tok, text, strlen(text), 0, &ids[k], &err);
        if (rc) break;
        pieces[k] = ids[k].id;
        lens[k] = (int)ids[k].count;
        int R = ef_bert_feat_rows(c->bert, &c->bopt, lens[k]);
        T[k] = R;
        rows[k] = malloc(sizeof(float) * (size_t)(R > 0 ? R : 1) * (size_t)C);
        if (!rows[k]) rc = ef_fail(&err, EF_ERR_NOMEM, "out of memory");
    }
    if (!rc) rc = ef_bert_features(c->bert, &c->bopt, n, pieces, lens, rows, &err);
    for (int k = 0; k < n; k++) {
        codes[k] = rc;
        if (rc) {
            ef_fail(&errs[k], rc, "%s: %s", ef_manifest_id(c->m, c->first + items[k]), err.msg);
            free(rows[k]);
            rows[k] = NULL;
        }
        if (ids) ef_token_ids_free(&ids[k]);
    }
    ef_tokenizer_free(tok);
    free(ids);
    free(pieces);
    free(lens);
}

static ef_code extract_glove(void *ctx, int64_t item, int thread, float **rows, int64_t *T, ef_error *err)
{
    (void)thread;
    text_ctx *c = ctx;
    int missing = 0;
    const char *text = ef_manifest_cell(c->m, c->first + item, c->col);
    ef_code rc = ef_glove_embed_text(c->glove, text, rows, T, &missing, err);
    if (rc) ef_error_prefix(err, "%s", ef_manifest_id(c->m, c->first + item));
    else {
        atomic_fetch_add(&c->glove_tokens, *T);
        atomic_fetch_add(&c->glove_missing, missing);
    }
    return rc;
}

/* A GloVe argument may be the text release or an index built from it: build the index
 * where `models glove-index` puts it (ef_glove_index_path) once and reuse it afterwards. */
ef_code ef_feature_open_glove(const char *path, FILE *log, ef_glove **g, ef_error *err)
{
    char magic[8] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t got = fread(magic, 1, 8, fp);
    fclose(fp);
    if (got == 8 && memcmp(magic, EF_GLOVE_MAGIC, 8) == 0) return (*g = ef_glove_open(path, err)) ? EF_OK : err->code;
    size_t n = strlen(path) + 8;
    char *idx = malloc(n);
    if (!idx) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    ef_glove_index_path(path, idx, n); /* never longer than the path plus ".efg" */
    ef_code rc = EF_OK;
    if (!(*g = ef_glove_open(idx, NULL))) {
        if (log) fprintf(log, "building GloVe index %s (once)\n", idx);
        rc = ef_glove_build(path, idx, NULL, NULL, NULL, err);
        if (!rc && !(*g = ef_glove_open(idx, err))) rc = err->code;
    }
    free(idx);
    return rc;
}

/* emofuse.config of a text store. Keys, order and number formats are those the stores
 * have always had, so that existing stores stay valid. */
static char *bert_config(const char *model, const ef_bert_model *b, const ef_bert_feat_opts *bo,
                         const char *config_fnv, const char *vocab_fnv)
{
    json_object *o = json_object_new_object();
    if (!o) return NULL;
    json_object_object_add(o, "extractor", json_object_new_string("emofuse-bert-1"));
    json_object_object_add(o, "model", json_object_new_string(model));
    json_object_object_add(o, "layers", json_object_new_int(ef_bert_model_config(b)->n_layers));
    json_object_object_add(o, "hidden", json_object_new_int(ef_bert_model_config(b)->hidden));
    json_object_object_add(o, "vocab", json_object_new_int(ef_bert_model_config(b)->vocab_size));
    json_object_object_add(o, "layer_first", json_object_new_int(bo->layer_first));
    json_object_object_add(o, "layer_count", json_object_new_int(bo->layer_count));
    json_object_object_add(o, "mean", json_object_new_int(bo->mean));
    json_object_object_add(o, "keep_special", json_object_new_int(bo->keep_special));
    json_object_object_add(o, "truncate", json_object_new_int(bo->truncate));
    /* The folder's identity, so that a model trained on these features can check it is
     * given the same encoder (added after the first stores: older ones are rebuilt once). */
    json_object_object_add(o, "config_fnv", json_object_new_string(config_fnv));
    json_object_object_add(o, "vocab_fnv", json_object_new_string(vocab_fnv));
    char *s = json_object_object_length(o) == 12 ? ef_feature_json_string(o) : NULL; /* NULL values are dropped */
    json_object_put(o);
    return s;
}

static char *glove_config(const char *path, const ef_glove *g)
{
    json_object *o = json_object_new_object();
    if (!o) return NULL;
    json_object_object_add(o, "extractor", json_object_new_string("emofuse-glove-1"));
    json_object_object_add(o, "glove", json_object_new_string(path));
    json_object_object_add(o, "words", json_object_new_int64(ef_glove_size(g)));
    json_object_object_add(o, "dim", json_object_new_int(ef_glove_dim(g)));
    char *s = json_object_object_length(o) == 4 ? ef_feature_json_string(o) : NULL;
    json_object_put(o);
    return s;
}

ef_code ef_pipeline_text_features(ef_pipeline_feature_report *report, const char *store_path,
                                  const ef_manifest *m, const ef_pipeline_text_params *tp,
                                  const ef_pipeline_feature_opts *o, ef_error *err)
{
    ef_error local;
    if (!err) err = &local; /* the callees below read err->code */
    memset(report, 0, sizeof *report);
    const char *column = tp->column ? tp->column : "transcript";
    if (!tp->bert_model == !tp->glove)
        return ef_fail(err, EF_ERR_ARG, "text features: give exactly one of a BERT model and a GloVe file");
    if (tp->bert_model && tp->bert_batch < 1)
        return ef_fail(err, EF_ERR_ARG, "text features: bert_batch %d must be at least 1", tp->bert_batch);
    text_ctx ctx = {.m = m, .col = ef_manifest_column(m, column), .bopt = tp->bert};
    if (ctx.col < 0) return ef_fail(err, EF_ERR_FORMAT, "%s: no '%s' column", ef_manifest_path(m), column);
    ef_feature_rows rows;
    ef_code rc = ef_feature_rows_init(&rows, m, o, report, err);
    if (rc) return rc;
    ctx.first = rows.first;
    atomic_init(&ctx.glove_tokens, 0);
    atomic_init(&ctx.glove_missing, 0);

    ef_bert_model *bert = NULL;
    ef_vocab *vocab = NULL;
    ef_glove *glove = NULL;
    char *config = NULL;
    int dim = 0;
    if (tp->bert_model) {
        rc = ef_bert_load(&bert, tp->bert_model, err);
        if (!rc) rc = ef_vocab_load(&vocab, ef_bert_model_vocab_path(bert), err);
        /* Zero texts: only checks that the model has the requested layers, so a bad
         * --layers is one error now instead of one failure per utterance. */
        if (!rc && (rc = ef_bert_features(bert, &tp->bert, 0, NULL, NULL, NULL, err)))
            ef_error_prefix(err, "%s", tp->bert_model);
        char cfg_fnv[17], voc_fnv[17];
        if (!rc) rc = ef_bert_identity(tp->bert_model, cfg_fnv, voc_fnv, err);
        if (!rc) {
            ctx.bert = bert;
            ctx.vocab = vocab;
            ctx.bopt.n_threads = o->threads;
            dim = ef_bert_model_config(bert)->hidden;
            config = bert_config(tp->bert_model, bert, &tp->bert, cfg_fnv, voc_fnv);
        }
    } else {
        rc = ef_feature_open_glove(tp->glove, o->log, &glove, err);
        if (!rc) {
            ctx.glove = glove;
            dim = ef_glove_dim(glove);
            config = glove_config(tp->glove, glove);
        }
    }
    bool ok = !rc && config;
    for (int64_t k = 0; ok && k < rows.n; k++) {
        ok = (rows.fps[k] = malloc(17)) != NULL;
        if (ok) ef_hash_hex(ef_manifest_cell(m, rows.first + k, ctx.col), rows.fps[k]); /* the text itself */
    }
    if (!rc && !ok) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", ef_manifest_path(m));
    if (!rc) {
        ef_store_build_opts b = {.out_path = store_path, .kind = bert ? EF_STORE_KIND_BERT : EF_STORE_KIND_GLOVE,
                                 .dim = dim, .config_json = config, .n_items = rows.n, .ids = rows.ids,
                                 .fingerprints = (const char *const *)rows.fps, .progress = o->progress,
                                 .tty = -1, .ctx = &ctx};
        if (bert) {
            /* One builder thread; the encoder uses the cores inside each packed batch. */
            b.threads = 1;
            b.extract_batch = extract_bert;
            b.batch_size = tp->bert_batch;
        } else {
            b.threads = o->threads;
            b.extract = extract_glove;
        }
        rc = ef_store_build(&b, &report->store, err);
        report->words = atomic_load(&ctx.glove_tokens);
        report->oov_words = atomic_load(&ctx.glove_missing);
    }
    free(config);
    ef_feature_rows_free(&rows);
    ef_bert_free(bert);
    ef_vocab_free(vocab);
    ef_glove_close(glove);
    return rc;
}
