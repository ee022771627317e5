/* Cost of the report's statistics (report_significance.h) at corpus scale: S systems x
 * seeds of m utterances (4 classes, synthetic softmax scores; IEMOCAP 5531, MSP-PODCAST
 * up to 260k), B bootstrap resamples of each system's median seed and P permutations per
 * pair, on T threads. The loader generates scores in memory; the time to parse one scores
 * CSV of m rows (what `emofuse report` does per load) is measured separately and
 * multiplied by the number of loads.
 * usage: bench_significance M SYSTEMS SEEDS B P THREADS */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "emofuse/csv.h"
#include "emofuse/report_significance.h"
#include "emofuse/rng.h"

static int64_t m_utt;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void fill(float *p, int32_t *lab, uint64_t *ids, int64_t m, int system, int seed)
{
    ef_rng r;
    ef_rng_seed(&r, (uint64_t)system * 1000 + (uint64_t)seed);
    double signal = 0.8 + 0.1 * system;
    for (int64_t i = 0; i < m; i++) {
        lab[i] = (int32_t)(i % 4);
        ids[i] = (uint64_t)i;
        double z[4], s = 0;
        for (int k = 0; k < 4; k++) s += (z[k] = exp(ef_rng_normal(&r) + (k == lab[i] ? signal : 0)));
        for (int k = 0; k < 4; k++) p[i * 4 + k] = (float)(z[k] / s);
    }
}

static ef_code loader(void *ctx, int system, int seed, ef_scores *s, ef_error *err)
{
    (void)ctx;
    (void)err;
    s->n = m_utt;
    s->probs = malloc(sizeof(float) * 4 * (size_t)m_utt);
    s->labels = malloc(sizeof(int32_t) * (size_t)m_utt);
    s->ids = malloc(sizeof(uint64_t) * (size_t)m_utt);
    fill(s->probs, s->labels, s->ids, m_utt, system, seed);
    return EF_OK;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: bench_significance M SYSTEMS SEEDS B P THREADS\n");
        return 2;
    }
    m_utt = atoll(argv[1]);
    int ns = atoi(argv[2]), seeds = atoi(argv[3]);
    ef_signif_opts o = ef_signif_default_params();
    o.n_boot = atoi(argv[4]);
    o.n_perm = atoi(argv[5]);
    o.threads = atoi(argv[6]);
    ef_signif_system *sys = calloc((size_t)ns, sizeof *sys);
    int *sd = calloc((size_t)seeds, sizeof *sd);
    double *v = calloc((size_t)(ns * seeds * 2), sizeof *v);
    char (*names)[16] = calloc((size_t)ns, sizeof *names);
    for (int k = 0; k < seeds; k++) sd[k] = k + 1;
    ef_rng r;
    ef_rng_seed(&r, 5);
    for (int i = 0; i < ns; i++) {
        snprintf(names[i], sizeof names[i], "sys%d", i);
        for (int k = 0; k < 2 * seeds; k++) v[i * 2 * seeds + k] = 0.6 + 0.01 * i + 0.01 * ef_rng_normal(&r);
        sys[i] = (ef_signif_system){names[i], seeds, sd, v + i * 2 * seeds, v + i * 2 * seeds + seeds, 1, true};
    }
    /* One scores CSV of m rows, parsed as the report's loader does. */
    float *p = malloc(sizeof(float) * 4 * (size_t)m_utt);
    int32_t *lab = malloc(sizeof(int32_t) * (size_t)m_utt);
    uint64_t *ids = malloc(sizeof(uint64_t) * (size_t)m_utt);
    fill(p, lab, ids, m_utt, 0, 1);
    char path[] = "/tmp/bench_significance_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    static const char *const cls[4] = {"angry", "happy", "sad", "neutral"};
    fprintf(f, "id,fold,label,p_angry,p_happy,p_sad,p_neutral\n");
    for (int64_t i = 0; i < m_utt; i++)
        fprintf(f, "utt_%08lld,fold1,%s,%.9g,%.9g,%.9g,%.9g\n", (long long)i, cls[lab[i]], p[i * 4], p[i * 4 + 1],
                p[i * 4 + 2], p[i * 4 + 3]);
    fclose(f);
    double t0 = now();
    ef_csv csv;
    ef_error err = {0};
    if (ef_csv_load(&csv, path, ',', &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    for (int64_t i = 0; i < csv.rows; i++)
        for (int k = 0; k < 4; k++) p[i * 4 + k] = strtof(ef_csv_cell(&csv, i, 3 + k), NULL);
    double t_csv = now() - t0;
    ef_csv_free(&csv);
    remove(path);
    double t_fill0 = now();
    fill(p, lab, ids, m_utt, 0, 1);
    double t_fill = now() - t_fill0;
    int pairs = ns * (ns - 1) / 2, loads = ns + 2 * pairs;
    t0 = now();
    ef_signif_result res;
    if (ef_significance(&res, sys, ns, 4, &o, loader, NULL, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t = now() - t0;
    printf("m=%lld systems=%d seeds=%d B=%d P=%d threads=%d: %.2f s (of which generating %d loads: %.2f s cpu); "
           "one %lld-row scores CSV parse %.3f s -> report estimate %.2f s + %d x %.3f / threads\n",
           (long long)m_utt, ns, seeds, o.n_boot, o.n_perm, o.threads, t, loads, loads * t_fill, (long long)m_utt,
           t_csv, t - loads * t_fill / (o.threads ? o.threads : 1), loads, t_csv);
    ef_signif_free(&res);
    return 0;
}
