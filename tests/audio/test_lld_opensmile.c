/* Agreement with openSMILE 3.0 on the 48 reference files of ../shared/reference/opensmile-lld
 * (audio from ../shared/data/ravdess): per file, Pearson r >= 0.999 for loudness and each of
 * MFCC 1-13 over the common rows (the reference's last 3 rows are end-of-input artefacts and
 * are dropped), and the same for their deltas away from the last 2 common rows (a delta there
 * reads the artefact rows), plus a bound on the absolute difference (r ignores offset and
 * scale); the spec's F0 / voice-quality targets on the smoothed pitch columns. Row
 * alignment: row t of both is the frame starting at t * 160. Prints per-dimension minimum
 * r over the files. Skips when ../shared is absent. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/audio.h"
#include "testutil.h"

#define REF_COLS 36
#define MAX_FILES 64

/* Reference CSV: header, then name;frameTime;36 values. Returns rows (malloc'ed (rows, 36)). */
static float *read_ref(const char *path, int64_t *rows)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char line[8192];
    int64_t cap = 1024, n = 0;
    float *x = malloc(sizeof(float) * REF_COLS * (size_t)cap);
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        free(x);
        return NULL;
    }
    while (fgets(line, sizeof line, f)) {
        char *p = strchr(line, ';'); /* skip name */
        if (!p) break;
        p = strchr(p + 1, ';'); /* skip frameTime */
        if (!p) break;
        if (n == cap) {
            cap *= 2;
            x = realloc(x, sizeof(float) * REF_COLS * (size_t)cap);
        }
        for (int c = 0; c < REF_COLS; c++) {
            char *end;
            x[n * REF_COLS + c] = strtof(p + 1, &end);
            p = end;
        }
        n++;
    }
    fclose(f);
    *rows = n;
    return x;
}

static double pearson(const float *a, int sa, const float *b, int sb, int64_t n)
{
    double ma = 0, mb = 0;
    for (int64_t i = 0; i < n; i++) {
        ma += a[i * sa];
        mb += b[i * sb];
    }
    ma /= n;
    mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (int64_t i = 0; i < n; i++) {
        const double da = a[i * sa] - ma, db = b[i * sb] - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    return (saa > 0 && sbb > 0) ? sab / sqrt(saa * sbb) : (saa == sbb ? 1.0 : 0.0);
}

/* Spec targets for columns 0-3 over the common rows: V/UV decision agrees on >= 95% of
 * frames; on frames both call voiced, median relative F0 error <= 1% and < 2% of frames
 * off by > 20%; jitter, shimmer, logHNR r >= 0.9 over frames both call voiced. These
 * columns come from the pitch stage; asserting them here checks the smoothing of the
 * pitch columns (noZeroSma) and the row alignment of the joined matrix. */
static double worst_vuv = 1.0, worst_med = 0.0, worst_off = 0.0, worst_r[4] = {1, 1, 1, 1};

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void pitch_agreement(const char *id, const float *x, const float *ref, int64_t rows)
{
    int64_t agree = 0, both = 0, off = 0;
    double *rel = malloc(sizeof(double) * (size_t)rows);
    float *a = malloc(sizeof(float) * (size_t)rows * 3), *b = malloc(sizeof(float) * (size_t)rows * 3);
    for (int64_t t = 0; t < rows; t++) {
        const float f = x[t * EF_LLD_DIMS], g = ref[t * REF_COLS];
        agree += (f > 0) == (g > 0);
        if (f > 0 && g > 0) {
            rel[both] = fabs(f - g) / g;
            off += rel[both] > 0.2;
            for (int c = 1; c < 4; c++) {
                a[(c - 1) * rows + both] = x[t * EF_LLD_DIMS + c];
                b[(c - 1) * rows + both] = ref[t * REF_COLS + c];
            }
            both++;
        }
    }
    const double vuv = (double)agree / rows;
    double med = 0, off_frac = 0;
    if (both > 0) {
        qsort(rel, (size_t)both, sizeof(double), cmp_double);
        med = rel[both / 2];
        off_frac = (double)off / both;
    }
    if (vuv < worst_vuv) worst_vuv = vuv;
    if (med > worst_med) worst_med = med;
    if (off_frac > worst_off) worst_off = off_frac;
    CHECK_MSG(vuv >= 0.95, "%s: F0 voicing agreement %.4f", id, vuv);
    CHECK_MSG(med <= 0.01, "%s: median F0 relative error %.4f", id, med);
    CHECK_MSG(off_frac < 0.02, "%s: %.4f of voiced frames off by > 20%%", id, off_frac);
    if (both > 10) {
        for (int c = 1; c < 4; c++) {
            const double r = pearson(a + (c - 1) * rows, 1, b + (c - 1) * rows, 1, both);
            if (r < worst_r[c]) worst_r[c] = r;
            CHECK_MSG(r >= 0.9, "%s: %s r = %.4f over %lld voiced frames", id, ef_lld_name(c), r, (long long)both);
        }
    }
    free(rel);
    free(a);
    free(b);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void)
{
    const char *shared = ef_test_shared_dir();
    if (!shared) ef_test_skip("../shared (openSMILE reference + RAVDESS audio) is absent");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/reference/opensmile-lld", shared);
    DIR *d = opendir(dir);
    if (!d) ef_test_skip("../shared/reference/opensmile-lld is absent");
    char *names[MAX_FILES];
    int n_files = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n_files < MAX_FILES) {
        const size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".csv") == 0) names[n_files++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n_files, sizeof names[0], cmp_str);
    CHECK_MSG(n_files == 48, "expected 48 reference files, found %d", n_files);

    /* columns 4..17 (loudness, mfcc1..13) and 22..35 (their deltas) */
    double min_r[EF_LLD_DIMS], max_abs[EF_LLD_DIMS];
    for (int c = 0; c < EF_LLD_DIMS; c++) {
        min_r[c] = 2.0;
        max_abs[c] = 0.0;
    }
    const ef_lld_params p = ef_lld_default_params();
    for (int fi = 0; fi < n_files; fi++) {
        char id[256], ref_path[4600], audio[4600];
        snprintf(id, sizeof id, "%.*s", (int)(strlen(names[fi]) - 4), names[fi]);
        snprintf(ref_path, sizeof ref_path, "%s/%s", dir, names[fi]);
        /* RAVDESS id: modality-channel-emotion-intensity-statement-repetition-actor */
        const char *actor = strrchr(id, '-');
        snprintf(audio, sizeof audio, "%s/data/ravdess/Actor_%s/%s.flac", shared, actor ? actor + 1 : "", id);
        int64_t R = 0;
        float *ref = read_ref(ref_path, &R);
        CHECK_MSG(ref != NULL && R > 10, "%s: unreadable reference", ref_path);
        if (!ref || R <= 10) {
            free(ref);
            continue;
        }
        float *x = NULL;
        int64_t T = 0;
        ef_error err = {0};
        const ef_code rc = ef_lld_file(&p, audio, &x, &T, &err);
        CHECK_MSG(rc == EF_OK, "%s", err.msg);
        if (rc) {
            free(ref);
            continue;
        }
        /* Our rows: complete 60 ms frames; openSMILE prints one more row, 3 of them artefacts. */
        CHECK_MSG(T == R - 1, "%s: %lld rows, reference %lld", id, (long long)T, (long long)R);
        const int64_t common = (T < R - 3 ? T : R - 3);
        for (int c = 4; c < EF_LLD_DIMS; c++) {
            if (c >= EF_LLD_BASE_DIMS && c < EF_LLD_BASE_DIMS + 4) continue;
            const int64_t rows = c < EF_LLD_BASE_DIMS ? common : common - 2;
            const double r = pearson(x + c, EF_LLD_DIMS, ref + c, REF_COLS, rows);
            if (r < min_r[c]) min_r[c] = r;
            CHECK_MSG(r >= 0.999, "%s: %s r = %.6f", id, ef_lld_name(c), r);
            /* r ignores offset and scale: also bound the values themselves (the reference
             * CSV has 7 significant digits; MFCCs are O(10), loudness O(0.1)) */
            double worst = 0.0;
            for (int64_t t = 0; t < rows; t++) {
                const double dv = fabs((double)x[t * EF_LLD_DIMS + c] - ref[t * REF_COLS + c]);
                if (dv > worst) worst = dv;
            }
            if (worst > max_abs[c]) max_abs[c] = worst;
            const double tol = (c == 4 || c == EF_LLD_BASE_DIMS + 4) ? 2e-5 : 2e-3;
            CHECK_MSG(worst <= tol, "%s: %s max |diff| = %.3g", id, ef_lld_name(c), worst);
        }
        pitch_agreement(id, x, ref, common);
        free(x);
        free(ref);
    }
    printf("pitch columns through the whole pipeline (smoothed), worst file: V/UV agreement %.4f, "
           "median F0 rel. error %.2e, frames off > 20%% %.4f; r jitter %.6f, shimmer %.6f, logHNR %.6f\n",
           worst_vuv, worst_med, worst_off, worst_r[1], worst_r[2], worst_r[3]);
    printf("per-dimension min Pearson r and max |difference| over %d files (openSMILE 3.0):\n", n_files);
    for (int c = 4; c < EF_LLD_DIMS; c++) {
        if (c >= EF_LLD_BASE_DIMS && c < EF_LLD_BASE_DIMS + 4) continue;
        printf("  %-12s r >= %.8f (1 - r = %.1e)  max |diff| %.2e\n", ef_lld_name(c), min_r[c], 1.0 - min_r[c],
               max_abs[c]);
    }
    for (int i = 0; i < n_files; i++) free(names[i]);
    return ef_test_exit();
}
