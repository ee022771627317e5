/* BERT encoder (inference only) for HuggingFace BERT checkpoints.
 *
 * A model folder holds config.json, vocab.txt and model.safetensors (HuggingFace layout).
 * The loader trusts nothing: every tensor must have a known name (with or without the
 * "bert." prefix), dtype F32/F16/BF16 and the exact shape implied by config.json; missing,
 * duplicate and unexpected tensors are errors. Pooler ("pooler.*") and pre-training heads
 * ("cls.*") and the "embeddings.position_ids" buffer are ignored. F32 tensors are used in
 * place from the read-only mmap; F16/BF16 are converted to F32 once at load time.
 *
 * Forward pass: embeddings (word + position + token type 0) + LayerNorm, then per layer
 * self-attention (+ residual + LayerNorm) and a GELU (exact erf) feed-forward block
 * (+ residual + LayerNorm). Sequences of a batch are PACKED (no padding rows at all):
 * dense layers run as one GEMM over all tokens of the batch, attention runs per sequence
 * over its own length, which is exactly what a padding mask achieves.
 *
 * Dimension letters: L layers, C hidden size, NH heads, I intermediate size, V vocab,
 * P max positions, N packed tokens of a batch, T tokens of one sequence. */
#ifndef EMOFUSE_BERT_H
#define EMOFUSE_BERT_H

#include <stddef.h>
#include <stdint.h>

#include "emofuse/status.h"

#define EF_BERT_MAX_LAYERS 48

typedef struct {
    int n_layers;        /* num_hidden_layers, L */
    int hidden;          /* hidden_size, C */
    int n_heads;         /* num_attention_heads, NH (divides C) */
    int intermediate;    /* intermediate_size, I */
    int max_positions;   /* max_position_embeddings, P */
    int vocab_size;      /* V */
    int type_vocab_size; /* token types (segment ids); we always use type 0 */
    float layer_norm_eps;
} ef_bert_config;

/* Parse config.json text (len bytes, need not be NUL-terminated). `name` is used in error
 * messages ("<name>: key 'hidden_size': ..."). Requires every field above and
 * hidden_act == "gelu"; bounds every number. */
ef_code ef_bert_config_parse(ef_bert_config *cfg, const char *json, size_t len, const char *name,
                             ef_error *err);
ef_code ef_bert_config_load(ef_bert_config *cfg, const char *path, ef_error *err);

/* A loaded model folder (opaque: its weights are views into the mmapped safetensors file,
 * laid out in src/text/bert_model.h). */
typedef struct ef_bert_model ef_bert_model;

/* Load a model folder. On failure *out is NULL and err names the file and the cause. */
ef_code ef_bert_load(ef_bert_model **out, const char *dir, ef_error *err);
void ef_bert_free(ef_bert_model *m);

/* What a loaded model is: its config.json, its folder and vocab.txt path, the ids of
 * [CLS] and [SEP] in vocab.txt, and the bytes of all weights it uses as F32. */
const ef_bert_config *ef_bert_model_config(const ef_bert_model *m);
const char *ef_bert_model_dir(const ef_bert_model *m);
const char *ef_bert_model_vocab_path(const ef_bert_model *m);
int32_t ef_bert_model_cls_id(const ef_bert_model *m);
int32_t ef_bert_model_sep_id(const ef_bert_model *m);
size_t ef_bert_model_weight_bytes(const ef_bert_model *m);

/* ---- Low level: one packed batch ---------------------------------------------------- */

/* Scratch buffers for batches of up to max_tokens packed tokens and sequences of up to
 * max_seq tokens. One workspace per concurrently running forward pass. */
typedef struct ef_bert_workspace ef_bert_workspace;
ef_bert_workspace *ef_bert_workspace_new(const ef_bert_config *cfg, int max_tokens, int max_seq);
/* Same, with n_threads threads (ef_parallel_for) for attention (one sequence per item)
 * and the row-wise LayerNorm/GELU; the GEMMs use OpenBLAS's own threads. */
ef_bert_workspace *ef_bert_workspace_new_threads(const ef_bert_config *cfg, int max_tokens, int max_seq,
                                                 int n_threads);
void ef_bert_workspace_free(ef_bert_workspace *ws);

/* Forward pass over B sequences packed back to back: ids (N) with N = sum(lens), each
 * sequence already framed ([CLS] ... [SEP]) and at most P tokens long.
 * Hidden state 0 is the embedding output, state l (1..L) the output of layer l.
 *   all_hidden: (L+1, N, C) or NULL.
 *   layer_sum:  (N, C) or NULL; receives the sum of the states l with bit l of sum_mask set.
 * Ids outside [0, V) are an error (EF_ERR_ARG). */
ef_code ef_bert_forward(const ef_bert_model *m, ef_bert_workspace *ws, const int32_t *ids,
                        const int *lens, int B, float *all_hidden, float *layer_sum,
                        uint64_t sum_mask, ef_error *err);

/* ---- High level: texts of word-pieces -> per word-piece features --------------------- */

typedef struct {
    int layer_first;     /* first hidden state to combine; -1 = L-3 (the paper: last 4 layers) */
    int layer_count;     /* number of consecutive states to combine (default 4) */
    int mean;            /* 0: sum (the paper), 1: mean */
    int keep_special;    /* 1: output rows for [CLS] and [SEP] too (default 0) */
    int truncate;        /* 1: drop word-pieces beyond P-2; 0 (default): overlapping windows */
    int window_stride;   /* word-pieces between window starts; 0 = (P-2)/2 */
    int n_threads;       /* 0 = all cores */
    int batch_tokens;    /* packed tokens per batch (default 1024) */
    int threading;       /* EF_BERT_THREADS_* (default: BLAS, measured faster; docs/bert.md) */
} ef_bert_feat_opts;

enum {
    EF_BERT_THREADS_BLAS = 1,      /* one batch at a time, OpenBLAS threads inside each GEMM */
    EF_BERT_THREADS_SEQUENCES = 2  /* batches in parallel (ef_parallel_for), OpenBLAS single-threaded */
};

ef_bert_feat_opts ef_bert_feat_default_params(void);

/* Number of output rows for a text of n word-pieces (without [CLS]/[SEP]). */
int ef_bert_feat_rows(const ef_bert_model *m, const ef_bert_feat_opts *o, int n);

/* Features of many texts. pieces[i] holds n[i] word-piece ids WITHOUT [CLS]/[SEP];
 * out[i] is caller-allocated with ef_bert_feat_rows(n[i]) * C floats. Texts are sorted by
 * length and packed into batches; long texts are split into windows (see docs/bert.md). */
ef_code ef_bert_features(const ef_bert_model *m, const ef_bert_feat_opts *o, int n_texts,
                         const int32_t *const *pieces, const int *n, float *const *out, ef_error *err);

/* All hidden states of one text: all_hidden (L+1, T, C) with T = n+2 rows
 * ([CLS], pieces, [SEP]; with truncate, n is first cut to P-2). Long texts use the same
 * windows as ef_bert_features. *T_out receives T. */
ef_code ef_bert_hidden_states(const ef_bert_model *m, const ef_bert_feat_opts *o, const int32_t *pieces,
                              int n, float *all_hidden, int *T_out, ef_error *err);

/* ---- A randomly initialised encoder (src/text/bert_random.c) ------------------------- */

/* Shape and seed of a random encoder. The defaults (ef_bert_random_default_params) are
 * bert-base's layer width with 4 layers: layers 4, hidden 768, heads 12, intermediate
 * 3072, max_positions 512, seed 1. Bounds are those of config.json (bert_config.c). */
typedef struct {
    int layers;          /* num_hidden_layers, L (1..48) */
    int hidden;          /* hidden_size, C */
    int heads;           /* num_attention_heads (divides hidden) */
    int intermediate;    /* intermediate_size, I */
    int max_positions;   /* max_position_embeddings, P (>= 3) */
    uint64_t seed;       /* ef_rng seed of every weight */
} ef_bert_random_params;

ef_bert_random_params ef_bert_random_default_params(void);

/* Write a randomly initialised BERT model folder that ef_bert_load reads like a real one
 * (for the demo and for users without pretrained weights; its features are NOT the
 * paper's): DIR/config.json (HuggingFace BertModel keys, layer_norm_eps 1e-12,
 * type_vocab_size 2), DIR/vocab.txt and DIR/model.safetensors (F32, BertModel tensor
 * names, no pooler; metadata "format" = "pt", "emofuse.random_encoder" = "true",
 * "emofuse.seed" = "<seed>").
 *
 * Vocabulary: [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0..4), then every distinct word that
 * ef_basic_tokenize makes of texts[0..n_texts) in first-seen order (NULL texts count as
 * empty; words over EF_WORDPIECE_MAX_CHARS code points are left out, WordPiece makes them
 * [UNK] anyway), so every word of the texts tokenizes to one whole-word id; other words
 * become [UNK].
 * Weights (HuggingFace's _init_weights): every matrix and embedding ~ N(0, 0.02) from one
 * ef_rng seeded with p->seed, drawn in file order; the [PAD] row of the word embeddings,
 * all biases 0; LayerNorm weight 1, bias 0. Same texts and params give byte-identical files.
 *
 * Crash safety: everything is built in memory first; then an existing model.safetensors is
 * removed, config.json and vocab.txt are written atomically and model.safetensors last
 * (temp + rename, directory fsync'ed between the steps), so a folder with a
 * model.safetensors is always complete. DIR is created if needed. An existing
 * model.safetensors that is not a random encoder (no "emofuse.random_encoder" = "true") is
 * never overwritten (EF_ERR_ARG).
 * Memory: the safetensors writer does not stream, so all weights are in memory at once:
 * 4 * (L * (4C^2 + 2CI + 9C + I) + (V + P + 2) * C + 2C) bytes (bert-base width, 4 layers,
 * a 5k-word vocabulary: ~130 MB).
 * Errors: EF_ERR_ARG (bad params, texts NULL with n_texts > 0, vocabulary over 2^24 tokens),
 * EF_ERR_IO (DIR cannot be created or written), EF_ERR_NOMEM, EF_ERR_INTERRUPTED
 * (ef_interrupted() while drawing weights; nothing was written). */
ef_code ef_bert_write_random(const char *dir, const char *const *texts, int64_t n_texts,
                             const ef_bert_random_params *p, ef_error *err);

#endif
