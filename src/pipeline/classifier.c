/* The classifier of emofuse.h: loading a model file with what its inputs need (BERT or
 * GloVe, LLD parameters, normalisation) and checking that they are what the training
 * features were made with. Classification itself is in classifier_run.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/pipeline.h"
#include "pipeline/classifier_internal.h"
#include "pipeline/features_internal.h"

const char *ef_version(void) { return EMOFUSE_VERSION; }

int ef_version_number(void) { return EMOFUSE_VERSION_NUMBER; }

const char *ef_status_name(ef_code code) { return ef_code_name(code); }

ef_classifier_params ef_classifier_default_params(void)
{
    return (ef_classifier_params){.n_threads = 0, .bert_folder = NULL, .glove_path = NULL, .batch_size = 32};
}

/* The BERT encoder for a model trained on BERT features: the given folder or the recorded
 * one, checked against the record (sizes always; config.json and vocab.txt hashes when the
 * store recorded them). */
static ef_code load_bert(ef_classifier *c, const ef_pipeline_text_source *src, const char *folder,
                         const char *model_path, ef_error *err)
{
    const char *dir = folder ? folder : (src->is_bert ? src->path : NULL);
    if (!dir)
        return ef_fail(err, EF_ERR_ARG, "%s: trained on BERT features; give the BERT folder (bert_folder)",
                       model_path);
    ef_code rc = ef_bert_load(&c->bert, dir, err);
    if (!rc) rc = ef_vocab_load(&c->vocab, ef_bert_model_vocab_path(c->bert), err);
    if (rc) return rc;
    const ef_bert_config *bc = ef_bert_model_config(c->bert);
    if (bc->hidden != c->cfg.text.input_dim)
        return ef_fail(err, EF_ERR_ARG, "%s: hidden size %d, but %s was trained on %d-dimensional BERT features", dir,
                       bc->hidden, model_path, c->cfg.text.input_dim);
    if (src->is_bert && (bc->n_layers != src->layers || bc->vocab_size != src->vocab))
        return ef_fail(err, EF_ERR_ARG,
                       "%s: %d layers and %d word-pieces, but %s was trained on features of %s (%d layers, %d "
                       "word-pieces)",
                       dir, bc->n_layers, bc->vocab_size, model_path, src->path, src->layers, src->vocab);
    if (src->is_bert && src->config_fnv[0]) {
        char ch[17], vh[17];
        if ((rc = ef_bert_identity(dir, ch, vh, err))) return rc;
        if (strcmp(ch, src->config_fnv) != 0 || strcmp(vh, src->vocab_fnv) != 0)
            return ef_fail(err, EF_ERR_ARG,
                           "%s: not the BERT model %s was trained with (%s differs from %s's: config.json hash %s "
                           "vs %s, vocab.txt hash %s vs %s)",
                           dir, model_path, strcmp(ch, src->config_fnv) ? "config.json" : "vocab.txt", src->path, ch,
                           src->config_fnv, vh, src->vocab_fnv);
    }
    c->bopt = src->bert;
    c->bopt.n_threads = c->p.n_threads;
    /* Zero texts: checks that the encoder has the recorded layers. */
    if ((rc = ef_bert_features(c->bert, &c->bopt, 0, NULL, NULL, NULL, err))) ef_error_prefix(err, "%s", dir);
    return rc;
}

static ef_code load_glove(ef_classifier *c, const ef_pipeline_text_source *src, const char *path,
                          const char *model_path, ef_error *err)
{
    const char *g = path ? path : (src->is_glove ? src->path : NULL);
    if (!g)
        return ef_fail(err, EF_ERR_ARG, "%s: trained on GloVe features; give the GloVe file (glove_path)",
                       model_path);
    ef_code rc = ef_feature_open_glove(g, NULL, &c->glove, err);
    if (rc) return rc;
    if (ef_glove_dim(c->glove) != c->cfg.text.input_dim ||
        (src->is_glove && ef_glove_size(c->glove) != src->words))
        return ef_fail(err, EF_ERR_ARG, "%s: %lld words of %d dimensions, but %s was trained on %d-dimensional GloVe "
                       "features%s%s",
                       g, (long long)ef_glove_size(c->glove), ef_glove_dim(c->glove), model_path,
                       c->cfg.text.input_dim, src->is_glove ? " of " : "", src->is_glove ? src->path : "");
    return EF_OK;
}

ef_code ef_classifier_load(ef_classifier **out, const char *model_path, const ef_classifier_params *p,
                           ef_error *err)
{
    *out = NULL;
    ef_classifier_params prm = p ? *p : ef_classifier_default_params();
    if (prm.n_threads < 0 || prm.batch_size < 1)
        return ef_fail(err, EF_ERR_ARG, "classifier: n_threads %d must be >= 0 and batch_size %d >= 1",
                       prm.n_threads, prm.batch_size);
    ef_classifier *c = calloc(1, sizeof *c);
    if (!c) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", model_path);
    pthread_mutex_init(&c->lock, NULL);
    c->p = prm;
    c->p.bert_folder = c->p.glove_path = NULL;
    ef_model *m = NULL;
    ef_code rc = ef_model_load(&m, &c->meta, model_path, err);
    if (!rc) {
        c->cfg = *ef_model_config_of(m);
        c->need_text = c->cfg.system != EF_SYS_AUDIO;
        c->need_audio = c->cfg.system != EF_SYS_TEXT;
        if (c->cfg.n_classes > EF_MAX_CLASSES || c->cfg.n_classes != c->meta.n_labels)
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: %d classes but %d label names (at most %d)", model_path,
                         c->cfg.n_classes, c->meta.n_labels, EF_MAX_CLASSES);
        else if (!(c->pool = malloc(8 * sizeof *c->pool)))
            rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", model_path);
        if (rc) ef_model_free(m);
        else {
            c->pool[0] = m; /* the prototype: never handed out, cloned on demand */
            c->n_pool = 1;
            c->cap_pool = 8;
        }
    }
    char what[1200];
    if (!rc && c->need_audio) {
        snprintf(what, sizeof what, "%s: emofuse.audio_features", model_path);
        rc = ef_pipeline_lld_params_of(c->meta.audio_features, &c->lld, what, err);
    }
    if (!rc && c->need_text) {
        ef_pipeline_text_source src;
        snprintf(what, sizeof what, "%s: emofuse.text_features", model_path);
        rc = ef_pipeline_text_source_of(c->meta.text_features, &src, what, err);
        if (!rc && strcmp(c->meta.text_kind, EF_STORE_KIND_BERT) == 0)
            rc = load_bert(c, &src, prm.bert_folder, model_path, err);
        else if (!rc && strcmp(c->meta.text_kind, EF_STORE_KIND_GLOVE) == 0)
            rc = load_glove(c, &src, prm.glove_path, model_path, err);
        else if (!rc)
            rc = ef_fail(err, EF_ERR_FORMAT, "%s: unknown text feature kind '%s'", model_path, c->meta.text_kind);
    }
    if (rc) {
        ef_classifier_free(c);
        return rc;
    }
    *out = c;
    return EF_OK;
}

void ef_classifier_free(ef_classifier *c)
{
    if (!c) return;
    for (int i = 0; i < c->n_pool; i++) ef_model_free(c->pool[i]);
    free(c->pool);
    pthread_mutex_destroy(&c->lock);
    ef_model_meta_free(&c->meta);
    ef_bert_free(c->bert);
    ef_vocab_free(c->vocab);
    ef_glove_close(c->glove);
    free(c);
}

ef_code ef_classifier_acquire(ef_classifier *c, ef_model **m, ef_error *err)
{
    *m = NULL;
    ef_model *proto = NULL;
    pthread_mutex_lock(&c->lock);
    if (c->n_pool > 1) *m = c->pool[--c->n_pool];
    else proto = c->pool[0]; /* the last instance stays: it is the one we clone */
    ef_code rc = EF_OK;
    if (!*m) {
        /* Clone under the lock: the prototype's weights are read while no call uses it. */
        rc = ef_model_create(m, &c->cfg, err);
        if (!rc) {
            ef_params *dst = ef_model_params(*m), *src = ef_model_params(proto);
            memcpy(dst->data, src->data, (size_t)src->n_params * sizeof(float));
            if (src->n_buf) memcpy(dst->buf, src->buf, (size_t)src->n_buf * sizeof(float));
        }
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void ef_classifier_release(ef_classifier *c, ef_model *m)
{
    pthread_mutex_lock(&c->lock);
    if (c->n_pool == c->cap_pool) {
        int cap = c->cap_pool ? 2 * c->cap_pool : 8;
        ef_model **p = realloc(c->pool, (size_t)cap * sizeof *p);
        if (!p) { /* keep the pool as it is; this instance is simply dropped */
            pthread_mutex_unlock(&c->lock);
            ef_model_free(m);
            return;
        }
        c->pool = p;
        c->cap_pool = cap;
    }
    c->pool[c->n_pool++] = m;
    pthread_mutex_unlock(&c->lock);
}

const char *ef_classifier_system(const ef_classifier *c) { return ef_system_name(c->cfg.system); }
int ef_classifier_needs_text(const ef_classifier *c) { return c->need_text; }
int ef_classifier_needs_audio(const ef_classifier *c) { return c->need_audio; }
int ef_classifier_n_classes(const ef_classifier *c) { return c->cfg.n_classes; }

const char *ef_classifier_label(const ef_classifier *c, int k)
{
    return k >= 0 && k < c->cfg.n_classes ? c->meta.labels[k] : NULL;
}
