/* Fusion heads of Pepino et al. (2020), section 2.3:
 *   ef (early fusion): fin = [pooled text (F_T) | pooled audio (F_A)] (232-d by default)
 *        -> fusion.hidden dense H (128) -> ReLU -> fusion.out dense K (softmax in the loss)
 *   lf (late fusion): fin = [text logits (K) | audio logits (K)] (8-d)
 *        -> fusion.out dense K
 * Layers after the merge are always trained (every strategy), so the head's backward
 * always runs; the branches are entered only when they have trainable layers. */
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "nn/model_internal.h"

static int fusion_in(const ef_model *m)
{
    return m->cfg.system == EF_SYS_EF ? m->text.F + m->audio.F : 2 * m->cfg.n_classes;
}

int ef_fusion_register(ef_model *m)
{
    ef_params *p = &m->params;
    int K = m->cfg.n_classes, Cin = fusion_in(m);
    m->ihw = m->ihb = -1;
    int prev = Cin;
    if (m->cfg.system == EF_SYS_EF) {
        int H = m->cfg.fusion_hidden;
        m->ihw = ef_params_add(p, "fusion.hidden.weight", 2, (int64_t[]){H, Cin}, EF_INIT_GLOROT, Cin, H, 0);
        m->ihb = ef_params_add(p, "fusion.hidden.bias", 1, (int64_t[]){H}, EF_INIT_ZEROS, 0, 0, 0);
        if (m->ihw < 0 || m->ihb < 0) return -1;
        prev = H;
    }
    m->iow = ef_params_add(p, "fusion.out.weight", 2, (int64_t[]){K, prev}, EF_INIT_GLOROT, prev, K, 0);
    m->iob = ef_params_add(p, "fusion.out.bias", 1, (int64_t[]){K}, EF_INIT_ZEROS, 0, 0, 0);
    return m->iow < 0 || m->iob < 0 ? -1 : 0;
}

ef_code ef_fusion_reserve(ef_model *m, int B, ef_error *err)
{
    if (B <= m->cap_B) return EF_OK;
    int cap = B + B / 2, Cin = fusion_in(m), H = m->cfg.fusion_hidden, K = m->cfg.n_classes;
    free(m->fin);
    free(m->dfin);
    free(m->hid);
    free(m->dhid);
    free(m->logits);
    m->fin = malloc((size_t)cap * Cin * sizeof(float));
    m->dfin = malloc((size_t)cap * Cin * sizeof(float));
    m->hid = malloc((size_t)cap * H * sizeof(float));
    m->dhid = malloc((size_t)cap * H * sizeof(float));
    m->logits = malloc((size_t)cap * K * sizeof(float));
    if (!m->fin || !m->dfin || !m->hid || !m->dhid || !m->logits) {
        m->cap_B = 0;
        return ef_fail(err, EF_ERR_NOMEM, "fusion: out of memory");
    }
    m->cap_B = cap;
    return EF_OK;
}

int ef_fusion_input_dim(const ef_model *m, int branch_audio)
{
    if (m->cfg.system == EF_SYS_EF) return branch_audio ? m->audio.F : m->text.F;
    return m->cfg.n_classes;
}

void ef_fusion_forward(ef_model *m)
{
    if (m->cfg.system == EF_SYS_EF) ef_fusion_forward_inputs(m, m->text.pooled, m->audio.pooled);
    else ef_fusion_forward_inputs(m, m->text.logits, m->audio.logits);
}

void ef_fusion_forward_inputs(ef_model *m, const float *tin, const float *ain)
{
    const ef_params *p = &m->params;
    int B = m->B, K = m->cfg.n_classes, Cin = fusion_in(m);
    if (m->cfg.system == EF_SYS_EF) {
        int H = m->cfg.fusion_hidden;
        ef_concat_forward(m->fin, tin, ain, B, m->text.F, m->audio.F);
        ef_dense_forward(m->hid, m->fin, ef_params_value(p, m->ihw), ef_params_value(p, m->ihb), B, Cin, H);
        ef_relu_forward(m->hid, m->hid, (int64_t)B * H);
        ef_dense_forward(m->logits, m->hid, ef_params_value(p, m->iow), ef_params_value(p, m->iob), B, H, K);
    } else {
        ef_concat_forward(m->fin, tin, ain, B, K, K);
        ef_dense_forward(m->logits, m->fin, ef_params_value(p, m->iow), ef_params_value(p, m->iob), B, Cin, K);
    }
}

void ef_fusion_backward(ef_model *m, const float *dlogits)
{
    ef_params *p = &m->params;
    int B = m->B, K = m->cfg.n_classes, Cin = fusion_in(m);
    int tt = ef_branch_any_trainable(&m->text), at = ef_branch_any_trainable(&m->audio);
    int need_in = tt || at;
    if (need_in) memset(m->dfin, 0, (size_t)B * Cin * sizeof(float));
    if (m->cfg.system == EF_SYS_EF) {
        int H = m->cfg.fusion_hidden;
        memset(m->dhid, 0, (size_t)B * H * sizeof(float));
        ef_dense_backward(m->dhid, ef_params_gradient(p, m->iow), ef_params_gradient(p, m->iob), dlogits, m->hid,
                          ef_params_value(p, m->iow), B, H, K);
        ef_relu_backward(m->dhid, m->dhid, m->hid, (int64_t)B * H);
        ef_dense_backward(need_in ? m->dfin : NULL, ef_params_gradient(p, m->ihw), ef_params_gradient(p, m->ihb),
                          m->dhid, m->fin, ef_params_value(p, m->ihw), B, Cin, H);
        if (!need_in) return;
        float *dt = tt ? m->text.dpooled : NULL, *da = at ? m->audio.dpooled : NULL;
        if (dt) memset(dt, 0, (size_t)B * m->text.F * sizeof(float));
        if (da) memset(da, 0, (size_t)B * m->audio.F * sizeof(float));
        ef_concat_backward(dt, da, m->dfin, B, m->text.F, m->audio.F);
    } else {
        ef_dense_backward(need_in ? m->dfin : NULL, ef_params_gradient(p, m->iow), ef_params_gradient(p, m->iob),
                          dlogits, m->fin, ef_params_value(p, m->iow), B, Cin, K);
        if (!need_in) return;
        float *dt = tt ? m->text.dlogits : NULL, *da = at ? m->audio.dlogits : NULL;
        if (dt) memset(dt, 0, (size_t)B * K * sizeof(float));
        if (da) memset(da, 0, (size_t)B * K * sizeof(float));
        ef_concat_backward(dt, da, m->dfin, B, K, K);
    }
    if (tt) ef_branch_backward(&m->text, p);
    if (at) ef_branch_backward(&m->audio, p);
}
