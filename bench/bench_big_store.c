/* Training from a feature store larger than RAM.
 *
 *   bench_big_store write SIZE_GB PATH [seed [sources]]
 *     Streams a synthetic audio-LLD store of at least SIZE_GB x 1e9 bytes of tensor data
 *     to PATH (via PATH.tmp + rename) and a manifest PATH.manifest.csv (id,audio,emotion)
 *     next to it, whose audio column names an empty PATH.dummy.wav (nothing reads it).
 *     Utterance lengths are bench_train's IEMOCAP-like ones: duration ~ log-normal(1.28,
 *     0.65) truncated to [1, 30] s (mean ~4.5 s), T = round(100 d) frames of 36 F32
 *     values; ids "utt0000000", ...; labels ang, hap, sad, neu cycling. Column c holds
 *     mean_c + sd_c * sqrt(3) * (2u - 1), u uniform from one ef_rng stream, so the
 *     normalisation pass can be checked (mean_c = 0.5 c - 5, sd_c = 1 + 0.1 c).
 *     The header (every offset known up front) is written first, then the data in 16 MB
 *     chunks; written ranges are flushed and dropped from the page cache as it goes
 *     (sync_file_range + POSIX_FADV_DONTNEED), so writing never fills the machine's RAM.
 *     ef_safetensors_writer is not used: it holds every tensor until save.
 *
 *   bench_big_store train PATH MANIFEST [steps (300)] [batch (32)] [seed (1)]
 *     Drops the store from the page cache (POSIX_FADV_DONTNEED: cold reads), then as
 *     `emofuse train` does: ef_store_open (memory-mapped), ef_manifest_load,
 *     ef_pipeline_data_assemble over every id, ef_norm_compute over every utterance (two
 *     full streaming passes over the file), then one step on the 32 longest utterances
 *     (the largest workspace this store can need) and `steps` steps of the default audio
 *     model on batches of `batch` utterances drawn uniformly from the whole store
 *     (ef_batch_fill + ef_train_step, Adam, class weights).
 *     A sampler thread reads VmRSS / RssAnon / RssFile from /proc/self/status every
 *     100 ms (and the main thread after every phase and step); peaks are reported per
 *     phase, plus getrusage's ru_maxrss. Last line: "RESULT key=value ...".
 *     BIG_STORE_TRIM=1: after opening, print RssAnon before and after malloc_trim(0)
 *     (what of the header parse is still live; changes the later figures).
 *     Threads: OPENBLAS_NUM_THREADS. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emofuse/audio.h"
#include "emofuse/feature_store.h"
#include "emofuse/manifest.h"
#include "emofuse/nn_layers.h"
#include "emofuse/nn_model.h"
#include "emofuse/pipeline.h"
#include "emofuse/progress.h"
#include "emofuse/rng.h"
#include "emofuse/safetensors.h"

#define D 36
#define LEN_SEED 2020u
#define CHUNK (16u << 20)
#define WINDOW ((off_t)64 << 20)

static const char *labels4[4] = {"ang", "hap", "sad", "neu"};

static double col_mean(int c) { return 0.5 * c - 5.0; }
static double col_sd(int c) { return 1.0 + 0.1 * c; }

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* ---- growable text buffer --------------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) die("vsnprintf");
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 1 << 20;
        while (nc < b->n + (size_t)k + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) die("realloc");
        b->p = np;
        b->cap = nc;
    }
}

/* ---- write ------------------------------------------------------------------------ */

static void write_all(int fd, const void *p, size_t n, const char *path)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k < 0) die(path);
        c += k;
        n -= (size_t)k;
    }
}

static int cmd_write(double size_gb, const char *path, uint64_t seed, int sources)
{
    double t0 = ef_now();
    uint64_t target = (uint64_t)(size_gb * 1e9);
    /* Lengths until the data reaches the target. */
    int64_t n = 0, cap = 1 << 16, frames = 0;
    int32_t *T = malloc((size_t)cap * sizeof *T);
    if (!T) die("malloc");
    ef_rng lr;
    ef_rng_seed(&lr, LEN_SEED);
    uint64_t bytes = 0;
    while (bytes < target) {
        double d;
        do d = exp(1.28 + 0.65 * ef_rng_normal(&lr));
        while (d < 1.0 || d > 30.0);
        if (n == cap) {
            cap *= 2;
            T = realloc(T, (size_t)cap * sizeof *T);
            if (!T) die("realloc");
        }
        T[n] = (int32_t)lround(100.0 * d);
        frames += T[n];
        bytes += (uint64_t)T[n] * D * sizeof(float);
        n++;
    }

    /* Header: metadata, then every tensor with its offsets. */
    sbuf h = {0};
    sb_printf(&h, "{\"__metadata__\":{\"emofuse.kind\":\"audio-lld\",\"emofuse.dims\":\"%d\",\"emofuse.columns\":\"[", D);
    for (int c = 0; c < D; c++) sb_printf(&h, "%s\\\"%s\\\"", c ? "," : "", ef_lld_name(c));
    sb_printf(&h,
              "]\",\"emofuse.config\":\"{\\\"extractor\\\":\\\"bench_big_store\\\",\\\"seed\\\":%" PRIu64
              ",\\\"length_seed\\\":%u}\"",
              seed, LEN_SEED);
    if (sources) { /* what `emofuse features audio` adds: id -> "size=<bytes> mtime=<s.ns>" */
        sb_printf(&h, ",\"emofuse.sources\":\"{");
        for (int64_t i = 0; i < n; i++)
            sb_printf(&h, "%s\\\"utt%07" PRId64 "\\\":\\\"size=%" PRId64 " mtime=1700000000.123456789\\\"", i ? "," : "",
                      i, (int64_t)T[i] * 320 + 44);
        sb_printf(&h, "}\"");
    }
    sb_printf(&h, "}");
    uint64_t off = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t nb = (uint64_t)T[i] * D * sizeof(float);
        sb_printf(&h, ",\"utt%07" PRId64 "\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}",
                  i, T[i], D, off, off + nb);
        off += nb;
    }
    sb_printf(&h, "}");
    while ((8 + h.n) % 8) sb_printf(&h, " ");
    if (h.n > EF_SAFETENSORS_MAX_HEADER) {
        fprintf(stderr, "error: header of %zu bytes (%lld utterances) exceeds the reader's %u-byte limit\n", h.n,
                (long long)n, EF_SAFETENSORS_MAX_HEADER);
        return 1;
    }

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die(tmp);
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)h.n >> (8 * i));
    write_all(fd, len8, 8, tmp);
    write_all(fd, h.p, h.n, tmp);
    off_t pos = (off_t)(8 + h.n), flushed = 0, started = 0;
    size_t hbytes = h.n;
    free(h.p);

    float mean[D], scale[D];
    for (int c = 0; c < D; c++) {
        mean[c] = (float)col_mean(c);
        scale[c] = (float)(col_sd(c) * sqrt(3.0));
    }
    float *buf = malloc(CHUNK);
    if (!buf) die("malloc");
    size_t fill = 0; /* floats in buf */
    ef_rng r;
    ef_rng_seed(&r, seed);
    const float inv24 = 1.0f / 16777216.0f;
    double last = ef_now();
    for (int64_t i = 0; i <= n; i++) {
        size_t need = i < n ? (size_t)T[i] * D : 0;
        if (i == n || (fill + need) * sizeof(float) > CHUNK) {
            write_all(fd, buf, fill * sizeof(float), tmp);
            pos += (off_t)(fill * sizeof(float));
            fill = 0;
            /* Start writeback of each full window; wait for and drop the one before. */
            while (pos - started >= WINDOW || (i == n && started < pos)) {
                off_t len = pos - started < WINDOW ? pos - started : WINDOW;
                if (sync_file_range(fd, started, len, SYNC_FILE_RANGE_WRITE)) die("sync_file_range");
                if (started > flushed) {
                    sync_file_range(fd, flushed, started - flushed,
                                    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
                    posix_fadvise(fd, flushed, started - flushed, POSIX_FADV_DONTNEED);
                    flushed = started;
                }
                started += len;
            }
            if (ef_now() - last > 10.0) {
                last = ef_now();
                fprintf(stderr, "write: %.1f / %.1f GB (%.0f MB/s)\n", (double)pos / 1e9, (double)(off + hbytes) / 1e9,
                        (double)pos / 1e6 / (last - t0));
            }
            if (i == n) break;
        }
        float *dst = buf + fill;
        for (int64_t t = 0; t < T[i]; t++)
            for (int c = 0; c < D; c += 2) {
                uint64_t x = ef_rng_u64(&r);
                float u0 = (float)(uint32_t)(x >> 40) * inv24, u1 = (float)(uint32_t)((x >> 8) & 0xffffff) * inv24;
                dst[t * D + c] = mean[c] + scale[c] * (2.0f * u0 - 1.0f);
                dst[t * D + c + 1] = mean[c + 1] + scale[c + 1] * (2.0f * u1 - 1.0f);
            }
        fill += need;
    }
    if (fdatasync(fd)) die("fdatasync");
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (close(fd)) die(tmp);
    if (rename(tmp, path)) die(path);
    free(buf);

    /* Manifest next to the store, and the dummy audio file its rows point at. */
    char mpath[4096], dpath[4096];
    snprintf(mpath, sizeof mpath, "%s.manifest.csv", path);
    snprintf(dpath, sizeof dpath, "%s.dummy.wav", path);
    FILE *df = fopen(dpath, "w");
    if (!df || fclose(df)) die(dpath);
    const char *base = strrchr(dpath, '/');
    base = base ? base + 1 : dpath;
    FILE *mf = fopen(mpath, "w");
    if (!mf) die(mpath);
    fprintf(mf, "id,audio,emotion\n");
    for (int64_t i = 0; i < n; i++) fprintf(mf, "utt%07" PRId64 ",%s,%s\n", i, base, labels4[i % 4]);
    if (fclose(mf)) die(mpath);
    free(T);
    double dt = ef_now() - t0;
    uint64_t total = 8 + hbytes + off;
    printf("wrote %s: %" PRIu64 " bytes (%.2f GB; header %zu bytes = %.1f per utterance), %lld utterances, "
           "%lld frames (mean %.1f), %.1f s, %.0f MB/s\nmanifest %s\n",
           path, total, (double)total / 1e9, hbytes, (double)hbytes / (double)n, (long long)n, (long long)frames,
           (double)frames / (double)n, dt, (double)total / 1e6 / dt, mpath);
    return 0;
}

/* ---- memory sampling -------------------------------------------------------------- */

enum { PH_START, PH_OPEN, PH_MANIFEST, PH_ASSEMBLE, PH_NORM, PH_TRAIN, PH_N };
static const char *phase_names[PH_N] = {"start", "open", "manifest", "assemble", "norm", "train"};

typedef struct {
    long rss, anon, file; /* kB */
} memsnap;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int phase = PH_START, stop_sampler = 0;
static memsnap peak[PH_N], at_end[PH_N];

static memsnap read_status(void)
{
    memsnap s = {0, 0, 0};
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return s;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6)) s.rss = atol(line + 6);
        else if (!strncmp(line, "RssAnon:", 8)) s.anon = atol(line + 8);
        else if (!strncmp(line, "RssFile:", 8)) s.file = atol(line + 8);
    }
    fclose(f);
    return s;
}

static memsnap sample(void)
{
    memsnap s = read_status();
    pthread_mutex_lock(&mu);
    memsnap *p = &peak[phase];
    if (s.rss > p->rss) p->rss = s.rss;
    if (s.anon > p->anon) p->anon = s.anon;
    if (s.file > p->file) p->file = s.file;
    pthread_mutex_unlock(&mu);
    return s;
}

static void *sampler(void *arg)
{
    (void)arg;
    while (!stop_sampler) {
        sample();
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void end_phase(int next)
{
    memsnap s = sample();
    pthread_mutex_lock(&mu);
    at_end[phase] = s;
    phase = next;
    pthread_mutex_unlock(&mu);
    sample();
}

/* ---- train ------------------------------------------------------------------------ */

static void check(ef_code rc, const ef_error *err)
{
    if (rc != EF_OK) {
        fprintf(stderr, "error: %s\n", err->msg);
        exit(1);
    }
}

static int cmd_train(const char *path, const char *mpath, int steps, int batch, uint64_t seed)
{
    ef_error err;
    /* Cold start: drop the store's clean pages from the page cache. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(path);
    struct stat stt;
    if (fstat(fd, &stt)) die(path);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
    double file_gb = (double)stt.st_size / 1e9;

    pthread_t th;
    if (pthread_create(&th, NULL, sampler, NULL)) die("pthread_create");
    sample();
    end_phase(PH_OPEN);

    double t0 = ef_now();
    ef_store *st = NULL;
    check(ef_pipeline_open_store(&st, path, false, &err), &err);
    double t_open = ef_now() - t0;
    int64_t n = ef_store_count(st);
    if (getenv("BIG_STORE_TRIM")) { /* diagnostic: how much of the open's heap is still live */
        memsnap a = read_status();
        malloc_trim(0);
        memsnap b = read_status();
        printf("after open: RssAnon %.1f MB, after malloc_trim %.1f MB (%.0f bytes per utterance live)\n",
               a.anon / 1024.0, b.anon / 1024.0, (b.anon - peak[PH_START].anon) * 1024.0 / (double)n);
    }
    end_phase(PH_MANIFEST);

    t0 = ef_now();
    ef_manifest *man = NULL;
    check(ef_manifest_load(&man, mpath, &err), &err);
    double t_man = ef_now() - t0;
    end_phase(PH_ASSEMBLE);

    t0 = ef_now();
    const char **ids = malloc((size_t)(n + 1) * sizeof *ids);
    if (!ids) die("malloc");
    for (int64_t i = 0; i < n; i++) ids[i] = ef_store_id(st, i);
    ef_pipeline_data data;
    ef_pipeline_data_opts dopt = {.audio = st, .manifest = man, .require_label = true};
    check(ef_pipeline_data_assemble(&data, ids, n, &dopt, &err), &err);
    double t_asm = ef_now() - t0;
    int64_t frames = 0;
    for (int64_t i = 0; i < data.d.n; i++) frames += data.audio_T[i];
    end_phase(PH_NORM);

    t0 = ef_now();
    float mean[D], sd[D];
    check(ef_norm_compute(st, data.ids, data.d.n, mean, sd, &err), &err);
    double t_norm = ef_now() - t0;
    double data_gb = (double)frames * D * sizeof(float) / 1e9;
    double worst = 0.0;
    for (int c = 0; c < D; c++) {
        double e1 = fabs(mean[c] - col_mean(c)) / col_sd(c), e2 = fabs(sd[c] / col_sd(c) - 1.0);
        if (e1 > worst) worst = e1;
        if (e2 > worst) worst = e2;
    }
    data.d.audio_mean = mean;
    data.d.audio_std = sd;
    end_phase(PH_TRAIN);

    ef_model_config cfg = ef_model_config_default_params(EF_SYS_AUDIO);
    cfg.audio.input_dim = D;
    ef_model *m = NULL;
    check(ef_model_create(&m, &cfg, &err), &err);
    check(ef_model_set_strategy(m, EF_STRAT_CS, &err), &err);
    ef_rng rng;
    ef_rng_seed(&rng, seed);
    ef_params_init(ef_model_params(m), NULL, &rng);
    ef_train_options to = ef_train_default_params(EF_SYS_AUDIO, EF_STRAT_CS);
    ef_train_state *ts = NULL;
    check(ef_train_state_new(&ts, m, to.lr, to.warmup_steps, &err), &err);
    float cw[16];
    ef_class_weights(cw, data.d.labels, data.d.n, cfg.n_classes);
    ef_batch_buf bb;
    memset(&bb, 0, sizeof bb);
    int64_t *idx = malloc((size_t)batch * sizeof *idx);
    if (!idx) die("malloc");

    /* Step 0: the longest utterance `batch` times: no batch of this store can need a
     * larger workspace (with lengths capped at 30 s: at most batch x 3000 frames). */
    {
        int64_t longest = 0;
        for (int64_t i = 1; i < data.d.n; i++)
            if (data.audio_T[i] > data.audio_T[longest]) longest = i;
        for (int i = 0; i < batch; i++) idx[i] = longest;
    }
    int64_t worst_frames = 0;
    for (int i = 0; i < batch; i++) worst_frames += data.audio_T[idx[i]];
    float loss;
    t0 = ef_now();
    check(ef_batch_fill(&bb, &cfg, &data.d, idx, batch, &err), &err);
    check(ef_train_step(m, ts, &bb.batch, bb.labels, cw, &rng, &loss, &err), &err);
    double t_worst = ef_now() - t0;
    sample();

    double first = 0.0, lastl = 0.0, read_bytes = 0.0;
    int64_t max_frames = 0;
    int w = steps < 50 ? steps : 50;
    t0 = ef_now();
    for (int s = 0; s < steps; s++) {
        int64_t fr = 0;
        for (int i = 0; i < batch; i++) {
            idx[i] = (int64_t)ef_rng_below(&rng, (uint64_t)data.d.n);
            fr += data.audio_T[idx[i]];
        }
        if (fr > max_frames) max_frames = fr;
        read_bytes += (double)fr * D * sizeof(float);
        check(ef_batch_fill(&bb, &cfg, &data.d, idx, batch, &err), &err);
        check(ef_train_step(m, ts, &bb.batch, bb.labels, cw, &rng, &loss, &err), &err);
        if (s < w) first += loss / w;
        if (s >= steps - w) lastl += loss / w;
        sample();
    }
    double t_train = ef_now() - t0;
    end_phase(PH_TRAIN);
    stop_sampler = 1;
    pthread_join(th, NULL);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    memsnap all = {0, 0, 0};
    printf("store %s: %.2f GB file, %lld utterances, %lld frames, %.2f GB of features\n", path, file_gb, (long long)n,
           (long long)frames, data_gb);
    printf("open %.2f s, manifest %.2f s, assemble %.2f s (%lld kept)\n", t_open, t_man, t_asm,
           (long long)data.d.n);
    printf("norm: %.1f s for 2 passes over %.2f GB = %.3f GB/s of features read (%.3f GB/s per pass); "
           "max |error| vs the generator %.2g (in sd units)\n",
           t_norm, data_gb, 2 * data_gb / t_norm, data_gb / t_norm, worst);
    printf("train: worst-case step (longest utterance x %d, %lld frames) %.2f s; %d random steps of %d in %.1f s = %.2f steps/s, "
           "max %lld frames per batch, %.2f GB read, loss %.4f -> %.4f (mean of first/last %d)\n",
           batch, (long long)worst_frames, t_worst, steps, batch, t_train, steps / t_train, (long long)max_frames,
           read_bytes / 1e9, first, lastl, w);
    printf("%-9s %12s %12s %12s | at end: %10s %10s %10s (MB)\n", "phase", "peak RSS", "peak Anon", "peak File", "RSS",
           "Anon", "File");
    for (int p = 0; p < PH_N; p++) {
        printf("%-9s %12.1f %12.1f %12.1f | %18.1f %10.1f %10.1f\n", phase_names[p], peak[p].rss / 1024.0,
               peak[p].anon / 1024.0, peak[p].file / 1024.0, at_end[p].rss / 1024.0, at_end[p].anon / 1024.0,
               at_end[p].file / 1024.0);
        if (peak[p].rss > all.rss) all.rss = peak[p].rss;
        if (peak[p].anon > all.anon) all.anon = peak[p].anon;
        if (peak[p].file > all.file) all.file = peak[p].file;
    }
    printf("ru_maxrss %.1f MB\n", ru.ru_maxrss / 1024.0);
    printf("RESULT file_gb=%.3f utts=%lld frames=%lld data_gb=%.3f open_s=%.2f norm_s=%.2f norm_gbps=%.3f "
           "steps_per_s=%.3f maxrss_mb=%.1f peak_rss_mb=%.1f peak_anon_mb=%.1f peak_file_mb=%.1f "
           "anon_start_mb=%.1f anon_open_mb=%.1f anon_manifest_mb=%.1f anon_assemble_mb=%.1f anon_norm_mb=%.1f "
           "anon_train_mb=%.1f worst_frames=%lld norm_err=%.2g\n",
           file_gb, (long long)n, (long long)frames, data_gb, t_open, t_norm, 2 * data_gb / t_norm, steps / t_train,
           ru.ru_maxrss / 1024.0, all.rss / 1024.0, all.anon / 1024.0, all.file / 1024.0, peak[PH_START].anon / 1024.0,
           peak[PH_OPEN].anon / 1024.0, peak[PH_MANIFEST].anon / 1024.0, peak[PH_ASSEMBLE].anon / 1024.0,
           peak[PH_NORM].anon / 1024.0, peak[PH_TRAIN].anon / 1024.0, (long long)worst_frames, worst);

    free(idx);
    ef_batch_buf_free(&bb);
    ef_train_state_free(ts);
    ef_model_free(m);
    ef_pipeline_data_free(&data);
    free(ids);
    ef_manifest_free(man);
    ef_store_close(st);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "write"))
        return cmd_write(atof(argv[2]), argv[3], argc > 4 ? strtoull(argv[4], NULL, 10) : 1,
                         argc > 5 && !strcmp(argv[5], "sources"));
    if (argc >= 4 && !strcmp(argv[1], "train"))
        return cmd_train(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 300, argc > 5 ? atoi(argv[5]) : 32,
                         argc > 6 ? strtoull(argv[6], NULL, 10) : 1);
    fprintf(stderr, "usage: bench_big_store write SIZE_GB PATH [seed [sources]]\n"
                    "       bench_big_store train PATH MANIFEST [steps (300)] [batch (32)] [seed (1)]\n");
    return 2;
}
