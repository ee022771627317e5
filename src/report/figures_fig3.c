/* Figure 3 of the paper: AvAUC over seeds as one box per system, one panel per corpus
 * side by side, each panel with its own y axis. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/report_figures.h"
#include "report/figures_kit.h"

#define PANEL_GAP 12.0
#define PLOT_H 120.0
#define BOX_FRAC 0.55      /* box width / slot width */
#define LABEL_FIT 0.92     /* labels wider than this share of a slot are set at 45 degrees */

typedef struct {
    const ef_fig_panel *p;
    fig_scale y;
    fig_ticks ticks;
    double x0, x1;         /* plot frame */
    double angle;          /* x label angle */
    fig_box_stats *stats;  /* (n_boxes), valid where box n > 0 */
} panel_plan;

typedef struct {
    int n_panels;
    panel_plan *pp;
    double w, h;
    double y0, y1;         /* frame top and bottom, shared by the panels */
    double title_y;
    bool has_title;
} fig3_plan;

static void draw_fig3(fig_canvas *cv, const void *ctx)
{
    const fig3_plan *pl = ctx;
    for (int k = 0; k < pl->n_panels; k++) {
        const panel_plan *pp = &pl->pp[k];
        const ef_fig_panel *p = pp->p;
        fig_ygrid(cv, &pp->y, &pp->ticks, pp->x0, pp->x1);
        double slot = (pp->x1 - pp->x0) / p->n_boxes;
        for (int b = 0; b < p->n_boxes; b++) {
            double xc = pp->x0 + (b + 0.5) * slot;
            const ef_fig_box *bx = &p->boxes[b];
            if (bx->n > 0) {
                fig_draw_box(cv, &pp->y, xc, BOX_FRAC * slot, bx->values, bx->n, &pp->stats[b]);
            } else {
                fig_rgb(cv, 0x777777);
                fig_text(cv, FIG_FONT_TICK, "n/a", xc, 0.5 * (pl->y0 + pl->y1), 0.5, 0.5, 0);
            }
            fig_xtick(cv, xc, pl->y1, bx->label, pp->angle);
        }
        fig_frame(cv, pp->x0, pl->y0, pp->x1, pl->y1);
        fig_yaxis(cv, &pp->y, &pp->ticks, pp->x0);
        if (p->title && *p->title) {
            fig_rgb(cv, 0x000000);
            fig_text(cv, FIG_FONT_TITLE, p->title, 0.5 * (pp->x0 + pp->x1), pl->title_y, 0.5, 0, 0);
        }
    }
    fig_rgb(cv, 0x000000);
    fig_text(cv, FIG_FONT_LABEL, "AvAUC", FIG_PAD, 0.5 * (pl->y0 + pl->y1), 0.5, 0, -M_PI / 2);
}

static ef_code validate(const char *prefix, const ef_fig_panel *panels, int n_panels, ef_error *err)
{
    if (!prefix) return ef_fail(err, EF_ERR_ARG, "figure 3: no output path");
    if (n_panels < 1 || !panels) return ef_fail(err, EF_ERR_ARG, "%s: figure 3 needs at least one panel", prefix);
    int n_values = 0;
    for (int k = 0; k < n_panels; k++) {
        const ef_fig_panel *p = &panels[k];
        const char *t = p->title ? p->title : "";
        if (p->n_boxes < 1 || !p->boxes)
            return ef_fail(err, EF_ERR_ARG, "%s: panel %d (%s) has no boxes", prefix, k + 1, t);
        for (int b = 0; b < p->n_boxes; b++) {
            const ef_fig_box *bx = &p->boxes[b];
            if (!bx->label) return ef_fail(err, EF_ERR_ARG, "%s: panel %d (%s), box %d: no label", prefix, k + 1, t, b + 1);
            char what[256];
            snprintf(what, sizeof what, "panel %d (%s), box '%s'", k + 1, t, bx->label);
            ef_code rc = fig_check_values(prefix, what, bx->values, bx->n, err);
            if (rc) return rc;
            n_values += bx->n;
        }
    }
    if (n_values == 0) return ef_fail(err, EF_ERR_ARG, "%s: figure 3 has no values to draw", prefix);
    return EF_OK;
}

ef_code ef_report_fig3(const char *path_prefix, const ef_fig_panel *panels, int n_panels, ef_error *err)
{
    ef_code rc = validate(path_prefix, panels, n_panels, err);
    if (rc) return rc;
    fig_canvas cv;
    rc = fig_canvas_scratch(&cv, err);
    if (rc) return rc;
    fig3_plan pl = {.n_panels = n_panels, .w = n_panels == 1 ? FIG_COLUMN_W : FIG_PAGE_W};
    pl.pp = calloc((size_t)n_panels, sizeof *pl.pp);
    if (!pl.pp) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path_prefix);

    /* y ranges, ticks and box statistics per panel */
    double left_total = 0, title_h = 0, bottom = 0;
    double ylab_h;
    fig_text_size(&cv, FIG_FONT_LABEL, "AvAUC", NULL, &ylab_h);
    for (int k = 0; k < n_panels && !rc; k++) {
        panel_plan *pp = &pl.pp[k];
        const ef_fig_panel *p = pp->p = &panels[k];
        pp->stats = calloc((size_t)p->n_boxes, sizeof *pp->stats);
        if (!pp->stats) {
            rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path_prefix);
            break;
        }
        double mn = INFINITY, mx = -INFINITY;
        for (int b = 0; b < p->n_boxes && !rc; b++) {
            const ef_fig_box *bx = &p->boxes[b];
            if (bx->n == 0) continue;
            rc = fig_box_stats_of(bx->values, bx->n, &pp->stats[b], err);
            for (int i = 0; i < bx->n; i++) {
                mn = fmin(mn, bx->values[i]);
                mx = fmax(mx, bx->values[i]);
            }
        }
        if (mn == INFINITY) mn = 0.5, mx = 1.0;   /* a panel of "n/a" only */
        fig_range_pad(mn, mx, 0.08, 0.005, &pp->y.lo, &pp->y.hi);
        fig_ticks_nice(&pp->ticks, pp->y.lo, pp->y.hi, 5, false);
        double left = FIG_TICK_LEN + FIG_TICK_GAP + fig_ticks_max_w(&cv, &pp->ticks) + (k == 0 ? 0 : PANEL_GAP);
        pp->x0 = left;   /* relative, fixed below */
        left_total += left;
        if (p->title && *p->title) {
            double th;
            fig_text_size(&cv, FIG_FONT_TITLE, p->title, NULL, &th);
            title_h = fmax(title_h, th);
            pl.has_title = true;
        }
    }
    if (!rc) {
        double first_left = FIG_PAD + ylab_h + FIG_LABEL_GAP;
        double plot_w = (pl.w - first_left - FIG_PAD - left_total) / n_panels;
        double x = first_left;
        for (int k = 0; k < n_panels; k++) {
            panel_plan *pp = &pl.pp[k];
            const ef_fig_panel *p = pp->p;
            x += pp->x0;
            pp->x0 = x;
            pp->x1 = x + plot_w;
            x = pp->x1;
            /* x labels: horizontal when each fits its slot, else at 45 degrees */
            double slot = plot_w / p->n_boxes, wmax = 0, hmax = 0;
            for (int b = 0; b < p->n_boxes; b++) {
                double lw, lh;
                fig_text_size(&cv, FIG_FONT_TICK, p->boxes[b].label, &lw, &lh);
                wmax = fmax(wmax, lw);
                hmax = fmax(hmax, lh);
            }
            pp->angle = wmax > LABEL_FIT * slot ? -M_PI / 4 : 0;
            bottom = fmax(bottom, FIG_TICK_LEN + FIG_TICK_GAP + fig_rotated_height(wmax, hmax, pp->angle));
        }
        pl.title_y = FIG_PAD;
        pl.y0 = FIG_PAD + (pl.has_title ? title_h + 3 : 4);
        pl.y1 = pl.y0 + PLOT_H;
        pl.h = ceil(pl.y1 + bottom + FIG_PAD);
        for (int k = 0; k < n_panels; k++) {
            pl.pp[k].y.p0 = pl.y1;
            pl.pp[k].y.p1 = pl.y0;
        }
    }
    fig_canvas_free(&cv);
    if (!rc) rc = fig_write_all(path_prefix, pl.w, pl.h, draw_fig3, &pl, err);
    if (pl.pp)
        for (int k = 0; k < n_panels; k++) free(pl.pp[k].stats);
    free(pl.pp);
    return rc;
}
