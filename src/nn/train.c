/* Training and inference: ragged minibatches (no padding), per-epoch shuffling,
 * inverse-frequency class-weighted cross-entropy, Adam with linear warm-up over the
 * trainable set of a strategy, and a stop with the step and layer named as soon as a
 * loss, activation or gradient stops being finite. One ef_rng seeded from the options
 * drives initialisation, shuffling and dropout, so a run replays bit for bit. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/nn_optim.h"
#include "emofuse/progress.h"
#include "nn/model_internal.h"

struct ef_train_state {
    ef_adam opt;
    int64_t *block_off; /* (nblocks + 1): one block per parameter tensor */
    uint8_t *frozen;    /* (nblocks) */
    int nblocks;
    float *probs, *dlogits; /* (cap_B, K) */
    int cap_B;
};

ef_train_options ef_train_default_params(ef_system sys, ef_strategy s)
{
    ef_train_options o;
    memset(&o, 0, sizeof o);
    o.strategy = s;
    o.epochs = 20;
    o.batch_size = 32;
    o.seed = 1;
    o.lr = 7e-4f;
    o.warmup_steps = 40;
    o.class_weighted = 1;
    if (s == EF_STRAT_WS) o.lr = 1e-4f; /* fine-tuning */
    if (s == EF_STRAT_PT && sys == EF_SYS_LF) {
        o.lr = 1e-2f; /* LF-PT: larger rate and no warm-up (paper, section 3) */
        o.warmup_steps = 0;
    }
    return o;
}

ef_code ef_train_state_new(ef_train_state **out, ef_model *m, float lr, int warmup_steps, ef_error *err)
{
    *out = NULL;
    ef_train_state *s = calloc(1, sizeof *s);
    if (!s) return ef_fail(err, EF_ERR_NOMEM, "training: out of memory");
    const ef_params *p = &m->params;
    s->block_off = malloc((size_t)(p->n + 1) * sizeof(int64_t));
    s->frozen = malloc((size_t)(p->n + 1));
    if (!s->block_off || !s->frozen) {
        ef_train_state_free(s);
        return ef_fail(err, EF_ERR_NOMEM, "training: out of memory");
    }
    /* Parameter tensors are laid out in table order, so each is one Adam block. */
    for (int i = 0; i < p->n; i++) {
        if (p->t[i].buffer) continue;
        EF_ASSERT(p->t[i].offset == (s->nblocks ? s->block_off[s->nblocks] : 0));
        s->block_off[s->nblocks] = p->t[i].offset;
        s->frozen[s->nblocks] = !p->t[i].trainable;
        s->nblocks++;
        s->block_off[s->nblocks] = p->t[i].offset + p->t[i].numel;
    }
    if (s->nblocks == 0) s->block_off[0] = 0;
    ef_adam_config ac = ef_adam_default_params();
    ac.lr = lr;
    ac.warmup_steps = warmup_steps;
    ef_code rc = ef_adam_init(&s->opt, p->n_params, &ac, err);
    if (rc != EF_OK) {
        ef_train_state_free(s);
        return rc;
    }
    *out = s;
    return EF_OK;
}

void ef_train_state_free(ef_train_state *s)
{
    if (!s) return;
    ef_adam_free(&s->opt);
    free(s->block_off);
    free(s->frozen);
    free(s->probs);
    free(s->dlogits);
    free(s);
}

int64_t ef_train_state_steps(const ef_train_state *s)
{
    return s->opt.t;
}

/* "text.t2.weight" -> "text.t2" for messages. */
static void layer_of(char *out, size_t n, const char *tensor)
{
    snprintf(out, n, "%s", tensor);
    char *dot = strrchr(out, '.');
    if (dot) *dot = '\0';
}

/* The layers' thread pool ef_train gave the model (both branches hold the same one), or
 * NULL: the caller's thread. */
static ef_pool *model_pool(const ef_model *m)
{
    return m->text.pool ? m->text.pool : m->audio.pool;
}

/* Loss, backward, gradient checks and the Adam update of a step whose forward is done. */
static ef_code finish_step(ef_model *m, ef_train_state *s, const float *logits, const int32_t *labels,
                           const float *class_w, int B, long long step, float *loss, ef_error *err)
{
    int K = m->cfg.n_classes;
    float l = ef_weighted_xent_forward_backward(s->probs, s->dlogits, logits, labels, class_w, B, K);
    if (!isfinite(l)) return ef_fail(err, EF_ERR_NUMERIC, "training step %lld: loss is %g (layer fusion/output)", step, l);
    ef_model_backward(m, s->dlogits);
    const char *g = ef_params_nonfinite_grad(&m->params);
    if (g) {
        char layer[48];
        layer_of(layer, sizeof layer, g);
        return ef_fail(err, EF_ERR_NUMERIC, "training step %lld: gradient of layer %s (tensor %s) is NaN/Inf", step,
                       layer, g);
    }
    /* On the layers' pool (Adam alone on the caller was a twentieth of a 2-thread text
     * step); the tensor that went NaN/Inf is searched only when the pass saw one. */
    int bad = ef_adam_step_pool(model_pool(m), &s->opt, m->params.data, m->params.grad, s->block_off, s->frozen,
                                s->nblocks);
    for (int i = 0; bad && i < m->params.n; i++) {
        const ef_tensor_info *t = &m->params.t[i];
        if (t->buffer || !t->trainable) continue;
        if (ef_check_finite(m->params.data + t->offset, t->numel) >= 0) {
            char layer[48];
            layer_of(layer, sizeof layer, t->name);
            return ef_fail(err, EF_ERR_NUMERIC, "training step %lld: update made layer %s (tensor %s) NaN/Inf", step,
                           layer, t->name);
        }
    }
    if (loss) *loss = l;
    return EF_OK;
}

/* Grow the step's (B, K) probability and gradient buffers; check the labels. */
static ef_code prepare_step(ef_train_state *s, const int32_t *labels, int B, int K, ef_error *err)
{
    if (B > s->cap_B) {
        free(s->probs);
        free(s->dlogits);
        s->probs = malloc((size_t)B * K * sizeof(float));
        s->dlogits = malloc((size_t)B * K * sizeof(float));
        s->cap_B = s->probs && s->dlogits ? B : 0;
        if (!s->cap_B) return ef_fail(err, EF_ERR_NOMEM, "training: out of memory");
    }
    for (int i = 0; i < B; i++)
        if (labels[i] < 0 || labels[i] >= K)
            return ef_fail(err, EF_ERR_ARG, "training: label %d of batch item %d is outside [0, %d)", labels[i], i, K);
    return EF_OK;
}

ef_code ef_train_step(ef_model *m, ef_train_state *s, const ef_batch *b, const int32_t *labels, const float *class_w,
                      ef_rng *rng, float *loss, ef_error *err)
{
    int K = m->cfg.n_classes, B = b->B;
    long long step = (long long)s->opt.t + 1;
    ef_code prc = prepare_step(s, labels, B, K, err);
    if (prc != EF_OK) return prc;
    ef_params_zero_grad(&m->params);
    const float *logits;
    ef_code rc = ef_model_forward(m, b, 1, rng, &logits, err);
    if (rc != EF_OK) return rc;
    const char *bad = ef_model_nonfinite_layer(m);
    if (bad) return ef_fail(err, EF_ERR_NUMERIC, "training step %lld: layer %s produced NaN/Inf", step, bad);
    return finish_step(m, s, logits, labels, class_w, B, step, loss, err);
}

/* ---- batching --------------------------------------------------------------------- */

static int grow(void **p, int64_t *cap, int64_t need, size_t elem)
{
    if (need <= *cap) return 0;
    int64_t nc = need + need / 2 + 16;
    void *np = realloc(*p, (size_t)nc * elem);
    if (!np) return -1;
    *p = np;
    *cap = nc;
    return 0;
}

void ef_batch_buf_free(ef_batch_buf *bb)
{
    free(bb->text);
    free(bb->audio);
    free(bb->text_off);
    free(bb->audio_off);
    free(bb->labels);
    memset(bb, 0, sizeof *bb);
}

/* One utterance's rows into the batch (an item of batch_fill's copy section). */
typedef struct {
    ef_batch_buf *bb;
    const ef_dataset *d;
    const int64_t *idx;
    int need_text, need_audio, Dt, Da;
} fill_job;

static void fill_item(void *vctx, int64_t i, int thread)
{
    (void)thread;
    const fill_job *j = vctx;
    const ef_dataset *d = j->d;
    ef_batch_buf *bb = j->bb;
    const int64_t u = j->idx[i];
    if (j->need_text)
        memcpy(bb->text + bb->text_off[i] * j->Dt, d->text_rows[u], (size_t)(d->text_T[u] * j->Dt) * sizeof(float));
    if (j->need_audio) {
        const int Da = j->Da;
        float *dst = bb->audio + bb->audio_off[i] * Da;
        const float *src = d->audio_rows[u];
        const int64_t T = d->audio_T[u];
        if (d->audio_mean && d->audio_std) {
            for (int64_t t = 0; t < T; t++)
                for (int c = 0; c < Da; c++) dst[t * Da + c] = (src[t * Da + c] - d->audio_mean[c]) / d->audio_std[c];
        } else {
            memcpy(dst, src, (size_t)(T * Da) * sizeof(float));
        }
    }
}

/* ef_batch_fill, the copies on a pool (one item per utterance: a serial 1.7 MB copy per
 * text step was a few percent of a 2-thread epoch). NULL: on the caller. */
static ef_code batch_fill(ef_pool *pool, ef_batch_buf *bb, const ef_model_config *cfg, const ef_dataset *d,
                          const int64_t *idx, int B, ef_error *err)
{
    int need_text = cfg->system != EF_SYS_AUDIO, need_audio = cfg->system != EF_SYS_TEXT;
    if (need_text && (!d->text_rows || !d->text_T)) return ef_fail(err, EF_ERR_ARG, "dataset: no text features");
    if (need_audio && (!d->audio_rows || !d->audio_T)) return ef_fail(err, EF_ERR_ARG, "dataset: no audio features");
    int64_t nt = 0, na = 0;
    for (int i = 0; i < B; i++) {
        int64_t u = idx[i];
        EF_ASSERT(u >= 0 && u < d->n);
        if (need_text) {
            if (d->text_T[u] < 1 || !d->text_rows[u])
                return ef_fail(err, EF_ERR_ARG, "dataset item %lld: no text rows", (long long)u);
            nt += d->text_T[u];
        }
        if (need_audio) {
            if (d->audio_T[u] < 1 || !d->audio_rows[u])
                return ef_fail(err, EF_ERR_ARG, "dataset item %lld: no audio frames", (long long)u);
            na += d->audio_T[u];
        }
    }
    int64_t capB1 = bb->cap_B, capB2 = bb->cap_B, capB3 = bb->cap_B;
    if (grow((void **)&bb->text_off, &capB1, B + 1, sizeof(int64_t)) ||
        grow((void **)&bb->audio_off, &capB2, B + 1, sizeof(int64_t)) ||
        grow((void **)&bb->labels, &capB3, B + 1, sizeof(int32_t)))
        return ef_fail(err, EF_ERR_NOMEM, "batch: out of memory");
    bb->cap_B = capB1 < capB2 ? (capB1 < capB3 ? capB1 : capB3) : (capB2 < capB3 ? capB2 : capB3);
    int Dt = cfg->text.input_dim, Da = cfg->audio.input_dim;
    if ((need_text && grow((void **)&bb->text, &bb->cap_text, nt * Dt, sizeof(float))) ||
        (need_audio && grow((void **)&bb->audio, &bb->cap_audio, na * Da, sizeof(float))))
        return ef_fail(err, EF_ERR_NOMEM, "batch: out of memory for %lld + %lld rows", (long long)nt, (long long)na);
    int64_t rt = 0, ra = 0;
    bb->text_off[0] = bb->audio_off[0] = 0;
    for (int i = 0; i < B; i++) {
        int64_t u = idx[i];
        if (need_text) rt += d->text_T[u];
        if (need_audio) ra += d->audio_T[u];
        bb->text_off[i + 1] = rt;
        bb->audio_off[i + 1] = ra;
        bb->labels[i] = d->labels ? d->labels[u] : -1;
    }
    fill_job j = {.bb = bb, .d = d, .idx = idx, .need_text = need_text, .need_audio = need_audio, .Dt = Dt, .Da = Da};
    ef_pool_run(pool, B, fill_item, &j);
    bb->batch.B = B;
    bb->batch.text = need_text ? bb->text : NULL;
    bb->batch.text_offsets = need_text ? bb->text_off : NULL;
    bb->batch.audio = need_audio ? bb->audio : NULL;
    bb->batch.audio_offsets = need_audio ? bb->audio_off : NULL;
    return EF_OK;
}

ef_code ef_batch_fill(ef_batch_buf *bb, const ef_model_config *cfg, const ef_dataset *d, const int64_t *idx, int B,
                      ef_error *err)
{
    return batch_fill(NULL, bb, cfg, d, idx, B, err);
}

/* ---- the loop ---------------------------------------------------------------------- */

/* PT: the frozen branches' fusion inputs of every utterance (pooled embeddings for ef,
 * logits for lf), in inference mode, which is exactly what a frozen branch computes in
 * training (batch norm on running statistics, no dropout). */
static ef_code build_pt_cache(ef_model *m, const ef_dataset *d, ef_batch_buf *bb, float **tcache, float **acache,
                              ef_error *err)
{
    int Ft = ef_fusion_input_dim(m, 0), Fa = ef_fusion_input_dim(m, 1);
    *tcache = malloc(sizeof(float) * (size_t)(d->n * Ft));
    *acache = malloc(sizeof(float) * (size_t)(d->n * Fa));
    int64_t idx[64];
    if (!*tcache || !*acache) return ef_fail(err, EF_ERR_NOMEM, "training: out of memory (PT cache)");
    for (int64_t start = 0; start < d->n; start += 64) {
        int B = (int)(d->n - start < 64 ? d->n - start : 64);
        for (int i = 0; i < B; i++) idx[i] = start + i;
        /* the copies (and the audio z-normalisation) on the layers' pool too: alone on
         * the caller they were a quarter of the 2-thread cache fill */
        ef_code rc = batch_fill(model_pool(m), bb, &m->cfg, d, idx, B, err);
        const float *logits;
        if (!rc) rc = ef_model_forward(m, &bb->batch, 0, NULL, &logits, err);
        if (rc) return rc;
        const char *bad = ef_model_nonfinite_layer(m);
        if (bad) return ef_fail(err, EF_ERR_NUMERIC, "training: frozen layer %s produced NaN/Inf", bad);
        int ef = m->cfg.system == EF_SYS_EF;
        memcpy(*tcache + start * Ft, ef ? m->text.pooled : m->text.logits, sizeof(float) * (size_t)(B * Ft));
        memcpy(*acache + start * Fa, ef ? m->audio.pooled : m->audio.logits, sizeof(float) * (size_t)(B * Fa));
    }
    return EF_OK;
}

/* One step on cached branch outputs tin (B, Ft) and ain (B, Fa). */
static ef_code cached_step(ef_model *m, ef_train_state *s, const float *tin, const float *ain, const int32_t *labels,
                           int B, const float *class_w, float *loss, ef_error *err)
{
    long long step = (long long)s->opt.t + 1;
    ef_code rc = prepare_step(s, labels, B, m->cfg.n_classes, err);
    if (!rc) rc = ef_fusion_reserve(m, B, err);
    if (rc) return rc;
    ef_params_zero_grad(&m->params);
    m->B = B;
    m->trained_forward = 1;
    ef_fusion_forward_inputs(m, tin, ain);
    m->out_logits = m->logits;
    const char *bad = ef_fusion_nonfinite_layer(m); /* the branches did not run */
    if (bad) return ef_fail(err, EF_ERR_NUMERIC, "training step %lld: layer %s produced NaN/Inf", step, bad);
    return finish_step(m, s, m->logits, labels, class_w, B, step, loss, err);
}

ef_code ef_train(ef_model *m, const ef_dataset *d, const ef_train_options *opt, double *final_loss, ef_error *err)
{
    int K = m->cfg.n_classes;
    if (!d->labels) return ef_fail(err, EF_ERR_ARG, "training: dataset has no labels");
    if (d->n < 1) return ef_fail(err, EF_ERR_ARG, "training: no utterances");
    if (d->n > INT32_MAX) return ef_fail(err, EF_ERR_ARG, "training: too many utterances");
    if (opt->epochs < 1 || opt->batch_size < 1 || !(opt->lr > 0.0f) || opt->warmup_steps < 0)
        return ef_fail(err, EF_ERR_ARG, "training: epochs, batch size and learning rate must be positive");
    for (int64_t i = 0; i < d->n; i++)
        if (d->labels[i] < 0 || d->labels[i] >= K)
            return ef_fail(err, EF_ERR_ARG, "training: label %d of utterance %lld is outside [0, %d)", d->labels[i],
                           (long long)i, K);
    ef_code rc = ef_model_set_strategy(m, opt->strategy, err);
    if (rc != EF_OK) return rc;

    ef_rng rng;
    ef_rng_seed(&rng, opt->seed);
    /* cs: Xavier everything; pt/ws: the branches hold pre-trained weights already. */
    ef_params_init(&m->params, opt->strategy == EF_STRAT_CS ? NULL : "fusion.", &rng);

    float class_w[16];
    if (opt->class_weighted) ef_class_weights(class_w, d->labels, d->n, K);
    else
        for (int k = 0; k < K; k++) class_w[k] = 1.0f;

    ef_train_state *st = NULL;
    ef_pool *pool = NULL;
    int blas_threads = -1;
    if (opt->threads > 1) {
        if ((rc = ef_pool_create(&pool, opt->threads, err)) != EF_OK) return rc;
        blas_threads = openblas_get_num_threads();
        openblas_set_num_threads(1);
    }
    m->text.pool = m->audio.pool = pool;
    int32_t *perm = malloc((size_t)d->n * sizeof(int32_t));
    int64_t *idx = malloc((size_t)opt->batch_size * sizeof(int64_t));
    ef_batch_buf bb;
    memset(&bb, 0, sizeof bb);
    float *tcache = NULL, *acache = NULL, *tin = NULL, *ain = NULL;
    int32_t *blabels = NULL;
    if (!perm || !idx) {
        rc = ef_fail(err, EF_ERR_NOMEM, "training: out of memory");
        goto done;
    }
    if ((rc = ef_train_state_new(&st, m, opt->lr, opt->warmup_steps, err)) != EF_OK) goto done;
    for (int64_t i = 0; i < d->n; i++) perm[i] = (int32_t)i;
    /* PT trains only the layers after the merge: their inputs never change. */
    int use_cache = opt->strategy == EF_STRAT_PT && (m->cfg.system == EF_SYS_EF || m->cfg.system == EF_SYS_LF) &&
                    !opt->no_pt_cache;
    int Ft = use_cache ? ef_fusion_input_dim(m, 0) : 0, Fa = use_cache ? ef_fusion_input_dim(m, 1) : 0;
    if (use_cache) {
        if ((rc = build_pt_cache(m, d, &bb, &tcache, &acache, err)) != EF_OK) goto done;
        tin = malloc(sizeof(float) * (size_t)(opt->batch_size * Ft));
        ain = malloc(sizeof(float) * (size_t)(opt->batch_size * Fa));
        blabels = malloc(sizeof(int32_t) * (size_t)opt->batch_size);
        if (!tin || !ain || !blabels) {
            rc = ef_fail(err, EF_ERR_NOMEM, "training: out of memory");
            goto done;
        }
    }

    for (int ep = 1; ep <= opt->epochs; ep++) {
        double t0 = ef_now(), sum = 0.0;
        ef_rng_shuffle_i32(&rng, perm, d->n);
        for (int64_t start = 0; start < d->n; start += opt->batch_size) {
            if (ef_interrupted()) {
                rc = ef_fail(err, EF_ERR_INTERRUPTED, "training interrupted in epoch %d", ep);
                goto done;
            }
            int B = (int)(d->n - start < opt->batch_size ? d->n - start : opt->batch_size);
            for (int i = 0; i < B; i++) idx[i] = perm[start + i];
            float loss;
            if (use_cache) {
                for (int i = 0; i < B; i++) {
                    memcpy(tin + (size_t)i * Ft, tcache + idx[i] * Ft, sizeof(float) * (size_t)Ft);
                    memcpy(ain + (size_t)i * Fa, acache + idx[i] * Fa, sizeof(float) * (size_t)Fa);
                    blabels[i] = d->labels[idx[i]];
                }
                rc = cached_step(m, st, tin, ain, blabels, B, class_w, &loss, err);
            } else {
                if ((rc = batch_fill(pool, &bb, &m->cfg, d, idx, B, err)) != EF_OK) goto done;
                rc = ef_train_step(m, st, &bb.batch, bb.labels, class_w, &rng, &loss, err);
            }
            if (rc != EF_OK) {
                ef_error_prefix(err, "epoch %d", ep);
                goto done;
            }
            sum += (double)loss * B;
        }
        double mean = sum / (double)d->n;
        if (final_loss) *final_loss = mean;
        if (opt->log)
            fprintf(opt->log, "epoch %d/%d  loss %.4f  lr %.3g  %.2f s\n", ep, opt->epochs, mean,
                    (double)ef_adam_lr_at(&st->opt.cfg, st->opt.t), ef_now() - t0);
        if (opt->on_epoch && (rc = opt->on_epoch(opt->on_epoch_ctx, ep, m, err)) != EF_OK) goto done;
    }
done:
    m->text.pool = m->audio.pool = NULL;
    ef_pool_free(pool);
    if (blas_threads > 0) openblas_set_num_threads(blas_threads);
    ef_train_state_free(st);
    ef_batch_buf_free(&bb);
    free(perm);
    free(idx);
    free(tcache);
    free(acache);
    free(tin);
    free(ain);
    free(blabels);
    return rc;
}

ef_code ef_predict(ef_model *m, const ef_dataset *d, int batch_size, float *probs, ef_error *err)
{
    int K = m->cfg.n_classes;
    if (batch_size < 1) return ef_fail(err, EF_ERR_ARG, "predict: batch size must be positive");
    int64_t *idx = malloc((size_t)batch_size * sizeof(int64_t));
    if (!idx) return ef_fail(err, EF_ERR_NOMEM, "predict: out of memory");
    ef_batch_buf bb;
    memset(&bb, 0, sizeof bb);
    ef_code rc = EF_OK;
    for (int64_t start = 0; start < d->n; start += batch_size) {
        int B = (int)(d->n - start < batch_size ? d->n - start : batch_size);
        for (int i = 0; i < B; i++) idx[i] = start + i;
        if ((rc = ef_batch_fill(&bb, &m->cfg, d, idx, B, err)) != EF_OK) break;
        const float *logits;
        if ((rc = ef_model_forward(m, &bb.batch, 0, NULL, &logits, err)) != EF_OK) break;
        ef_softmax_forward(probs + start * K, logits, B, K);
    }
    ef_batch_buf_free(&bb);
    free(idx);
    return rc;
}
