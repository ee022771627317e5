/* Parallel-for over an index range with a fixed number of POSIX threads.
 * Work items are handed out one at a time through an atomic counter, so uneven item
 * costs (utterances of very different lengths) balance themselves. */
#ifndef EMOFUSE_PARALLEL_H
#define EMOFUSE_PARALLEL_H

#include <stdint.h>

/* fn(ctx, item, thread_index). Items run in unspecified order. */
typedef void (*ef_parallel_fn)(void *ctx, int64_t item, int thread);

/* Runs fn for item in [0, n) on n_threads threads (0 = all cores). Stops handing out new
 * items once ef_interrupted() is true. Returns the number of items started. */
int64_t ef_parallel_for(int64_t n, int n_threads, ef_parallel_fn fn, void *ctx);

/* Number of online CPU cores (at least 1). */
int ef_cpu_count(void);

/* Threads of OpenBLAS's GEMMs (process-wide; 0 = all cores) and their current count
 * (src/core/blas_threads.c). */
void ef_blas_set_threads(int n);
int ef_blas_threads(void);

/* Stops OpenBLAS's idle worker threads, which otherwise spin after the library loads
 * (about 0.1 s of CPU per process); the next threaded GEMM starts them again. Call it
 * once at program start, before other threads exist. */
void ef_blas_park_threads(void);

#endif
