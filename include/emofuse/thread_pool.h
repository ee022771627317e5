/* A persistent pool of worker threads for short, frequent parallel sections (the layers
 * of one training step run several dozen per step: creating threads per section, as
 * ef_parallel_for does, would cost more than the work).
 *
 * ef_pool_run(pool, n, fn, ctx) calls fn(ctx, item, thread) for every item in [0, n)
 * on the pool's threads (the caller is thread 0) and returns when all are done. Items
 * are handed out through an atomic counter, so their order and thread are unspecified:
 * callers that need results independent of the thread count make every item write its
 * own output (or its own partial sum, reduced afterwards in item order). Unlike
 * ef_parallel_for, a section is never cut short by an interrupt: every item runs.
 * A NULL pool, or a pool of one thread, runs the items in order on the caller. */
#ifndef EMOFUSE_THREAD_POOL_H
#define EMOFUSE_THREAD_POOL_H

#include <stdint.h>

#include "emofuse/parallel.h"
#include "emofuse/status.h"

typedef struct ef_pool ef_pool;

/* n_threads >= 1 (the caller counts as one: n_threads - 1 workers are started). */
ef_code ef_pool_create(ef_pool **out, int n_threads, ef_error *err);
void ef_pool_free(ef_pool *pool);
/* Threads of a pool (1 for NULL). */
int ef_pool_threads(const ef_pool *pool);
void ef_pool_run(ef_pool *pool, int64_t n, ef_parallel_fn fn, void *ctx);

#endif
