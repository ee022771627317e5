/* Shared FFTW plan cache for the audio module (internal header).
 *
 * FFTW's planner is not thread-safe, while executing an existing plan on new arrays is.
 * So every FFT plan used in src/audio (spectral 32 ms frames, pitch 60 ms frames, ...)
 * is created here, once per size, under one process-wide mutex, and then shared by all
 * threads through fftwf_execute_dft_r2c(plan, in, out). Buffers handed to a plan must be
 * allocated with fftwf_malloc (same SIMD alignment as at planning time). Plans live until
 * the process exits. */
#ifndef EMOFUSE_AUDIO_FFT_H
#define EMOFUSE_AUDIO_FFT_H

#include <fftw3.h>

#include "emofuse/status.h"

/* Real-to-complex forward plan of size n (n real inputs -> n/2 + 1 complex outputs,
 * unnormalised: X[k] = sum_t x[t] exp(-2 pi i k t / n)). Thread-safe. */
ef_code ef_fft_r2c_plan(int n, fftwf_plan *plan, ef_error *err);

/* Smallest power of two >= n (n >= 1). */
int ef_fft_size_for(int n);

#endif
