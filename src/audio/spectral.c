/* The spectral stage for one frame: Hamming window, zero-padded power-of-two FFT, power
 * spectrum, mel filterbank, then loudness and MFCC from the same mel powers. One
 * ef_spectral per thread (it owns the FFT buffers); the FFTW plan itself is shared. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/fft.h"
#include "audio/lld_internal.h"

#define EF_MEL_LO_HZ 20.0
#define EF_MEL_HI_HZ 8000.0

ef_code ef_spectral_init(ef_spectral *s, const ef_lld_params *p, ef_error *err)
{
    *s = (ef_spectral){0};
    const ef_lld_geometry g = ef_lld_geometry_of(p);
    s->frame_len = g.frame_len;
    s->nfft = ef_fft_size_for(g.frame_len);
    s->n_bins = s->nfft / 2 + 1;
    ef_code rc = ef_fft_r2c_plan(s->nfft, &s->plan, err);
    if (rc) return rc;
    s->window = malloc(sizeof(float) * (size_t)s->frame_len);
    s->fft_in = fftwf_malloc(sizeof(float) * (size_t)s->nfft);
    s->fft_out = fftwf_malloc(sizeof(fftwf_complex) * (size_t)s->n_bins);
    s->power = malloc(sizeof(float) * (size_t)s->n_bins);
    s->mel = malloc(sizeof(double) * (size_t)p->n_mel);
    if (!s->window || !s->fft_in || !s->fft_out || !s->power || !s->mel) {
        ef_spectral_free(s);
        return ef_fail(err, EF_ERR_NOMEM, "spectral stage: out of memory");
    }
    /* Symmetric Hamming window (denominator N - 1), as openSMILE's cWindower. */
    for (int i = 0; i < s->frame_len; i++)
        s->window[i] = (float)(0.54 - 0.46 * cos(2.0 * M_PI * i / (s->frame_len - 1)));
    memset(s->fft_in, 0, sizeof(float) * (size_t)s->nfft); /* the zero padding never changes */
    if ((rc = ef_melbank_init(&s->mb, p->n_mel, EF_MEL_LO_HZ, EF_MEL_HI_HZ, s->nfft, p->sample_rate, err)) ||
        (rc = ef_mfcc_init(&s->mfcc, p->n_mel, p->n_mfcc, p->cep_lifter, err)) ||
        (rc = ef_loudness_init(&s->loud, &s->mb, err))) {
        ef_spectral_free(s);
        return rc;
    }
    return EF_OK;
}

void ef_spectral_free(ef_spectral *s)
{
    free(s->window);
    fftwf_free(s->fft_in);
    fftwf_free(s->fft_out);
    free(s->power);
    free(s->mel);
    ef_melbank_free(&s->mb);
    ef_mfcc_free(&s->mfcc);
    ef_loudness_free(&s->loud);
    *s = (ef_spectral){0};
}

bool ef_spectral_frame(ef_spectral *s, const float *frame, float *loudness, float *mfcc)
{
    for (int i = 0; i < s->frame_len; i++) s->fft_in[i] = frame[i] * s->window[i];
    fftwf_execute_dft_r2c(s->plan, s->fft_in, s->fft_out);
    /* The floors below turn a NaN into the floor (NaN > floor is false), so an overflowed
     * power spectrum (|x| of ~1e17 and more squares past FLT_MAX) would come out as
     * "silence": check it here. A double sum of finite floats cannot overflow, so it is
     * finite exactly when every bin is. */
    double total = 0.0;
    for (int k = 0; k < s->n_bins; k++) {
        const float re = s->fft_out[k][0], im = s->fft_out[k][1];
        s->power[k] = re * re + im * im;
        total += s->power[k];
    }
    if (!isfinite(total)) return false;
    ef_melbank_apply(&s->mb, s->power, s->mel);
    *loudness = ef_loudness_apply(&s->loud, s->mel);
    ef_mfcc_apply(&s->mfcc, s->mel, mfcc);
    return true;
}
