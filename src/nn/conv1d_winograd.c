/* Winograd minimal filtering for the 1-D convolutions of the branches (Lavin & Gray
 * 2016, in one dimension): a tile of m outputs of an r-tap correlation costs alpha = 8
 * multiplications per (input channel, output channel) pair instead of m * r, with
 * m = 9 - r: F(4,5) for the audio branch's kernel 5 (2.5x fewer), F(6,3) for the text
 * branch's kernel 3 (2.25x fewer). The multiplications are 8 GEMMs per group of tiles,
 * one per evaluation point, so they still run in OpenBLAS.
 *
 * The transforms come from one set of points {0, 1, -1, 2, -2, 1/2, -1/2, inf}. With
 * V_n the 8 x n evaluation matrix of polynomials of n coefficients at the points (the
 * row of inf picks the leading coefficient) and V = V_8, the correlation
 * y_i = sum_k g_k d_{i+k} (i < m, k < r, d of 8 values) is, by the transposition
 * principle applied to polynomial multiplication,
 *     y = V_m^T [ (V_r g) .* (V^-T d) ].
 * V^-T is used with each row rescaled so that its entries are the small exact values of
 * the hard-coded input transform below (the wincnn F(6,3) matrix); the row scales s move
 * into the other factor, computed in double. Three uses, each tiles of m rows within one
 * sequence, the rows outside the sequence read as zeros ('same' padding):
 * - forward: d = 8 input rows from t0 - pl, g = the kernel: out = b + V_m^T[(G w) .* (B^T x)];
 * - input gradient: the same correlation of dY with the kernel flipped in time and its
 *   channels swapped (left offset K - 1 - pl);
 * - weight gradient: dW_k = sum_i dY_{t0+i} x_{t0-pl+i+k} is F(r, m) on the same 8 input
 *   rows with the m gradient rows as the filter: dW = V_r^T diag(s) [ (V_m dY) .* (B^T x) ]
 *   summed over tiles, so the sum over tiles is a GEMM per point (inner dimension: tiles)
 *   and V_r^T is applied once, to the reduced sums.
 * Work items are fixed row chunks (wino_chunk_len: those of layer_conv1d.c for large
 * batches; a tile belongs to the chunk of its first row); each writes its own output rows
 * or its own partial sums, reduced in chunk order, so results do not depend on the
 * thread count. Measured error against a
 * float64 direct convolution: tests/nn/test_conv_winograd.c. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "emofuse/status.h"
#include "nn/conv1d_winograd.h"
#include "emofuse/cpu_isa.h"

#define A 8    /* points per tile transform */
#define TG 64 /* tiles per GEMM group: its two (8, TG, 104) blocks stay in L2 (64 ran 1.1-1.2x faster than 144) */
/* Weight gradient: items of WG_CHUNKS row chunks (fewer partial sums to reduce), GEMMs
 * over groups of TGW tiles (their inner dimension; OpenBLAS's small-matrix kernels, which
 * it takes below about 10^6 multiply-adds, ran 1.5x slower). */
#define WG_CHUNKS 2 /* at N >= 4096 (14 items for the audio branch); 1 below (about 8) */
#define TGW 128
#define TMAX (TG > TGW ? TG : TGW)
/* Rows of the longest item (1024 = 4 x 1023 / 4 rounded, or 2 x 512), so the most
 * tiles one item can hold (one per row at worst: sequences of length 1). */
#define TILES_MAX (2 * EF_CONV_R)

/* The rescaled input transform (rows: points; columns: the 8 input rows of a tile). */
static const double btc[A][A] = {
    {1, 0, -5.25, 0, 5.25, 0, -1, 0},       {0, 1, 1, -4.25, -4.25, 1, 1, 0},
    {0, -1, 1, 4.25, -4.25, -1, 1, 0},      {0, 0.5, 0.25, -2.5, -1.25, 2, 1, 0},
    {0, -0.5, 0.25, 2.5, -1.25, -2, 1, 0},  {0, 2, 4, -2.5, -5, 0.5, 1, 0},
    {0, -2, 4, 2.5, -5, -0.5, 1, 0},        {0, -1, 0, 5.25, 0, -5.25, 0, 1},
};
static const double points[A - 1] = {0, 1, -1, 2, -2, 0.5, -0.5};

int ef_conv1d_winograd_fits(int K)
{
    return K >= 3 && K <= 6;
}

/* Row xi of V_n at column j: points[xi]^j, and for inf the leading coefficient. */
static double vand(int xi, int j, int n)
{
    if (xi == A - 1) return j == n - 1 ? 1.0 : 0.0;
    double v = 1.0;
    for (int q = 0; q < j; q++) v *= points[xi];
    return v;
}

/* s[xi]: V^-T = diag(s) btc. V^-T is computed by Gauss-Jordan in double and checked
 * against btc, so a typo in the table cannot go unnoticed. */
static void row_scales(double s[A])
{
    double v[A][2 * A];
    for (int i = 0; i < A; i++)
        for (int j = 0; j < A; j++) {
            v[i][j] = vand(i, j, A);
            v[i][A + j] = i == j;
        }
    for (int c = 0; c < A; c++) {
        int piv = c;
        for (int i = c + 1; i < A; i++)
            if (fabs(v[i][c]) > fabs(v[piv][c])) piv = i;
        for (int j = 0; j < 2 * A; j++) {
            double t = v[c][j];
            v[c][j] = v[piv][j];
            v[piv][j] = t;
        }
        double d = v[c][c];
        for (int j = 0; j < 2 * A; j++) v[c][j] /= d;
        for (int i = 0; i < A; i++)
            if (i != c) {
                double f = v[i][c];
                for (int j = 0; j < 2 * A; j++) v[i][j] -= f * v[c][j];
            }
    }
    /* V^-T[xi][j] = V^-1[j][xi] */
    for (int xi = 0; xi < A; xi++) {
        int jx = 0;
        for (int j = 1; j < A; j++)
            if (fabs(btc[xi][j]) > fabs(btc[xi][jx])) jx = j;
        s[xi] = v[jx][A + xi] / btc[xi][jx];
        for (int j = 0; j < A; j++) EF_ASSERT(fabs(v[j][A + xi] - s[xi] * btc[xi][j]) <= 1e-12);
    }
}

/* Four floats at a time: GCC/Clang vector extensions (element-wise, so each lane computes
 * exactly what the scalar tail computes), loads and stores through memcpy (unaligned). */
typedef float v4 __attribute__((vector_size(16)));

static inline v4 ld4(const float *p)
{
    v4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st4(float *p, v4 v)
{
    memcpy(p, &v, sizeof v);
}

static inline v4 splat(float f)
{
    return (v4){f, f, f, f};
}

/* u[xi * plane + c] = sum_j btc[xi][j] d[j][c]: the 8 input rows of one tile (rows
 * outside the sequence point at zeros), 44 of 64 products, shared between row pairs. */
#define IN_TRANSFORM(T, LD, ST, K)                                                                      \
    do {                                                                                                 \
        T x0 = LD(d[0] + c), x1 = LD(d[1] + c), x2 = LD(d[2] + c), x3 = LD(d[3] + c);                 \
        T x4 = LD(d[4] + c), x5 = LD(d[5] + c), x6 = LD(d[6] + c), x7 = LD(d[7] + c);                 \
        ST(u + c, (x0 - x6) + K(5.25f) * (x4 - x2));                                                    \
        ST(u + 7 * plane + c, (x7 - x1) + K(5.25f) * (x3 - x5));                                        \
        T a = (x2 + x6) - K(4.25f) * x4, b = (x1 + x5) - K(4.25f) * x3;                                 \
        ST(u + plane + c, a + b);                                                                        \
        ST(u + 2 * plane + c, a - b);                                                                    \
        a = (K(0.25f) * x2 + x6) - K(1.25f) * x4;                                                       \
        b = (K(0.5f) * x1 + K(2.0f) * x5) - K(2.5f) * x3;                                               \
        ST(u + 3 * plane + c, a + b);                                                                    \
        ST(u + 4 * plane + c, a - b);                                                                    \
        a = (K(4.0f) * x2 + x6) - K(5.0f) * x4;                                                         \
        b = (K(2.0f) * x1 + K(0.5f) * x5) - K(2.5f) * x3;                                               \
        ST(u + 5 * plane + c, a + b);                                                                    \
        ST(u + 6 * plane + c, a - b);                                                                    \
    } while (0)
#define LD1(p) (*(p))
#define ST1(p, v) (*(p) = (v))
#define K1(f) (f)

static void in_transform(float *restrict u, int64_t plane, const float *const d[A], int C)
{
    int c = 0;
    for (; c + 4 <= C; c += 4) IN_TRANSFORM(v4, ld4, st4, splat);
    for (; c < C; c++) IN_TRANSFORM(float, LD1, ST1, K1);
}

/* One tile: m rows from t0 of the sequence [s, e). */
typedef struct {
    int64_t t0, s, e;
} tile;

/* Sequence holding row t (offsets ascending; binary search). */
static int seq_of(const int64_t *offsets, int B, int64_t t)
{
    int a = 0, b = B - 1;
    while (a < b) {
        int mid = (a + b + 1) / 2;
        if (offsets[mid] <= t) a = mid;
        else b = mid - 1;
    }
    return a;
}

/* The tiles whose first row lies in [r0, r1): every m-th row of a sequence from its
 * start. At most r1 - r0 of them. */
static int chunk_tiles(tile *tl, const int64_t *offsets, int B, int64_t r0, int64_t r1, int m)
{
    int n = 0;
    for (int b = seq_of(offsets, B, r0); b < B && offsets[b] < r1; b++) {
        int64_t s = offsets[b], e = offsets[b + 1];
        if (e <= r0) continue;
        int64_t t0 = r0 > s ? s + (r0 - s + m - 1) / m * m : s;
        for (; t0 < e && t0 < r1; t0 += m) tl[n++] = (tile){t0, s, e};
    }
    return n;
}

/* Rows per work item of this path: the shared chunks at N >= 4096; below, 4 chunks of at
 * least 64 rows (text: ~560 rows as 4 x 144, ~25 tiles each: 8 chunks of 70 rows made
 * GEMMs of 12 tiles, 1.2x slower on one thread). Depends on N only. */
static int64_t wino_chunk_len(int64_t N)
{
    if (N >= 4096) return ef_conv_chunk_len(N);
    int64_t r = ((N + 3) / 4 + 15) / 16 * 16;
    return r < 64 ? 64 : r;
}

static int64_t wino_n_chunks(int64_t N)
{
    return (N + wino_chunk_len(N) - 1) / wino_chunk_len(N);
}

/* Tiles per group when n tiles are cut into groups of at most cap: equal shares (130
 * tiles as 44 + 43 + 43, not 64 + 64 + 2, whose last GEMM would be all overhead). */
static int even_group(int n, int cap)
{
    int groups = (n + cap - 1) / cap;
    return groups > 0 ? (n + groups - 1) / groups : cap;
}

/* Per-thread scratch: a zero row, then two (A, TMAX, max(C, OC)) blocks. */
static int64_t thread_floats(int C, int OC)
{
    int64_t mx = C > OC ? C : OC;
    return ef_conv_round16(mx) + 2 * ef_conv_round16((int64_t)A * TMAX * mx);
}

/* The calling thread's part of that scratch, carved as thread_floats sizes it. The zero
 * row is cleared here: rows outside a sequence (input or gradient rows) read it. */
typedef struct {
    float *zero, *a, *b;
} thread_scratch;

static thread_scratch scratch_of(float *scratch, int64_t per_thread, int thread, int C, int OC)
{
    int64_t mx = C > OC ? C : OC;
    thread_scratch s;
    s.zero = scratch + thread * per_thread;
    s.a = s.zero + ef_conv_round16(mx);
    s.b = s.a + ef_conv_round16((int64_t)A * TMAX * mx);
    memset(s.zero, 0, (size_t)mx * sizeof(float));
    return s;
}

static int64_t plane_floats(int C, int OC)
{
    return ef_conv_round16((int64_t)A * C * OC);
}

int64_t ef_conv1d_winograd_workspace_floats(int64_t N, int C, int OC, int K, int threads)
{
    (void)K;
    if (threads < 1) threads = 1;
    int64_t parts = ef_conv_max_chunks(N > 0 ? N : 1);
    return 2 * plane_floats(C, OC) + threads * thread_floats(C, OC) + parts * plane_floats(C, OC) +
           parts * ef_conv_round16(OC);
}

/* ---- the correlation of the forward pass and of the input gradient ---------------------- */

typedef struct {
    float *out;
    const float *inp;
    const float *wt; /* (A, Ci, Co) transformed kernel */
    const float *b;  /* (Co) or NULL */
    const int64_t *offsets;
    int B, Ci, Co, m, lp;
    int64_t lo, hi;
    int add; /* 1: out += result; 0: out = result */
    float at[A][A]; /* (m, A) output transform V_m^T */
    float *scratch;
    int64_t scratch_n;
} corr_job;

/* o (Co) = [o +] b + sum_xi at[xi] mq[xi * P + c]: one output row of a tile. */
#define OUT_ROW(T, LD, ST, K)                                                                           \
    do {                                                                                                 \
        T v = K(at[0]) * LD(mq + c) + K(at[1]) * LD(mq + P + c) + K(at[2]) * LD(mq + 2 * P + c) +        \
              K(at[3]) * LD(mq + 3 * P + c) + K(at[4]) * LD(mq + 4 * P + c) + K(at[5]) * LD(mq + 5 * P + c) + \
              K(at[6]) * LD(mq + 6 * P + c) + K(at[7]) * LD(mq + 7 * P + c);                            \
        T base = add ? LD(o + c) : K(0.0f);                                                              \
        ST(o + c, base + ((b ? LD(b + c) : K(0.0f)) + v));                                               \
    } while (0)

static void out_row(float *restrict o, const float *restrict mq, int64_t P, const float at[A], const float *b, int add,
                    int Co)
{
    int c = 0;
    for (; c + 4 <= Co; c += 4) OUT_ROW(v4, ld4, st4, splat);
    for (; c < Co; c++) OUT_ROW(float, LD1, ST1, K1);
}

static void corr_chunk(void *vctx, int64_t item, int thread)
{
    const corr_job *j = vctx;
    int Ci = j->Ci, Co = j->Co, m = j->m;
    int64_t R = wino_chunk_len(j->hi - j->lo);
    int64_t r0 = j->lo + item * R, r1 = r0 + R < j->hi ? r0 + R : j->hi;
    tile tl[TILES_MAX];
    EF_ASSERT(r1 - r0 <= TILES_MAX);
    int nt_all = chunk_tiles(tl, j->offsets, j->B, r0, r1, m);
    const thread_scratch sc = scratch_of(j->scratch, j->scratch_n, thread, Ci, Co);
    float *zero = sc.zero, *U = sc.a, *M = sc.b;
    int gsz = even_group(nt_all, TG);
    for (int g0 = 0; g0 < nt_all; g0 += gsz) {
        int nt = nt_all - g0 < gsz ? nt_all - g0 : gsz;
        for (int q = 0; q < nt; q++) {
            const tile *t = &tl[g0 + q];
            const float *d[A];
            for (int r = 0; r < A; r++) {
                int64_t u = t->t0 - j->lp + r;
                d[r] = u >= t->s && u < t->e ? j->inp + u * Ci : zero;
            }
            in_transform(U + (int64_t)q * Ci, (int64_t)TG * Ci, d, Ci);
        }
        for (int xi = 0; xi < A; xi++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nt, Co, Ci, 1.0f, U + (int64_t)xi * TG * Ci, Ci,
                        j->wt + (int64_t)xi * Ci * Co, Co, 0.0f, M + (int64_t)xi * TG * Co, Co);
        for (int q = 0; q < nt; q++) {
            const tile *t = &tl[g0 + q];
            int rows = t->e - t->t0 < m ? (int)(t->e - t->t0) : m;
            for (int i = 0; i < rows; i++) out_row(j->out + (t->t0 + i) * Co, M + (int64_t)q * Co, (int64_t)TG * Co,
                                                   j->at[i], j->b, j->add, Co);
        }
    }
}

/* Transformed kernels: forward wt[xi][c][o] = s_xi sum_k V_r[xi][k] w[o][c][k]; input
 * gradient (flip) wt[xi][o][c] = s_xi sum_k V_r[xi][k] w[o][c][K-1-k]. One item per
 * block of TKO destination rows (c forward, o flipped). A row's weights are first
 * gathered tap-major into a small tile, so that every point xi is then a run of
 * contiguous multiply-adds and stores over the row's columns (on the text branch's
 * short batches, the scalar one-point-per-item loop with its strided stores was 9% of an
 * epoch). Each element keeps the scalar order (0.0, then + g[k] w[tap k] for k = 0..K-1,
 * in double, rounded once to float), so the transformed kernels are bit-identical. */
#define TKO 8  /* destination rows per item */
#define TKQ 64 /* columns per tile */

typedef struct {
    float *wt;
    const float *w;
    int C, OC, K, flip;
    double s[A];
} wt_job;

/* built per instruction set and picked at load time (GCC's target_clones): the same
 * element-wise operations in every build, so the same bits */
EF_TARGET_CLONES
static void transform_kernel(void *vctx, int64_t item, int thread)
{
    (void)thread;
    const wt_job *j = vctx;
    const int C = j->C, OC = j->OC, K = j->K;
    const int64_t plane = (int64_t)C * OC;
    double g[A][8]; /* g[xi][k] = s_xi V_r[xi][k] */
    for (int xi = 0; xi < A; xi++)
        for (int k = 0; k < K; k++) g[xi][k] = j->s[xi] * vand(xi, k, K);
    const int rows = j->flip ? OC : C, cols = j->flip ? C : OC;
    const int r0 = (int)item * TKO, r1 = r0 + TKO < rows ? r0 + TKO : rows;
    float tw[8][TKQ];  /* tw[k][q]: the weight that g[.][k] multiplies, column q */
    double acc[TKQ];
    for (int r = r0; r < r1; r++)
        for (int q0 = 0; q0 < cols; q0 += TKQ) {
            const int qn = cols - q0 < TKQ ? cols - q0 : TKQ;
            for (int q = 0; q < qn; q++) {
                const int o = j->flip ? r : q0 + q, c = j->flip ? q0 + q : r;
                const float *wk = j->w + ((int64_t)o * C + c) * K;
                for (int k = 0; k < K; k++) tw[k][q] = wk[j->flip ? K - 1 - k : k];
            }
            float *dst = j->wt + (int64_t)r * cols + q0;
            for (int xi = 0; xi < A; xi++) {
                for (int q = 0; q < qn; q++) acc[q] = 0.0;
                for (int k = 0; k < K; k++) {
                    const double gk = g[xi][k];
                    for (int q = 0; q < qn; q++) acc[q] += gk * (double)tw[k][q];
                }
                for (int q = 0; q < qn; q++) dst[xi * plane + q] = (float)acc[q];
            }
        }
}

static int64_t transform_items(int rows) { return (rows + TKO - 1) / TKO; }

static void run_corr(ef_pool *pool, corr_job *j, int64_t N)
{
    for (int i = 0; i < j->m; i++)
        for (int xi = 0; xi < A; xi++) j->at[i][xi] = (float)vand(xi, i, j->m);
    ef_pool_run(pool, wino_n_chunks(N), corr_chunk, j);
}

void ef_conv1d_winograd_forward(ef_pool *pool, float *out, float *work, const float *inp, const float *w,
                                const float *b, const int64_t *offsets, int B, int C, int OC, int K)
{
    EF_ASSERT(ef_conv1d_winograd_fits(K) && B >= 0 && C > 0 && OC > 0);
    int64_t N = offsets[B] - offsets[0];
    if (N <= 0) return;
    wt_job wj = {.wt = work, .w = w, .C = C, .OC = OC, .K = K, .flip = 0};
    row_scales(wj.s);
    ef_pool_run(pool, transform_items(C), transform_kernel, &wj);
    corr_job j = {.out = out, .inp = inp, .wt = work, .b = b, .offsets = offsets, .B = B, .Ci = C, .Co = OC,
                  .m = A + 1 - K, .lp = (K - 1) / 2, .lo = offsets[0], .hi = offsets[B], .add = 0,
                  .scratch = work + 2 * plane_floats(C, OC), .scratch_n = thread_floats(C, OC)};
    run_corr(pool, &j, N);
}

/* ---- backward ----------------------------------------------------------------------------- */

/* dyt[xi * plane + c] = sum_i V_m[xi][i] y[i][c] over the m gradient rows of a tile (rows
 * past the sequence end point at zeros). */
static void dy_transform(float *restrict dyt, int64_t plane, const float *const y[A], const float gw[A][A], int m,
                         int C)
{
    int c = 0;
    for (; c + 4 <= C; c += 4) {
        v4 r[A];
        for (int i = 0; i < m; i++) r[i] = ld4(y[i] + c);
        for (int xi = 0; xi < A; xi++) {
            v4 acc = splat(gw[xi][0]) * r[0];
            for (int i = 1; i < m; i++) acc += splat(gw[xi][i]) * r[i];
            st4(dyt + xi * plane + c, acc);
        }
    }
    for (; c < C; c++)
        for (int xi = 0; xi < A; xi++) {
            float acc = gw[xi][0] * y[0][c];
            for (int i = 1; i < m; i++) acc += gw[xi][i] * y[i][c];
            dyt[xi * plane + c] = acc;
        }
}

typedef struct {
    const float *inp, *dout;
    const int64_t *offsets;
    int B, C, OC, m, pl, want_dw, want_db;
    int wg; /* row chunks per item */
    int64_t lo, hi;
    float gw[A][A]; /* (A, m) V_m */
    float *pdw;     /* (parts, A, OC, C) per-chunk sums in the transformed domain */
    float *pdb;     /* (parts, OC) */
    float *scratch;
    int64_t scratch_n;
} wgrad_job;

/* The bias gradient as layer_conv1d.c computes it (column sums per shared row chunk,
 * rows in order, chunks added in order afterwards), so both paths give its bits. */
static void db_chunk(void *vctx, int64_t item, int thread)
{
    (void)thread;
    const wgrad_job *j = vctx;
    int OC = j->OC;
    const int64_t N = j->hi - j->lo;
    int64_t a = j->lo + ef_conv_chunk_start(N, item), z = j->lo + ef_conv_chunk_start(N, item + 1);
    float *pdb = j->pdb + item * ef_conv_round16(OC);
    memset(pdb, 0, (size_t)OC * sizeof(float));
    for (int64_t t = a; t < z; t++)
        for (int o = 0; o < OC; o++) pdb[o] += j->dout[t * OC + o];
}

static void wgrad_chunk(void *vctx, int64_t item, int thread)
{
    const wgrad_job *j = vctx;
    int C = j->C, OC = j->OC, m = j->m;
    int64_t R = wino_chunk_len(j->hi - j->lo) * j->wg;
    int64_t r0 = j->lo + item * R, r1 = r0 + R < j->hi ? r0 + R : j->hi;
    tile tl[TILES_MAX];
    EF_ASSERT(r1 - r0 <= TILES_MAX);
    int nt_all = chunk_tiles(tl, j->offsets, j->B, r0, r1, m);
    const thread_scratch sc = scratch_of(j->scratch, j->scratch_n, thread, C, OC);
    float *zero = sc.zero, *X = sc.a, *D = sc.b;
    float *part = j->pdw + item * plane_floats(C, OC);
    if (nt_all == 0) memset(part, 0, (size_t)A * C * OC * sizeof(float));
    int gsz = even_group(nt_all, TGW);
    for (int g0 = 0; g0 < nt_all; g0 += gsz) {
        int nt = nt_all - g0 < gsz ? nt_all - g0 : gsz;
        for (int q = 0; q < nt; q++) {
            const tile *t = &tl[g0 + q];
            const float *d[A], *y[A];
            for (int r = 0; r < A; r++) {
                int64_t u = t->t0 - j->pl + r;
                d[r] = u >= t->s && u < t->e ? j->inp + u * C : zero;
            }
            for (int i = 0; i < m; i++) y[i] = t->t0 + i < t->e ? j->dout + (t->t0 + i) * OC : zero;
            in_transform(X + (int64_t)q * C, (int64_t)TGW * C, d, C);
            dy_transform(D + (int64_t)q * OC, (int64_t)TGW * OC, y, j->gw, m, OC);
        }
        /* part[xi] (OC, C) (+)= D[xi]^T (OC, nt) @ X[xi] (nt, C) */
        for (int xi = 0; xi < A; xi++)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, nt, 1.0f, D + (int64_t)xi * TGW * OC, OC,
                        X + (int64_t)xi * TGW * C, C, g0 == 0 ? 0.0f : 1.0f, part + (int64_t)xi * OC * C, C);
    }
}

/* dw[o][c][k] += sum_xi atw[k][xi] (sum over chunks of pdw[chunk][xi][o][c]), one item
 * per o; the chunk sums in chunk order (float), the 8-term back transform in double. */
typedef struct {
    float *dw;
    const float *pdw;
    int64_t parts;
    int C, OC, K;
    double atw[A][A]; /* (K, A): V_r^T with the row scales */
} reduce_job;

#define RCB 128 /* channels per reduction block */

EF_TARGET_CLONES
static void reduce_dw(void *vctx, int64_t o, int thread)
{
    (void)thread;
    const reduce_job *r = vctx;
    int C = r->C, OC = r->OC, K = r->K;
    int64_t stride = plane_floats(C, OC);
    float acc[A][RCB];
    for (int c0 = 0; c0 < C; c0 += RCB) {
        int cn = C - c0 < RCB ? C - c0 : RCB;
        for (int xi = 0; xi < A; xi++) {
            const float *first = r->pdw + ((int64_t)xi * OC + o) * C + c0;
            memcpy(acc[xi], first, (size_t)cn * sizeof(float));
            for (int64_t p = 1; p < r->parts; p++) {
                const float *restrict src = first + p * stride;
                float *restrict a = acc[xi];
                for (int c = 0; c < cn; c++) a[c] += src[c];
            }
        }
        /* the back transform tap by tap over contiguous channels (vectorised), each
         * element in the scalar order (0.0, then + atw[k][xi] acc[xi][c] for xi = 0..A-1) */
        for (int k = 0; k < K; k++) {
            double v[RCB];
            for (int c = 0; c < cn; c++) v[c] = 0.0;
            for (int xi = 0; xi < A; xi++) {
                const double a = r->atw[k][xi];
                for (int c = 0; c < cn; c++) v[c] += a * (double)acc[xi][c];
            }
            float *dst = r->dw + ((int64_t)o * C + c0) * K + k;
            for (int c = 0; c < cn; c++) dst[(int64_t)c * K] += (float)v[c];
        }
    }
}

void ef_conv1d_winograd_backward(ef_pool *pool, float *dinp, int set_dinp, float *dw, float *db, float *work,
                                 const float *dout, const float *inp, const float *w, const int64_t *offsets, int B,
                                 int C, int OC, int K)
{
    EF_ASSERT(ef_conv1d_winograd_fits(K) && B >= 0 && C > 0 && OC > 0);
    int64_t N = offsets[B] - offsets[0];
    if (N <= 0 || (!dinp && !dw && !db)) return;
    int threads = ef_pool_threads(pool), m = A + 1 - K, pl = (K - 1) / 2;
    double s[A];
    row_scales(s);
    float *wt = work + plane_floats(C, OC), *scratch = work + 2 * plane_floats(C, OC);
    int64_t scratch_n = thread_floats(C, OC);
    float *pdw = scratch + threads * scratch_n;
    int wg = N >= 4096 ? WG_CHUNKS : 1;
    int64_t parts = (wino_n_chunks(N) + wg - 1) / wg;
    float *pdb = pdw + ef_conv_max_chunks(N) * plane_floats(C, OC);
    if (dw || db) {
        wgrad_job g = {.inp = inp, .dout = dout, .offsets = offsets, .B = B, .C = C, .OC = OC, .m = m, .pl = pl,
                       .want_dw = dw != NULL, .want_db = db != NULL, .wg = wg, .lo = offsets[0], .hi = offsets[B], .pdw = pdw,
                       .pdb = pdb, .scratch = scratch, .scratch_n = scratch_n};
        for (int xi = 0; xi < A; xi++)
            for (int i = 0; i < m; i++) g.gw[xi][i] = (float)vand(xi, i, m);
        if (db) ef_pool_run(pool, ef_conv_n_chunks(N), db_chunk, &g);
        if (dw) ef_pool_run(pool, parts, wgrad_chunk, &g);
    }
    if (db)
        for (int64_t p = 0; p < ef_conv_n_chunks(N); p++)
            for (int o = 0; o < OC; o++) db[o] += pdb[p * ef_conv_round16(OC) + o];
    if (dw) {
        reduce_job r = {.dw = dw, .pdw = pdw, .parts = parts, .C = C, .OC = OC, .K = K};
        for (int k = 0; k < K; k++)
            for (int xi = 0; xi < A; xi++) r.atw[k][xi] = vand(xi, k, K) * s[xi];
        ef_pool_run(pool, OC, reduce_dw, &r);
    }
    if (dinp) {
        wt_job wj = {.wt = wt, .w = w, .C = C, .OC = OC, .K = K, .flip = 1};
        memcpy(wj.s, s, sizeof s);
        ef_pool_run(pool, transform_items(OC), transform_kernel, &wj);
        corr_job j = {.out = dinp, .inp = dout, .wt = wt, .b = NULL, .offsets = offsets, .B = B, .Ci = OC, .Co = C,
                      .m = m, .lp = K - 1 - pl, .lo = offsets[0], .hi = offsets[B], .add = !set_dinp,
                      .scratch = scratch, .scratch_n = scratch_n};
        run_corr(pool, &j, N);
    }
}
