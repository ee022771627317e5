/* Triangular mel filterbank (HTK-style, mel = 1127 ln(1 + f / 700)) stored as one split per
 * FFT bin: adjacent triangles overlap by half, so every bin feeds at most two bands, with
 * weights w and 1 - w. Band edges are n_mel + 2 points equally spaced in mel between lo_hz
 * and hi_hz; band b rises from edge b to edge b + 1 and falls to edge b + 2.
 * Bin range: like openSMILE, the bin nearest lo_hz and the bins from the one nearest hi_hz
 * upwards are left out (with 20-8000 Hz at 16 kHz / 512 points: bins 2..255). */
#include <math.h>
#include <stdlib.h>

#include "audio/lld_internal.h"

static double hz_to_mel(double f) { return 1127.0 * log(1.0 + f / 700.0); }
static double mel_to_hz(double m) { return 700.0 * (exp(m / 1127.0) - 1.0); }

ef_code ef_melbank_init(ef_melbank *mb, int n_mel, double lo_hz, double hi_hz, int nfft, int sample_rate,
                        ef_error *err)
{
    *mb = (ef_melbank){0};
    const int n_bins = nfft / 2 + 1;
    if (n_mel < 1 || !(lo_hz >= 0 && lo_hz < hi_hz) || nfft < 2 || sample_rate < 1)
        return ef_fail(err, EF_ERR_ARG, "mel filterbank: invalid setup (%d bands, %g-%g Hz, %d-point FFT)", n_mel,
                       lo_hz, hi_hz, nfft);
    if (hi_hz > sample_rate / 2.0) hi_hz = sample_rate / 2.0;
    double *edges = malloc(sizeof(double) * (size_t)(n_mel + 2));
    mb->band = malloc(sizeof(int) * (size_t)n_bins);
    mb->weight = malloc(sizeof(float) * (size_t)n_bins);
    mb->centre_hz = malloc(sizeof(double) * (size_t)n_mel);
    if (!edges || !mb->band || !mb->weight || !mb->centre_hz) {
        free(edges);
        ef_melbank_free(mb);
        return ef_fail(err, EF_ERR_NOMEM, "mel filterbank: out of memory");
    }
    mb->n_mel = n_mel;
    const double lo_m = hz_to_mel(lo_hz), hi_m = hz_to_mel(hi_hz);
    const double step = (hi_m - lo_m) / (n_mel + 1);
    for (int i = 0; i < n_mel + 2; i++) edges[i] = lo_m + i * step;
    for (int b = 0; b < n_mel; b++) mb->centre_hz[b] = mel_to_hz(edges[b + 1]);

    const double df = (double)sample_rate / nfft;
    mb->bin_lo = (int)lround(lo_hz / df) + 1;
    mb->bin_hi = (int)lround(hi_hz / df);
    if (mb->bin_hi > n_bins) mb->bin_hi = n_bins;
    if (mb->bin_lo > mb->bin_hi) mb->bin_lo = mb->bin_hi;
    int j = 0;
    for (int k = 0; k < n_bins; k++) {
        mb->band[k] = -1;
        mb->weight[k] = 0.0f;
    }
    for (int k = mb->bin_lo; k < mb->bin_hi; k++) {
        const double m = hz_to_mel(k * df);
        /* Find the edge interval (edges[j], edges[j + 1]] holding m; bins are increasing. */
        while (j < n_mel + 1 && m > edges[j + 1]) j++;
        if (m <= edges[0] || m > edges[n_mel + 1]) continue; /* outside every triangle */
        mb->band[k] = j;
        mb->weight[k] = (float)((m - edges[j]) / (edges[j + 1] - edges[j]));
    }
    free(edges);
    return EF_OK;
}

void ef_melbank_free(ef_melbank *mb)
{
    free(mb->band);
    free(mb->weight);
    free(mb->centre_hz);
    *mb = (ef_melbank){0};
}

void ef_melbank_apply(const ef_melbank *mb, const float *power, double *mel)
{
    for (int b = 0; b < mb->n_mel; b++) mel[b] = 0.0;
    for (int k = mb->bin_lo; k < mb->bin_hi; k++) {
        const int b = mb->band[k];
        if (b < 0) continue;
        const double rise = (double)mb->weight[k] * power[k];
        if (b < mb->n_mel) mel[b] += rise;                 /* rising slope of band b */
        if (b >= 1) mel[b - 1] += (double)power[k] - rise;  /* falling slope of band b - 1 */
    }
}
