/* The Winograd path of conv1d (src/nn/conv1d_winograd.c, kernels 3..6) against a float64
 * direct convolution and against the GEMM path (EMOFUSE_CONV=gemm), on ragged batches:
 * sequences shorter than a tile and than the kernel, lengths that are not multiples of
 * the tile, several row chunks (tiles straddling chunk borders), channel counts that are
 * not multiples of the vector width, and the paper's shapes (36 -> 104 -> 104, K = 5;
 * 128 -> 128, K = 3).
 *
 * Error measure: each output element's error is divided by the sum of the magnitudes of
 * its products, sum |w| |x| (+ |b|), the scale a float dot product's rounding is
 * proportional to; zero-padded rows and boundary rows so get the same measure as
 * interior ones. Tolerance: 1e-5 for forward, input gradient and weight gradient (about
 * 5x the largest error measured, 2e-6; the GEMM path measures 1e-7 to 4e-7: Winograd
 * trades about one decimal digit for its 2.25-2.5x fewer multiplications). The bias
 * gradient is a plain column sum in both paths: bit-identical.
 * Also: a pool of 3 threads gives the bits of the calling thread, and the _set variant
 * of the backward the bits of the adding one on a zeroed buffer; and the row chunks both
 * paths share (ef_conv_chunk_start) cover every batch size with 1..EF_CONV_R rows each,
 * and below 4096 rows split into two contiguous halves within 16 rows of each other. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "nn/conv1d_winograd.h"
#include "testutil.h"

#define TOL 1e-5

static ef_rng g_rng;

static float *rnd(int64_t n, double scale)
{
    float *x = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) x[i] = (float)(ef_rng_normal(&g_rng) * scale);
    return x;
}

static float *zeros(int64_t n)
{
    return calloc((size_t)(n ? n : 1), sizeof(float));
}

static double *dzeros(int64_t n)
{
    return calloc((size_t)(n ? n : 1), sizeof(double));
}

/* Direct convolution in double: value and magnitude sum of every output, input-gradient
 * and weight-gradient element. */
typedef struct {
    double *out, *mout, *dx, *mdx, *dw, *mdw;
} ref_conv;

static void reference(ref_conv *r, const float *x, const float *w, const float *b, const float *dy,
                      const int64_t *offs, int B, int C, int OC, int K)
{
    int64_t N = offs[B];
    int pl = (K - 1) / 2;
    r->out = dzeros(N * OC), r->mout = dzeros(N * OC), r->dx = dzeros(N * C), r->mdx = dzeros(N * C);
    r->dw = dzeros((int64_t)OC * C * K), r->mdw = dzeros((int64_t)OC * C * K);
    for (int s = 0; s < B; s++)
        for (int64_t t = offs[s]; t < offs[s + 1]; t++)
            for (int o = 0; o < OC; o++) {
                double acc = b[o], mag = fabs(b[o]);
                for (int k = 0; k < K; k++) {
                    int64_t u = t + k - pl;
                    if (u < offs[s] || u >= offs[s + 1]) continue;
                    for (int c = 0; c < C; c++) {
                        double p = (double)w[((int64_t)o * C + c) * K + k] * x[u * C + c];
                        double q = (double)w[((int64_t)o * C + c) * K + k] * dy[t * OC + o];
                        double g = (double)dy[t * OC + o] * x[u * C + c];
                        acc += p, mag += fabs(p);
                        r->dx[u * C + c] += q, r->mdx[u * C + c] += fabs(q);
                        r->dw[((int64_t)o * C + c) * K + k] += g, r->mdw[((int64_t)o * C + c) * K + k] += fabs(g);
                    }
                }
                r->out[t * OC + o] = acc, r->mout[t * OC + o] = mag;
            }
}

static void ref_free(ref_conv *r)
{
    free(r->out), free(r->mout), free(r->dx), free(r->mdx), free(r->dw), free(r->mdw);
}

/* max_i |got - ref| / mag (0 where mag is 0: then got must be exactly 0). */
static double rel_err(const float *got, const double *ref, const double *mag, int64_t n)
{
    double worst = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - ref[i]);
        if (mag[i] == 0.0) {
            if (e != 0.0) return INFINITY;
            continue;
        }
        if (!(e / mag[i] <= worst)) worst = e / mag[i];
    }
    return worst;
}

typedef struct {
    float *out, *dx, *dw, *db;
} result;

static void run(result *r, ef_pool *pool, const char *path, const float *x, const float *w, const float *b,
                const float *dy, const int64_t *offs, int B, int C, int OC, int K)
{
    int64_t N = offs[B];
    setenv("EMOFUSE_CONV", path, 1);
    float *work = zeros(ef_conv1d_workspace_floats(N, C, OC, K, ef_pool_threads(pool)));
    r->out = zeros(N * OC), r->dx = zeros(N * C), r->dw = zeros((int64_t)OC * C * K), r->db = zeros(OC);
    ef_conv1d_forward_ws(pool, r->out, work, x, w, b, offs, B, C, OC, K);
    ef_conv1d_backward_ws(pool, r->dx, r->dw, r->db, work, dy, x, w, offs, B, C, OC, K);
    free(work);
    unsetenv("EMOFUSE_CONV");
}

static void result_free(result *r)
{
    free(r->out), free(r->dx), free(r->dw), free(r->db);
}

static int same_bits(const float *a, const float *b, int64_t n)
{
    return memcmp(a, b, (size_t)n * sizeof(float)) == 0;
}

static void check_case(const char *name, const int *lens, int B, int C, int OC, int K, double *worst)
{
    int64_t offs[64] = {0};
    for (int s = 0; s < B; s++) offs[s + 1] = offs[s] + lens[s];
    int64_t N = offs[B], nw = (int64_t)OC * C * K;
    float *x = rnd(N * C, 1.0), *w = rnd(nw, 0.3), *b = rnd(OC, 0.5), *dy = rnd(N * OC, 1.0);
    ref_conv ref;
    reference(&ref, x, w, b, dy, offs, B, C, OC, K);
    result wi, ge, w3;
    run(&wi, NULL, "winograd", x, w, b, dy, offs, B, C, OC, K);
    run(&ge, NULL, "gemm", x, w, b, dy, offs, B, C, OC, K);
    double e[6] = {rel_err(wi.out, ref.out, ref.mout, N * OC), rel_err(wi.dx, ref.dx, ref.mdx, N * C),
                   rel_err(wi.dw, ref.dw, ref.mdw, nw), rel_err(ge.out, ref.out, ref.mout, N * OC),
                   rel_err(ge.dx, ref.dx, ref.mdx, N * C), rel_err(ge.dw, ref.dw, ref.mdw, nw)};
    printf("%-26s K=%d C=%3d OC=%3d N=%5lld  winograd out %.2e dinp %.2e dw %.2e | gemm %.2e %.2e %.2e\n", name,
           K, C, OC, (long long)N, e[0], e[1], e[2], e[3], e[4], e[5]);
    for (int i = 0; i < 6; i++) {
        CHECK_MSG(e[i] <= TOL, "%s K=%d: error %d is %.3g > %g", name, K, i, e[i], TOL);
        if (e[i] > worst[i % 3]) worst[i % 3] = e[i];
    }
    CHECK(same_bits(wi.db, ge.db, OC));
    /* The two paths agree with each other within the sum of their errors. */
    double mx = 0.0;
    for (int64_t i = 0; i < N * OC; i++) {
        double d = fabs((double)wi.out[i] - ge.out[i]) / (ref.mout[i] > 0 ? ref.mout[i] : 1.0);
        if (d > mx) mx = d;
    }
    CHECK_MSG(mx <= 2 * TOL, "%s K=%d: winograd vs gemm out %.3g", name, K, mx);
    /* Three threads: the same bits. */
    ef_pool *pool;
    CHECK(ef_pool_create(&pool, 3, NULL) == EF_OK);
    run(&w3, pool, "winograd", x, w, b, dy, offs, B, C, OC, K);
    CHECK(same_bits(w3.out, wi.out, N * OC) && same_bits(w3.dx, wi.dx, N * C) && same_bits(w3.dw, wi.dw, nw) &&
          same_bits(w3.db, wi.db, OC));
    /* _set on garbage = adding into zeros. */
    float *work = zeros(ef_conv1d_workspace_floats(N, C, OC, K, 3)), *dx = malloc((size_t)(N * C) * sizeof(float));
    for (int64_t i = 0; i < N * C; i++) dx[i] = 1e30f;
    ef_conv1d_backward_set_ws(pool, dx, NULL, NULL, work, dy, x, w, offs, B, C, OC, K);
    CHECK(same_bits(dx, wi.dx, N * C));
    free(work), free(dx);
    ef_pool_free(pool);
    result_free(&wi), result_free(&ge), result_free(&w3), ref_free(&ref);
    free(x), free(w), free(b), free(dy);
}

/* The shared row chunks: a partition of [0, N) into 1..EF_CONV_R-row chunks, a function
 * of N alone; with an even number of chunks below 4096 rows the two halves a 2-thread
 * pool starts on differ by at most 16 rows (a 16-row unit), where cutting full chunks
 * and a stub left 563 rows as 320 + 243. */
static void check_chunks(void)
{
    int bad = 0;
    for (int64_t N = 1; N <= 20000 && !bad; N++) {
        int64_t n = ef_conv_n_chunks(N);
        bad |= ef_conv_chunk_start(N, 0) != 0 || ef_conv_chunk_start(N, n) != N;
        for (int64_t i = 0; i < n && !bad; i++) {
            int64_t len = ef_conv_chunk_start(N, i + 1) - ef_conv_chunk_start(N, i);
            bad |= len < 1 || len > EF_CONV_R;
        }
        if (N < 4096 && n % 2 == 0) {
            int64_t first = ef_conv_chunk_start(N, n / 2);
            bad |= llabs(2 * first - N) > 16;
        }
        if (bad) fprintf(stderr, "row chunks of N = %lld: not a balanced partition\n", (long long)N);
    }
    CHECK(!bad);
    CHECK(ef_conv_n_chunks(563) == 8 && ef_conv_chunk_start(563, 4) == 288);
}

int main(void)
{
    ef_rng_seed(&g_rng, 12);
    check_chunks();
    double worst[3] = {0, 0, 0};
    /* Lengths 1..9 around the tile sizes (6, 5, 4, 3) and the kernels, plus long ones:
     * N > 1024 gives chunks of 256 rows, so tiles cross chunk borders. */
    static const int ragged[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 300, 1, 257, 64, 2, 511, 17, 3};
    static const int paper[] = {450, 233, 1200, 5, 380, 77};
    for (int K = 3; K <= 6; K++) {
        check_case("ragged", ragged, 18, 7, 5, K, worst);
        check_case("ragged, wide", ragged, 18, 37, 19, K, worst);
    }
    check_case("audio a1 (36 -> 104)", paper, 6, 36, 104, 5, worst);
    check_case("audio a2 (104 -> 104)", paper, 6, 104, 104, 5, worst);
    check_case("text t2 (128 -> 128)", ragged, 18, 128, 128, 3, worst);
    printf("largest error (of |err| / sum |products|): out %.2e, dinp %.2e, dw %.2e (tolerance %g)\n", worst[0],
           worst[1], worst[2], TOL);
    return ef_test_exit();
}
