/* One drawing, three files: the same draw function runs on a cairo SVG, PDF and image
 * surface (300 dpi PNG), each rendered into memory and then written atomically. This is
 * also where the outputs are made byte-identical across runs: no PDF creation date, and
 * SVG ids renumbered per figure (cairo's come from process-wide counters). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include "emofuse/atomic_file.h"
#include "report/figures_kit.h"

typedef struct {
    unsigned char *p;
    size_t n, cap;
    bool oom;
} membuf;

static bool membuf_put(membuf *b, const void *data, size_t n)
{
    if (b->oom) return false;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->n + n + 1) cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return false;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = 0;
    return true;
}

static cairo_status_t membuf_write(void *closure, const unsigned char *data, unsigned int length)
{
    return membuf_put(closure, data, length) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_NO_MEMORY;
}

typedef enum { FMT_SVG, FMT_PDF, FMT_PNG, FMT_COUNT } fig_format;
static const char *const fmt_ext[FMT_COUNT] = {".svg", ".pdf", ".png"};

static ef_code cairo_fail(ef_error *err, const char *path, cairo_status_t st)
{
    ef_code code = st == CAIRO_STATUS_NO_MEMORY ? EF_ERR_NOMEM : EF_ERR_INTERNAL;
    return ef_fail(err, code, "%s: cairo: %s", path, cairo_status_to_string(st));
}

/* Draw on a white page on cr (already scaled to points). */
static ef_code draw_page(cairo_t *cr, fig_draw_fn draw, const void *ctx, ef_error *err)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);   /* the whole surface: the PNG's last pixel row and column are partial */
    fig_canvas cv;
    ef_code rc = fig_canvas_init(&cv, cr, err);
    if (rc) return rc;
    draw(&cv, ctx);
    fig_canvas_free(&cv);
    return EF_OK;
}

static ef_code render(fig_format fmt, const char *path, double w, double h, fig_draw_fn draw, const void *ctx,
                      membuf *out, ef_error *err)
{
    cairo_surface_t *s = NULL;
    double scale = 1;
    switch (fmt) {
    case FMT_SVG:
        s = cairo_svg_surface_create_for_stream(membuf_write, out, w, h);
        cairo_svg_surface_restrict_to_version(s, CAIRO_SVG_VERSION_1_1);
        break;
    case FMT_PDF:
        s = cairo_pdf_surface_create_for_stream(membuf_write, out, w, h);
        /* cairo stamps the current time as /CreationDate unless told otherwise; a date
         * string it cannot parse (a non-ISO-8601 character) makes it leave the entry out,
         * and the test checks that no date remains. */
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, "none");
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_MOD_DATE, "none");
        break;
    default:
        scale = FIG_PNG_DPI / 72.0;
        s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ceil(w * scale - 1e-6), (int)ceil(h * scale - 1e-6));
        break;
    }
    cairo_status_t st = cairo_surface_status(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return cairo_fail(err, path, st);
    }
    cairo_t *cr = cairo_create(s);
    cairo_scale(cr, scale, scale);
    ef_code rc = draw_page(cr, draw, ctx, err);
    if (!rc && (st = cairo_status(cr)) != CAIRO_STATUS_SUCCESS) rc = cairo_fail(err, path, st);
    cairo_destroy(cr);
    if (!rc && fmt == FMT_PNG) {
        cairo_surface_flush(s);
        st = cairo_surface_write_to_png_stream(s, membuf_write, out);
        if (st != CAIRO_STATUS_SUCCESS) rc = cairo_fail(err, path, st);
    }
    cairo_surface_finish(s);   /* vector surfaces emit their document here */
    if (!rc && (st = cairo_surface_status(s)) != CAIRO_STATUS_SUCCESS) rc = cairo_fail(err, path, st);
    cairo_surface_destroy(s);
    if (!rc && out->oom) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path);
    return rc;
}

/* ---- SVG ids ------------------------------------------------------------------------ */

typedef struct {
    char *old;
    char *new_;
} id_map_entry;

typedef struct {
    id_map_entry *e;
    int n, cap;
    int counter;
    const char *prefix;
} id_map;

static const char *id_lookup(id_map *m, const char *name, size_t len)
{
    for (int i = 0; i < m->n; i++)
        if (strlen(m->e[i].old) == len && memcmp(m->e[i].old, name, len) == 0) return m->e[i].new_;
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 128;
        id_map_entry *e = realloc(m->e, (size_t)cap * sizeof *e);
        if (!e) return NULL;
        m->e = e;
        m->cap = cap;
    }
    size_t stem = 0;
    while (stem < len && stem < 24 && ((name[stem] >= 'a' && name[stem] <= 'z') || (name[stem] >= 'A' && name[stem] <= 'Z')))
        stem++;
    char *old = malloc(len + 1), *nw = malloc(strlen(m->prefix) + stem + 24);
    if (!old || !nw) {
        free(old);
        free(nw);
        return NULL;
    }
    memcpy(old, name, len);
    old[len] = 0;
    sprintf(nw, "%s-%.*s%d", m->prefix, (int)stem, stem ? name : "id", ++m->counter);
    m->e[m->n].old = old;
    m->e[m->n].new_ = nw;
    return m->e[m->n++].new_;
}

char *fig_svg_renumber_ids(const char *svg, size_t n, const char *prefix, size_t *out_n)
{
    /* Markers after which an id name starts, and the character that ends it. */
    static const struct {
        const char *mark;
        char end;
    } marks[] = {{" id=\"", '"'}, {"href=\"#", '"'}, {"url(#", ')'}};
    id_map m = {.prefix = prefix};
    membuf out = {0};
    size_t i = 0;
    bool ok = true;
    while (ok && i < n) {
        int hit = -1;
        for (int k = 0; k < 3 && hit < 0; k++) {
            size_t ml = strlen(marks[k].mark);
            if (i + ml <= n && memcmp(svg + i, marks[k].mark, ml) == 0) hit = k;
        }
        if (hit < 0) {
            ok = membuf_put(&out, svg + i, 1);
            i++;
            continue;
        }
        size_t ml = strlen(marks[hit].mark), j = i + ml;
        while (j < n && svg[j] != marks[hit].end && svg[j] != '<' && svg[j] != '>') j++;
        if (j >= n || svg[j] != marks[hit].end || j == i + ml) {   /* not a name: copy as is */
            ok = membuf_put(&out, svg + i, ml);
            i += ml;
            continue;
        }
        const char *nw = id_lookup(&m, svg + i + ml, j - (i + ml));
        ok = nw && membuf_put(&out, svg + i, ml) && membuf_put(&out, nw, strlen(nw));
        i = j;
    }
    for (int k = 0; k < m.n; k++) {
        free(m.e[k].old);
        free(m.e[k].new_);
    }
    free(m.e);
    if (!ok || out.oom) {
        free(out.p);
        return NULL;
    }
    if (!out.p && !membuf_put(&out, "", 0)) return NULL;
    *out_n = out.n;
    return (char *)out.p;
}

/* An XML name from the file's base name: letters, digits, '-' and '_', starting with a
 * letter ("fig3" for "out/fig3"). */
static void id_prefix(const char *path_prefix, char *buf, size_t size)
{
    const char *base = strrchr(path_prefix, '/');
    base = base ? base + 1 : path_prefix;
    size_t k = 0;
    if (!((*base >= 'a' && *base <= 'z') || (*base >= 'A' && *base <= 'Z'))) buf[k++] = 'f';
    for (; *base && k + 1 < size; base++) {
        char c = *base;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        buf[k++] = keep ? c : '_';
    }
    buf[k] = 0;
}

/* ---- all formats ---------------------------------------------------------------------- */

ef_code fig_write_all(const char *path_prefix, double w, double h, fig_draw_fn draw, const void *ctx, ef_error *err)
{
    size_t plen = strlen(path_prefix);
    char *paths[FMT_COUNT] = {0};
    membuf bufs[FMT_COUNT] = {{0}};
    ef_code rc = EF_OK;
    for (int f = 0; f < FMT_COUNT && !rc; f++) {
        paths[f] = malloc(plen + 5);
        if (!paths[f]) {
            rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", path_prefix);
            break;
        }
        memcpy(paths[f], path_prefix, plen);
        strcpy(paths[f] + plen, fmt_ext[f]);
        rc = render((fig_format)f, paths[f], w, h, draw, ctx, &bufs[f], err);
    }
    if (!rc) {
        char prefix[128];
        id_prefix(path_prefix, prefix, sizeof prefix);
        size_t n = 0;
        char *svg = fig_svg_renumber_ids((const char *)bufs[FMT_SVG].p, bufs[FMT_SVG].n, prefix, &n);
        if (!svg) rc = ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", paths[FMT_SVG]);
        else {
            free(bufs[FMT_SVG].p);
            bufs[FMT_SVG].p = (unsigned char *)svg;
            bufs[FMT_SVG].n = n;
        }
    }
    for (int f = 0; f < FMT_COUNT && !rc; f++) rc = ef_atomic_write(paths[f], bufs[f].p, bufs[f].n, err);
    for (int f = 0; f < FMT_COUNT; f++) {
        free(paths[f]);
        free(bufs[f].p);
    }
    return rc;
}
