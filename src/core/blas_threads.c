/* OpenBLAS's thread count behind a core function, so that programs and the CLI set it
 * without including <cblas.h> (the module layering: only public headers above core). */
#include <cblas.h>

#include "emofuse/parallel.h"

void ef_blas_set_threads(int n) { openblas_set_num_threads(n > 0 ? n : ef_cpu_count()); }

int ef_blas_threads(void) { return openblas_get_num_threads(); }

/* OpenBLAS's pthreads build starts its worker threads when the library is loaded, and
 * they busy-wait (sched_yield) for a while before sleeping: 0.10-0.15 s of CPU in every
 * process, 10-13% of `features audio` on a 10-minute file, which never calls a threaded
 * GEMM. openblas_set_num_threads(1) does not stop them; blas_thread_shutdown_ does, and
 * OpenBLAS starts them again on the next GEMM that wants threads. It is exported by
 * OpenBLAS but not declared in cblas.h, so it is declared here, weak: with another BLAS
 * (or an OpenBLAS build without it) the call is skipped and nothing else changes. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

void ef_blas_park_threads(void)
{
    if (blas_thread_shutdown_) blas_thread_shutdown_();
}
