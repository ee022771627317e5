/* BERT encoder throughput: tokens/s and GFLOP/s for batch-1 sequences (16, 64, 128 tokens)
 * and a corpus workload (5000 texts of 2-60 word-pieces, mean ~20), next to an SGEMM
 * ceiling measured in the same run with the same thread count. bench/run_bert.sh runs it
 * side by side with the PyTorch reference (bench/bert_torch.py) and adds peak memory.
 *
 * usage: bench_bert --model DIR [--threads N] [--mode blas|seq] [--workload single16|
 *        single64|single128|corpus|sgemm] [--seconds S] [--texts N (corpus, default 5000)]
 *        [--clock wall|cpu]
 * --clock cpu times everything (the workload and the SGEMM ceiling) in process CPU
 * seconds instead of wall seconds: on a shared machine a 1-thread run then measures what
 * it got, not how long it waited (with N threads it is throughput per CPU-second).
 * Output: one line "workload=... threads=... tokens=... seconds=... tokens_per_s=...
 *         gflops=... sgemm_gflops=... kernel=avx512|avx2|generic clock=..." on stdout. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/text/bert_gemm.h"
#include "emofuse/bert.h"
#include "emofuse/parallel.h"

#undef I

static clockid_t g_clock = CLOCK_MONOTONIC;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(g_clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Forward FLOPs of one sequence of T tokens (multiply-add = 2). */
static double seq_flops(const ef_bert_config *c, double T)
{
    double C = c->hidden, In = c->intermediate;
    return c->n_layers * (2.0 * T * (4.0 * C * C + 2.0 * C * In) + 4.0 * T * T * C);
}

/* Corpus lengths shared with bench/bert_torch.py: golden-ratio sequence, skewed short. */
static int corpus_len(int i)
{
    double u = fmod(i * 0.6180339887498949, 1.0);
    return 2 + (int)(58.0 * pow(u, 2.2));
}

static int32_t corpus_id(int i, int j, int V) { return (int32_t)(5 + ((int64_t)i * 31 + (int64_t)j * 17) % (V - 5)); }

/* SGEMM ceiling: the FFN shape of a 1024-token batch, best of a few runs. */
static double sgemm_gflops(int M, int N, int K, int threads)
{
    float *a = malloc(sizeof(float) * (size_t)M * K), *b = malloc(sizeof(float) * (size_t)N * K),
          *c = malloc(sizeof(float) * (size_t)M * N);
    for (size_t i = 0; i < (size_t)M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)N * K; i++) b[i] = (float)(i % 5) * 0.1f;
    openblas_set_num_threads(threads);
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
        double g = 2.0 * M * N * K / (now_s() - t0) / 1e9;
        if (g > best) best = g;
    }
    free(a);
    free(b);
    free(c);
    return best;
}

int main(int argc, char **argv)
{
    const char *model = NULL, *workload = "corpus";
    int threads = 1, mode = EF_BERT_THREADS_SEQUENCES;
    double seconds = 3.0;
    int NT = 5000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--model")) model = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--workload")) workload = argv[i + 1];
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--texts")) NT = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--clock")) g_clock = strcmp(argv[i + 1], "cpu") == 0 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
        else if (!strcmp(argv[i], "--mode")) mode = strcmp(argv[i + 1], "blas") == 0 ? EF_BERT_THREADS_BLAS : EF_BERT_THREADS_SEQUENCES;
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (threads <= 0) threads = ef_cpu_count();
    if (!strcmp(workload, "sgemm")) {
        printf("workload=sgemm threads=%d sgemm_gflops=%.1f\n", threads, sgemm_gflops(1024, 3072, 768, threads));
        return 0;
    }
    if (!model) {
        fprintf(stderr, "usage: bench_bert --model DIR [--threads N] [--mode blas|seq] [--workload W]\n");
        return 2;
    }
    ef_bert_model *m = NULL;
    ef_error err = {0};
    double t_load = now_s();
    if (ef_bert_load(&m, model, &err)) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    t_load = now_s() - t_load;
    const ef_bert_config *c = ef_bert_model_config(m);
    int C = c->hidden;
    double tokens = 0, flops = 0, elapsed = 0;
    if (!strncmp(workload, "single", 6)) {
        int T = atoi(workload + 6);
        if (T < 3 || T > c->max_positions) return 2;
        openblas_set_num_threads(threads);
        uint64_t last4 = 0xfull << (c->n_layers >= 3 ? c->n_layers - 3 : 0); /* the paper's feature */
        ef_bert_workspace *ws = ef_bert_workspace_new_threads(c, T, T, threads);
        float *out = malloc(sizeof(float) * (size_t)T * C);
        int32_t *ids = malloc(sizeof(int32_t) * (size_t)T);
        for (int j = 0; j < T; j++) ids[j] = j == 0 ? ef_bert_model_cls_id(m) : j == T - 1 ? ef_bert_model_sep_id(m) : corpus_id(1, j, c->vocab_size);
        ef_bert_forward(m, ws, ids, &T, 1, NULL, out, last4, &err); /* warm-up */
        int iters = 0;
        double t0 = now_s();
        do {
            if (ef_bert_forward(m, ws, ids, &T, 1, NULL, out, last4, &err)) {
                fprintf(stderr, "error: %s\n", err.msg);
                return 1;
            }
            iters++;
            elapsed = now_s() - t0;
        } while (elapsed < seconds);
        tokens = (double)iters * T;
        flops = iters * seq_flops(c, T);
        free(out);
        free(ids);
        ef_bert_workspace_free(ws);
    } else if (!strcmp(workload, "corpus")) {
        /* Texts go to the encoder in chunks of 256, as `emofuse features text` does
         * (--batch 256), so only one chunk's outputs are alive at a time: peak memory
         * measures the encoder, not 5000 texts' worth of retained features. */
        const int chunk = 256;
        int *n = malloc(sizeof(int) * NT);
        int32_t **pieces = malloc(sizeof(int32_t *) * NT);
        float **outs = malloc(sizeof(float *) * chunk);
        int max_n = 0;
        for (int i = 0; i < NT; i++) {
            n[i] = corpus_len(i);
            if (n[i] > max_n) max_n = n[i];
            pieces[i] = malloc(sizeof(int32_t) * (size_t)n[i]);
            for (int j = 0; j < n[i]; j++) pieces[i][j] = corpus_id(i, j, c->vocab_size);
            tokens += n[i] + 2;
            flops += seq_flops(c, n[i] + 2);
        }
        for (int k = 0; k < chunk; k++) outs[k] = malloc(sizeof(float) * (size_t)(max_n > 0 ? max_n : 1) * C);
        ef_bert_feat_opts o = ef_bert_feat_default_params();
        o.n_threads = threads;
        o.threading = mode;
        double t0 = now_s();
        for (int first = 0; first < NT; first += chunk) {
            int cnt = NT - first < chunk ? NT - first : chunk;
            if (ef_bert_features(m, &o, cnt, (const int32_t *const *)(pieces + first), n + first, outs, &err)) {
                fprintf(stderr, "error: %s\n", err.msg);
                return 1;
            }
        }
        elapsed = now_s() - t0;
        for (int i = 0; i < NT; i++) free(pieces[i]);
        for (int k = 0; k < chunk; k++) free(outs[k]);
        free(pieces);
        free(outs);
        free(n);
    } else {
        fprintf(stderr, "unknown workload %s\n", workload);
        return 2;
    }
    double ceiling = sgemm_gflops(1024, 3072, 768, threads);
    if (!strcmp(workload, "corpus")) printf("texts=%d ", NT);
    printf("workload=%s impl=emofuse mode=%s threads=%d tokens=%.0f seconds=%.3f tokens_per_s=%.1f gflops=%.1f "
           "sgemm_gflops=%.1f load_s=%.3f weight_mb=%.1f kernel=%s clock=%s\n",
           workload, mode == EF_BERT_THREADS_BLAS ? "blas" : "seq", threads, tokens, elapsed, tokens / elapsed,
           flops / elapsed / 1e9, ceiling, t_load, ef_bert_model_weight_bytes(m) / 1e6, ef_bert_isa_name(ef_bert_isa()),
           g_clock == CLOCK_MONOTONIC ? "wall" : "cpu");
    ef_bert_free(m);
    return 0;
}
