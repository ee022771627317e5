/* Private drawing kit of the report's figures (src/report/figures_*.c): a canvas (cairo
 * context + pango layout in the fixed fonts), text, scales and ticks, axes, series styles
 * and markers, legends, box plots, and the output of one drawing as SVG, PDF and PNG.
 *
 * Units are PostScript points (1/72 in) in user space, y pointing down, for every format:
 * a figure is measured once on a scratch canvas (text metrics are unhinted, so they do not
 * depend on the surface), then the same draw function runs on each format's surface. */
#ifndef EMOFUSE_REPORT_FIGURES_KIT_H
#define EMOFUSE_REPORT_FIGURES_KIT_H

#include <stdbool.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "emofuse/status.h"

/* ---- sizes (pt) -------------------------------------------------------------------- */

#define FIG_COLUMN_W 245.0   /* one paper column, 3.4 in */
#define FIG_PAGE_W 504.0     /* two columns, 7 in */
#define FIG_PAD 4.0          /* outer margin */
#define FIG_TICK_LEN 3.0
#define FIG_TICK_GAP 2.0     /* between a tick and its label */
#define FIG_LABEL_GAP 3.0    /* between tick labels and the axis label */
#define FIG_LINE_W 0.6       /* frame and ticks */
#define FIG_PNG_DPI 300.0
#define FIG_FONT_FAMILY "DejaVu Sans"

/* ---- canvas and text --------------------------------------------------------------- */

typedef enum {
    FIG_FONT_TICK,    /* tick labels, 7 pt */
    FIG_FONT_LABEL,   /* axis labels, 8 pt */
    FIG_FONT_TITLE,   /* panel titles, 8 pt bold */
    FIG_FONT_LEGEND,  /* legend, 7 pt */
    FIG_FONT_COUNT
} fig_font;

typedef struct {
    cairo_t *cr;                                  /* borrowed (owned for a scratch canvas) */
    PangoFontMap *fontmap;                        /* private: no state shared between figures */
    PangoContext *context;
    PangoLayout *layout;
    PangoFontDescription *fonts[FIG_FONT_COUNT];
    cairo_surface_t *scratch;                     /* only for fig_canvas_scratch */
} fig_canvas;

/* Canvas drawing on cr (not owned). Fails when the fonts cannot be set up or fontconfig
 * does not resolve FIG_FONT_FAMILY ("install fonts-dejavu-core"). */
ef_code fig_canvas_init(fig_canvas *cv, cairo_t *cr, ef_error *err);
/* Canvas on a 1x1 image, for measuring before the figure's size is known. */
ef_code fig_canvas_scratch(fig_canvas *cv, ef_error *err);
void fig_canvas_free(fig_canvas *cv);

/* Logical size of a one-line text. */
void fig_text_size(fig_canvas *cv, fig_font font, const char *s, double *w, double *h);
/* Draw s so that the point (ax, ay) of its box (0 = left/top, 1 = right/bottom) lies at
 * (x, y), the box rotated by `angle` radians about that point (cairo's sense: positive is
 * clockwise on the page; -M_PI / 2 reads bottom to top). Colour: the current source. */
void fig_text(fig_canvas *cv, fig_font font, const char *s, double x, double y, double ax, double ay,
              double angle);
/* Height of the box of text of width w and height h rotated by angle (for layout). */
double fig_rotated_height(double w, double h, double angle);

void fig_rgb(fig_canvas *cv, unsigned hex);   /* source colour 0xRRGGBB */

/* ---- scales, ticks, axes ------------------------------------------------------------ */

typedef struct {
    double lo, hi;    /* data range */
    double p0, p1;    /* page coordinates of lo and hi */
} fig_scale;

double fig_map(const fig_scale *s, double v);

#define FIG_MAX_TICKS 24
typedef struct {
    int n;
    double v[FIG_MAX_TICKS];
    char label[FIG_MAX_TICKS][24];
} fig_ticks;

/* Data range [mn, mx] padded by frac of its span on both sides (a span of 0 gets a pad
 * of 1% of |mn|, at least `min_pad`). */
void fig_range_pad(double mn, double mx, double frac, double min_pad, double *lo, double *hi);
/* Ticks at multiples of a 1-2-2.5-5 step, about `target` of them inside [lo, hi];
 * integer: steps of at least 1 (epochs). Labels have just enough decimals for the step. */
void fig_ticks_nice(fig_ticks *t, double lo, double hi, int target, bool integer);
/* Widest tick label. */
double fig_ticks_max_w(fig_canvas *cv, const fig_ticks *t);

/* Plot frame (x0, y0)-(x1, y1) and light horizontal grid lines at the y ticks. */
void fig_frame(fig_canvas *cv, double x0, double y0, double x1, double y1);
void fig_ygrid(fig_canvas *cv, const fig_scale *y, const fig_ticks *t, double x0, double x1);
/* Left axis: ticks and labels at x0 (the frame's left edge). */
void fig_yaxis(fig_canvas *cv, const fig_scale *y, const fig_ticks *t, double x0);
/* Bottom axis: a tick and its label under y0 (the frame's bottom edge) at each x. */
void fig_xtick(fig_canvas *cv, double x, double y0, const char *label, double angle);
void fig_xaxis(fig_canvas *cv, const fig_scale *x, const fig_ticks *t, double y0);

/* ---- series styles, markers, legend -------------------------------------------------- */

typedef enum {
    FIG_MARK_CIRCLE, FIG_MARK_SQUARE, FIG_MARK_TRIANGLE, FIG_MARK_DIAMOND,
    FIG_MARK_OPEN_CIRCLE, FIG_MARK_OPEN_SQUARE, FIG_MARK_OPEN_TRIANGLE_DOWN, FIG_MARK_CROSS,
    FIG_MARK_COUNT
} fig_marker;

typedef struct {
    fig_marker marker;
    int dash;          /* index into the dash patterns: solid, dashed, dotted, ... */
    unsigned colour;   /* 0xRRGGBB, Okabe-Ito (colour-blind safe) */
} fig_style;

/* Style of series i: marker, line style and colour all change with i. */
fig_style fig_series_style(int i);
void fig_set_line(fig_canvas *cv, const fig_style *s, double width);   /* colour + dash */
void fig_draw_marker(fig_canvas *cv, fig_marker m, double x, double y, double r, unsigned colour);
/* The "selected" ring of the learning curves. */
void fig_draw_ring(fig_canvas *cv, double x, double y, double r, unsigned colour);

typedef struct {
    const char *label;
    fig_style style;
    bool line;     /* draw a line sample through the marker */
    bool marker;
    bool ring;     /* a ring instead of a marker */
} fig_legend_entry;

typedef struct {
    int n, ncol, nrow;
    double colw, rowh, w, h;
} fig_legend_layout;

/* Entries in columns (filled top to bottom) as many as fit in max_w. */
void fig_legend_measure(fig_canvas *cv, const fig_legend_entry *e, int n, double max_w, fig_legend_layout *lay);
/* Draw with the top-left corner at (x, y). */
void fig_legend_draw(fig_canvas *cv, const fig_legend_entry *e, const fig_legend_layout *lay, double x, double y);

/* ---- one plot with axis labels and a legend below (Figure 2, learning curves) ---------- */

typedef struct {
    double w, h;                 /* page */
    double x0, y0, x1, y1;       /* plot frame */
    double xlabel_y;             /* top of the x axis label */
    double legend_x, legend_y;   /* top-left of the legend */
    fig_legend_layout legend;
} fig_xy_layout;

/* Page of width w around a plot plot_h tall: room on the left for the y label and tick
 * labels ytick_w wide, below for x tick labels xtick_h tall, the x label, and the legend
 * (n_legend entries, centred). */
void fig_xy_plan(fig_canvas *cv, fig_xy_layout *L, double w, double plot_h, double ytick_w, double xtick_h,
                 const fig_legend_entry *e, int n_legend);
/* Axis labels and legend of such a page. */
void fig_xy_decorate(fig_canvas *cv, const fig_xy_layout *L, const char *xlabel, const char *ylabel,
                     const fig_legend_entry *e);

/* ---- box plots ---------------------------------------------------------------------- */

typedef struct {
    double q1, median, q3;     /* numpy linear percentiles 25, 50, 75 */
    double whisk_lo, whisk_hi; /* most extreme values within 1.5 IQR of the box */
} fig_box_stats;

/* Needs n >= 1 finite values. */
ef_code fig_box_stats_of(const double *v, int n, fig_box_stats *b, ef_error *err);
/* Box of width w centred at x: box, median, whiskers with caps, outliers (values outside
 * the whiskers) as open circles. */
void fig_draw_box(fig_canvas *cv, const fig_scale *y, double x, double w, const double *v, int n,
                  const fig_box_stats *b);

/* ---- validation shared by the figures -------------------------------------------------- */

/* EF_ERR_ARG "<prefix>: <what>: value i is not finite (nan)" for the first bad value. */
ef_code fig_check_values(const char *prefix, const char *what, const double *v, int n, ef_error *err);

/* ---- output ------------------------------------------------------------------------- */

typedef void (*fig_draw_fn)(fig_canvas *cv, const void *ctx);

/* Render draw(ctx) on a white page of w x h pt as path_prefix + ".svg", ".pdf", ".png"
 * (FIG_PNG_DPI): all three in memory first, then each written atomically. */
ef_code fig_write_all(const char *path_prefix, double w, double h, fig_draw_fn draw, const void *ctx,
                      ef_error *err);

/* The SVG's ids renumbered in order of first appearance as "<prefix>-<stem><k>" (stem:
 * the letters the id began with, e.g. "glyph"), references (href="#..", url(#..))
 * following. cairo numbers its ids with process-wide counters; this makes the file the
 * same in every run and unique per figure. Returns a malloc'ed string (NULL: no memory). */
char *fig_svg_renumber_ids(const char *svg, size_t n, const char *prefix, size_t *out_n);

#endif
