/* Loudness as in openSMILE's ComParE set ("audspec_lengthL1norm"): the mel power spectrum
 * (samples in [-1, 1], no HTK scaling) is floored at 9.3e-10, weighted by the PLP
 * equal-loudness curve at each band centre, compressed with the power law of hearing
 * (^0.33), and averaged over the bands. */
#include <math.h>
#include <stdlib.h>

#include "audio/lld_internal.h"

#define EF_LOUDNESS_FLOOR 9.3e-10
#define EF_LOUDNESS_COMPRESSION 0.33

/* Hermansky's (1990) equal-loudness approximation in the rescaled form openSMILE uses for
 * non-HTK PLP (peak near 1): with w = 2 pi f,
 *   E(w) = 1e32 (w^2 + 56.8e6) w^4 / ((w^2 + 6.3e6)^2 (w^2 + 0.38e9) (w^7 + 1.7e31)).
 * The w^7 term (instead of the textbook w^6 + 9.58e26) is what reproduces openSMILE. */
double ef_equal_loudness_weight(double f_hz)
{
    const double w = 2.0 * M_PI * f_hz;
    const double w2 = w * w;
    const double c = w2 + 6300000.0;
    return 1e32 * ((w2 + 56.8e6) * w2 * w2) / (c * c * (w2 + 0.38e9) * (w2 * w2 * w2 * w + 1.7e31));
}

ef_code ef_loudness_init(ef_loudness *l, const ef_melbank *mb, ef_error *err)
{
    *l = (ef_loudness){0};
    l->eql = malloc(sizeof(double) * (size_t)mb->n_mel);
    if (!l->eql) return ef_fail(err, EF_ERR_NOMEM, "loudness: out of memory");
    l->n_mel = mb->n_mel;
    for (int b = 0; b < mb->n_mel; b++) l->eql[b] = ef_equal_loudness_weight(mb->centre_hz[b]);
    return EF_OK;
}

void ef_loudness_free(ef_loudness *l)
{
    free(l->eql);
    *l = (ef_loudness){0};
}

float ef_loudness_apply(const ef_loudness *l, const double *mel)
{
    double s = 0.0;
    for (int b = 0; b < l->n_mel; b++) {
        const double v = mel[b] > EF_LOUDNESS_FLOOR ? mel[b] : EF_LOUDNESS_FLOOR;
        s += pow(v * l->eql[b], EF_LOUDNESS_COMPRESSION);
    }
    return (float)(s / l->n_mel);
}
