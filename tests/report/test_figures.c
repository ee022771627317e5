/* The report's figures (report_figures.h): Figure 3, Figure 2 and the learning curves drawn
 * from fixed data as SVG, PDF and PNG; each file valid (PNG signature and pixel size, PDF
 * header and trailer, SVG well-formed with an <svg> root and every id reference defined),
 * the PNG not blank, two renderings in this process and one in a fresh process
 * byte-identical, no PDF date; box statistics against numpy/matplotlib values worked out
 * by hand; SVG id renumbering; bad input refused with a clean error and no file left. */
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairo.h>

#include "emofuse/atomic_file.h"
#include "emofuse/report_figures.h"
#include "report/figures_kit.h"
#include "testutil.h"

extern char **environ;

/* Under LeakSanitizer: fontconfig 2.14 (Debian 12) leaks about 300 bytes once per process
 * while parsing its configuration files (in the thread pango starts for it). That is its
 * own bug, suppressed by its stack (full stacks needed: the libraries have no frame
 * pointers); anything the figures leak has other stacks and is still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:XML_ParseBuffer\n"; }
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }

/* ---- fixed data ---------------------------------------------------------------------- */

#define N_SEEDS 10
static const char *const systems[7] = {"Audio", "GloVe", "BERT", "EF-CS", "EF-PT", "EF-WS", "LF-PT"};
/* Medians near the paper's Table 1; a seed pattern with one low outlier. */
static const double iemocap_med[7] = {0.782, 0.736, 0.792, 0.857, 0.859, 0.863, 0.855};
static const double msp_med[7] = {0.726, 0.736, 0.749, 0.817, 0.817, 0.823, 0.815};
static const double spread[N_SEEDS] = {-0.004, 0.001, 0.003, -0.002, 0.000, 0.004, -0.001, 0.002, -0.003, -0.018};
static double values[2][7][N_SEEDS];

static const char *const protocols[3] = {"RAND", "SP", "SP&SC"};
static double f2_values[4][3][N_SEEDS];

#define N_EPOCHS 20
static int epochs[N_EPOCHS];
static double curves_auc[3][N_EPOCHS];

static void make_data(void)
{
    for (int s = 0; s < 7; s++)
        for (int i = 0; i < N_SEEDS; i++) {
            values[0][s][i] = iemocap_med[s] + spread[i] * (1 + 0.2 * s);
            values[1][s][i] = msp_med[s] + spread[(i + s) % N_SEEDS] * 1.5;
        }
    /* Figure 2: Audio/BERT x small/large under RAND, SP, SP&SC */
    static const double f2_med[4][3] = {{0.83, 0.78, 0.775}, {0.835, 0.785, 0.78}, {0.90, 0.84, 0.795}, {0.91, 0.845, 0.785}};
    for (int k = 0; k < 4; k++)
        for (int p = 0; p < 3; p++)
            for (int i = 0; i < N_SEEDS; i++) f2_values[k][p][i] = f2_med[k][p] + (1.0 + 0.5 * p) * spread[(i + k + p) % N_SEEDS];
    for (int e = 0; e < N_EPOCHS; e++) {
        epochs[e] = e + 1;
        double t = e + 1;
        curves_auc[0][e] = 0.70 + 0.085 * (1 - exp(-t / 4)) - 0.0008 * t;
        curves_auc[1][e] = 0.68 + 0.11 * (1 - exp(-t / 3)) - 0.0015 * t;
        curves_auc[2][e] = 0.75 + 0.115 * (1 - exp(-t / 2.5)) - 0.0010 * t;
    }
}

static ef_code draw_all(const char *dir, ef_error *err)
{
    char p[512];
    ef_fig_box boxes[2][7];
    for (int c = 0; c < 2; c++)
        for (int s = 0; s < 7; s++) boxes[c][s] = (ef_fig_box){systems[s], values[c][s], N_SEEDS};
    ef_fig_panel panels[2] = {{"IEMOCAP", boxes[0], 7}, {"MSP-PODCAST", boxes[1], 7}};
    snprintf(p, sizeof p, "%s/fig3", dir);
    ef_code rc = ef_report_fig3(p, panels, 2, err);
    if (rc) return rc;

    static const char *const f2_sys[4] = {"Audio", "Audio", "BERT", "BERT"};
    static const char *const f2_size[4] = {"small", "large", "small", "large"};
    ef_fig2_cell cells[12];
    int n = 0;
    for (int k = 0; k < 4; k++)
        for (int q = 0; q < 3; q++) cells[n++] = (ef_fig2_cell){f2_sys[k], f2_size[k], protocols[q], f2_values[k][q], N_SEEDS};
    snprintf(p, sizeof p, "%s/fig2", dir);
    rc = ef_report_fig2(p, cells, n, err);
    if (rc) return rc;

    ef_fig_curve curves[3] = {{"Audio", epochs, curves_auc[0], N_EPOCHS, 12},
                              {"BERT", epochs, curves_auc[1], N_EPOCHS, 6},
                              {"EF-WS", epochs, curves_auc[2], N_EPOCHS, 8}};
    snprintf(p, sizeof p, "%s/epochs", dir);
    return ef_report_fig_epochs(p, curves, 3, err);
}

/* ---- file checks ----------------------------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[len] = 0;
        *n = (size_t)len;
    }
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void check_png(const char *path, int want_w)
{
    size_t n = 0;
    unsigned char *b = slurp(path, &n);
    CHECK_MSG(b && n > 33, "%s: missing or short", path);
    if (!b || n <= 33) {
        free(b);
        return;
    }
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    CHECK_MSG(memcmp(b, sig, 8) == 0, "%s: no PNG signature", path);
    CHECK_MSG(memcmp(b + 12, "IHDR", 4) == 0, "%s: no IHDR", path);
    int w = (b[16] << 24) | (b[17] << 16) | (b[18] << 8) | b[19];
    int h = (b[20] << 24) | (b[21] << 16) | (b[22] << 8) | b[23];
    CHECK_MSG(w == want_w, "%s: %d px wide, expected %d", path, w, want_w);
    CHECK_MSG(h > 300 && h < 2000, "%s: %d px tall", path, h);
    free(b);

    /* Not blank: a fair share of pixels differ from the white page. */
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    CHECK_MSG(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS, "%s: cairo cannot read it", path);
    if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
        int iw = cairo_image_surface_get_width(s), ih = cairo_image_surface_get_height(s);
        int stride = cairo_image_surface_get_stride(s);
        const unsigned char *d = cairo_image_surface_get_data(s);
        long ink = 0, dark = 0;
        for (int y = 0; y < ih; y++)
            for (int x = 0; x < iw; x++) {
                unsigned px = *(const unsigned *)(d + (size_t)y * stride + 4 * (size_t)x) & 0xffffff;
                if (px != 0xffffff) ink++;
                if ((px & 0xff) < 0x40 && ((px >> 8) & 0xff) < 0x40 && ((px >> 16) & 0xff) < 0x40) dark++;
            }
        double share = (double)ink / ((double)iw * ih);
        printf("%s: %dx%d px, %.1f%% not white, %.1f%% dark\n", path, iw, ih, 100 * share, 100.0 * dark / ((double)iw * ih));
        CHECK_MSG(share > 0.02 && share < 0.6, "%s: %.3f of the pixels are not white", path, share);
        CHECK_MSG(dark > 2000, "%s: only %ld dark pixels (no text or axes?)", path, dark);
    }
    cairo_surface_destroy(s);
}

static void check_pdf(const char *path)
{
    size_t n = 0;
    unsigned char *b = slurp(path, &n);
    CHECK_MSG(b && n > 1000, "%s: missing or short", path);
    if (!b) return;
    CHECK_MSG(memcmp(b, "%PDF-", 5) == 0, "%s: no %%PDF- header", path);
    const char *eof = n >= 6 ? (const char *)b + n - 6 : "";
    CHECK_MSG(strstr(eof, "%%EOF") != NULL, "%s: no %%%%EOF trailer", path);
    /* no timestamp: the bytes may not depend on when the figure was drawn */
    bool date = false;
    for (size_t i = 0; i + 13 <= n; i++)
        if (memcmp(b + i, "/CreationDate", 13) == 0 || memcmp(b + i, "/ModDate", 8) == 0) date = true;
    CHECK_MSG(!date, "%s: carries a date", path);
    bool font = false;
    for (size_t i = 0; i + 10 <= n; i++)
        if (memcmp(b + i, "DejaVuSans", 10) == 0) font = true;
    CHECK_MSG(font, "%s: DejaVu Sans is not embedded", path);
    free(b);
}

/* A small well-formedness check: prolog, one root <svg>, balanced tags, and every
 * href="#x" / url(#x) pointing at an id="x" of the file, each id prefixed. */
static void check_svg(const char *path, const char *id_prefix)
{
    size_t n = 0;
    char *s = (char *)slurp(path, &n);
    CHECK_MSG(s && n > 100, "%s: missing or short", path);
    if (!s) return;
    CHECK_MSG(strncmp(s, "<?xml", 5) == 0, "%s: no XML declaration", path);
    char *stack[64];
    int depth = 0, roots = 0;
    bool ok = true;
    for (char *p = s; ok && (p = strchr(p, '<')) != NULL;) {
        if (strncmp(p, "<?", 2) == 0 || strncmp(p, "<!--", 4) == 0) {
            p = strstr(p, p[1] == '?' ? "?>" : "-->");
            if (!p) ok = false;
            continue;
        }
        char *end = strchr(p, '>');
        if (!end) {
            ok = false;
            break;
        }
        bool closing = p[1] == '/', self = end[-1] == '/';
        char *name = p + (closing ? 2 : 1);
        size_t len = strcspn(name, " \t\n/>");
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != len || strncmp(stack[depth - 1], name, len) != 0) ok = false;
            else free(stack[--depth]);
        } else {
            if (depth == 0) {
                roots++;
                if (len != 3 || strncmp(name, "svg", 3) != 0) ok = false;
                if (!strstr(p, "xmlns=\"http://www.w3.org/2000/svg\"") || strstr(p, "xmlns=") > end) ok = false;
            }
            if (!self) {
                if (depth == 64) ok = false;
                else stack[depth++] = strndup(name, len);
            }
        }
        p = end + 1;
    }
    CHECK_MSG(ok && depth == 0 && roots == 1, "%s: not well-formed (depth %d, roots %d)", path, depth, roots);
    while (depth > 0) free(stack[--depth]);
    /* references */
    int refs = 0, bad = 0, unprefixed = 0;
    static const char *const marks[2] = {"href=\"#", "url(#"};
    for (int m = 0; m < 2; m++)
        for (char *p = s; (p = strstr(p, marks[m])) != NULL;) {
            p += strlen(marks[m]);
            size_t len = strcspn(p, "\")");
            char want[160];
            snprintf(want, sizeof want, " id=\"%.*s\"", (int)(len < 140 ? len : 140), p);
            refs++;
            if (!strstr(s, want)) bad++;
        }
    for (char *p = s; (p = strstr(p, " id=\"")) != NULL;) {
        p += 5;
        if (strncmp(p, id_prefix, strlen(id_prefix)) != 0) unprefixed++;
    }
    CHECK_MSG(refs > 10 && bad == 0, "%s: %d of %d references undefined", path, bad, refs);
    CHECK_MSG(unprefixed == 0, "%s: %d ids without the prefix %s", path, unprefixed, id_prefix);
    free(s);
}

static bool same_bytes(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    unsigned char *x = slurp(a, &na), *y = slurp(b, &nb);
    bool same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

static const char *const figs[3] = {"fig3", "fig2", "epochs"};
static const char *const exts[3] = {".svg", ".pdf", ".png"};

static void check_dir(const char *dir)
{
    char p[512], pre[32];
    for (int f = 0; f < 3; f++) {
        snprintf(p, sizeof p, "%s/%s.png", dir, figs[f]);
        check_png(p, f == 0 ? 2100 : 1021);   /* 504 pt and 245 pt at 300 dpi */
        snprintf(p, sizeof p, "%s/%s.pdf", dir, figs[f]);
        check_pdf(p);
        snprintf(p, sizeof p, "%s/%s.svg", dir, figs[f]);
        snprintf(pre, sizeof pre, "%s-", figs[f]);
        check_svg(p, pre);
    }
}

static void check_identical(const char *a, const char *b, const char *what)
{
    char pa[512], pb[512];
    for (int f = 0; f < 3; f++)
        for (int e = 0; e < 3; e++) {
            snprintf(pa, sizeof pa, "%s/%s%s", a, figs[f], exts[e]);
            snprintf(pb, sizeof pb, "%s/%s%s", b, figs[f], exts[e]);
            CHECK_MSG(same_bytes(pa, pb), "%s and %s differ (%s)", pa, pb, what);
        }
}

/* ---- box statistics, id renumbering -------------------------------------------------- */

static void test_box_stats(void)
{
    /* numpy.percentile(v, [25, 50, 75]) = 0.8125, 0.835, 0.8575; fences 0.745 and 0.925:
     * whiskers end at 0.80 and 0.87, 0.70 and 0.95 are outliers (matplotlib's boxplot). */
    const double v[10] = {0.95, 0.80, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.70};
    fig_box_stats b;
    ef_error err;
    CHECK(fig_box_stats_of(v, 10, &b, &err) == EF_OK);
    CHECK(fabs(b.q1 - 0.8125) < 1e-12 && fabs(b.median - 0.835) < 1e-12 && fabs(b.q3 - 0.8575) < 1e-12);
    CHECK(b.whisk_lo == 0.80 && b.whisk_hi == 0.87);
    /* one value: everything collapses onto it */
    const double one = 0.5;
    CHECK(fig_box_stats_of(&one, 1, &b, &err) == EF_OK);
    CHECK(b.q1 == 0.5 && b.median == 0.5 && b.q3 == 0.5 && b.whisk_lo == 0.5 && b.whisk_hi == 0.5);
    /* IQR 0 with a stray value: whiskers stay at the box, the stray value is an outlier */
    const double flat[5] = {0.6, 0.6, 0.6, 0.6, 0.9};
    CHECK(fig_box_stats_of(flat, 5, &b, &err) == EF_OK);
    CHECK(b.q1 == 0.6 && b.q3 == 0.6 && b.whisk_lo == 0.6 && b.whisk_hi == 0.6);
}

static void test_renumber(void)
{
    const char *in = "<svg><defs><symbol overflow=\"visible\" id=\"glyph0-1\"/><clipPath id=\"clip7\"/></defs>"
                     "<g id=\"surface11\" clip-path=\"url(#clip7)\"><use xlink:href=\"#glyph0-1\" x=\"1\"/>"
                     "<use xlink:href=\"#glyph0-1\"/><rect style=\"fill:url(#clip7);\"/></g></svg>";
    const char *want = "<svg><defs><symbol overflow=\"visible\" id=\"P-glyph1\"/><clipPath id=\"P-clip2\"/></defs>"
                       "<g id=\"P-surface3\" clip-path=\"url(#P-clip2)\"><use xlink:href=\"#P-glyph1\" x=\"1\"/>"
                       "<use xlink:href=\"#P-glyph1\"/><rect style=\"fill:url(#P-clip2);\"/></g></svg>";
    size_t n = 0;
    char *out = fig_svg_renumber_ids(in, strlen(in), "P", &n);
    CHECK(out && n == strlen(want) && strcmp(out, want) == 0);
    if (out && strcmp(out, want) != 0) fprintf(stderr, "got  %s\nwant %s\n", out, want);
    free(out);
}

/* ---- bad input --------------------------------------------------------------------------- */

static void expect_fail(ef_code rc, const ef_error *err, const char *needle, const char *prefix)
{
    CHECK_MSG(rc == EF_ERR_ARG, "expected EF_ERR_ARG, got %d (%s)", rc, err->msg);
    CHECK_MSG(strstr(err->msg, needle) != NULL, "message '%s' lacks '%s'", err->msg, needle);
    CHECK_MSG(strchr(err->msg, '\n') == NULL, "message is not one line: %s", err->msg);
    char p[512];
    for (int e = 0; e < 3; e++) {
        snprintf(p, sizeof p, "%s%s", prefix, exts[e]);
        CHECK_MSG(!exists(p), "%s written despite the error", p);
    }
}

static void test_bad_input(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s/bad", dir);
    ef_error err;
    double nan_vals[3] = {0.8, NAN, 0.7};
    ef_fig_box box = {"BERT", nan_vals, 3};
    ef_fig_panel panel = {"IEMOCAP", &box, 1};
    expect_fail(ef_report_fig3(p, &panel, 1, &err), &err, "value 1 is not finite", p);
    CHECK(strstr(err.msg, "BERT") && strstr(err.msg, "IEMOCAP"));
    double inf_vals[2] = {0.8, INFINITY};
    box.values = inf_vals;
    box.n = 2;
    expect_fail(ef_report_fig3(p, &panel, 1, &err), &err, "not finite", p);
    ef_fig_panel empty = {"IEMOCAP", NULL, 0};
    expect_fail(ef_report_fig3(p, &empty, 1, &err), &err, "has no boxes", p);
    expect_fail(ef_report_fig3(p, &panel, 0, &err), &err, "at least one panel", p);
    ef_fig_box nothing = {"BERT", NULL, 0};
    ef_fig_panel all_empty = {"IEMOCAP", &nothing, 1};
    expect_fail(ef_report_fig3(p, &all_empty, 1, &err), &err, "no values", p);
    ef_fig_box neg = {"BERT", nan_vals, -1};
    ef_fig_panel negp = {"IEMOCAP", &neg, 1};
    expect_fail(ef_report_fig3(p, &negp, 1, &err), &err, "negative count", p);

    double ok_vals[2] = {0.8, 0.82};
    ef_fig2_cell cells[2] = {{"BERT", "small", "SP", ok_vals, 2}, {"BERT", "small", "SP", ok_vals, 2}};
    expect_fail(ef_report_fig2(p, cells, 2, &err), &err, "given twice", p);
    cells[1].protocol = "RAND";
    cells[1].values = nan_vals;
    cells[1].n = 3;
    expect_fail(ef_report_fig2(p, cells, 2, &err), &err, "BERT small under RAND: value 1 is not finite", p);
    expect_fail(ef_report_fig2(p, cells, 0, &err), &err, "at least one cell", p);

    int ep[3] = {1, 2, 2};
    ef_fig_curve cu = {"Audio", ep, ok_vals, 3, 0};
    double three[3] = {0.7, 0.75, 0.76};
    cu.median_auc = three;
    expect_fail(ef_report_fig_epochs(p, &cu, 1, &err), &err, "not increasing", p);
    ep[2] = 3;
    cu.selected_epoch = 5;
    expect_fail(ef_report_fig_epochs(p, &cu, 1, &err), &err, "selected epoch 5", p);
    cu.selected_epoch = 2;
    cu.median_auc = nan_vals;
    expect_fail(ef_report_fig_epochs(p, &cu, 1, &err), &err, "not finite", p);
    expect_fail(ef_report_fig_epochs(p, &cu, 0, &err), &err, "at least one curve", p);

    /* an unwritable folder: a clean I/O error */
    ef_fig_box good = {"BERT", ok_vals, 2};
    ef_fig_panel gp = {"IEMOCAP", &good, 1};
    snprintf(p, sizeof p, "%s/no-such-dir/fig", dir);
    ef_code rc = ef_report_fig3(p, &gp, 1, &err);
    CHECK_MSG(rc == EF_ERR_IO, "missing folder: got %d (%s)", rc, err.msg);
}

/* Empty series are gaps, not errors. */
static void test_gaps(const char *dir)
{
    char p[512];
    ef_error err;
    double v[3] = {0.80, 0.81, 0.83};
    ef_fig_box boxes[3] = {{"Audio", v, 3}, {"GloVe", NULL, 0}, {"BERT", v, 1}};
    ef_fig_panel panels[2] = {{"IEMOCAP", boxes, 3}, {"MSP-PODCAST", boxes + 1, 1}};
    snprintf(p, sizeof p, "%s/gap3", dir);
    ef_code rc = ef_report_fig3(p, panels, 2, &err);
    CHECK_MSG(rc == EF_OK, "fig3 with gaps: %s", err.msg);
    ef_fig2_cell cells[3] = {{"Audio", NULL, "RAND", v, 3}, {"Audio", NULL, "SP", NULL, 0}, {"BERT", "", "SP&SC", v, 2}};
    snprintf(p, sizeof p, "%s/gap2", dir);
    rc = ef_report_fig2(p, cells, 3, &err);
    CHECK_MSG(rc == EF_OK, "fig2 with gaps: %s", err.msg);
    int ep[1] = {3};
    ef_fig_curve curves[2] = {{"Audio", ep, v, 1, 3}, {"BERT", NULL, NULL, 0, 0}};
    snprintf(p, sizeof p, "%s/gape", dir);
    rc = ef_report_fig_epochs(p, curves, 2, &err);
    CHECK_MSG(rc == EF_OK, "curves with gaps: %s", err.msg);
    snprintf(p, sizeof p, "%s/gape.png", dir);
    if (!rc) check_png(p, 1021);
}

/* ---- main ---------------------------------------------------------------------------------- */

static int render_into(const char *dir)
{
    ef_error err;
    ef_error_clear(&err);
    ef_code rc = ef_mkdir_p(dir, &err);
    if (!rc) rc = draw_all(dir, &err);
    if (rc) fprintf(stderr, "%s: %s\n", dir, err.msg);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    make_data();
    if (argc == 3 && strcmp(argv[1], "render") == 0) return render_into(argv[2]);   /* the fresh process */

    test_box_stats();
    test_renumber();
    const char *tmp = ef_test_tmpdir();
    char a[256], b[256], c[256], p[1024];
    snprintf(a, sizeof a, "%s/a", tmp);
    snprintf(b, sizeof b, "%s/b", tmp);
    snprintf(c, sizeof c, "%s/c", tmp);
    CHECK(render_into(a) == 0);
    check_dir(a);
    CHECK(render_into(b) == 0);
    check_identical(a, b, "second rendering in one process");

    /* a fresh process (cairo's id counters and fontconfig's caches start anew) */
    char *args[] = {"/proc/self/exe", "render", c, NULL};
    pid_t pid;
    int st = -1;
    CHECK(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ) == 0 && waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the fresh process failed");
    check_identical(a, c, "fresh process");

    /* no temporary files left beside the outputs */
    snprintf(p, sizeof p, "ls -a '%s' | grep -c '\\.tmp\\.' > /dev/null", a);
    CHECK_MSG(system(p) != 0, "temporary files left in %s", a);

    test_gaps(tmp);
    test_bad_input(tmp);
    printf("figures in %s\n", a);
    return ef_test_exit();
}
