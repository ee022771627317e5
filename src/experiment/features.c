/* The experiment's feature stores, inside OUT/features/: audio LLDs, BERT and GloVe
 * embeddings of the transcripts, built (or brought up to date, which costs a stat per
 * utterance) by the pipeline module. bert=random writes a randomly initialised encoder
 * into OUT/features/random-bert/ first (the report says so). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/atomic_file.h"
#include "emofuse/bert.h"
#include "emofuse/pipeline_features.h"
#include "experiment/internal.h"

static ef_code build(const char *what, ef_code rc, ef_pipeline_feature_report *rep, FILE *log, ef_error *err)
{
    /* A run must never train on a store with holes: every failure stops the experiment. */
    if (!rc && rep->store.failed > 0)
        rc = ef_fail(err, EF_ERR_FORMAT, "%s features: %lld utterances failed (first: %s)", what,
                     (long long)rep->store.failed, rep->store.failures ? rep->store.failures[0] : "?");
    if (!rc && log)
        fprintf(log, "experiment: %s features: %lld utterances (%lld extracted, %lld up to date)\n", what,
                (long long)rep->store.total, (long long)rep->store.extracted, (long long)rep->store.reused);
    ef_pipeline_feature_report_free(rep);
    return rc;
}

ef_code exp_prepare_features(const ef_experiment *x, const char *out, FILE *log, ef_error *err)
{
    int need = exp_needed_inputs(x);
    char path[4400], store[4400];
    snprintf(path, sizeof path, "%s/features", out);
    ef_code rc = ef_mkdir_p(path, err);
    snprintf(path, sizeof path, "%s/manifest.csv", out);
    ef_manifest *m = NULL;
    if (!rc) rc = ef_manifest_load(&m, path, err);
    ef_pipeline_feature_opts fo = ef_pipeline_feature_default_params();
    fo.progress = log;
    fo.log = log;
    ef_pipeline_feature_report rep;
    if (!rc && (need & EXP_IN_AUDIO)) {
        snprintf(store, sizeof store, "%s/features/audio.safetensors", out);
        ef_lld_params lp = ef_lld_default_params();
        memset(&rep, 0, sizeof rep);
        rc = build("audio", ef_pipeline_audio_features(&rep, store, m, &lp, &fo, err), &rep, log, err);
    }
    if (!rc && (need & EXP_IN_BERT)) {
        const char *model = exp_str(x, "bert");
        char random_dir[4200];
        if (strcmp(model, "random") == 0) {
            /* A random encoder whose vocabulary is the corpus's words. */
            snprintf(random_dir, sizeof random_dir, "%s/features/random-bert", out);
            snprintf(path, sizeof path, "%s/model.safetensors", random_dir);
            FILE *fp = fopen(path, "rb");
            if (fp) fclose(fp);
            else {
                int col = ef_manifest_column(m, "transcript");
                int64_t n = ef_manifest_rows(m);
                if (col < 0) rc = ef_fail(err, EF_ERR_FORMAT, "%s: no 'transcript' column for the text systems", path);
                const char **texts = malloc(sizeof *texts * (size_t)(n + 1));
                if (!texts) rc = ef_fail(err, EF_ERR_NOMEM, "out of memory");
                for (int64_t i = 0; !rc && i < n; i++) texts[i] = ef_manifest_cell(m, i, col);
                ef_bert_random_params bp = ef_bert_random_default_params();
                if (!rc) rc = ef_mkdir_p(random_dir, err);
                if (!rc) rc = ef_bert_write_random(random_dir, texts, n, &bp, err);
                if (!rc && log)
                    fprintf(log, "experiment: bert=random: wrote a randomly initialised %d-layer encoder to %s\n",
                            bp.layers, random_dir);
                free(texts);
            }
            model = random_dir;
        }
        snprintf(store, sizeof store, "%s/features/bert.safetensors", out);
        ef_pipeline_text_params tp = ef_pipeline_text_default_params();
        tp.bert_model = model;
        memset(&rep, 0, sizeof rep);
        if (!rc) rc = build("bert", ef_pipeline_text_features(&rep, store, m, &tp, &fo, err), &rep, log, err);
    }
    if (!rc && (need & EXP_IN_GLOVE)) {
        snprintf(store, sizeof store, "%s/features/glove.safetensors", out);
        ef_pipeline_text_params tp = ef_pipeline_text_default_params();
        tp.glove = exp_str(x, "glove");
        memset(&rep, 0, sizeof rep);
        rc = build("glove", ef_pipeline_text_features(&rep, store, m, &tp, &fo, err), &rep, log, err);
    }
    ef_manifest_free(m);
    return rc;
}
