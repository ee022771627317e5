/* The report's figures: Figure 2 (AvAUC per fold protocol), Figure 3 (box plots of AvAUC
 * over seeds per system and corpus) and learning curves (median AvAUC per epoch), drawn
 * once with cairo + pango and written as SVG, PDF and PNG (docs/report.md, "Figures").
 *
 * Contract shared by every function here:
 *   - `path_prefix` names the outputs: path_prefix + ".svg", ".pdf" and ".png" (300 dpi).
 *     All three are rendered in memory first and then each is written atomically
 *     (atomic_file.h), so a failure leaves no partial file; the folder must exist.
 *   - Text is set in DejaVu Sans (Debian fonts-dejavu-core) with unhinted metrics, so the
 *     layout is the same in every format; it is an EF_ERR_IO error when fontconfig does
 *     not resolve that family.
 *   - Output is byte-identical across runs and processes for the same input and library
 *     versions: the PDF carries no creation date, SVG ids are renumbered in order of
 *     appearance and prefixed with the file's base name (so several figures can be inlined
 *     in one HTML page without their glyph ids colliding).
 *   - Inputs are validated: every value must be finite and every label non-NULL (an empty
 *     string is allowed); a figure needs at least one thing to draw (EF_ERR_ARG otherwise).
 *     An EMPTY series (n == 0: e.g. a system whose runs have not finished) is not an
 *     error: it keeps its place and is drawn as a gap, marked "n/a" (Figure 3) or
 *     "(no data)" in the legend (learning curves); in Figure 2 it simply has no marker.
 *   - Strings and arrays are only read during the call; nothing is retained. */
#ifndef EMOFUSE_REPORT_FIGURES_H
#define EMOFUSE_REPORT_FIGURES_H

#include "emofuse/status.h"

/* ---- Figure 3: box plots ----------------------------------------------------------- */

typedef struct {
    const char *label;      /* x tick label, e.g. "EF-WS" */
    const double *values;   /* (n) AvAUC of each seed */
    int n;                  /* >= 0; 0 = no data (drawn as "n/a") */
} ef_fig_box;

typedef struct {
    const char *title;      /* shown above the panel, e.g. "IEMOCAP"; NULL or "" = none */
    const ef_fig_box *boxes;
    int n_boxes;            /* >= 1 */
} ef_fig_panel;

/* One panel per corpus, side by side (245 pt wide for one panel, 504 pt = 7 in for more),
 * each with its own y axis "AvAUC". A box spans the quartiles (numpy's linear
 * percentiles, as ef_percentile), the thick line is the median, whiskers reach the most
 * extreme value within 1.5 IQR of the box, values beyond are drawn as open circles. */
ef_code ef_report_fig3(const char *path_prefix, const ef_fig_panel *panels, int n_panels, ef_error *err);

/* ---- Figure 2: AvAUC per fold protocol ----------------------------------------------- */

typedef struct {
    const char *system;     /* e.g. "BERT" */
    const char *size;       /* e.g. "small"; NULL or "" = none */
    const char *protocol;   /* x group, e.g. "SP&SC" */
    const double *values;   /* (n) AvAUC of each seed */
    int n;                  /* >= 0; 0 = no marker */
} ef_fig2_cell;

/* x groups are the protocols in the order the cells first name them; one series per
 * (system, size) in order of first appearance, labelled "system size". Each series shows
 * its median (marker) with the interquartile range (bar), its medians joined across the
 * groups; series differ in marker shape, line style and colour, so the figure reads in
 * black and white. A (system, size, protocol) named twice is an error. */
ef_code ef_report_fig2(const char *path_prefix, const ef_fig2_cell *cells, int n, ef_error *err);

/* ---- Learning curves ------------------------------------------------------------------- */

typedef struct {
    const char *system;        /* legend label */
    const int *epochs;         /* (n) strictly increasing, >= 1 */
    const double *median_auc;  /* (n) median over seeds of AvAUC after that epoch */
    int n;                     /* >= 0; 0 = listed in the legend as "(no data)" */
    int selected_epoch;        /* circled; <= 0 = none, else must be one of epochs */
} ef_fig_curve;

/* Median AvAUC against epoch, one line per system, the selected epoch of each circled. */
ef_code ef_report_fig_epochs(const char *path_prefix, const ef_fig_curve *curves, int n, ef_error *err);

#endif
