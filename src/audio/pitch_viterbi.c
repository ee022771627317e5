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
 * "lastChange" is one running value updated in evaluation order (openSMILE's quirk).
 *
 * Streaming: the trellis only ever needs the previous frame's candidates and the
 * candidates of the (at most 30) undecided frames, so ef_viterbi keeps a 32-frame ring
 * and the pitch driver pushes frames as SHS produces them (no per-file candidate array). */
#include <math.h>
#include <string.h>

#include "audio/pitch.h"

#define NSTATES EF_VIT_NSTATES
#define UNVOICED EF_SHS_NCAND
#define BUFLEN EF_VIT_BUFLEN
#define RING EF_VIT_RING

_Static_assert(RING >= BUFLEN + 1 && (RING & (RING - 1)) == 0, "candidate ring too small or not a power of two");

/* The ComParE config asks for wTvvd = 5, but openSMILE's setWeights() stores wTvv in
 * wTvvd, so 10 is what its output reflects. */
#define W_LOCAL 2.0
#define W_TVV 10.0
#define W_TVVD 10.0
#define W_TVUV 10.0
#define W_THR 4.0
#define W_RANGE 1.0
#define W_TUU_EFFECTIVE 1.0 /* openSMILE's u->u test never matches; its fallback cost is 1 */

/* Penalty outside the typical speaking range 100-350 Hz. */
static double range_weight(float f)
{
    if (f > 0.0f && f < 100.0f) return 1.0 - f / 100.0;
    if (f >= 100.0f && f < 350.0f) return 0.0;
    if (f >= 350.0f && f < 600.0f) return (f - 350.0) / 250.0;
    if (f >= 600.0f) return 1.2;
    return 2.0; /* empty candidate */
}

static double local_cost(const ef_viterbi *v, int i, const ef_shs_cands *c)
{
    if (i < UNVOICED) {
        double pv = c->voicing[i];
        double thr = 0.0;
        if (pv < 0.01) pv = 0.01;
        if (pv > 1.0) pv = 1.0;
        if (pv < v->cutoff) thr = W_THR;
        return (-log(pv) + thr) * W_LOCAL + range_weight(c->f0[i]) * W_RANGE;
    }
    for (int j = 0; j < EF_SHS_NCAND; j++)
        if (c->voicing[j] >= v->cutoff) return W_LOCAL * W_THR;
    return 0.0;
}

/* cost of going from state j (previous frame) to state i (current frame) */
static double transition_cost(ef_viterbi *v, int i, int j, const ef_shs_cands *prev, const ef_shs_cands *cur)
{
    if (i < UNVOICED && j < UNVOICED) {
        float f0 = prev->f0[j], f1 = cur->f0[i];
        if (f0 == 0.0f || f1 == 0.0f) return 999.0;
        double r = log((double)(f1 / f0));
        double x = W_TVV * fabs(r) + W_TVVD * fabs(r - v->last_change);
        v->last_change = r;
        return x;
    }
    if (i == UNVOICED && j == UNVOICED) return W_TUU_EFFECTIVE;
    v->last_change = 0.0;
    return W_TVUV;
}

void ef_viterbi_init(ef_viterbi *v, double voicing_cutoff)
{
    memset(v, 0, sizeof(*v));
    v->last_change = 1.0;
    v->cutoff = voicing_cutoff;
}

static int cheapest(const ef_viterbi *v)
{
    int arg = 0;
    for (int i = 1; i < NSTATES; i++)
        if (v->cost[i] < v->cost[arg]) arg = i;
    return arg;
}

int64_t ef_viterbi_push(ef_viterbi *v, const ef_shs_cands *c)
{
    const int64_t t = v->pushed;
    ef_shs_cands *cur = &v->ring[t % RING];
    *cur = *c;
    if (t == 0) {
        for (int i = 0; i < NSTATES; i++) {
            v->cost[i] = local_cost(v, i, cur);
            v->paths[v->pb][i][0] = i;
        }
    } else {
        const ef_shs_cands *prev = &v->ring[(t - 1) % RING];
        const int pb = v->pb, nb = 1 - pb;
        double cost_new[NSTATES];
        for (int i = 0; i < NSTATES; i++) {
            int arg = 0;
            double minc = transition_cost(v, i, 0, prev, cur) + v->cost[0];
            for (int j = 1; j < NSTATES; j++) {
                double cj = transition_cost(v, i, j, prev, cur) + v->cost[j];
                if (cj < minc) {
                    minc = cj;
                    arg = j;
                }
            }
            cost_new[i] = minc + local_cost(v, i, cur);
            memcpy(v->paths[nb][i], v->paths[pb][arg], sizeof(int) * BUFLEN);
            v->paths[nb][i][t % BUFLEN] = i;
        }
        memcpy(v->cost, cost_new, sizeof(cost_new));
        v->pb = nb;
    }
    v->pushed = t + 1; /* frames 0..t are in the trellis */
    int(*paths)[BUFLEN] = v->paths[v->pb];
    if (v->pushed - v->decided >= BUFLEN) {
        /* paths did not merge within the buffer: decide the oldest frame now */
        const int64_t k = v->decided++;
        v->state[k % RING] = (int8_t)paths[cheapest(v)][k % BUFLEN];
    } else {
        /* emit every frame on which all surviving paths agree */
        while (v->decided < v->pushed) {
            const int64_t k = v->decided;
            const int x = paths[0][k % BUFLEN];
            int same = 1;
            for (int i = 1; i < NSTATES && same; i++) same = paths[i][k % BUFLEN] == x;
            if (!same) break;
            v->state[k % RING] = (int8_t)x;
            v->decided++;
        }
    }
    return v->decided;
}

int64_t ef_viterbi_finish(ef_viterbi *v)
{
    if (v->pushed == 0) return 0;
    /* end of input: follow the cheapest path for everything undecided */
    const int arg = cheapest(v);
    for (int64_t k = v->decided; k < v->pushed; k++) v->state[k % RING] = (int8_t)v->paths[v->pb][arg][k % BUFLEN];
    v->decided = v->pushed;
    return v->decided;
}

float ef_viterbi_f0(const ef_viterbi *v, int64_t k)
{
    const int s = v->state[k % RING];
    return s < UNVOICED ? v->ring[k % RING].f0[s] : 0.0f;
}

ef_code ef_pitch_viterbi(float *f0, const ef_shs_cands *cands, int64_t T, double voicing_cutoff, ef_error *err)
{
    (void)err;
    if (T <= 0) return EF_OK;
    ef_viterbi v;
    ef_viterbi_init(&v, voicing_cutoff);
    int64_t done = 0;
    for (int64_t t = 0; t < T; t++) {
        const int64_t d = ef_viterbi_push(&v, &cands[t]);
        for (; done < d; done++) f0[done] = ef_viterbi_f0(&v, done);
    }
    const int64_t d = ef_viterbi_finish(&v);
    for (; done < d; done++) f0[done] = ef_viterbi_f0(&v, done);
    return EF_OK;
}
