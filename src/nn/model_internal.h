/* Private layout of the models: a branch is a short stack of blocks (dense or conv1d,
 * optional dropout at the block's input, optional batch norm, ReLU), a masked mean pool
 * and an optional output dense ("head"); a model is one branch (text, audio) or two
 * branches plus a fusion head (ef, lf). Shared by model_*.c, train.c and model_file.c. */
#ifndef EMOFUSE_NN_MODEL_INTERNAL_H
#define EMOFUSE_NN_MODEL_INTERNAL_H

#include <stdint.h>

#include "emofuse/nn_model.h"
#include "emofuse/thread_pool.h"

typedef enum { BLK_DENSE, BLK_CONV } blk_kind;

typedef struct {
    char layer[24];     /* tensor prefix, e.g. "text.t2" */
    char paper[8];      /* the paper's name, e.g. "L_T2" */
    blk_kind kind;
    int C, OC, K;       /* input / output channels, kernel (1 for dense) */
    int bn;             /* batch norm after the linear part */
    float dropout;      /* rate at the block's input */
    int iw, ib, igamma, ibeta, imean, ivar; /* tensor indices (-1 when absent) */
    int trainable;
    /* workspace, rows = cap of the branch */
    float *xdrop;       /* (N, C) input after dropout */
    uint8_t *mask;      /* (N*C) dropout mask */
    float *pre;         /* (N, OC) linear output (BN input) */
    float *act;         /* (N, OC) after BN and ReLU: the block output */
    float *dact;        /* (N, OC) gradient of act (masked in place by ReLU backward) */
    float *mean, *rstd; /* (OC) batch statistics of the last training forward */
    const float *x;     /* input actually used by the last forward (xdrop or previous act) */
    int dropped;        /* dropout applied in the last forward */
    int predropped;     /* xdrop/mask written by the previous block's fused pass */
    int bn_batch;       /* last forward used batch statistics */
    int checked;        /* bad_pre / bad_act were computed by the fused forward */
    int bad_pre, bad_act;
} ef_block;

typedef struct {
    char name[8];       /* "text" or "audio" */
    int nblk;
    ef_block blk[3];
    int F;              /* pooled size = last block's OC */
    int K;              /* classes (head output) */
    int has_head;
    int ihw, ihb;       /* head tensors ("<name>.out.*") */
    int head_trainable;
    ef_pool *pool;      /* threads for the layers (NULL: the caller's), owned by the model */
    int pool_threads;   /* ef_pool_threads(pool) when the workspace was sized */
    /* workspace */
    int64_t cap_rows;
    int cap_B;
    float *scratch;     /* (cap_rows * maxC) BN input gradient */
    float *dxdrop;      /* (cap_rows * maxC) gradient before dropout backward */
    float *convws;      /* conv1d workspace (dense blocks run as conv1d with K = 1) */
    int64_t convws_n;
    float *bnpart;      /* batch-norm run partial sums (ef_bn_part_floats) */
    double *bndbl;      /* (2 * maxC) */
    float *bnk;         /* (3 * maxC) */
    int *bad_items;     /* (cap_rows / 64 + 1) */
    float *pooled, *dpooled; /* (B, F) */
    float *logits, *dlogits; /* (B, K) when has_head */
    /* last forward */
    const float *input;
    const int64_t *offsets;
    int B;
    int64_t N;
} ef_branch;

struct ef_model {
    ef_model_config cfg;
    ef_params params;
    int has_text, has_audio;
    ef_branch text, audio;
    /* fusion head: ef = hidden + out, lf = out only */
    int ihw, ihb, iow, iob;
    int cap_B;
    float *fin, *dfin;   /* (B, Cin) concatenated branch outputs */
    float *hid, *dhid;   /* (B, H) hidden after ReLU (ef) */
    float *logits;       /* (B, K) fusion logits */
    const float *out_logits; /* logits of the last forward */
    int B;
    int trained_forward; /* last forward was in training mode */
};

/* Model assembly (model_text.c, model_audio.c). */
int ef_text_branch_register(ef_branch *br, ef_params *p, const ef_model_config *cfg, int with_head);
int ef_audio_branch_register(ef_branch *br, ef_params *p, const ef_model_config *cfg, int with_head);

/* Generic branch (model_branch.c). */
int ef_branch_add_block(ef_branch *br, ef_params *p, const char *layer, const char *paper, blk_kind kind, int C,
                        int OC, int K, int bn, float dropout);
int ef_branch_add_head(ef_branch *br, ef_params *p, int K);
ef_code ef_branch_reserve(ef_branch *br, int64_t N, int B, ef_error *err);
void ef_branch_forward(ef_branch *br, const ef_params *p, const float *input, const int64_t *offsets, int B,
                       int training, ef_rng *rng, float momentum, float eps);
/* Gradient arrives in br->dlogits (has_head) or br->dpooled (no head). */
void ef_branch_backward(ef_branch *br, ef_params *p);
int ef_branch_any_trainable(const ef_branch *br);
void ef_branch_sync_trainable(ef_branch *br, const ef_params *p);
const char *ef_branch_nonfinite(const ef_branch *br);
void ef_branch_free(ef_branch *br);

/* Fused, pooled element-wise passes (branch_ops.c); see the file for the numbers. */
typedef struct {
    const float *dpooled;    /* mean-pool gradient (B, C): row n of sequence b gets dpooled[b] / T_b */
    const int64_t *offsets;
    int B;
    const float *dact;       /* otherwise (N, C) */
    const uint8_t *mask;     /* with dact: dropout mask (N, C) and scale, or NULL */
    float dscale;
} ef_grad_src;
int64_t ef_bn_part_floats(int64_t N, int C);
/* Batch statistics (mean, rstd, running update) as ef_batchnorm_forward_train; returns 1
 * when pre holds a NaN/Inf (a channel sum is not finite). dbl: (C) doubles. */
int ef_bn_train_stats(ef_pool *pool, float *part, double *dbl, float *mean, float *rstd, float *running_mean,
                      float *running_var, const float *pre, int64_t N, int C, float momentum, float eps);
/* act = relu((pre - shift) * scale + beta); xdrop (or NULL) = act * dscale * mask.
 * Returns 1 when pre or act holds a NaN/Inf. bad_items: (N / 64 + 1) ints. */
int ef_bn_apply_relu(ef_pool *pool, int *bad_items, float *act, float *xdrop, const uint8_t *mask, float dscale,
                     const float *pre, const float *shift, const float *scale, const float *beta, int64_t N, int C);
/* ReLU backward (mask from act) of the gradient src, then BN backward: dgamma, dbeta +=,
 * gout (N, C) SET to the gradient of pre (skipped when NULL). dbl: (2C), kbuf: (3C). */
void ef_bn_relu_backward(ef_pool *pool, float *part, double *dbl, float *kbuf, float *gout, float *dgamma,
                         float *dbeta, const ef_grad_src *src, const float *act, const float *pre, const float *gamma,
                         const float *mean, const float *rstd, int64_t N, int C);
void ef_meanpool_forward_pool(ef_pool *pool, float *out, const float *inp, const int64_t *offsets, int B, int C);

/* Fusion head (model_fusion.c). */
int ef_fusion_register(ef_model *m);
ef_code ef_fusion_reserve(ef_model *m, int B, ef_error *err);
void ef_fusion_forward(ef_model *m);
/* The fusion head on given branch outputs (B = m->B rows each): pooled embeddings (ef)
 * or logits (lf), e.g. from the PT cache. */
void ef_fusion_forward_inputs(ef_model *m, const float *text_in, const float *audio_in);
/* Width of one branch's fusion input (pooled size for ef, K for lf). */
int ef_fusion_input_dim(const ef_model *m, int branch_audio);
void ef_fusion_backward(ef_model *m, const float *dlogits);
/* ef_model_nonfinite_layer for the fusion layers alone (a step on the PT cache, where the
 * branches did not run). */
const char *ef_fusion_nonfinite_layer(const ef_model *m);

#endif
