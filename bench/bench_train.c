/* Training speed of the paper's systems (default sizes of docs/models.md) on an
 * IEMOCAP-sized synthetic feature set: 5531 utterances, audio 100..2000 frames (1-20 s at
 * 100 frames/s, mean ~4.5 s) x 36 LLDs, text 2..60 tokens (mean ~20) x 768 (BERT).
 * Lengths follow a fixed formula shared with bench/train_torch.py, so both train on the
 * same ragged shapes; values are standard normal, labels uniform over 4 classes.
 * Measures seconds per epoch of ef_train (batching, forward, backward, Adam).
 * usage: bench_train SYSTEM [utts [epochs [batch]]]   (threads: OPENBLAS_NUM_THREADS) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_model.h"
#include "emofuse/progress.h"
#include "emofuse/rng.h"

/* Shared with train_torch.py: u in [0,1) from a multiplicative hash of the index. */
static double hash_u(int64_t i, uint64_t mult)
{
    return (double)(((uint64_t)i * mult + 12345u) & 0xffffffffu) / 4294967296.0;
}

/* 100 + 1900 u^4.43: mean 100 + 1900 / 5.43 = 450 frames (4.5 s). */
static int64_t audio_frames(int64_t i)
{
    return 100 + (int64_t)(1900.0 * pow(hash_u(i, 2654435761u), 4.43));
}

/* 2 + 58 u^2.22: mean 2 + 58 / 3.22 = 20 tokens. */
static int64_t text_tokens(int64_t i)
{
    return 2 + (int64_t)(58.0 * pow(hash_u(i, 2246822519u), 2.22));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_train text|audio|ef|lf [utts [epochs [batch]]]\n");
        return 2;
    }
    ef_system sys;
    if (ef_system_parse(argv[1], &sys) != 0) {
        fprintf(stderr, "unknown system %s\n", argv[1]);
        return 2;
    }
    int64_t n = argc > 2 ? atoll(argv[2]) : 5531;
    int epochs = argc > 3 ? atoi(argv[3]) : 1;
    int batch = argc > 4 ? atoi(argv[4]) : 32;
    int need_text = sys != EF_SYS_AUDIO, need_audio = sys != EF_SYS_TEXT;
    ef_model_config cfg = ef_model_config_default(sys);
    int Dt = cfg.text.input_dim, Da = cfg.audio.input_dim;

    int64_t *tT = calloc((size_t)n, sizeof *tT), *aT = calloc((size_t)n, sizeof *aT);
    const float **trows = calloc((size_t)n, sizeof *trows), **arows = calloc((size_t)n, sizeof *arows);
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    int64_t nt = 0, na = 0;
    for (int64_t i = 0; i < n; i++) {
        tT[i] = text_tokens(i);
        aT[i] = audio_frames(i);
        labels[i] = (int32_t)(i % 4);
        nt += tT[i];
        na += aT[i];
    }
    ef_rng rng;
    ef_rng_seed(&rng, 7);
    float *tbuf = NULL, *abuf = NULL;
    if (need_text) {
        tbuf = malloc((size_t)(nt * Dt) * sizeof(float));
        for (int64_t j = 0; j < nt * Dt; j++) tbuf[j] = (float)ef_rng_normal(&rng);
    }
    if (need_audio) {
        abuf = malloc((size_t)(na * Da) * sizeof(float));
        for (int64_t j = 0; j < na * Da; j++) abuf[j] = (float)ef_rng_normal(&rng);
    }
    int64_t ot = 0, oa = 0;
    for (int64_t i = 0; i < n; i++) {
        trows[i] = tbuf ? tbuf + ot * Dt : NULL;
        arows[i] = abuf ? abuf + oa * Da : NULL;
        ot += tT[i];
        oa += aT[i];
    }
    ef_dataset d = {n, need_text ? trows : NULL, tT, need_audio ? arows : NULL, aT, labels, NULL, NULL};

    ef_model *m;
    ef_error err;
    if (ef_model_create(&m, &cfg, &err) != EF_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    ef_train_options o = ef_train_defaults(sys, EF_STRAT_CS);
    o.epochs = epochs;
    o.batch_size = batch;
    double t0 = ef_now(), loss = 0;
    if (ef_train(m, &d, &o, &loss, &err) != EF_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    double dt = (ef_now() - t0) / epochs;
    printf("emofuse %-5s: %lld utts, %lld text tokens, %lld audio frames, %lld parameters, batch %d: "
           "%.2f s/epoch (loss %.4f)\n",
           argv[1], (long long)n, need_text ? (long long)nt : 0LL, need_audio ? (long long)na : 0LL,
           (long long)ef_model_params(m)->n_params, batch, dt, loss);
    ef_model_free(m);
    free(tbuf);
    free(abuf);
    free(tT);
    free(aT);
    free(trows);
    free(arows);
    free(labels);
    return 0;
}
