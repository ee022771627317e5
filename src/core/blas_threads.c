/* OpenBLAS's thread count behind a core function, so that programs and the CLI set it
 * without including <cblas.h> (the module layering: only public headers above core). */
#include <cblas.h>

#include "emofuse/parallel.h"

void ef_blas_set_threads(int n) { openblas_set_num_threads(n > 0 ? n : ef_cpu_count()); }

int ef_blas_threads(void) { return openblas_get_num_threads(); }
