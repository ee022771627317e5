/* The figures' drawing kit: canvas and text (pango in DejaVu Sans, unhinted so that the
 * layout is the same on every surface), scales and "nice" ticks, axes, series styles,
 * markers and legends. Box plots are in figures_boxplot.c, output in figures_surface.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "report/figures_kit.h"

/* ---- canvas and text --------------------------------------------------------------- */

static const char *const font_specs[FIG_FONT_COUNT] = {
    [FIG_FONT_TICK] = FIG_FONT_FAMILY " 7",
    [FIG_FONT_LABEL] = FIG_FONT_FAMILY " 8",
    [FIG_FONT_TITLE] = FIG_FONT_FAMILY " Bold 8",
    [FIG_FONT_LEGEND] = FIG_FONT_FAMILY " 7",
};

ef_code fig_canvas_init(fig_canvas *cv, cairo_t *cr, ef_error *err)
{
    memset(cv, 0, sizeof *cv);
    cv->cr = cr;
    /* A font map of our own (rather than pango's per-thread default) so that every figure
     * starts from the same state and its caches are released with it. */
    cv->fontmap = pango_cairo_font_map_new();
    cv->context = cv->fontmap ? pango_font_map_create_context(cv->fontmap) : NULL;
    if (!cv->context) {
        fig_canvas_free(cv);
        return ef_fail(err, EF_ERR_NOMEM, "figure: cannot create a text context");
    }
    PangoContext *ctx = cv->context;
    /* Font sizes in points map to user-space points; no hinting and no rounding of glyph
     * positions, so text measures the same at 72 dpi (measuring), in vectors and at 300 dpi. */
    pango_cairo_context_set_resolution(ctx, 72.0);
    pango_context_set_round_glyph_positions(ctx, FALSE);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    pango_cairo_context_set_font_options(ctx, fo);
    cairo_font_options_destroy(fo);
    pango_cairo_update_context(cr, ctx);
    cv->layout = pango_layout_new(ctx);
    if (!cv->layout) {
        fig_canvas_free(cv);
        return ef_fail(err, EF_ERR_NOMEM, "figure: cannot create a text layout");
    }
    for (int i = 0; i < FIG_FONT_COUNT; i++) {
        cv->fonts[i] = pango_font_description_from_string(font_specs[i]);
        if (!cv->fonts[i]) {
            fig_canvas_free(cv);
            return ef_fail(err, EF_ERR_NOMEM, "figure: cannot create font '%s'", font_specs[i]);
        }
    }
    /* The figures promise one font: refuse a silent substitute (which would change every
     * layout and the bytes of every file). */
    PangoFont *f = pango_context_load_font(ctx, cv->fonts[FIG_FONT_TICK]);
    const char *family = NULL;
    PangoFontDescription *got = f ? pango_font_describe(f) : NULL;
    if (got) family = pango_font_description_get_family(got);
    bool ok = family && strcasecmp(family, FIG_FONT_FAMILY) == 0;
    char fam[128];
    snprintf(fam, sizeof fam, "%s", family ? family : "no font");
    if (got) pango_font_description_free(got);
    if (f) g_object_unref(f);
    if (!ok) {
        fig_canvas_free(cv);
        return ef_fail(err, EF_ERR_IO, "figure: font '%s' not found (fontconfig gives '%s'); install fonts-dejavu-core",
                       FIG_FONT_FAMILY, fam);
    }
    return EF_OK;
}

ef_code fig_canvas_scratch(fig_canvas *cv, ef_error *err)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(s);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        cairo_destroy(cr);
        cairo_surface_destroy(s);
        return ef_fail(err, EF_ERR_NOMEM, "figure: cannot create a cairo context");
    }
    ef_code rc = fig_canvas_init(cv, cr, err);
    if (rc) {
        cairo_destroy(cr);
        cairo_surface_destroy(s);
        return rc;
    }
    cv->scratch = s;
    return EF_OK;
}

void fig_canvas_free(fig_canvas *cv)
{
    for (int i = 0; i < FIG_FONT_COUNT; i++)
        if (cv->fonts[i]) pango_font_description_free(cv->fonts[i]);
    if (cv->layout) g_object_unref(cv->layout);
    if (cv->context) g_object_unref(cv->context);
    if (cv->fontmap) g_object_unref(cv->fontmap);
    if (cv->scratch) {
        cairo_destroy(cv->cr);
        cairo_surface_destroy(cv->scratch);
    }
    memset(cv, 0, sizeof *cv);
}

static void set_text(fig_canvas *cv, fig_font font, const char *s, PangoRectangle *logical)
{
    pango_layout_set_font_description(cv->layout, cv->fonts[font]);
    pango_layout_set_text(cv->layout, s ? s : "", -1);
    pango_layout_get_extents(cv->layout, NULL, logical);
}

void fig_text_size(fig_canvas *cv, fig_font font, const char *s, double *w, double *h)
{
    PangoRectangle lg;
    set_text(cv, font, s, &lg);
    if (w) *w = (double)lg.width / PANGO_SCALE;
    if (h) *h = (double)lg.height / PANGO_SCALE;
}

void fig_text(fig_canvas *cv, fig_font font, const char *s, double x, double y, double ax, double ay, double angle)
{
    if (!s || !*s) return;
    cairo_t *cr = cv->cr;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (angle != 0) cairo_rotate(cr, angle);
    pango_cairo_update_layout(cr, cv->layout);
    PangoRectangle lg;
    set_text(cv, font, s, &lg);
    double w = (double)lg.width / PANGO_SCALE, h = (double)lg.height / PANGO_SCALE;
    cairo_move_to(cr, -ax * w - (double)lg.x / PANGO_SCALE, -ay * h - (double)lg.y / PANGO_SCALE);
    pango_cairo_show_layout(cr, cv->layout);
    cairo_restore(cr);
}

double fig_rotated_height(double w, double h, double angle)
{
    return fabs(w * sin(angle)) + fabs(h * cos(angle));
}

void fig_rgb(fig_canvas *cv, unsigned hex)
{
    cairo_set_source_rgb(cv->cr, ((hex >> 16) & 255) / 255.0, ((hex >> 8) & 255) / 255.0, (hex & 255) / 255.0);
}

/* ---- scales, ticks, axes ------------------------------------------------------------ */

double fig_map(const fig_scale *s, double v)
{
    if (s->hi == s->lo) return 0.5 * (s->p0 + s->p1);
    return s->p0 + (v - s->lo) / (s->hi - s->lo) * (s->p1 - s->p0);
}

void fig_range_pad(double mn, double mx, double frac, double min_pad, double *lo, double *hi)
{
    double span = mx - mn;
    double pad = span > 0 ? frac * span : fmax(0.01 * fabs(mn), min_pad);
    *lo = mn - pad;
    *hi = mx + pad;
}

void fig_ticks_nice(fig_ticks *t, double lo, double hi, int target, bool integer)
{
    memset(t, 0, sizeof *t);
    double raw = (hi - lo) / (target > 1 ? target : 1);
    if (!(raw > 0)) raw = 1;
    int e = (int)floor(log10(raw));
    double mag = pow(10.0, e), f = raw / mag, nf;
    if (f < 1.5) nf = 1;
    else if (f < 2.25) nf = 2;
    else if (f < 3.5) nf = 2.5;
    else if (f < 7.5) nf = 5;
    else {
        nf = 1;   /* 10 x 10^e = 1 x 10^(e+1) */
        e += 1;
        mag *= 10;
    }
    /* 2.5 x 10^0 is not an integer step: round it up to 5. */
    if (integer && nf == 2.5 && e == 0) nf = 5;
    double step = nf * mag;
    if (integer && step < 1) step = 1, nf = 1, e = 0;
    int decimals = e < 0 ? -e : 0;
    if (nf == 2.5 && e <= 0) decimals += 1;
    if (integer) decimals = 0;
    long long k0 = (long long)ceil(lo / step - 1e-9), k1 = (long long)floor(hi / step + 1e-9);
    for (long long k = k0; k <= k1 && t->n < FIG_MAX_TICKS; k++) {
        double v = (double)k * step;
        if (fabs(v) < 1e-12 * step) v = 0;   /* never print "-0.00" */
        t->v[t->n] = v;
        snprintf(t->label[t->n], sizeof t->label[0], "%.*f", decimals, v);
        t->n++;
    }
}

double fig_ticks_max_w(fig_canvas *cv, const fig_ticks *t)
{
    double m = 0;
    for (int i = 0; i < t->n; i++) {
        double w;
        fig_text_size(cv, FIG_FONT_TICK, t->label[i], &w, NULL);
        if (w > m) m = w;
    }
    return m;
}

void fig_frame(fig_canvas *cv, double x0, double y0, double x1, double y1)
{
    cairo_t *cr = cv->cr;
    cairo_set_line_width(cr, FIG_LINE_W);
    cairo_set_dash(cr, NULL, 0, 0);
    fig_rgb(cv, 0x000000);
    cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
    cairo_stroke(cr);
}

void fig_ygrid(fig_canvas *cv, const fig_scale *y, const fig_ticks *t, double x0, double x1)
{
    cairo_t *cr = cv->cr;
    cairo_set_line_width(cr, 0.4);
    cairo_set_dash(cr, NULL, 0, 0);
    fig_rgb(cv, 0xdddddd);
    for (int i = 0; i < t->n; i++) {
        double py = fig_map(y, t->v[i]);
        cairo_move_to(cr, x0, py);
        cairo_line_to(cr, x1, py);
    }
    cairo_stroke(cr);
}

void fig_yaxis(fig_canvas *cv, const fig_scale *y, const fig_ticks *t, double x0)
{
    cairo_t *cr = cv->cr;
    cairo_set_line_width(cr, FIG_LINE_W);
    cairo_set_dash(cr, NULL, 0, 0);
    fig_rgb(cv, 0x000000);
    for (int i = 0; i < t->n; i++) {
        double py = fig_map(y, t->v[i]);
        cairo_move_to(cr, x0 - FIG_TICK_LEN, py);
        cairo_line_to(cr, x0, py);
    }
    cairo_stroke(cr);
    for (int i = 0; i < t->n; i++)
        fig_text(cv, FIG_FONT_TICK, t->label[i], x0 - FIG_TICK_LEN - FIG_TICK_GAP, fig_map(y, t->v[i]), 1, 0.5, 0);
}

void fig_xtick(fig_canvas *cv, double x, double y0, const char *label, double angle)
{
    cairo_t *cr = cv->cr;
    cairo_set_line_width(cr, FIG_LINE_W);
    cairo_set_dash(cr, NULL, 0, 0);
    fig_rgb(cv, 0x000000);
    cairo_move_to(cr, x, y0);
    cairo_line_to(cr, x, y0 + FIG_TICK_LEN);
    cairo_stroke(cr);
    double ty = y0 + FIG_TICK_LEN + FIG_TICK_GAP;
    if (angle == 0) fig_text(cv, FIG_FONT_TICK, label, x, ty, 0.5, 0, 0);
    else fig_text(cv, FIG_FONT_TICK, label, x, ty, 1, 0.5, angle);   /* ends under the tick */
}

void fig_xaxis(fig_canvas *cv, const fig_scale *x, const fig_ticks *t, double y0)
{
    for (int i = 0; i < t->n; i++) fig_xtick(cv, fig_map(x, t->v[i]), y0, t->label[i], 0);
}

/* ---- series styles, markers, legend -------------------------------------------------- */

static const double dash_dashed[] = {4.0, 2.0};
static const double dash_dotted[] = {1.0, 1.6};
static const double dash_dashdot[] = {5.0, 1.6, 1.0, 1.6};
static const double dash_long[] = {7.0, 2.5};
static const double dash_dashdotdot[] = {5.0, 1.5, 1.0, 1.5, 1.0, 1.5};
static const struct {
    const double *d;
    int n;
} dashes[] = {{NULL, 0}, {dash_dashed, 2}, {dash_dotted, 2}, {dash_dashdot, 4}, {dash_long, 2}, {dash_dashdotdot, 6}};
#define N_DASHES ((int)(sizeof dashes / sizeof dashes[0]))

/* Okabe & Ito's colour-blind-safe palette (yellow left out: too light on white). */
static const unsigned palette[] = {0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7, 0xE69F00, 0x56B4E9, 0x000000};
#define N_COLOURS ((int)(sizeof palette / sizeof palette[0]))

fig_style fig_series_style(int i)
{
    fig_style s = {(fig_marker)(i % FIG_MARK_COUNT), i % N_DASHES, palette[i % N_COLOURS]};
    return s;
}

void fig_set_line(fig_canvas *cv, const fig_style *s, double width)
{
    cairo_set_line_width(cv->cr, width);
    cairo_set_line_cap(cv->cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_line_join(cv->cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_dash(cv->cr, dashes[s->dash].d, dashes[s->dash].n, 0);
    fig_rgb(cv, s->colour);
}

void fig_draw_marker(fig_canvas *cv, fig_marker m, double x, double y, double r, unsigned colour)
{
    cairo_t *cr = cv->cr;
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_width(cr, 0.8);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    cairo_new_path(cr);
    bool open = m >= FIG_MARK_OPEN_CIRCLE;
    switch (m) {
    case FIG_MARK_CIRCLE:
    case FIG_MARK_OPEN_CIRCLE: cairo_arc(cr, x, y, r, 0, 2 * M_PI); break;
    case FIG_MARK_SQUARE:
    case FIG_MARK_OPEN_SQUARE: {
        double a = 0.88 * r;   /* same visual weight as the circle */
        cairo_rectangle(cr, x - a, y - a, 2 * a, 2 * a);
        break;
    }
    case FIG_MARK_TRIANGLE:
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + 1.1 * r, y + 0.75 * r);
        cairo_line_to(cr, x - 1.1 * r, y + 0.75 * r);
        cairo_close_path(cr);
        break;
    case FIG_MARK_OPEN_TRIANGLE_DOWN:
        cairo_move_to(cr, x, y + 1.2 * r);
        cairo_line_to(cr, x + 1.1 * r, y - 0.75 * r);
        cairo_line_to(cr, x - 1.1 * r, y - 0.75 * r);
        cairo_close_path(cr);
        break;
    case FIG_MARK_DIAMOND:
        cairo_move_to(cr, x, y - 1.25 * r);
        cairo_line_to(cr, x + r, y);
        cairo_line_to(cr, x, y + 1.25 * r);
        cairo_line_to(cr, x - r, y);
        cairo_close_path(cr);
        break;
    case FIG_MARK_CROSS:
    default:
        cairo_move_to(cr, x - r, y - r);
        cairo_line_to(cr, x + r, y + r);
        cairo_move_to(cr, x - r, y + r);
        cairo_line_to(cr, x + r, y - r);
        cairo_set_line_width(cr, 1.1);
        fig_rgb(cv, colour);
        cairo_stroke(cr);
        cairo_restore(cr);
        return;
    }
    if (open) {
        fig_rgb(cv, 0xffffff);
        cairo_fill_preserve(cr);
        fig_rgb(cv, colour);
        cairo_set_line_width(cr, 1.0);
        cairo_stroke(cr);
    } else {
        fig_rgb(cv, colour);
        cairo_fill_preserve(cr);
        fig_rgb(cv, 0x000000);   /* a thin dark edge keeps light colours visible in print */
        cairo_set_line_width(cr, 0.4);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

void fig_draw_ring(fig_canvas *cv, double x, double y, double r, unsigned colour)
{
    cairo_t *cr = cv->cr;
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_width(cr, 0.9);
    fig_rgb(cv, colour);
    cairo_new_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    cairo_stroke(cr);
    cairo_restore(cr);
}

#define LEGEND_SAMPLE_W 20.0
#define LEGEND_SAMPLE_GAP 3.0
#define LEGEND_COL_GAP 9.0

void fig_legend_measure(fig_canvas *cv, const fig_legend_entry *e, int n, double max_w, fig_legend_layout *lay)
{
    memset(lay, 0, sizeof *lay);
    lay->n = n;
    if (n <= 0) return;
    double wmax = 0, h = 0;
    for (int i = 0; i < n; i++) {
        double w, th;
        fig_text_size(cv, FIG_FONT_LEGEND, e[i].label, &w, &th);
        if (w > wmax) wmax = w;
        if (th > h) h = th;
    }
    lay->colw = LEGEND_SAMPLE_W + LEGEND_SAMPLE_GAP + wmax;
    lay->rowh = h + 1.5;
    int ncol = (int)floor((max_w + LEGEND_COL_GAP) / (lay->colw + LEGEND_COL_GAP));
    if (ncol < 1) ncol = 1;
    if (ncol > n) ncol = n;
    lay->nrow = (n + ncol - 1) / ncol;
    lay->ncol = (n + lay->nrow - 1) / lay->nrow;   /* columns actually used, filled top-down */
    lay->w = lay->ncol * lay->colw + (lay->ncol - 1) * LEGEND_COL_GAP;
    lay->h = lay->nrow * lay->rowh;
}

void fig_legend_draw(fig_canvas *cv, const fig_legend_entry *e, const fig_legend_layout *lay, double x, double y)
{
    cairo_t *cr = cv->cr;
    for (int i = 0; i < lay->n; i++) {
        int col = i / lay->nrow, row = i % lay->nrow;
        double ex = x + col * (lay->colw + LEGEND_COL_GAP), cy = y + (row + 0.5) * lay->rowh;
        if (e[i].line) {
            fig_set_line(cv, &e[i].style, 1.0);
            cairo_move_to(cr, ex, cy);
            cairo_line_to(cr, ex + LEGEND_SAMPLE_W, cy);
            cairo_stroke(cr);
        }
        if (e[i].ring) fig_draw_ring(cv, ex + LEGEND_SAMPLE_W / 2, cy, 4.0, e[i].style.colour);
        else if (e[i].marker) fig_draw_marker(cv, e[i].style.marker, ex + LEGEND_SAMPLE_W / 2, cy, 2.6, e[i].style.colour);
        fig_rgb(cv, 0x000000);
        fig_text(cv, FIG_FONT_LEGEND, e[i].label, ex + LEGEND_SAMPLE_W + LEGEND_SAMPLE_GAP, cy, 0, 0.5, 0);
    }
}

/* ---- one plot with axis labels and a legend below ------------------------------------ */

#define LEGEND_GAP 6.0   /* between the x label and the legend */

void fig_xy_plan(fig_canvas *cv, fig_xy_layout *L, double w, double plot_h, double ytick_w, double xtick_h,
                 const fig_legend_entry *e, int n_legend)
{
    memset(L, 0, sizeof *L);
    double lab_h;
    fig_text_size(cv, FIG_FONT_LABEL, "Ag", NULL, &lab_h);
    L->w = w;
    L->x0 = FIG_PAD + lab_h + FIG_LABEL_GAP + ytick_w + FIG_TICK_GAP + FIG_TICK_LEN;
    L->x1 = w - FIG_PAD - 2;
    L->y0 = FIG_PAD + 3;   /* room for the top tick label's upper half */
    L->y1 = L->y0 + plot_h;
    L->xlabel_y = L->y1 + FIG_TICK_LEN + FIG_TICK_GAP + xtick_h + FIG_LABEL_GAP - 1;
    double bottom = L->xlabel_y + lab_h;
    fig_legend_measure(cv, e, n_legend, w - 2 * FIG_PAD, &L->legend);
    if (n_legend > 0) {
        L->legend_y = bottom + LEGEND_GAP;
        L->legend_x = 0.5 * (w - L->legend.w);
        bottom = L->legend_y + L->legend.h;
    }
    L->h = ceil(bottom + FIG_PAD);
}

void fig_xy_decorate(fig_canvas *cv, const fig_xy_layout *L, const char *xlabel, const char *ylabel,
                     const fig_legend_entry *e)
{
    fig_rgb(cv, 0x000000);
    fig_text(cv, FIG_FONT_LABEL, xlabel, 0.5 * (L->x0 + L->x1), L->xlabel_y, 0.5, 0, 0);
    fig_text(cv, FIG_FONT_LABEL, ylabel, FIG_PAD, 0.5 * (L->y0 + L->y1), 0.5, 0, -M_PI / 2);
    if (L->legend.n > 0) fig_legend_draw(cv, e, &L->legend, L->legend_x, L->legend_y);
}

/* ---- validation ---------------------------------------------------------------------- */

ef_code fig_check_values(const char *prefix, const char *what, const double *v, int n, ef_error *err)
{
    if (n < 0) return ef_fail(err, EF_ERR_ARG, "%s: %s: negative count %d", prefix, what, n);
    if (n > 0 && !v) return ef_fail(err, EF_ERR_ARG, "%s: %s: %d values but no array", prefix, what, n);
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i])) return ef_fail(err, EF_ERR_ARG, "%s: %s: value %d is not finite (%g)", prefix, what, i, v[i]);
    return EF_OK;
}
