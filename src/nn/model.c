/* The model object: builds the tensor table for a system (text, audio, ef, lf), applies
 * a training strategy's trainable set, copies pre-trained branches, and runs forward and
 * backward passes over ragged batches by dispatching to the branches and fusion head. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "nn/model_internal.h"

ef_code ef_model_create(ef_model **out, const ef_model_config *cfg, ef_error *err)
{
    *out = NULL;
    ef_code rc = ef_model_config_validate(cfg, err);
    if (rc != EF_OK) return rc;
    ef_model *m = calloc(1, sizeof *m);
    if (!m) return ef_fail(err, EF_ERR_NOMEM, "model: out of memory");
    m->cfg = *cfg;
    ef_system s = cfg->system;
    m->has_text = s != EF_SYS_AUDIO;
    m->has_audio = s != EF_SYS_TEXT;
    int heads = s != EF_SYS_EF; /* ef merges pooled embeddings, the others logits */
    int bad = 0;
    if (m->has_text) bad |= ef_text_branch_register(&m->text, &m->params, cfg, heads);
    if (m->has_audio) bad |= ef_audio_branch_register(&m->audio, &m->params, cfg, heads);
    if (!bad && (s == EF_SYS_EF || s == EF_SYS_LF)) bad |= ef_fusion_register(m);
    if (bad) {
        ef_model_free(m);
        return ef_fail(err, EF_ERR_NOMEM, "model: out of memory");
    }
    rc = ef_params_alloc(&m->params, err);
    if (rc != EF_OK) {
        ef_model_free(m);
        return rc;
    }
    /* Valid weights from the start (zeros for weights, ones for BN scale / variance);
     * training or loading replaces them. */
    ef_rng rng;
    ef_rng_seed(&rng, 0);
    ef_params_init(&m->params, NULL, &rng);
    *out = m;
    return EF_OK;
}

void ef_model_free(ef_model *m)
{
    if (!m) return;
    ef_branch_free(&m->text);
    ef_branch_free(&m->audio);
    free(m->fin);
    free(m->dfin);
    free(m->hid);
    free(m->dhid);
    free(m->logits);
    ef_params_free(&m->params);
    free(m);
}

const ef_model_config *ef_model_config_of(const ef_model *m)
{
    return &m->cfg;
}

ef_params *ef_model_params(ef_model *m)
{
    return &m->params;
}

/* Layer prefix of a tensor name: "text.t3.weight" -> compares "text.t3". */
static int in_layer(const char *name, const char *layer)
{
    size_t n = strlen(layer);
    return strncmp(name, layer, n) == 0 && name[n] == '.';
}

static int prefix_frozen_ok(const ef_branch *br)
{
    int seen_trainable = 0;
    for (int i = 0; i < br->nblk; i++) {
        if (br->blk[i].trainable) seen_trainable = 1;
        else if (seen_trainable) return 0;
    }
    if (br->has_head && seen_trainable && !br->head_trainable) return 0;
    return 1;
}

ef_code ef_model_set_strategy(ef_model *m, ef_strategy s, ef_error *err)
{
    int fused = m->cfg.system == EF_SYS_EF || m->cfg.system == EF_SYS_LF;
    if (!fused && s != EF_STRAT_CS)
        return ef_fail(err, EF_ERR_ARG, "strategy %s needs a fusion system (ef or lf), not %s", ef_strategy_name(s),
                       ef_system_name(m->cfg.system));
    if ((unsigned)s > EF_STRAT_WS) return ef_fail(err, EF_ERR_ARG, "unknown strategy");
    static const char *const ws_layers[] = {"text.t3", "text.out", "audio.a2", "audio.out"};
    for (int i = 0; i < m->params.n; i++) {
        ef_tensor_info *t = &m->params.t[i];
        if (t->buffer) {
            t->trainable = 0;
            continue;
        }
        int tr = s == EF_STRAT_CS || in_layer(t->name, "fusion.hidden") || in_layer(t->name, "fusion.out");
        if (s == EF_STRAT_WS)
            for (size_t j = 0; j < sizeof ws_layers / sizeof ws_layers[0]; j++) tr |= in_layer(t->name, ws_layers[j]);
        t->trainable = tr;
    }
    if (m->has_text) ef_branch_sync_trainable(&m->text, &m->params);
    if (m->has_audio) ef_branch_sync_trainable(&m->audio, &m->params);
    EF_ASSERT((!m->has_text || prefix_frozen_ok(&m->text)) && (!m->has_audio || prefix_frozen_ok(&m->audio)));
    return EF_OK;
}

static void shape_str(char *buf, size_t n, const ef_tensor_info *t)
{
    int len = snprintf(buf, n, "[");
    for (int i = 0; i < t->ndim && len < (int)n; i++)
        len += snprintf(buf + len, n - (size_t)len, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (len < (int)n) snprintf(buf + len, n - (size_t)len, "]");
}

ef_code ef_model_copy_branch(ef_model *dst, const ef_model *src, const char *branch, ef_error *err)
{
    size_t bl = strlen(branch);
    int copied = 0;
    for (int i = 0; i < dst->params.n; i++) {
        const ef_tensor_info *t = &dst->params.t[i];
        if (strncmp(t->name, branch, bl) != 0 || t->name[bl] != '.') continue;
        int j = ef_params_find(&src->params, t->name);
        if (j < 0)
            return ef_fail(err, EF_ERR_FORMAT, "pre-trained %s model (system %s) has no tensor '%s'", branch,
                           ef_system_name(src->cfg.system), t->name);
        const ef_tensor_info *u = &src->params.t[j];
        int same = u->ndim == t->ndim && u->buffer == t->buffer;
        for (int d = 0; same && d < t->ndim; d++) same = u->shape[d] == t->shape[d];
        if (!same) {
            char a[64], b[64];
            shape_str(a, sizeof a, u);
            shape_str(b, sizeof b, t);
            return ef_fail(err, EF_ERR_FORMAT, "pre-trained %s model: tensor '%s' has shape %s, expected %s", branch,
                           t->name, a, b);
        }
        memcpy(ef_params_value(&dst->params, i), ef_params_value(&src->params, j), (size_t)t->numel * sizeof(float));
        copied++;
    }
    if (!copied) return ef_fail(err, EF_ERR_ARG, "model has no %s branch", branch);
    return EF_OK;
}

static ef_code check_input(const char *what, const float *rows, const int64_t *off, int B, ef_error *err)
{
    if (!rows || !off) return ef_fail(err, EF_ERR_ARG, "batch: the model needs %s input", what);
    if (off[0] != 0) return ef_fail(err, EF_ERR_ARG, "batch: %s offsets must start at 0", what);
    for (int b = 0; b < B; b++)
        if (off[b + 1] <= off[b])
            return ef_fail(err, EF_ERR_ARG, "batch: %s sequence %d is empty (mean pooling needs >= 1 row)", what, b);
    return EF_OK;
}

ef_code ef_model_forward(ef_model *m, const ef_batch *b, int training, ef_rng *rng, const float **logits,
                         ef_error *err)
{
    ef_code rc;
    if (b->B < 1) return ef_fail(err, EF_ERR_ARG, "batch: empty");
    if (m->has_text && (rc = check_input("text", b->text, b->text_offsets, b->B, err)) != EF_OK) return rc;
    if (m->has_audio && (rc = check_input("audio", b->audio, b->audio_offsets, b->B, err)) != EF_OK) return rc;
    if (training && !rng && ((m->has_text && m->cfg.text.dropout > 0) || (m->has_audio && m->cfg.audio.dropout > 0)))
        return ef_fail(err, EF_ERR_ARG, "model: training with dropout needs a random generator");
    m->B = b->B;
    m->trained_forward = training;
    if (m->has_text) {
        if ((rc = ef_branch_reserve(&m->text, b->text_offsets[b->B], b->B, err)) != EF_OK) return rc;
        ef_branch_forward(&m->text, &m->params, b->text, b->text_offsets, b->B, training, rng, m->cfg.bn_momentum,
                          m->cfg.bn_eps);
    }
    if (m->has_audio) {
        if ((rc = ef_branch_reserve(&m->audio, b->audio_offsets[b->B], b->B, err)) != EF_OK) return rc;
        ef_branch_forward(&m->audio, &m->params, b->audio, b->audio_offsets, b->B, training, rng, m->cfg.bn_momentum,
                          m->cfg.bn_eps);
    }
    switch (m->cfg.system) {
    case EF_SYS_TEXT: m->out_logits = m->text.logits; break;
    case EF_SYS_AUDIO: m->out_logits = m->audio.logits; break;
    default:
        if ((rc = ef_fusion_reserve(m, b->B, err)) != EF_OK) return rc;
        ef_fusion_forward(m);
        m->out_logits = m->logits;
    }
    *logits = m->out_logits;
    return EF_OK;
}

void ef_model_backward(ef_model *m, const float *dlogits)
{
    EF_ASSERT(m->trained_forward);
    size_t bytes = (size_t)m->B * m->cfg.n_classes * sizeof(float);
    switch (m->cfg.system) {
    case EF_SYS_TEXT:
        memcpy(m->text.dlogits, dlogits, bytes);
        ef_branch_backward(&m->text, &m->params);
        break;
    case EF_SYS_AUDIO:
        memcpy(m->audio.dlogits, dlogits, bytes);
        ef_branch_backward(&m->audio, &m->params);
        break;
    default: ef_fusion_backward(m, dlogits);
    }
}

static int any_nonfinite(const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 1;
    return 0;
}

const char *ef_model_nonfinite_layer(const ef_model *m)
{
    const char *s;
    if (m->has_text && (s = ef_branch_nonfinite(&m->text)) != NULL) return s;
    if (m->has_audio && (s = ef_branch_nonfinite(&m->audio)) != NULL) return s;
    return ef_fusion_nonfinite_layer(m);
}

const char *ef_fusion_nonfinite_layer(const ef_model *m)
{
    if (m->cfg.system == EF_SYS_EF && any_nonfinite(m->hid, (int64_t)m->B * m->cfg.fusion_hidden))
        return "fusion.hidden";
    if ((m->cfg.system == EF_SYS_EF || m->cfg.system == EF_SYS_LF) &&
        any_nonfinite(m->logits, (int64_t)m->B * m->cfg.n_classes))
        return "fusion.out";
    return NULL;
}
