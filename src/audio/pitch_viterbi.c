/* Viterbi smoothing of the SHS pitch candidates, following openSMILE's
 * cPitchSmootherViterbi as configured by ComParE_2016: states = 6 candidates + "unvoiced",
 * an incremental trellis over a 30-frame path buffer whose decisions are emitted as soon
 * as all surviving paths agree (or forced when they have not merged within 30 frames).
 *
 * Costs (weights as openSMILE 3.0 actually applies them, see docs/acoustic-pitch.md):
 *   local, voiced state k:  wLocal * (-ln clamp(v_k, 0.01, 1) + (v_k < cutoff ? wThr : 0))
 *                           + wRange * range_weight(f_k)
 *   local, unvoiced:        wLocal * (any v_k >= cutoff ? wThr : 0)
 *   voiced -> voiced:       wTvv |r| + wTvvd |r - lastChange|, r = ln(f_new / f_old),
 *                           999 if either candidate is empty
 *   voiced <-> unvoiced:    wTvuv
 *   unvoiced -> unvoiced:   1
 * "lastChange" is one running value updated in evaluation order (openSMILE's quirk). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/pitch.h"

#define NSTATES (EF_SHS_NCAND + 1)
#define UNVOICED EF_SHS_NCAND
#define BUFLEN 30

/* The ComParE config asks for wTvvd = 5, but openSMILE's setWeights() stores wTvv in
 * wTvvd, so 10 is what its output reflects. */
#define W_LOCAL 2.0
#define W_TVV 10.0
#define W_TVVD 10.0
#define W_TVUV 10.0
#define W_THR 4.0
#define W_RANGE 1.0
#define W_TUU_EFFECTIVE 1.0 /* openSMILE's u->u test never matches; its fallback cost is 1 */

typedef struct {
    double last_change;
    double cutoff;
} vit_state;

/* Penalty outside the typical speaking range 100-350 Hz. */
static double range_weight(float f)
{
    if (f > 0.0f && f < 100.0f) return 1.0 - f / 100.0;
    if (f >= 100.0f && f < 350.0f) return 0.0;
    if (f >= 350.0f && f < 600.0f) return (f - 350.0) / 250.0;
    if (f >= 600.0f) return 1.2;
    return 2.0; /* empty candidate */
}

static double local_cost(const vit_state *vs, int i, const ef_shs_cands *c)
{
    if (i < UNVOICED) {
        double pv = c->voicing[i];
        double thr = 0.0;
        if (pv < 0.01) pv = 0.01;
        if (pv > 1.0) pv = 1.0;
        if (pv < vs->cutoff) thr = W_THR;
        return (-log(pv) + thr) * W_LOCAL + range_weight(c->f0[i]) * W_RANGE;
    }
    for (int j = 0; j < EF_SHS_NCAND; j++)
        if (c->voicing[j] >= vs->cutoff) return W_LOCAL * W_THR;
    return 0.0;
}

/* cost of going from state j (previous frame) to state i (current frame) */
static double transition_cost(vit_state *vs, int i, int j, const ef_shs_cands *prev, const ef_shs_cands *cur)
{
    if (i < UNVOICED && j < UNVOICED) {
        float f0 = prev->f0[j], f1 = cur->f0[i];
        if (f0 == 0.0f || f1 == 0.0f) return 999.0;
        double r = log((double)(f1 / f0));
        double x = W_TVV * fabs(r) + W_TVVD * fabs(r - vs->last_change);
        vs->last_change = r;
        return x;
    }
    if (i == UNVOICED && j == UNVOICED) return W_TUU_EFFECTIVE;
    vs->last_change = 0.0;
    return W_TVUV;
}

ef_code ef_pitch_viterbi(float *f0, const ef_shs_cands *cands, int64_t T, double voicing_cutoff, ef_error *err)
{
    if (T <= 0) return EF_OK;
    /* paths[buf][state][slot]: state sequence of the best path into each state, ring of
     * BUFLEN slots indexed by frame % BUFLEN */
    int(*paths)[NSTATES][BUFLEN] = malloc(sizeof(int) * 2 * NSTATES * BUFLEN);
    int8_t *best = malloc((size_t)T);
    if (!paths || !best) {
        free(paths);
        free(best);
        return ef_fail(err, EF_ERR_NOMEM, "pitch: out of memory (Viterbi, %lld frames)", (long long)T);
    }
    vit_state vs = {.last_change = 1.0, .cutoff = voicing_cutoff};
    double cost[NSTATES], cost_new[NSTATES];
    int pb = 0;
    int64_t conv = -1; /* last frame whose state is decided */

    for (int64_t t = 0; t < T; t++) {
        const ef_shs_cands *cur = &cands[t];
        if (t == 0) {
            for (int i = 0; i < NSTATES; i++) {
                cost[i] = local_cost(&vs, i, cur);
                paths[pb][i][0] = i;
            }
        } else {
            const ef_shs_cands *prev = &cands[t - 1];
            int nb = 1 - pb;
            for (int i = 0; i < NSTATES; i++) {
                int arg = 0;
                double minc = transition_cost(&vs, i, 0, prev, cur) + cost[0];
                for (int j = 1; j < NSTATES; j++) {
                    double c = transition_cost(&vs, i, j, prev, cur) + cost[j];
                    if (c < minc) {
                        minc = c;
                        arg = j;
                    }
                }
                cost_new[i] = minc + local_cost(&vs, i, cur);
                memcpy(paths[nb][i], paths[pb][arg], sizeof(int) * BUFLEN);
                paths[nb][i][t % BUFLEN] = i;
            }
            memcpy(cost, cost_new, sizeof(cost));
            pb = nb;
        }
        int64_t filled = t + 1; /* frames 0..t are in the trellis */
        if (filled - conv > BUFLEN) {
            /* paths did not merge within the buffer: decide the oldest frame now */
            int arg = 0;
            for (int i = 1; i < NSTATES; i++)
                if (cost[i] < cost[arg]) arg = i;
            conv++;
            best[conv] = (int8_t)paths[pb][arg][conv % BUFLEN];
        } else {
            /* emit every frame on which all surviving paths agree */
            for (int64_t k = conv + 1; k < filled; k++) {
                int x = paths[pb][0][k % BUFLEN];
                int same = 1;
                for (int i = 1; i < NSTATES && same; i++) same = paths[pb][i][k % BUFLEN] == x;
                if (!same) break;
                conv++;
                best[conv] = (int8_t)x;
            }
        }
    }
    {
        /* end of input: follow the cheapest path for everything undecided */
        int arg = 0;
        for (int i = 1; i < NSTATES; i++)
            if (cost[i] < cost[arg]) arg = i;
        for (int64_t k = conv + 1; k < T; k++) best[k] = (int8_t)paths[pb][arg][k % BUFLEN];
    }
    for (int64_t t = 0; t < T; t++) {
        int s = best[t];
        f0[t] = s < UNVOICED ? cands[t].f0[s] : 0.0f;
    }
    free(paths);
    free(best);
    return EF_OK;
}
