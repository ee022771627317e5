/* LLD parameter defaults (the acoustic-lld-spec's values), validation and column names. */
#include <stdio.h>

#include "emofuse/audio.h"

ef_lld_params ef_lld_default_params(void)
{
    ef_lld_params p = {
        .sample_rate = 16000,
        .frame_step = 0.010,
        .frame_size = 0.032,
        .pitch_frame_size = 0.060,
        .smooth_window = 3,
        .delta_window = 2,
        .f0_min = 52.0,
        .f0_max = 620.0,
        .voicing_cutoff = 0.70,
        .n_mel = 26,
        .n_mfcc = 13,
        .cep_lifter = 22,
        .voice_quality = EF_VQ_OPENSMILE,
    };
    return p;
}

ef_code ef_lld_params_check(const ef_lld_params *p, ef_error *err)
{
    if (p->sample_rate < 8000 || p->sample_rate > 192000)
        return ef_fail(err, EF_ERR_ARG, "sample_rate: %d Hz is outside [8000, 192000]", p->sample_rate);
    if (!(p->frame_step > 0 && p->frame_step <= 1.0))
        return ef_fail(err, EF_ERR_ARG, "frame_step: %g s is outside (0, 1]", p->frame_step);
    if (p->frame_step * p->sample_rate < 1.0)
        return ef_fail(err, EF_ERR_ARG, "frame_step: %g s is shorter than one sample at %d Hz", p->frame_step,
                       p->sample_rate);
    if (!(p->frame_size >= p->frame_step && p->frame_size <= 1.0))
        return ef_fail(err, EF_ERR_ARG, "frame_size: %g s must be in [frame_step, 1]", p->frame_size);
    if (p->frame_size * p->sample_rate < 16.0)
        return ef_fail(err, EF_ERR_ARG, "frame_size: %g s is shorter than 16 samples at %d Hz", p->frame_size,
                       p->sample_rate);
    if (!(p->pitch_frame_size >= p->frame_step && p->pitch_frame_size <= 1.0))
        return ef_fail(err, EF_ERR_ARG, "pitch_frame_size: %g s must be in [frame_step, 1]", p->pitch_frame_size);
    if (p->smooth_window < 1 || p->smooth_window > 99 || p->smooth_window % 2 == 0)
        return ef_fail(err, EF_ERR_ARG, "smooth_window: %d must be odd and in [1, 99]", p->smooth_window);
    if (p->delta_window < 1 || p->delta_window > 50)
        return ef_fail(err, EF_ERR_ARG, "delta_window: %d must be in [1, 50]", p->delta_window);
    if (!(p->f0_min > 0 && p->f0_min < p->f0_max && p->f0_max < p->sample_rate / 2.0))
        return ef_fail(err, EF_ERR_ARG, "f0 range [%g, %g] Hz is invalid", p->f0_min, p->f0_max);
    if (p->voice_quality != EF_VQ_OPENSMILE && p->voice_quality != EF_VQ_CYCLES)
        return ef_fail(err, EF_ERR_ARG, "voice_quality: %d is neither EF_VQ_OPENSMILE nor EF_VQ_CYCLES",
                       p->voice_quality);
    if (p->n_mel != 26 || p->n_mfcc != 13)
        return ef_fail(err, EF_ERR_ARG, "n_mel/n_mfcc: only the spec's 26 bands and 13 coefficients are supported");
    return EF_OK;
}

const char *ef_lld_name(int i)
{
    static const char *names[EF_LLD_DIMS] = {
        "F0", "jitterLocal", "shimmerLocal", "logHNR", "loudness", "mfcc1", "mfcc2", "mfcc3", "mfcc4",
        "mfcc5", "mfcc6", "mfcc7", "mfcc8", "mfcc9", "mfcc10", "mfcc11", "mfcc12", "mfcc13",
        "F0_de", "jitterLocal_de", "shimmerLocal_de", "logHNR_de", "loudness_de", "mfcc1_de", "mfcc2_de",
        "mfcc3_de", "mfcc4_de", "mfcc5_de", "mfcc6_de", "mfcc7_de", "mfcc8_de", "mfcc9_de", "mfcc10_de",
        "mfcc11_de", "mfcc12_de", "mfcc13_de"};
    return (i >= 0 && i < EF_LLD_DIMS) ? names[i] : NULL;
}
