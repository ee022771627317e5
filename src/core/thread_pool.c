/* Persistent worker threads woken per section by a generation counter under a mutex.
 * Both sides spin for a bounded time before sleeping on a condition variable: workers
 * waiting for the next section, the caller waiting for the workers to finish one.
 * Sections of a training step follow each other within microseconds, and a futex
 * sleep/wake round trip costs tens of microseconds on each side (on the text branch, whose
 * sections are ~100 us, the kernel's scheduling was a tenth of a 2-thread epoch); the
 * spins end after SPIN_NS, so an idle pool costs nothing on a shared machine. A finishing
 * worker takes the mutex only to wake a caller that has gone to sleep.
 *
 * Items: thread t starts on its own contiguous share [t n / T, (t + 1) n / T) and, once
 * that is done, takes what is left of the others' shares. Consecutive sections over the
 * same rows (a layer, then its batch norm) then find their data in the cache of the core
 * that wrote it. One shared counter handed items out by arrival, so rows moved between
 * the cores; with own shares the memory-bound sections of a 2-thread text step (dW
 * reductions, clears) took 15-25% fewer perf samples relative to sgemm. Stealing keeps
 * the balance when a core is slow (a shared machine). */
#include "emofuse/thread_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define SPIN_NS 100000 /* 100 us */

/* One thread's share of a section: next item to take, one past its last. Own cache line:
 * every item taken is an atomic add on it. */
typedef struct {
    _Alignas(64) atomic_llong next;
    int64_t end;
} share;

struct ef_pool {
    int n_threads;
    share *shares;           /* (n_threads) */
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    /* current section */
    ef_parallel_fn fn;
    void *ctx;
    atomic_int generation; /* bumped to start a section */
    atomic_int active;     /* workers still inside the section */
    int caller_waiting;    /* the caller sleeps on done (under mu) */
    int stop;
};

typedef struct {
    ef_pool *pool;
    int index;
} worker_arg;

static void run_share(ef_pool *p, share *sh, int thread)
{
    for (;;) {
        int64_t i = atomic_fetch_add_explicit(&sh->next, 1, memory_order_relaxed);
        if (i >= sh->end) return;
        p->fn(p->ctx, i, thread);
    }
}

/* Its own share first, then the others' remainders in turn. */
static void run_items(ef_pool *p, int thread)
{
    for (int k = 0; k < p->n_threads; k++) run_share(p, &p->shares[(thread + k) % p->n_threads], thread);
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Spins until (*a == v) == until_equal, or SPIN_NS have passed; true when the condition
 * came true (the caller then need not sleep). */
static bool spin_for(atomic_int *a, int v, bool until_equal)
{
    const int64_t end = now_ns() + SPIN_NS;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if ((atomic_load_explicit(a, memory_order_acquire) == v) == until_equal) return true;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        if (now_ns() > end) return false;
    }
}

static void *worker(void *vp)
{
    worker_arg *a = vp;
    ef_pool *p = a->pool;
    int index = a->index;
    free(a);
    int seen = 0;
    for (;;) {
        spin_for(&p->generation, seen, false); /* a new section */
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->generation) == seen && !p->stop) pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        seen = atomic_load(&p->generation);
        pthread_mutex_unlock(&p->mu);
        run_items(p, index);
        if (atomic_fetch_sub(&p->active, 1) == 1) { /* the last one out */
            pthread_mutex_lock(&p->mu);
            if (p->caller_waiting) pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

ef_code ef_pool_create(ef_pool **out, int n_threads, ef_error *err)
{
    *out = NULL;
    if (n_threads < 1) return ef_fail(err, EF_ERR_ARG, "thread pool: %d threads (need >= 1)", n_threads);
    ef_pool *p = calloc(1, sizeof *p);
    if (!p) return ef_fail(err, EF_ERR_NOMEM, "thread pool: out of memory");
    p->n_threads = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->generation, 0);
    atomic_init(&p->active, 0);
    if (n_threads > 1) {
        p->th = calloc((size_t)n_threads, sizeof *p->th);
        p->shares = aligned_alloc(64, (size_t)n_threads * sizeof *p->shares);
        if (!p->th || !p->shares) {
            ef_pool_free(p);
            return ef_fail(err, EF_ERR_NOMEM, "thread pool: out of memory");
        }
        for (int t = 0; t < n_threads; t++) {
            atomic_init(&p->shares[t].next, 0);
            p->shares[t].end = 0;
        }
        for (int t = 1; t < n_threads; t++) {
            worker_arg *a = malloc(sizeof *a);
            if (!a || (a->pool = p, a->index = t, pthread_create(&p->th[t], NULL, worker, a) != 0)) {
                free(a);
                ef_pool_free(p);
                return ef_fail(err, EF_ERR_IO, "thread pool: cannot start thread %d of %d", t + 1, n_threads);
            }
            p->n_threads = t + 1;
        }
    }
    *out = p;
    return EF_OK;
}

void ef_pool_free(ef_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int t = 1; t < p->n_threads; t++) pthread_join(p->th[t], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    free(p->th);
    free(p->shares);
    free(p);
}

int ef_pool_threads(const ef_pool *p)
{
    return p ? p->n_threads : 1;
}

void ef_pool_run(ef_pool *p, int64_t n, ef_parallel_fn fn, void *ctx)
{
    if (n <= 0) return;
    if (!p || p->n_threads == 1 || n == 1) {
        for (int64_t i = 0; i < n; i++) fn(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    for (int t = 0; t < p->n_threads; t++) {
        atomic_store_explicit(&p->shares[t].next, n * t / p->n_threads, memory_order_relaxed);
        p->shares[t].end = n * (t + 1) / p->n_threads;
    }
    atomic_store(&p->active, p->n_threads - 1);
    atomic_fetch_add(&p->generation, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_items(p, 0);
    if (atomic_load_explicit(&p->active, memory_order_acquire) > 0 && !spin_for(&p->active, 0, true)) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->active) > 0) {
            p->caller_waiting = 1;
            pthread_cond_wait(&p->done, &p->mu);
        }
        p->caller_waiting = 0;
        pthread_mutex_unlock(&p->mu);
    }
}
