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

#endif
