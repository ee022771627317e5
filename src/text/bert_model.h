/* The layout of a loaded BERT model (private to src/text; the public header keeps
 * ef_bert_model opaque). Tests of the text module include it to check how weights are held
 * (in place from the mmap or converted). */
#ifndef EMOFUSE_TEXT_BERT_MODEL_H
#define EMOFUSE_TEXT_BERT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "emofuse/bert.h"
#include "emofuse/safetensors.h"

typedef struct {
    const float *q_w, *q_b;       /* (C, C), (C) */
    const float *k_w, *k_b;       /* (C, C), (C) */
    const float *v_w, *v_b;       /* (C, C), (C) */
    const float *ao_w, *ao_b;     /* attention.output.dense (C, C), (C) */
    const float *ln1_g, *ln1_b;   /* attention.output.LayerNorm (C), (C) */
    const float *fc_w, *fc_b;     /* intermediate.dense (I, C), (I) */
    const float *proj_w, *proj_b; /* output.dense (C, I), (C) */
    const float *ln2_g, *ln2_b;   /* output.LayerNorm (C), (C) */
} ef_bert_layer;

struct ef_bert_model {
    ef_bert_config cfg;
    const float *wte;            /* word_embeddings (V, C) */
    const float *wpe;            /* position_embeddings (P, C) */
    const float *tte;            /* token_type_embeddings (type_vocab_size, C) */
    const float *emb_ln_g, *emb_ln_b; /* (C), (C) */
    ef_bert_layer *layers;       /* (L) */
    int32_t cls_id, sep_id;      /* ids of [CLS] and [SEP] in vocab.txt */
    char *dir;                   /* model folder */
    char *vocab_path;            /* <dir>/vocab.txt */
    ef_safetensors_file *st; /* keeps the mmap alive */
    float *owned;                /* F16/BF16 tensors converted to F32, and unaligned F32 copies */
    size_t owned_floats;
    size_t weight_bytes;         /* bytes of all used weights as F32 */
};

/* Naive triple-loop version of the same forward pass (oracle for tests; slow). */
ef_code ef_bert_forward_naive(const ef_bert_model *m, const int32_t *ids, int T, float *all_hidden,
                              ef_error *err);

#endif
