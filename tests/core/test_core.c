/* core: RNG reproducibility and statistics, atomic files (no partial output), mkdir -p,
 * parallel-for coverage and interruption, error message helpers. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emofuse/atomic_file.h"
#include "emofuse/parallel.h"
#include "emofuse/progress.h"
#include "emofuse/rng.h"
#include "emofuse/status.h"
#include "testutil.h"

static void test_rng(void)
{
    ef_rng a, b;
    ef_rng_seed(&a, 42);
    ef_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++) CHECK(ef_rng_u64(&a) == ef_rng_u64(&b));
    ef_rng_seed(&b, 43);
    CHECK(ef_rng_u64(&a) != ef_rng_u64(&b));
    /* ef_rng_advance(n) = n draws, below and above its stepping threshold (1024), for
     * n with many set bits, and in pieces. */
    const uint64_t steps[] = {0, 1, 1023, 1024, 65536, 65537, 300007, 1u << 20};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        ef_rng_seed(&a, 7 + i);
        b = a;
        for (uint64_t k = 0; k < steps[i]; k++) ef_rng_u64(&a);
        ef_rng_advance(&b, steps[i]);
        CHECK_MSG(memcmp(&a, &b, sizeof a) == 0, "advance(%llu) != %llu draws", (unsigned long long)steps[i],
                  (unsigned long long)steps[i]);
        ef_rng_advance(&b, 5000);
        for (int k = 0; k < 5000; k++) ef_rng_u64(&a);
        CHECK(ef_rng_u64(&a) == ef_rng_u64(&b));
    }
    /* Uniform mean 0.5 (sd of the mean 0.0009 at n = 1e5), normal mean 0 var 1. */
    double s = 0, s1 = 0, s2 = 0;
    int n = 100000;
    int below[10] = {0};
    for (int i = 0; i < n; i++) {
        double u = ef_rng_uniform(&a);
        CHECK(u >= 0 && u < 1);
        s += u;
        double z = ef_rng_normal(&a);
        s1 += z;
        s2 += z * z;
        below[ef_rng_below(&a, 10)]++;
    }
    CHECK(fabs(s / n - 0.5) < 0.005);
    CHECK(fabs(s1 / n) < 0.02 && fabs(s2 / n - 1) < 0.03);
    for (int k = 0; k < 10; k++) CHECK(abs(below[k] - n / 10) < 600);
    int32_t perm[50];
    for (int i = 0; i < 50; i++) perm[i] = i;
    ef_rng_shuffle_i32(&a, perm, 50);
    int seen[50] = {0}, moved = 0;
    for (int i = 0; i < 50; i++) {
        seen[perm[i]]++;
        moved += perm[i] != i;
    }
    for (int i = 0; i < 50; i++) CHECK(seen[i] == 1);
    CHECK(moved > 30);
}

static void test_atomic(void)
{
    char path[1100], dir[512];
    snprintf(dir, sizeof dir, "%s/a/b/c", ef_test_tmpdir());
    ef_error err = {0};
    CHECK(ef_mkdir_p(dir, &err) == EF_OK);
    CHECK(ef_mkdir_p(dir, &err) == EF_OK); /* idempotent */
    snprintf(path, sizeof path, "%s/out.txt", dir);
    CHECK(ef_atomic_write(path, "hello", 5, &err) == EF_OK);
    ef_atomic_file af;
    CHECK(ef_atomic_open(&af, path, &err) == EF_OK);
    fputs("partial", af.fp);
    /* Before commit the old content is still in place; abort leaves it untouched. */
    FILE *fp = fopen(path, "r");
    char buf[16] = {0};
    CHECK(fp && fread(buf, 1, sizeof buf - 1, fp) == 5 && strcmp(buf, "hello") == 0);
    if (fp) fclose(fp);
    ef_atomic_abort(&af);
    fp = fopen(path, "r");
    memset(buf, 0, sizeof buf);
    CHECK(fp && fread(buf, 1, sizeof buf - 1, fp) == 5);
    if (fp) fclose(fp);
    /* Only the final file is left in the directory. */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1", dir);
    CHECK(system(cmd) == 0);
    snprintf(path, sizeof path, "%s/no/such/dir/x", ef_test_tmpdir());
    CHECK(ef_atomic_write(path, "x", 1, &err) == EF_ERR_IO && strstr(err.msg, "no/such/dir/x: cannot create"));
    snprintf(path, sizeof path, "%s/out.txt/sub", dir);
    CHECK(ef_mkdir_p(path, &err) == EF_ERR_IO);
}

static atomic_int hits[1000];
static void mark(void *ctx, int64_t i, int thread)
{
    (void)ctx;
    (void)thread;
    atomic_fetch_add(&hits[i], 1);
}

static void stop_at_10(void *ctx, int64_t i, int thread)
{
    (void)thread;
    atomic_fetch_add((atomic_int *)ctx, 1);
    if (i == 10) ef_interrupt_request();
}

static void test_parallel(void)
{
    CHECK(ef_cpu_count() >= 1);
    for (int threads = 1; threads <= 4; threads++) {
        for (int i = 0; i < 1000; i++) atomic_store(&hits[i], 0);
        CHECK(ef_parallel_for(1000, threads, mark, NULL) == 1000);
        int ok = 1;
        for (int i = 0; i < 1000; i++) ok &= atomic_load(&hits[i]) == 1;
        CHECK_MSG(ok, "every item exactly once with %d threads", threads);
    }
    CHECK(ef_parallel_for(0, 4, mark, NULL) == 0);
    atomic_int count = 0;
    int64_t started = ef_parallel_for(1000, 1, stop_at_10, &count);
    CHECK(ef_interrupted());
    CHECK(started == 11 && atomic_load(&count) == 11);
    ef_interrupt_clear();
    CHECK(!ef_interrupted());
}

static void test_status(void)
{
    ef_error err;
    CHECK(ef_fail(&err, EF_ERR_IO, "%s: %s", "f.wav", "boom") == EF_ERR_IO);
    CHECK(strcmp(err.msg, "f.wav: boom") == 0);
    CHECK(ef_error_prefix(&err, "utt %d", 3) == EF_ERR_IO && strcmp(err.msg, "utt 3: f.wav: boom") == 0);
    ef_error_clear(&err);
    CHECK(err.code == EF_OK && err.msg[0] == '\0');
    CHECK(ef_fail(NULL, EF_ERR_ARG, "x") == EF_ERR_ARG);
    CHECK(strcmp(ef_code_name(EF_ERR_NOMEM), "out of memory") == 0);
    /* Progress lines in non-tty mode: a final line with the count. */
    char path[512];
    snprintf(path, sizeof path, "%s/progress.txt", ef_test_tmpdir());
    FILE *fp = fopen(path, "w+");
    ef_progress *p = ef_progress_new("job", 3, fp, 0);
    ef_progress_step(p, 2);
    ef_progress_step(p, 1);
    ef_progress_finish(p);
    rewind(fp);
    char line[256] = {0};
    CHECK(fgets(line, sizeof line, fp) && strstr(line, "job: 3/3 done") && strstr(line, "(finished)"));
    fclose(fp);
}

int main(void)
{
    test_rng();
    test_atomic();
    test_parallel();
    test_status();
    return ef_test_exit();
}
