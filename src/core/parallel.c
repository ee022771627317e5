/* A minimal dynamic-scheduling parallel-for; threads are created per call because our
 * parallel sections are long (whole corpora), so pooling would save nothing measurable. */
#include "emofuse/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "emofuse/progress.h"

typedef struct {
    ef_parallel_fn fn;
    void *ctx;
    int64_t n;
    atomic_llong next;
    atomic_llong started;
} shared_state;

typedef struct {
    shared_state *sh;
    int index;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    shared_state *sh = w->sh;
    for (;;) {
        if (ef_interrupted()) break;
        int64_t i = atomic_fetch_add(&sh->next, 1);
        if (i >= sh->n) break;
        atomic_fetch_add(&sh->started, 1);
        sh->fn(sh->ctx, i, w->index);
    }
    return NULL;
}

int ef_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

int64_t ef_parallel_for(int64_t n, int n_threads, ef_parallel_fn fn, void *ctx)
{
    if (n_threads <= 0) n_threads = ef_cpu_count();
    if (n_threads > n) n_threads = n > 0 ? (int)n : 1;
    shared_state sh = {.fn = fn, .ctx = ctx, .n = n};
    atomic_init(&sh.next, 0);
    atomic_init(&sh.started, 0);
    if (n_threads == 1) {
        worker_arg w = {&sh, 0};
        worker(&w);
        return atomic_load(&sh.started);
    }
    pthread_t *th = malloc(sizeof *th * (size_t)n_threads);
    worker_arg *args = malloc(sizeof *args * (size_t)n_threads);
    if (!th || !args) {
        free(th);
        free(args);
        worker_arg w = {&sh, 0};
        worker(&w);
        return atomic_load(&sh.started);
    }
    int created = 0;
    for (int t = 1; t < n_threads; t++) {
        args[t] = (worker_arg){&sh, t};
        if (pthread_create(&th[t], NULL, worker, &args[t]) == 0) created = t;
        else break;
    }
    args[0] = (worker_arg){&sh, 0};
    worker(&args[0]);
    for (int t = 1; t <= created; t++) pthread_join(th[t], NULL);
    free(th);
    free(args);
    return atomic_load(&sh.started);
}
