/* Learning curves: the median over seeds of AvAUC after each epoch, one line per system,
 * the epoch chosen for Table 1 circled. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/report_figures.h"
#include "report/figures_kit.h"

#define PLOT_H 125.0
#define MARKER_R 2.4
#define RING_R 5.0
#define MAX_MARKERS 10   /* per curve; more points get a marker every k-th */

typedef struct {
    const ef_fig_curve *curves;
    int n;
    fig_legend_entry *legend;   /* (n + 1): the curves, then "selected epoch" */
    int n_legend;
    char **labels;              /* (n) */
    fig_scale x, y;
    fig_ticks xt, yt;
    fig_xy_layout L;
} epochs_plan;

static void draw_epochs(fig_canvas *cv, const void *ctx)
{
    const epochs_plan *pl = ctx;
    const fig_xy_layout *L = &pl->L;
    cairo_t *cr = cv->cr;
    fig_ygrid(cv, &pl->y, &pl->yt, L->x0, L->x1);
    cairo_save(cr);
    cairo_rectangle(cr, L->x0, L->y0, L->x1 - L->x0, L->y1 - L->y0);
    cairo_clip(cr);
    for (int c = 0; c < pl->n; c++) {
        const ef_fig_curve *cu = &pl->curves[c];
        if (cu->n == 0) continue;
        fig_style st = fig_series_style(c);
        fig_set_line(cv, &st, 1.0);
        for (int i = 0; i < cu->n; i++) {
            double x = fig_map(&pl->x, cu->epochs[i]), y = fig_map(&pl->y, cu->median_auc[i]);
            if (i == 0) cairo_move_to(cr, x, y);
            else cairo_line_to(cr, x, y);
        }
        cairo_stroke(cr);
    }
    for (int c = 0; c < pl->n; c++) {
        const ef_fig_curve *cu = &pl->curves[c];
        fig_style st = fig_series_style(c);
        int every = cu->n <= MAX_MARKERS ? 1 : (cu->n + MAX_MARKERS - 1) / MAX_MARKERS;
        for (int i = 0; i < cu->n; i++) {
            double x = fig_map(&pl->x, cu->epochs[i]), y = fig_map(&pl->y, cu->median_auc[i]);
            if (i % every == 0 || cu->epochs[i] == cu->selected_epoch) fig_draw_marker(cv, st.marker, x, y, MARKER_R, st.colour);
            if (cu->epochs[i] == cu->selected_epoch) fig_draw_ring(cv, x, y, RING_R, st.colour);
        }
    }
    cairo_restore(cr);
    fig_frame(cv, L->x0, L->y0, L->x1, L->y1);
    fig_yaxis(cv, &pl->y, &pl->yt, L->x0);
    fig_xaxis(cv, &pl->x, &pl->xt, L->y1);
    fig_xy_decorate(cv, L, "Epoch", "Median AvAUC", pl->legend);
}

static ef_code validate(const char *prefix, const ef_fig_curve *curves, int n, ef_error *err)
{
    if (!prefix) return ef_fail(err, EF_ERR_ARG, "learning curves: no output path");
    if (n < 1 || !curves) return ef_fail(err, EF_ERR_ARG, "%s: learning curves need at least one curve", prefix);
    int points = 0;
    for (int c = 0; c < n; c++) {
        const ef_fig_curve *cu = &curves[c];
        if (!cu->system) return ef_fail(err, EF_ERR_ARG, "%s: curve %d: no system name", prefix, c + 1);
        char what[160];
        snprintf(what, sizeof what, "curve '%s'", cu->system);
        ef_code rc = fig_check_values(prefix, what, cu->median_auc, cu->n, err);
        if (rc) return rc;
        if (cu->n > 0 && !cu->epochs) return ef_fail(err, EF_ERR_ARG, "%s: %s: no epochs", prefix, what);
        bool found = false;
        for (int i = 0; i < cu->n; i++) {
            if (cu->epochs[i] < 1) return ef_fail(err, EF_ERR_ARG, "%s: %s: epoch %d is < 1", prefix, what, cu->epochs[i]);
            if (i > 0 && cu->epochs[i] <= cu->epochs[i - 1])
                return ef_fail(err, EF_ERR_ARG, "%s: %s: epochs not increasing (%d after %d)", prefix, what,
                               cu->epochs[i], cu->epochs[i - 1]);
            found |= cu->epochs[i] == cu->selected_epoch;
        }
        if (cu->selected_epoch > 0 && !found)
            return ef_fail(err, EF_ERR_ARG, "%s: %s: selected epoch %d is not one of its epochs", prefix, what,
                           cu->selected_epoch);
        points += cu->n;
    }
    if (points == 0) return ef_fail(err, EF_ERR_ARG, "%s: learning curves have no points to draw", prefix);
    return EF_OK;
}

ef_code ef_report_fig_epochs(const char *path_prefix, const ef_fig_curve *curves, int n, ef_error *err)
{
    ef_code rc = validate(path_prefix, curves, n, err);
    if (rc) return rc;
    epochs_plan pl = {.curves = curves, .n = n};
    pl.legend = calloc((size_t)n + 1, sizeof *pl.legend);
    pl.labels = calloc((size_t)n, sizeof *pl.labels);
    if (!pl.legend || !pl.labels) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path_prefix);
    double xmn = INFINITY, xmx = -INFINITY, ymn = INFINITY, ymx = -INFINITY;
    bool any_selected = false;
    for (int c = 0; c < n && !rc; c++) {
        const ef_fig_curve *cu = &curves[c];
        size_t len = strlen(cu->system) + 16;
        if (!(pl.labels[c] = malloc(len))) {
            rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path_prefix);
            break;
        }
        snprintf(pl.labels[c], len, "%s%s", cu->system, cu->n == 0 ? " (no data)" : "");
        pl.legend[pl.n_legend++] = (fig_legend_entry){pl.labels[c], fig_series_style(c), cu->n > 0, cu->n > 0, false};
        for (int i = 0; i < cu->n; i++) {
            xmn = fmin(xmn, cu->epochs[i]);
            xmx = fmax(xmx, cu->epochs[i]);
            ymn = fmin(ymn, cu->median_auc[i]);
            ymx = fmax(ymx, cu->median_auc[i]);
        }
        any_selected |= cu->selected_epoch > 0;
    }
    if (!rc && any_selected) {
        fig_style ring = fig_series_style(0);
        ring.colour = 0x000000;
        pl.legend[pl.n_legend++] = (fig_legend_entry){"selected epoch", ring, false, false, true};
    }
    fig_canvas cv = {0};
    if (!rc) rc = fig_canvas_scratch(&cv, err);
    if (!rc) {
        fig_range_pad(xmn, xmx, 0.04, 0.5, &pl.x.lo, &pl.x.hi);
        fig_ticks_nice(&pl.xt, pl.x.lo, pl.x.hi, 6, true);
        fig_range_pad(ymn, ymx, 0.08, 0.005, &pl.y.lo, &pl.y.hi);
        fig_ticks_nice(&pl.yt, pl.y.lo, pl.y.hi, 5, false);
        double th;
        fig_text_size(&cv, FIG_FONT_TICK, "0", NULL, &th);
        fig_xy_plan(&cv, &pl.L, FIG_COLUMN_W, PLOT_H, fig_ticks_max_w(&cv, &pl.yt), th, pl.legend, pl.n_legend);
        pl.x.p0 = pl.L.x0;
        pl.x.p1 = pl.L.x1;
        pl.y.p0 = pl.L.y1;
        pl.y.p1 = pl.L.y0;
        fig_canvas_free(&cv);
        rc = fig_write_all(path_prefix, pl.L.w, pl.L.h, draw_epochs, &pl, err);
    }
    if (pl.labels)
        for (int c = 0; c < n; c++) free(pl.labels[c]);
    free(pl.labels);
    free(pl.legend);
    return rc;
}
