/* Instruction-set level of this CPU and the environment's cap (emofuse/cpu_isa.h). Both
 * are computed once and cached (relaxed atomics: every thread computes the same value). */
#include "emofuse/cpu_isa.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_int g_cpu = -1; /* -1: not yet known */
static atomic_int g_env = -1;

ef_isa ef_isa_cpu(void)
{
    int f = atomic_load_explicit(&g_cpu, memory_order_relaxed);
    if (f < 0) {
        f = EF_ISA_GENERIC;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) f = EF_ISA_AVX2;
        if (f == EF_ISA_AVX2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
            f = EF_ISA_AVX512;
#endif
        atomic_store_explicit(&g_cpu, f, memory_order_relaxed);
    }
    return (ef_isa)f;
}

ef_isa ef_isa_env_cap(void)
{
    int c = atomic_load_explicit(&g_env, memory_order_relaxed);
    if (c < 0) {
        c = EF_ISA_AVX512;
        const char *cpu = getenv("EMOFUSE_CPU");
        if (cpu && strcmp(cpu, "avx2") == 0) c = EF_ISA_AVX2;
        else if (cpu && (strcmp(cpu, "generic") == 0 || strcmp(cpu, "blas") == 0)) c = EF_ISA_GENERIC;
        atomic_store_explicit(&g_env, c, memory_order_relaxed);
    }
    return (ef_isa)c;
}

ef_isa ef_isa_level(void)
{
    const ef_isa f = ef_isa_cpu(), e = ef_isa_env_cap();
    return e < f ? e : f;
}

const char *ef_isa_name(ef_isa level)
{
    return level >= EF_ISA_AVX512 ? "avx512" : level == EF_ISA_AVX2 ? "avx2" : "generic";
}
