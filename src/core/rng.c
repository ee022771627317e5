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
