/* The Viterbi pitch smoother on hand-made candidate sequences: it removes an isolated
 * octave jump, follows the voicing threshold over long unvoiced stretches, decides every
 * frame of a sequence longer than its 30-frame buffer (forced decisions), and handles
 * T = 0 and T = 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/pitch.h"
#include "testutil.h"

static void set(ef_shs_cands *c, int k, float f0, float v)
{
    c->f0[k] = f0;
    c->voicing[k] = v;
    c->score[k] = v;
    if (c->n < k + 1) c->n = k + 1;
}

static void test_octave_jump(void)
{
    enum { T = 60 };
    ef_shs_cands c[T];
    memset(c, 0, sizeof(c));
    for (int t = 0; t < T; t++) {
        float f = 180.0f + 0.5f * t; /* slow glide */
        set(&c[t], 0, f, 0.85f);
        set(&c[t], 1, 2.0f * f, 0.75f);
    }
    /* frame 30: the octave above scores best */
    c[30].f0[0] = 2.0f * (180.0f + 15.0f);
    c[30].voicing[0] = 0.88f;
    c[30].f0[1] = 180.0f + 15.0f;
    c[30].voicing[1] = 0.84f;
    float f0[T];
    CHECK(ef_pitch_viterbi(f0, c, T, 0.7, NULL) == EF_OK);
    int ok = 1;
    for (int t = 0; t < T; t++) ok &= fabsf(f0[t] - (180.0f + 0.5f * t)) < 1e-3f;
    CHECK_MSG(ok, "octave jump not removed: f0[30] = %g", f0[30]);
}

static void test_unvoiced_stretch(void)
{
    enum { T = 120 };
    ef_shs_cands c[T];
    memset(c, 0, sizeof(c));
    for (int t = 0; t < T; t++) {
        int voiced = t < 20 || t >= 80;
        set(&c[t], 0, 150.0f, voiced ? 0.9f : 0.4f);
        set(&c[t], 1, 300.0f, voiced ? 0.8f : 0.35f);
    }
    float f0[T];
    CHECK(ef_pitch_viterbi(f0, c, T, 0.7, NULL) == EF_OK);
    int bad = 0;
    for (int t = 0; t < T; t++) {
        int voiced = t < 20 || t >= 80;
        if (voiced ? f0[t] != 150.0f : f0[t] != 0.0f) bad++;
    }
    CHECK_MSG(bad == 0, "%d frames wrong around a 60-frame unvoiced stretch", bad);
}

static void test_long_ambiguous(void)
{
    /* two equally good, far apart tracks for 200 frames: paths never merge, so every
     * output comes from a forced decision; each must be one of the candidates */
    enum { T = 200 };
    ef_shs_cands c[T];
    memset(c, 0, sizeof(c));
    for (int t = 0; t < T; t++) {
        set(&c[t], 0, 120.0f, 0.8f);
        set(&c[t], 1, 250.0f, 0.8f);
    }
    float f0[T];
    CHECK(ef_pitch_viterbi(f0, c, T, 0.7, NULL) == EF_OK);
    int bad = 0, jumps = 0;
    for (int t = 0; t < T; t++) {
        bad += f0[t] != 120.0f && f0[t] != 250.0f;
        if (t > 0) jumps += f0[t] != f0[t - 1];
    }
    CHECK_MSG(bad == 0, "%d frames not on a candidate", bad);
    CHECK_MSG(jumps == 0, "%d jumps between two steady tracks", jumps);
}

static void test_edges(void)
{
    ef_shs_cands c[1];
    memset(c, 0, sizeof(c));
    float f0[1] = {-1.0f};
    CHECK(ef_pitch_viterbi(f0, c, 0, 0.7, NULL) == EF_OK);
    CHECK(f0[0] == -1.0f);
    CHECK(ef_pitch_viterbi(f0, c, 1, 0.7, NULL) == EF_OK);
    CHECK(f0[0] == 0.0f); /* no candidates: unvoiced */
    set(&c[0], 0, 200.0f, 0.9f);
    CHECK(ef_pitch_viterbi(f0, c, 1, 0.7, NULL) == EF_OK);
    CHECK(f0[0] == 200.0f);
}

int main(void)
{
    test_octave_jump();
    test_unvoiced_stretch();
    test_long_ambiguous();
    test_edges();
    return ef_test_exit();
}
