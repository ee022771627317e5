/* Box-and-whisker plots as matplotlib draws them by default (whis = 1.5): quartiles by
 * numpy's linear percentiles, whiskers to the most extreme data within 1.5 IQR of the box
 * (never inside it), the rest as outliers. */
#include <math.h>

#include "emofuse/metrics.h"
#include "report/figures_kit.h"

ef_code fig_box_stats_of(const double *v, int n, fig_box_stats *b, ef_error *err)
{
    if (n < 1) return ef_fail(err, EF_ERR_INTERNAL, "box plot of no values");
    ef_code rc = ef_percentile(v, n, 25, &b->q1, err);
    if (!rc) rc = ef_percentile(v, n, 50, &b->median, err);
    if (!rc) rc = ef_percentile(v, n, 75, &b->q3, err);
    if (rc) return rc;
    double iqr = b->q3 - b->q1, lo_fence = b->q1 - 1.5 * iqr, hi_fence = b->q3 + 1.5 * iqr;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (v[i] >= lo_fence && v[i] < lo) lo = v[i];
        if (v[i] <= hi_fence && v[i] > hi) hi = v[i];
    }
    /* As matplotlib's cbook.boxplot_stats: a whisker never ends inside the box. */
    b->whisk_lo = (lo == INFINITY || lo > b->q1) ? b->q1 : lo;
    b->whisk_hi = (hi == -INFINITY || hi < b->q3) ? b->q3 : hi;
    return EF_OK;
}

void fig_draw_box(fig_canvas *cv, const fig_scale *y, double x, double w, const double *v, int n,
                  const fig_box_stats *b)
{
    cairo_t *cr = cv->cr;
    double top = fig_map(y, b->q3), bot = fig_map(y, b->q1), h = fmax(bot - top, 0.0);
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    /* whiskers and caps */
    cairo_set_line_width(cr, 0.7);
    fig_rgb(cv, 0x000000);
    double cap = 0.25 * w;
    double wl = fig_map(y, b->whisk_lo), wh = fig_map(y, b->whisk_hi);
    cairo_move_to(cr, x, bot);
    cairo_line_to(cr, x, wl);
    cairo_move_to(cr, x - cap, wl);
    cairo_line_to(cr, x + cap, wl);
    cairo_move_to(cr, x, top);
    cairo_line_to(cr, x, wh);
    cairo_move_to(cr, x - cap, wh);
    cairo_line_to(cr, x + cap, wh);
    cairo_stroke(cr);
    /* box */
    cairo_rectangle(cr, x - w / 2, top, w, h);
    fig_rgb(cv, 0xd9d9d9);
    cairo_fill_preserve(cr);
    fig_rgb(cv, 0x000000);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    /* median */
    double my = fig_map(y, b->median);
    cairo_set_line_width(cr, 1.6);
    cairo_move_to(cr, x - w / 2, my);
    cairo_line_to(cr, x + w / 2, my);
    cairo_stroke(cr);
    cairo_restore(cr);
    /* outliers */
    for (int i = 0; i < n; i++)
        if (v[i] < b->whisk_lo || v[i] > b->whisk_hi)
            fig_draw_marker(cv, FIG_MARK_OPEN_CIRCLE, x, fig_map(y, v[i]), 1.7, 0x000000);
}
