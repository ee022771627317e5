/* The classifier behind emofuse.h (src/pipeline/classifier*.c only). */
#ifndef EMOFUSE_PIPELINE_CLASSIFIER_INTERNAL_H
#define EMOFUSE_PIPELINE_CLASSIFIER_INTERNAL_H

#include <pthread.h>

#include "emofuse/audio.h"
#include "emofuse/bert.h"
#include "emofuse/emofuse.h"
#include "emofuse/glove.h"
#include "emofuse/nn_model.h"
#include "emofuse/tokenizer.h"

struct ef_classifier {
    ef_model_config cfg;
    ef_model_meta meta;        /* labels, kinds, normalisation, recorded feature configs */
    int need_text, need_audio;
    ef_classifier_params p;    /* n_threads, batch_size (the paths are not kept) */
    ef_lld_params lld;         /* as recorded (or the defaults) */
    ef_bert_model *bert;       /* BERT text features, or NULL */
    ef_vocab *vocab;
    ef_bert_feat_opts bopt;
    ef_glove *glove;           /* GloVe text features, or NULL */
    /* Model instances: ef_model_forward writes into its model's workspace, so each call
     * takes one from this pool (cloning the first when all are in use). */
    pthread_mutex_t lock;
    ef_model **pool;
    int n_pool, cap_pool;
};

/* Take a model instance (EF_ERR_NOMEM) / give it back. */
ef_code ef_classifier_acquire(ef_classifier *c, ef_model **m, ef_error *err);
void ef_classifier_release(ef_classifier *c, ef_model *m);

#endif
