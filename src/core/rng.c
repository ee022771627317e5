/* xoshiro256** (Blackman & Vigna): small state, fast, statistically strong; the state
 * is a plain struct so it can be copied into checkpoints. */
#include "emofuse/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ef_rng_seed(ef_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
}

/* The step itself is ef_rng_step in rng.h, shared with dropout's inlined draw loop. */
uint64_t ef_rng_u64(ef_rng *rng) { return ef_rng_step(rng->s); }

double ef_rng_uniform(ef_rng *rng) { return (double)(ef_rng_u64(rng) >> 11) * 0x1.0p-53; }

uint64_t ef_rng_below(ef_rng *rng, uint64_t n)
{
    /* Rejection sampling: discard the top partial bucket. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = ef_rng_u64(rng);
    while (x >= limit);
    return x % n;
}

double ef_rng_normal(ef_rng *rng)
{
    double u1 = ef_rng_uniform(rng);
    double u2 = ef_rng_uniform(rng);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void ef_rng_shuffle_i32(ef_rng *rng, int32_t *a, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)ef_rng_below(rng, (uint64_t)i + 1);
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* ---- jump-ahead ------------------------------------------------------------------------
 * A xoshiro256 step is linear over GF(2) in the 256 state bits: s' = T s. T^(2^k) for
 * k = 0..63, each as its 256 columns (the images of the unit states), are built once by
 * repeated squaring (64 squarings of 256 matrix-vector products, a few ms, 512 KB); then
 * T^n s is one matrix-vector product per set bit of n. */
#include <pthread.h>

typedef struct {
    uint64_t col[256][4];
} gf2_matrix;

static gf2_matrix jump_pow[64];
static pthread_once_t jump_once = PTHREAD_ONCE_INIT;

static void gf2_apply(uint64_t out[4], const gf2_matrix *m, const uint64_t v[4])
{
    uint64_t r[4] = {0, 0, 0, 0};
    for (int j = 0; j < 256; j++) {
        uint64_t bit = 0 - ((v[j >> 6] >> (j & 63)) & 1u);
        for (int w = 0; w < 4; w++) r[w] ^= m->col[j][w] & bit;
    }
    for (int w = 0; w < 4; w++) out[w] = r[w];
}

static void build_jump_table(void)
{
    for (int j = 0; j < 256; j++) {
        uint64_t s[4] = {0, 0, 0, 0};
        s[j >> 6] = (uint64_t)1 << (j & 63);
        ef_rng_step(s);
        for (int w = 0; w < 4; w++) jump_pow[0].col[j][w] = s[w];
    }
    for (int k = 1; k < 64; k++)
        for (int j = 0; j < 256; j++) gf2_apply(jump_pow[k].col[j], &jump_pow[k - 1], jump_pow[k - 1].col[j]);
}

void ef_rng_advance(ef_rng *rng, uint64_t n)
{
    if (n < 1024) { /* stepping is cheaper than the products */
        for (uint64_t i = 0; i < n; i++) ef_rng_step(rng->s);
        return;
    }
    pthread_once(&jump_once, build_jump_table);
    for (int k = 0; k < 64; k++)
        if ((n >> k) & 1u) gf2_apply(rng->s, &jump_pow[k], rng->s);
}
