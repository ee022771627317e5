/* The paper's models (Pepino et al. 2020, sections 2-3) and their training.
 *
 * Systems (ef_system):
 *   text   L_T1 dense per token -> BN -> ReLU, L_T2 conv1d -> BN -> ReLU,
 *          L_T3 conv1d -> BN -> ReLU, masked mean pool (L_T4), L_T5 dense -> softmax
 *   audio  L_A1 conv1d -> BN -> ReLU, dropout 0.5, L_A2 conv1d -> BN -> ReLU,
 *          masked mean pool (L_A3), L_A4 dense -> softmax
 *   ef     early fusion: [pooled text | pooled audio] -> dense 128 ReLU -> dense K softmax
 *   lf     late fusion: [text logits | audio logits] (2K) -> dense K softmax
 * Every size is in ef_model_config (JSON file, docs/models.md lists the defaults).
 *
 * Parameters live in one block (ef_params) with a table of named tensors; names are
 * "<branch>.<layer>.<what>", e.g. "text.t2.weight", "audio.a1.bn_mean" (buffer),
 * "fusion.out.bias". The same names are used by the model file and the PyTorch reference.
 *
 * Batches are ragged (nn_layers.h): sequence b of the text input occupies rows
 * [text_offsets[b], text_offsets[b+1]); there is no padding anywhere. */
#ifndef EMOFUSE_NN_MODEL_H
#define EMOFUSE_NN_MODEL_H

#include <stdint.h>
#include <stdio.h>

#include "emofuse/rng.h"
#include "emofuse/status.h"

typedef enum { EF_SYS_TEXT, EF_SYS_AUDIO, EF_SYS_EF, EF_SYS_LF } ef_system;
typedef enum { EF_STRAT_CS, EF_STRAT_PT, EF_STRAT_WS } ef_strategy;

const char *ef_system_name(ef_system s);       /* "text", "audio", "ef", "lf" */
int ef_system_parse(const char *s, ef_system *out);     /* 0 ok, -1 unknown */
const char *ef_strategy_name(ef_strategy s);   /* "cs", "pt", "ws" */
int ef_strategy_parse(const char *s, ef_strategy *out); /* 0 ok, -1 unknown */

/* ---- configuration (src/nn/model_config.c) ---------------------------------------- */

typedef struct {
    int input_dim;      /* D_text: 768 (BERT) or 300 (GloVe); taken from the feature store */
    int dense_units;    /* L_T1 N_U: 128 (paper: 768 -> 128) */
    int conv1_filters;  /* L_T2 N_F: 128 */
    int conv1_kernel;   /* L_T2 S: 3 */
    int conv2_filters;  /* L_T3 N_F: 128 (= pooled text embedding size) */
    int conv2_kernel;   /* L_T3 S: 3 */
    int batch_norm;     /* 1: BN after L_T1, L_T2, L_T3 ("BN in all layers") */
    float dropout;      /* rate at the input of L_T3: 0 (the paper uses none for text) */
} ef_text_config;

typedef struct {
    int input_dim;      /* D_audio: 36 LLDs */
    int conv1_filters;  /* L_A1 N_F: 104 */
    int conv1_kernel;   /* L_A1 S: 5 */
    int conv2_filters;  /* L_A2 N_F: 104 (= pooled audio embedding; 128 + 104 = 232) */
    int conv2_kernel;   /* L_A2 S: 5 */
    int batch_norm;     /* 1: BN after L_A1 and L_A2 */
    float dropout;      /* rate at the input of L_A2: 0.5 */
} ef_audio_config;

typedef struct {
    ef_system system;
    int n_classes;          /* K: 4 */
    ef_text_config text;
    ef_audio_config audio;
    int fusion_hidden;      /* EF hidden dense units: 128 */
    float bn_momentum;      /* 0.99 (Keras) */
    float bn_eps;           /* 1e-3 (Keras) */
} ef_model_config;

ef_model_config ef_model_config_default_params(ef_system system);
/* Range checks (sizes >= 1, kernels <= 64, rates in [0,1), ...). */
ef_code ef_model_config_validate(const ef_model_config *cfg, ef_error *err);
/* Override the fields present in a JSON object (same layout as ef_model_config_to_json);
 * unknown keys and wrong types are errors naming the key. `what` names the source. */
ef_code ef_model_config_from_json(ef_model_config *cfg, const char *json, const char *what, ef_error *err);
ef_code ef_model_config_load(ef_model_config *cfg, const char *path, ef_error *err);
/* Complete JSON of the config (malloc'ed, caller frees), NULL on allocation failure. */
char *ef_model_config_to_json(const ef_model_config *cfg);

/* ---- parameter block (src/nn/params.c) --------------------------------------------- */

typedef enum { EF_INIT_GLOROT, EF_INIT_ZEROS, EF_INIT_ONES } ef_init_kind;

typedef struct {
    char name[48];
    int ndim;
    int64_t shape[3];
    int64_t numel;
    int64_t offset;     /* into data/grad (parameters) or buf (buffers) */
    int buffer;         /* 1: non-trained buffer (BN running statistics) */
    ef_init_kind init;
    int fan_in, fan_out;
    int trainable;      /* set by the strategy; buffers are never trainable */
} ef_tensor_info;

typedef struct {
    ef_tensor_info *t;
    int n, cap;
    float *data;        /* (n_params) trained values, one contiguous block */
    float *grad;        /* (n_params) mirrors data */
    int64_t n_params;
    float *buf;         /* (n_buf) BN running mean / variance */
    int64_t n_buf;
} ef_params;

/* Register a tensor before ef_params_alloc(); returns its index or -1 (no memory). */
int ef_params_add(ef_params *p, const char *name, int ndim, const int64_t *shape, ef_init_kind init, int fan_in,
                  int fan_out, int buffer);
ef_code ef_params_alloc(ef_params *p, ef_error *err);
void ef_params_free(ef_params *p);
int ef_params_find(const ef_params *p, const char *name); /* -1 when absent */
float *ef_params_value(const ef_params *p, int idx);      /* data or buf */
float *ef_params_gradient(const ef_params *p, int idx);   /* NULL for buffers */
/* Initialise tensors whose name starts with prefix (all when NULL), in table order:
 * Glorot uniform / zeros / ones; BN running mean 0, running variance 1. */
void ef_params_init(ef_params *p, const char *prefix, ef_rng *rng);
void ef_params_zero_grad(ef_params *p);
/* Name of the first parameter tensor whose gradient is NaN/Inf, NULL if all finite. */
const char *ef_params_nonfinite_grad(const ef_params *p);

/* ---- the model (src/nn/model*.c) --------------------------------------------------- */

typedef struct ef_model ef_model;

typedef struct {
    int B;
    const float *text;            /* (N_text, D_text) or NULL for audio-only systems */
    const int64_t *text_offsets;  /* (B+1) */
    const float *audio;           /* (N_audio, D_audio) (already z-normalised) or NULL */
    const int64_t *audio_offsets; /* (B+1) */
} ef_batch;

ef_code ef_model_create(ef_model **out, const ef_model_config *cfg, ef_error *err);
void ef_model_free(ef_model *m);
const ef_model_config *ef_model_config_of(const ef_model *m);
ef_params *ef_model_params(ef_model *m);

/* Trainable flags by strategy: cs all; pt only "fusion.*"; ws also L_T3, L_T5, L_A2, L_A4
 * (the layers from the last convolution on). Single-modality systems accept only cs.
 * Frozen layers run batch norm with running statistics (tf.keras / TF 2 semantics of
 * trainable=False) and keep them unchanged; dropout stays active in training. */
ef_code ef_model_set_strategy(ef_model *m, ef_strategy s, ef_error *err);
/* Copy every tensor (parameters and buffers) of dst named "<branch>.*" from src, e.g. a
 * trained text model's "text.t1.weight" into a fusion model; shapes must match. Only dst's
 * tensors are visited, so an ef model (no "<branch>.out.*") takes the branch without the
 * pre-trained logits layer and an lf model takes it with. */
ef_code ef_model_copy_branch(ef_model *dst, const ef_model *src, const char *branch, ef_error *err);

/* Forward pass. training: BN of trainable layers uses batch statistics (and updates the
 * running ones), dropout draws from rng; otherwise inference. *logits (B, K) points into
 * the model's workspace, valid until the next forward. Fails (EF_ERR_ARG) when a needed
 * input is missing or a sequence is empty. */
ef_code ef_model_forward(ef_model *m, const ef_batch *b, int training, ef_rng *rng, const float **logits,
                         ef_error *err);
/* Backward pass of the last (training) forward: adds the gradients of the trainable
 * tensors given dlogits (B, K). */
void ef_model_backward(ef_model *m, const float *dlogits);
/* After a forward: name of the first layer whose output holds NaN/Inf, NULL if none. */
const char *ef_model_nonfinite_layer(const ef_model *m);

/* ---- data, training and inference (src/nn/train.c) --------------------------------- */

/* Utterances as pointers to (T, D) rows (e.g. into memory-mapped feature stores). */
typedef struct {
    int64_t n;
    const float *const *text_rows;  /* (n) or NULL */
    const int64_t *text_T;
    const float *const *audio_rows; /* (n) or NULL */
    const int64_t *audio_T;
    const int32_t *labels;          /* (n) in [0, K), or NULL for inference */
    const float *audio_mean;        /* (D_audio) z-normalisation applied when batching; NULL = none */
    const float *audio_std;
} ef_dataset;

typedef struct {
    ef_strategy strategy;
    int epochs;           /* 20 */
    int batch_size;       /* 32 */
    uint64_t seed;        /* drives shuffling and dropout (and init, see ef_train) */
    float lr;             /* cs 7e-4, pt 7e-4 (lf-pt 1e-2), ws 1e-4 */
    int warmup_steps;     /* 40 (0 for lf-pt) */
    int class_weighted;   /* 1: inverse-frequency class weights of the training labels */
    FILE *log;            /* one progress line per epoch; NULL = silent */
    /* Called after every epoch (1-based) with the model in its current state, e.g. to
     * score held-out data for epoch selection; a non-OK return stops training with that
     * code. NULL = none. */
    ef_code (*on_epoch)(void *ctx, int epoch, ef_model *m, ef_error *err);
    void *on_epoch_ctx;
    /* pt (ef, lf): the frozen branches' outputs are computed once and the fusion layers
     * train on that cache (same numbers, far less time); 1 runs the branches every step
     * instead (what a frozen-branch loop without a cache costs: the benchmarks compare both). */
    int no_pt_cache;
    /* Threads for this one training (0 or 1: the caller's thread only). With more, each
     * step's rows are cut into fixed chunks spread over a pool, BLAS runs single-threaded
     * inside (set for the duration of ef_train, restored after), and sums over rows are
     * reduced in chunk order: the trained weights are bit-identical for every thread
     * count. */
    int threads;
} ef_train_options;

/* Defaults of the paper for a system and strategy. */
ef_train_options ef_train_default_params(ef_system sys, ef_strategy s);

/* Train in place. Initialisation from opt->seed: cs initialises every tensor, pt/ws only
 * "fusion.*" (branches must have been copied in before). Epochs shuffle the utterances,
 * minibatches are ragged, Adam with linear warm-up, class-weighted cross-entropy.
 * A NaN/Inf loss or gradient stops with EF_ERR_NUMERIC naming the step and the layer.
 * final_loss (may be NULL) receives the mean loss of the last epoch. */
ef_code ef_train(ef_model *m, const ef_dataset *d, const ef_train_options *opt, double *final_loss,
                 ef_error *err);

/* One optimisation step on one batch, for callers that run their own loop (tests,
 * bench_big_store's streaming from a store larger than RAM): forward, class-weighted loss,
 * backward, finiteness checks, Adam update (nn_optim.h: tf.keras Adam, learning rate
 * lr * min(1, t / warmup_steps) at 1-based step t). The state holds Adam's moments for
 * the model's trainable set at creation (call ef_model_set_strategy first). */
typedef struct ef_train_state ef_train_state;
ef_code ef_train_state_new(ef_train_state **out, ef_model *m, float lr, int warmup_steps, ef_error *err);
void ef_train_state_free(ef_train_state *s);
/* Steps taken so far. */
int64_t ef_train_state_steps(const ef_train_state *s);
ef_code ef_train_step(ef_model *m, ef_train_state *s, const ef_batch *b, const int32_t *labels, const float *class_w,
                      ef_rng *rng, float *loss, ef_error *err);

/* Class probabilities (n, K) of every utterance (inference mode, batches of batch_size). */
ef_code ef_predict(ef_model *m, const ef_dataset *d, int batch_size, float *probs, ef_error *err);

/* Assemble a ragged batch of dataset items idx[0..B) into caller-grown buffers
 * (applies audio normalisation). Exposed for the benchmark and tests. */
typedef struct {
    ef_batch batch;
    float *text, *audio;
    int64_t *text_off, *audio_off;
    int32_t *labels;
    int64_t cap_text, cap_audio, cap_B;
} ef_batch_buf;
ef_code ef_batch_fill(ef_batch_buf *bb, const ef_model_config *cfg, const ef_dataset *d, const int64_t *idx, int B,
                      ef_error *err);
void ef_batch_buf_free(ef_batch_buf *bb);

/* ---- model files (src/nn/model_file.c) --------------------------------------------- */

/* What a trained model expects and carries besides its weights. */
typedef struct {
    char text_kind[32];     /* feature store kind of the text input ("bert", "glove") or "" */
    char audio_kind[32];    /* "audio-lld" or "" */
    int n_labels;
    char labels[16][32];    /* class names in output order */
    float *audio_mean;      /* (D_audio) or NULL; owned by the struct */
    float *audio_std;
    /* How the input features were made: the emofuse.config JSON of the feature stores the
     * model was trained on (LLD parameters; BERT folder, hashes and layers; GloVe file), or
     * NULL (model files written before it was recorded). Owned by the struct. */
    char *text_features;
    char *audio_features;
} ef_model_meta;

void ef_model_meta_free(ef_model_meta *meta);

/* One safetensors file: every parameter and buffer tensor (F32) plus "norm.audio.mean" /
 * "norm.audio.std" when present; __metadata__: "emofuse.format" = "emofuse-model-1",
 * "emofuse.config" (config JSON), "emofuse.labels" (JSON array), "emofuse.text_kind",
 * "emofuse.audio_kind", "emofuse.text_dim", "emofuse.audio_dim", and when set
 * "emofuse.text_features" / "emofuse.audio_features" (the stores' configs). Written
 * atomically. */
ef_code ef_model_save(const ef_model *m, const ef_model_meta *meta, const char *path, ef_error *err);
/* Load and validate everything (format tag, config, every expected tensor present with
 * its exact shape and dtype, no unknown tensors, finite values, labels, norm dims). */
ef_code ef_model_load(ef_model **out, ef_model_meta *meta, const char *path, ef_error *err);

#endif
