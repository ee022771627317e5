/* MFCC from a mel power spectrum: HTK sample scaling (the mel powers were computed on
 * samples in [-1, 1]; HTK works on int16 values, hence x 32767^2), log with a floor of 1,
 * DCT-II over the bands normalised by sqrt(2 / n_mel), and the sinusoidal cepstral lifter
 * 1 + L/2 sin(pi i / L). Coefficients 1..n_mfcc (c0 is not produced). The DCT, the
 * normalisation and the lifter are folded into one (n_mfcc, n_mel) matrix. */
#include <math.h>
#include <stdlib.h>

#include "audio/lld_internal.h"

#define EF_HTK_POWER_SCALE (32767.0 * 32767.0)

ef_code ef_mfcc_init(ef_mfcc *m, int n_mel, int n_mfcc, int cep_lifter, ef_error *err)
{
    *m = (ef_mfcc){0};
    if (n_mel < 1 || n_mfcc < 1 || n_mfcc >= n_mel || cep_lifter < 0)
        return ef_fail(err, EF_ERR_ARG, "mfcc: invalid setup (%d bands, %d coefficients, lifter %d)", n_mel, n_mfcc,
                       cep_lifter);
    m->dct = malloc(sizeof(double) * (size_t)n_mfcc * (size_t)n_mel);
    if (!m->dct) return ef_fail(err, EF_ERR_NOMEM, "mfcc: out of memory");
    m->n_mel = n_mel;
    m->n_mfcc = n_mfcc;
    const double norm = sqrt(2.0 / n_mel);
    for (int i = 1; i <= n_mfcc; i++) {
        const double lift = cep_lifter > 0 ? 1.0 + cep_lifter / 2.0 * sin(M_PI * i / cep_lifter) : 1.0;
        for (int b = 0; b < n_mel; b++)
            m->dct[(size_t)(i - 1) * n_mel + b] = norm * lift * cos(M_PI * i / n_mel * (b + 0.5));
    }
    return EF_OK;
}

void ef_mfcc_free(ef_mfcc *m)
{
    free(m->dct);
    *m = (ef_mfcc){0};
}

void ef_mfcc_apply(const ef_mfcc *m, const double *mel, float *mfcc)
{
    double logmel[128];
    EF_ASSERT(m->n_mel <= 128);
    for (int b = 0; b < m->n_mel; b++) {
        const double v = mel[b] * EF_HTK_POWER_SCALE;
        logmel[b] = v > 1.0 ? log(v) : 0.0;
    }
    for (int i = 0; i < m->n_mfcc; i++) {
        const double *row = m->dct + (size_t)i * m->n_mel;
        double s = 0.0;
        for (int b = 0; b < m->n_mel; b++) s += row[b] * logmel[b];
        mfcc[i] = (float)s;
    }
}
