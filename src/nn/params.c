/* The parameter block: every trained tensor of a model in one contiguous float array
 * with a table of named tensors; gradients mirror it element for element (Adam's moments
 * mirror it too, in nn_optim.h), so zeroing gradients is one memset and an optimiser
 * step one loop. Batch-norm running statistics are buffers: named like parameters but
 * stored in a separate block that the optimiser never sees. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "emofuse/nn_model.h"
#include "emofuse/nn_optim.h"

int ef_params_add(ef_params *p, const char *name, int ndim, const int64_t *shape, ef_init_kind init, int fan_in,
                  int fan_out, int buffer)
{
    EF_ASSERT(ndim >= 1 && ndim <= 3 && strlen(name) < sizeof p->t[0].name);
    EF_ASSERT(!p->data && !p->buf); /* the table is fixed once allocated */
    if (p->n == p->cap) {
        int nc = p->cap ? 2 * p->cap : 32;
        ef_tensor_info *nt = realloc(p->t, (size_t)nc * sizeof *nt);
        if (!nt) return -1;
        p->t = nt;
        p->cap = nc;
    }
    ef_tensor_info *t = &p->t[p->n];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->ndim = ndim;
    t->numel = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->numel *= shape[i];
    }
    t->buffer = buffer;
    t->init = init;
    t->fan_in = fan_in;
    t->fan_out = fan_out;
    t->trainable = !buffer;
    if (buffer) {
        t->offset = p->n_buf;
        p->n_buf += t->numel;
    } else {
        t->offset = p->n_params;
        p->n_params += t->numel;
    }
    return p->n++;
}

ef_code ef_params_alloc(ef_params *p, ef_error *err)
{
    p->data = calloc((size_t)(p->n_params ? p->n_params : 1), sizeof(float));
    p->grad = calloc((size_t)(p->n_params ? p->n_params : 1), sizeof(float));
    p->buf = calloc((size_t)(p->n_buf ? p->n_buf : 1), sizeof(float));
    if (!p->data || !p->grad || !p->buf) {
        ef_params_free(p);
        return ef_fail(err, EF_ERR_NOMEM, "model: cannot allocate %lld parameters", (long long)p->n_params);
    }
    return EF_OK;
}

void ef_params_free(ef_params *p)
{
    free(p->t);
    free(p->data);
    free(p->grad);
    free(p->buf);
    memset(p, 0, sizeof *p);
}

int ef_params_find(const ef_params *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->t[i].name, name) == 0) return i;
    return -1;
}

float *ef_params_value(const ef_params *p, int idx)
{
    EF_ASSERT(idx >= 0 && idx < p->n);
    const ef_tensor_info *t = &p->t[idx];
    return (t->buffer ? p->buf : p->data) + t->offset;
}

float *ef_params_gradient(const ef_params *p, int idx)
{
    EF_ASSERT(idx >= 0 && idx < p->n);
    const ef_tensor_info *t = &p->t[idx];
    return t->buffer ? NULL : p->grad + t->offset;
}

void ef_params_init(ef_params *p, const char *prefix, ef_rng *rng)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    for (int i = 0; i < p->n; i++) {
        const ef_tensor_info *t = &p->t[i];
        if (prefix && strncmp(t->name, prefix, plen) != 0) continue;
        float *x = ef_params_value(p, i);
        switch (t->init) {
        case EF_INIT_GLOROT: ef_glorot_uniform(x, t->numel, t->fan_in, t->fan_out, rng); break;
        case EF_INIT_ZEROS: memset(x, 0, (size_t)t->numel * sizeof(float)); break;
        case EF_INIT_ONES:
            for (int64_t j = 0; j < t->numel; j++) x[j] = 1.0f;
            break;
        }
    }
}

void ef_params_zero_grad(ef_params *p)
{
    memset(p->grad, 0, (size_t)p->n_params * sizeof(float));
}

const char *ef_params_nonfinite_grad(const ef_params *p)
{
    for (int i = 0; i < p->n; i++) {
        const ef_tensor_info *t = &p->t[i];
        if (t->buffer || !t->trainable) continue;
        if (ef_check_finite(p->grad + t->offset, t->numel) >= 0) return t->name;
    }
    return NULL;
}
