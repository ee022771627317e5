/* Explicit random generator state (xoshiro256**, seeded by splitmix64).
 * Every random decision in emofuse (initialisation, shuffling, dropout, synthetic data)
 * takes an ef_rng*, so a run is reproducible from its seed. Never use rand(). */
#ifndef EMOFUSE_RNG_H
#define EMOFUSE_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} ef_rng;

void ef_rng_seed(ef_rng *rng, uint64_t seed);
uint64_t ef_rng_u64(ef_rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double ef_rng_uniform(ef_rng *rng);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t ef_rng_below(ef_rng *rng, uint64_t n);
/* Standard normal (Box-Muller, no cached second value so the state stays one struct). */
double ef_rng_normal(ef_rng *rng);
/* Fisher-Yates shuffle of n int32 values in place. */
void ef_rng_shuffle_i32(ef_rng *rng, int32_t *a, int64_t n);

#endif
