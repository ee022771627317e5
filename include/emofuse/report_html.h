/* The experiment report as one self-contained HTML page: no network, no external fonts or
 * scripts; figures are inlined SVG. Everything shown is passed in by the caller. */
#ifndef EMOFUSE_REPORT_HTML_H
#define EMOFUSE_REPORT_HTML_H

#include "emofuse/report.h"
#include "emofuse/status.h"

typedef struct {
    const char *title;
    const char *text;      /* preformatted text (escaped, shown in <pre>) */
} ef_html_section;

typedef struct {
    const char *title;
    const char *const *warnings;   /* shown first, highlighted */
    int n_warnings;
    const ef_table1_row *rows;     /* Table 1 */
    int n_rows;
    const char *const *classes;
    int K;
    const char *table_note;        /* explains Table 1's significance marks (text), may be NULL */
    const char *significance_html; /* the significance section (already HTML), may be NULL */
    const char *const *svg_paths;  /* figures to inline; a missing file is noted, not fatal */
    const char *const *svg_captions;
    int n_svgs;
    const ef_html_section *sections; /* settings, corpus, folds, timings, ... */
    int n_sections;
} ef_html_report;

/* Write the page atomically. */
ef_code ef_report_html(const char *path, const ef_html_report *r, ef_error *err);

#endif
