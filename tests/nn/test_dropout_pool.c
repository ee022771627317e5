/* Dropout on a thread pool (ef_dropout_*_pool) against the serial draw loops: for sizes
 * around the pool's block of draws (65536) and several rates, masks and outputs are
 * byte-identical to ef_dropout_draw_mask / ef_dropout_forward on 1, 2 and 3 threads
 * (and with no pool), and the generator ends in the same state. */
#include <stdlib.h>
#include <string.h>

#include "emofuse/nn_layers.h"
#include "testutil.h"

int main(void)
{
    const int64_t sizes[] = {1, 1000, 65535, 65536, 65537, 3 * 65536 + 11, 1500007};
    const float rates[] = {0.5f, 0.1f, 1.0f};
    ef_pool *pools[3] = {NULL, NULL, NULL};
    CHECK(ef_pool_create(&pools[1], 2, NULL) == EF_OK);
    CHECK(ef_pool_create(&pools[2], 3, NULL) == EF_OK);
    ef_rng init;
    ef_rng_seed(&init, 99);
    float *x = malloc(1500007 * sizeof(float));
    for (int64_t i = 0; i < 1500007; i++) x[i] = (float)ef_rng_normal(&init);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (size_t ri = 0; ri < sizeof rates / sizeof rates[0]; ri++) {
            int64_t n = sizes[si];
            float rate = rates[ri];
            uint8_t *m0 = malloc((size_t)n), *m1 = malloc((size_t)n);
            float *o0 = malloc((size_t)n * sizeof(float)), *o1 = malloc((size_t)n * sizeof(float));
            ef_rng r0, r1;
            ef_rng_seed(&r0, 5 + si);
            ef_dropout_draw_mask(m0, n, rate, &r0);
            ef_dropout_forward(o0, NULL, x, n, rate, &r0); /* continues the same stream */
            uint8_t *mf = malloc((size_t)n);
            ef_rng_seed(&r1, 5 + si);
            ef_rng rf = r1;
            ef_dropout_draw_mask(mf, n, rate, &rf);
            float *of = malloc((size_t)n * sizeof(float));
            ef_dropout_forward(of, mf, x, n, rate, &rf); /* mask of the forward's draws */
            for (int p = 0; p < 3; p++) {
                memset(m1, 0xAA, (size_t)n);
                ef_rng_seed(&r1, 5 + si);
                ef_dropout_draw_mask_pool(pools[p], m1, n, rate, &r1);
                CHECK_MSG(memcmp(m0, m1, (size_t)n) == 0, "mask n=%lld rate %g pool %d", (long long)n, rate, p);
                ef_dropout_forward_pool(pools[p], o1, m1, x, n, rate, &r1);
                CHECK_MSG(memcmp(o0, o1, (size_t)n * sizeof(float)) == 0, "forward n=%lld rate %g pool %d",
                          (long long)n, rate, p);
                CHECK(memcmp(m1, mf, (size_t)n) == 0 && memcmp(o1, of, (size_t)n * sizeof(float)) == 0);
                CHECK(memcmp(&r0, &r1, sizeof r0) == 0);
            }
            free(m0), free(m1), free(o0), free(o1), free(mf), free(of);
        }
    ef_pool_free(pools[1]);
    ef_pool_free(pools[2]);
    free(x);
    return ef_test_exit();
}
