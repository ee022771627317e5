/* Benchmark of the GloVe index: generates a synthetic GloVe text file (default 200k words
 * x 300, values printed like the real release), then times side by side
 *   - the reference: parsing the text with strtof into memory (what every run would pay
 *     without an index),
 *   - ef_glove_build (one-off conversion, MB/s of text),
 *   - ef_glove_open of the index (what every run pays with it),
 *   - lookups (hits and misses) through ef_glove_find.
 * usage: bench_glove [n_words [dim [workdir]]]   (run via bench/run_glove.sh for peak RSS) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "emofuse/glove.h"
#include "emofuse/progress.h"
#include "emofuse/rng.h"

/* Reference loader: strtof every value into one big array (no hash table even). */
static double reference_text_load(const char *path, long n, int dim, double *checksum)
{
    double t0 = ef_now();
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    float *all = malloc((size_t)n * (size_t)dim * sizeof *all);
    char *line = NULL;
    size_t cap = 0;
    long row = 0;
    while (getline(&line, &cap, fp) > 0 && row < n) {
        char *p = strchr(line, ' ');
        for (int j = 0; j < dim && p; j++) all[(size_t)row * dim + j] = strtof(p, &p);
        row++;
    }
    double s = 0;
    for (long i = 0; i < n; i++) s += all[(size_t)i * dim];
    *checksum = s;
    free(line);
    free(all);
    fclose(fp);
    return ef_now() - t0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    int dim = argc > 2 ? atoi(argv[2]) : 300;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    if (n <= 0 || dim <= 0) {
        fprintf(stderr, "usage: bench_glove [n_words [dim [workdir]]]\n");
        return 2;
    }
    char txt[1024], idx[1024];
    snprintf(txt, sizeof txt, "%s/bench_glove_%ld.txt", dir, (long)getpid());
    snprintf(idx, sizeof idx, "%s/bench_glove_%ld.efg", dir, (long)getpid());

    /* Synthetic vocabulary: distinct pseudo-words; values like GloVe's ("%.5g"-ish). */
    ef_rng rng;
    ef_rng_seed(&rng, 42);
    FILE *fp = fopen(txt, "wb");
    if (!fp) {
        perror(txt);
        return 1;
    }
    double t0 = ef_now();
    for (long i = 0; i < n; i++) {
        fprintf(fp, "w%lx%c", i * 2654435761u % 1000000007u, 'a' + (int)(i % 26));
        for (int j = 0; j < dim; j++) fprintf(fp, " %.5g", (ef_rng_uniform(&rng) - 0.5) * 0.8);
        fputc('\n', fp);
    }
    long bytes = ftell(fp);
    fclose(fp);
    fprintf(stderr, "generated %ld x %d text (%.1f MB) in %.1f s\n", n, dim, bytes / 1e6, ef_now() - t0);

    ef_error err = {0};
    ef_glove_build_stats st;
    t0 = ef_now();
    if (ef_glove_build(txt, idx, &st, NULL, NULL, &err) != EF_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    double t_build = ef_now() - t0;
    /* Peak RSS so far covers generation + build only (the reference below needs N x D). */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double build_rss_mb = ru.ru_maxrss / 1024.0;
    double ref_sum = 0;
    double t_ref = reference_text_load(txt, n, dim, &ref_sum);

    /* Drop nothing from the page cache (no root): open times are warm-cache times. */
    t0 = ef_now();
    ef_glove *g = ef_glove_open(idx, &err);
    double t_open = ef_now() - t0;
    if (!g) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    /* Lookups: every word once (hits), then as many misses. */
    char w[64];
    long found = 0;
    double sum = 0;
    t0 = ef_now();
    for (long i = 0; i < n; i++) {
        int len = snprintf(w, sizeof w, "w%lx%c", i * 2654435761u % 1000000007u, 'a' + (int)(i % 26));
        int64_t k = ef_glove_find(g, w, (size_t)len);
        if (k >= 0) {
            found++;
            sum += ef_glove_vector(g, k)[0];
        }
    }
    double t_hit = ef_now() - t0;
    t0 = ef_now();
    long false_hits = 0;
    for (long i = 0; i < n; i++) {
        int len = snprintf(w, sizeof w, "z%lx", i);
        false_hits += ef_glove_find(g, w, (size_t)len) >= 0;
    }
    double t_miss = ef_now() - t0;
    ef_glove_close(g);

    printf("glove bench: %ld words x %d, text %.1f MB (provisional: shared, loaded machine)\n", n, dim, bytes / 1e6);
    printf("  reference text load (strtof, no index): %8.3f s  %7.1f MB/s\n", t_ref, bytes / 1e6 / t_ref);
    printf("  ef_glove_build (one-off):               %8.3f s  %7.1f MB/s  (%.2fx the reference)\n", t_build,
           bytes / 1e6 / t_build, t_ref / t_build);
    printf("  peak RSS through the build: %.1f MB (the reference load alone holds %.1f MB of floats)\n",
           build_rss_mb, n * (double)dim * 4 / 1e6);
    printf("  ef_glove_open (warm page cache):        %8.4f s  (%.0fx faster than text load)\n", t_open,
           t_ref / t_open);
    printf("  lookups: %ld hits %.0f ns each, %ld misses %.0f ns each (found %ld/%ld, false hits %ld)\n", n,
           1e9 * t_hit / n, n, 1e9 * t_miss / n, found, n, false_hits);
    printf("  checksums: reference %.6f index %.6f\n", ref_sum, sum);
    unlink(txt);
    unlink(idx);
    return found == n && false_hits == 0 ? 0 : 1;
}
