/* Figure 2 of the paper: AvAUC under each fold protocol (RAND, SP, SP&SC) for each
 * (system, model size) series: the median over seeds as a marker, the interquartile range
 * as a bar, the medians of a series joined across protocols. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/metrics.h"
#include "emofuse/report_figures.h"
#include "report/figures_kit.h"

#define PLOT_H 125.0
#define MARKER_R 2.3
#define CAP_HALF 3.2   /* wider than a marker, so a short bar still shows its ends */
#define DODGE_MAX 12.0

typedef struct {
    const ef_fig2_cell *cells;
    int ns, ng;
    int *series_first;      /* (ns) a cell of each series (for its name) */
    int *group_first;       /* (ng) a cell of each protocol */
    int *cell_at;           /* (ns, ng) index of the cell, -1 = none */
    ef_summary *sum;        /* (n cells) */
    char **labels;          /* (ns) "system size" */
    fig_legend_entry *legend; /* (ns) */
    fig_scale x, y;         /* x: group index space [-0.5, ng - 0.5] */
    fig_ticks yt;
    double angle;           /* protocol labels */
    double dodge;           /* pt between neighbouring series in a group */
    fig_xy_layout L;
} fig2_plan;

static const char *str_or_empty(const char *s) { return s ? s : ""; }

static double series_x(const fig2_plan *pl, int s, int g)
{
    return fig_map(&pl->x, g) + (s - 0.5 * (pl->ns - 1)) * pl->dodge;
}

static void draw_fig2(fig_canvas *cv, const void *ctx)
{
    const fig2_plan *pl = ctx;
    cairo_t *cr = cv->cr;
    const fig_xy_layout *L = &pl->L;
    fig_ygrid(cv, &pl->y, &pl->yt, L->x0, L->x1);
    for (int s = 0; s < pl->ns; s++) {
        fig_style st = fig_series_style(s);
        /* lines between neighbouring protocols that both have data */
        fig_set_line(cv, &st, 1.0);
        for (int g = 0; g + 1 < pl->ng; g++) {
            int a = pl->cell_at[s * pl->ng + g], b = pl->cell_at[s * pl->ng + g + 1];
            if (a < 0 || b < 0 || pl->cells[a].n == 0 || pl->cells[b].n == 0) continue;
            cairo_move_to(cr, series_x(pl, s, g), fig_map(&pl->y, pl->sum[a].median));
            cairo_line_to(cr, series_x(pl, s, g + 1), fig_map(&pl->y, pl->sum[b].median));
            cairo_stroke(cr);
        }
        /* IQR bars with caps, solid */
        cairo_set_dash(cr, NULL, 0, 0);
        cairo_set_line_width(cr, 0.9);
        for (int g = 0; g < pl->ng; g++) {
            int c = pl->cell_at[s * pl->ng + g];
            if (c < 0 || pl->cells[c].n == 0) continue;
            double x = series_x(pl, s, g), lo = fig_map(&pl->y, pl->sum[c].q25), hi = fig_map(&pl->y, pl->sum[c].q75);
            cairo_move_to(cr, x, lo);
            cairo_line_to(cr, x, hi);
            cairo_move_to(cr, x - CAP_HALF, lo);
            cairo_line_to(cr, x + CAP_HALF, lo);
            cairo_move_to(cr, x - CAP_HALF, hi);
            cairo_line_to(cr, x + CAP_HALF, hi);
            cairo_stroke(cr);
        }
    }
    for (int s = 0; s < pl->ns; s++) {   /* markers on top of every line */
        fig_style st = fig_series_style(s);
        for (int g = 0; g < pl->ng; g++) {
            int c = pl->cell_at[s * pl->ng + g];
            if (c < 0 || pl->cells[c].n == 0) continue;
            fig_draw_marker(cv, st.marker, series_x(pl, s, g), fig_map(&pl->y, pl->sum[c].median), MARKER_R, st.colour);
        }
    }
    fig_frame(cv, L->x0, L->y0, L->x1, L->y1);
    fig_yaxis(cv, &pl->y, &pl->yt, L->x0);
    for (int g = 0; g < pl->ng; g++)
        fig_xtick(cv, fig_map(&pl->x, g), L->y1, pl->cells[pl->group_first[g]].protocol, pl->angle);
    fig_xy_decorate(cv, L, "Fold protocol", "AvAUC", pl->legend);
}

static bool same(const char *a, const char *b) { return strcmp(str_or_empty(a), str_or_empty(b)) == 0; }

static ef_code validate(const char *prefix, const ef_fig2_cell *cells, int n, ef_error *err)
{
    if (!prefix) return ef_fail(err, EF_ERR_ARG, "figure 2: no output path");
    if (n < 1 || !cells) return ef_fail(err, EF_ERR_ARG, "%s: figure 2 needs at least one cell", prefix);
    int n_values = 0;
    for (int i = 0; i < n; i++) {
        const ef_fig2_cell *c = &cells[i];
        if (!c->system || !c->protocol)
            return ef_fail(err, EF_ERR_ARG, "%s: cell %d: no %s", prefix, i + 1, c->system ? "protocol" : "system");
        char what[256];
        snprintf(what, sizeof what, "%s%s%s under %s", c->system, c->size && *c->size ? " " : "", str_or_empty(c->size),
                 c->protocol);
        ef_code rc = fig_check_values(prefix, what, c->values, c->n, err);
        if (rc) return rc;
        for (int j = 0; j < i; j++)
            if (same(cells[j].system, c->system) && same(cells[j].size, c->size) && same(cells[j].protocol, c->protocol))
                return ef_fail(err, EF_ERR_ARG, "%s: %s is given twice (cells %d and %d)", prefix, what, j + 1, i + 1);
        n_values += c->n;
    }
    if (n_values == 0) return ef_fail(err, EF_ERR_ARG, "%s: figure 2 has no values to draw", prefix);
    return EF_OK;
}

static void plan_free(fig2_plan *pl)
{
    if (pl->labels)
        for (int s = 0; s < pl->ns; s++) free(pl->labels[s]);
    free(pl->labels);
    free(pl->legend);
    free(pl->series_first);
    free(pl->group_first);
    free(pl->cell_at);
    free(pl->sum);
}

/* Series, groups and statistics of the cells. */
static ef_code plan_data(fig2_plan *pl, const char *prefix, const ef_fig2_cell *cells, int n, ef_error *err)
{
    pl->cells = cells;
    pl->series_first = malloc((size_t)n * sizeof(int));
    pl->group_first = malloc((size_t)n * sizeof(int));
    pl->sum = calloc((size_t)n, sizeof *pl->sum);
    int *series_of = malloc((size_t)n * sizeof(int)), *group_of = malloc((size_t)n * sizeof(int));
    ef_code rc = EF_OK;
    if (!pl->series_first || !pl->group_first || !pl->sum || !series_of || !group_of)
        rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", prefix);
    for (int i = 0; i < n && !rc; i++) {
        int s = 0, g = 0;
        while (s < pl->ns && !(same(cells[pl->series_first[s]].system, cells[i].system) &&
                               same(cells[pl->series_first[s]].size, cells[i].size)))
            s++;
        if (s == pl->ns) pl->series_first[pl->ns++] = i;
        while (g < pl->ng && !same(cells[pl->group_first[g]].protocol, cells[i].protocol)) g++;
        if (g == pl->ng) pl->group_first[pl->ng++] = i;
        series_of[i] = s;
        group_of[i] = g;
        if (cells[i].n > 0) rc = ef_summarise(cells[i].values, cells[i].n, &pl->sum[i], err);
    }
    if (!rc) {
        pl->cell_at = malloc((size_t)pl->ns * pl->ng * sizeof(int));
        pl->labels = calloc((size_t)pl->ns, sizeof(char *));
        pl->legend = calloc((size_t)pl->ns, sizeof *pl->legend);
        if (!pl->cell_at || !pl->labels || !pl->legend) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", prefix);
    }
    if (!rc) {
        for (int k = 0; k < pl->ns * pl->ng; k++) pl->cell_at[k] = -1;
        for (int i = 0; i < n; i++) pl->cell_at[series_of[i] * pl->ng + group_of[i]] = i;
        for (int s = 0; s < pl->ns && !rc; s++) {
            const ef_fig2_cell *c = &cells[pl->series_first[s]];
            size_t len = strlen(c->system) + strlen(str_or_empty(c->size)) + 2;
            pl->labels[s] = malloc(len);
            if (!pl->labels[s]) {
                rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", prefix);
                break;
            }
            snprintf(pl->labels[s], len, "%s%s%s", c->system, c->size && *c->size ? " " : "", str_or_empty(c->size));
            pl->legend[s] = (fig_legend_entry){pl->labels[s], fig_series_style(s), true, true, false};
        }
    }
    free(series_of);
    free(group_of);
    return rc;
}

ef_code ef_report_fig2(const char *path_prefix, const ef_fig2_cell *cells, int n, ef_error *err)
{
    ef_code rc = validate(path_prefix, cells, n, err);
    if (rc) return rc;
    fig2_plan pl = {0};
    rc = plan_data(&pl, path_prefix, cells, n, err);
    fig_canvas cv = {0};
    if (!rc) rc = fig_canvas_scratch(&cv, err);
    if (!rc) {
        double mn = INFINITY, mx = -INFINITY;
        for (int i = 0; i < n; i++)
            if (cells[i].n > 0) {
                mn = fmin(mn, pl.sum[i].q25);
                mx = fmax(mx, pl.sum[i].q75);
            }
        fig_range_pad(mn, mx, 0.1, 0.005, &pl.y.lo, &pl.y.hi);
        fig_ticks_nice(&pl.yt, pl.y.lo, pl.y.hi, 5, false);
        /* protocol labels: horizontal when they fit their group (a first guess of the plot
         * width is enough: the y tick labels only move it by a few points) */
        double wmax = 0, hmax = 0;
        for (int g = 0; g < pl.ng; g++) {
            double w, h;
            fig_text_size(&cv, FIG_FONT_TICK, cells[pl.group_first[g]].protocol, &w, &h);
            wmax = fmax(wmax, w);
            hmax = fmax(hmax, h);
        }
        double slot_guess = (FIG_COLUMN_W - 50) / pl.ng;
        pl.angle = wmax > 0.9 * slot_guess ? -M_PI / 4 : 0;
        fig_xy_plan(&cv, &pl.L, FIG_COLUMN_W, PLOT_H, fig_ticks_max_w(&cv, &pl.yt),
                    fig_rotated_height(wmax, hmax, pl.angle), pl.legend, pl.ns);
        pl.x = (fig_scale){-0.5, pl.ng - 0.5, pl.L.x0, pl.L.x1};
        pl.y.p0 = pl.L.y1;
        pl.y.p1 = pl.L.y0;
        double slot = (pl.L.x1 - pl.L.x0) / pl.ng;
        pl.dodge = pl.ns > 1 ? fmin(0.7 * slot / pl.ns, DODGE_MAX) : 0;
        fig_canvas_free(&cv);
        rc = fig_write_all(path_prefix, pl.L.w, pl.L.h, draw_fig2, &pl, err);
    }
    plan_free(&pl);
    return rc;
}
