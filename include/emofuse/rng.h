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
/* One xoshiro256** step on a bare state s[4]: returns the next output and advances s.
 * ef_rng_u64 is this step on rng->s; it is here, inline, so that a hot loop (dropout's
 * masks) can run it on a local copy of the state that stays in registers and write the
 * copy back, advancing the generator exactly as that many ef_rng_u64 calls would. */
static inline uint64_t ef_rng_step(uint64_t s[4])
{
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}
/* Advance the state exactly as n calls of ef_rng_u64 would, in O(log n) (GF(2) jump
 * matrices, built once per process on first use, thread-safe): lets parallel workers
 * start their share of one stream of draws where the serial loop would be. */
void ef_rng_advance(ef_rng *rng, uint64_t n);
/* Uniform in [0, 1) with 53 random bits. */
double ef_rng_uniform(ef_rng *rng);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t ef_rng_below(ef_rng *rng, uint64_t n);
/* Standard normal (Box-Muller, no cached second value so the state stays one struct). */
double ef_rng_normal(ef_rng *rng);
/* Fisher-Yates shuffle of n int32 values in place. */
void ef_rng_shuffle_i32(ef_rng *rng, int32_t *a, int64_t n);

#endif
