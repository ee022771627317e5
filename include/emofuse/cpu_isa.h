/* Which instruction-set level the run-time dispatched kernels use (BERT's GEMM and math,
 * the pitch and voice-quality loops): chosen by what the CPU has (cpuid, never by vendor)
 * and capped by the environment, EMOFUSE_CPU=avx512|avx2|generic, so that tests and CI
 * run every path on one machine and users can rule out a kernel (src/core/cpu_isa.c). */
#ifndef EMOFUSE_CPU_ISA_H
#define EMOFUSE_CPU_ISA_H

/* Levels in increasing order. AVX2 means AVX2 + FMA; AVX-512 means also AVX-512F + VL. */
typedef enum { EF_ISA_GENERIC = 0, EF_ISA_AVX2 = 1, EF_ISA_AVX512 = 2 } ef_isa;

/* The best level this CPU supports. */
ef_isa ef_isa_cpu(void);
/* The cap EMOFUSE_CPU sets ("generic" or "blas", "avx2", "avx512"; unset or another
 * value: no cap, EF_ISA_AVX512). Read once, at the first call. */
ef_isa ef_isa_env_cap(void);
/* The level to dispatch on: the CPU's, capped by the environment. */
ef_isa ef_isa_level(void);
/* "avx512", "avx2" or "generic". */
const char *ef_isa_name(ef_isa level);

/* EF_TARGET_CLONES: build a function once per instruction set (AVX-512, AVX2, baseline)
 * and pick one at load time by what the CPU has (GCC's target_clones, an ifunc).
 *
 * Only for static functions: the clones' resolver of an exported function is exported
 * too, which test_install refuses. Only for element-wise code whose every element is the
 * same IEEE operations whatever the vector width (ISO C11 mode contracts nothing into
 * FMA), so that every clone gives the same bits (which is why EMOFUSE_CPU does not cap them).
 *
 * Off under clang (the fuzz build) and under ThreadSanitizer (EF_NO_TARGET_CLONES, set by
 * EMOFUSE_SANITIZE_THREAD): TSan instruments the resolver, which the dynamic loader runs
 * before TSan's runtime is up, and the program dies before main. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(EF_NO_TARGET_CLONES)
#define EF_TARGET_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EF_TARGET_CLONES
#endif

#endif
