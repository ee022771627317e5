/* report.html: Table 1, the figures (inline SVG), warnings and the facts a reviewer asks
 * for (settings, corpus, folds, timings), in one file that opens offline. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emofuse/atomic_file.h"
#include "emofuse/report_html.h"

static void put_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* An SVG file's content from its <svg element on (drops the XML prolog so it can sit
 * inside HTML); NULL when unreadable. */
static char *read_svg(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int c;
    while (mem && (c = fgetc(fp)) != EOF) fputc(c, mem);
    fclose(fp);
    if (!mem) return NULL;
    fclose(mem);
    char *start = strstr(buf, "<svg");
    if (!start) {
        free(buf);
        return NULL;
    }
    memmove(buf, start, strlen(start) + 1);
    return buf;
}

static void write_table(FILE *f, const ef_html_report *r)
{
    fputs("<h2 id=\"table1\">Table 1</h2>\n<p>Median &plusmn; interquartile range over seeds of the merged test "
          "folds.</p>\n<table class=\"t1\">\n<tr><th>system</th><th>seeds</th><th>AvRec (%)</th><th>AvAUC</th>", f);
    for (int k = 0; k < r->K; k++) {
        fputs("<th>recall ", f);
        put_escaped(f, r->classes[k]);
        fputs("</th>", f);
    }
    fputs("<th>AvRec 95% CI</th><th>AvAUC 95% CI</th></tr>\n", f);
    for (int i = 0; i < r->n_rows; i++) {
        const ef_table1_row *t = &r->rows[i];
        fputs("<tr><td>", f);
        put_escaped(f, t->system);
        if (t->epoch > 0) fprintf(f, " (epoch %d)", t->epoch);
        if (t->letter) fprintf(f, " (%c)", t->letter);
        fprintf(f, "</td><td>%d</td><td>%.1f &plusmn; %.1f", t->n_seeds, 100 * t->av_rec.median, 100 * t->av_rec.iqr);
        if (t->beats_avrec[0]) fprintf(f, "<sup>%s</sup>", t->beats_avrec);
        fprintf(f, "</td><td>%.3f &plusmn; %.3f", t->av_auc.median, t->av_auc.iqr);
        if (t->beats_avauc[0]) fprintf(f, "<sup>%s</sup>", t->beats_avauc);
        fputs("</td>", f);
        for (int k = 0; k < r->K; k++) fprintf(f, "<td>%.1f</td>", 100 * t->median.recall[k]);
        if (isnan(t->avrec_ci[0])) fputs("<td>n/a</td>", f);
        else fprintf(f, "<td>[%.1f, %.1f]</td>", 100 * t->avrec_ci[0], 100 * t->avrec_ci[1]);
        if (isnan(t->avauc_ci[0])) fputs("<td>n/a</td>", f);
        else fprintf(f, "<td>[%.3f, %.3f]</td>", t->avauc_ci[0], t->avauc_ci[1]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<p class=\"note\">Per-class recall and the 95% bootstrap intervals: of the median seed (by "
          "AvAUC).", f);
    if (r->table_note) {
        fputs(" ", f);
        put_escaped(f, r->table_note);
    }
    fputs("</p>\n", f);
}

static void write_confusions(FILE *f, const ef_html_report *r)
{
    fputs("<h2>Confusion matrices of the median seeds</h2>\n<div class=\"cms\">\n", f);
    for (int i = 0; i < r->n_rows; i++) {
        const ef_table1_row *t = &r->rows[i];
        fputs("<table class=\"cm\"><caption>", f);
        put_escaped(f, t->system);
        fprintf(f, ", seed %d (rows: true, columns: predicted)</caption>\n<tr><th></th>", t->median_seed);
        for (int k = 0; k < r->K; k++) {
            fputs("<th>", f);
            put_escaped(f, r->classes[k]);
            fputs("</th>", f);
        }
        fputs("</tr>\n", f);
        for (int a = 0; a < r->K; a++) {
            fputs("<tr><th>", f);
            put_escaped(f, r->classes[a]);
            fputs("</th>", f);
            for (int k = 0; k < r->K; k++) fprintf(f, "<td>%lld</td>", (long long)t->median.cm[a * r->K + k]);
            fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    fputs("</div>\n", f);
}

ef_code ef_report_html(const char *path, const ef_html_report *r, ef_error *err)
{
    ef_atomic_file af;
    ef_code rc = ef_atomic_open(&af, path, err);
    if (rc) return rc;
    FILE *f = af.fp;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
    put_escaped(f, r->title);
    fputs("</title>\n<style>\n"
          "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}\n"
          "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.25em .6em;"
          "text-align:right}th{background:#eee}td:first-child{text-align:left}\n"
          ".warn{background:#fff3cd;border:1px solid #e0c060;padding:.6em 1em;margin:.5em 0}\n"
          ".cms{display:flex;flex-wrap:wrap;gap:1em}.cm caption{font-size:.9em}\n"
          "pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}.note{font-size:.9em;color:#555}\n"
          "figure{margin:1.5em 0}figcaption{font-size:.9em;color:#444}\n"
          "</style>\n</head>\n<body>\n<h1>", f);
    put_escaped(f, r->title);
    fputs("</h1>\n", f);
    for (int i = 0; i < r->n_warnings; i++) {
        fputs("<p class=\"warn\">", f);
        put_escaped(f, r->warnings[i]);
        fputs("</p>\n", f);
    }
    write_table(f, r);
    if (r->significance_html) fputs(r->significance_html, f);
    for (int i = 0; i < r->n_svgs; i++) {
        char *svg = read_svg(r->svg_paths[i]);
        fprintf(f, "<figure id=\"fig%d\">\n", i + 1);
        if (svg) fputs(svg, f);
        else {
            fputs("<p class=\"warn\">figure missing: ", f);
            put_escaped(f, r->svg_paths[i]);
            fputs("</p>", f);
        }
        fputs("\n<figcaption>", f);
        put_escaped(f, r->svg_captions[i]);
        fputs("</figcaption>\n</figure>\n", f);
        free(svg);
    }
    write_confusions(f, r);
    for (int i = 0; i < r->n_sections; i++) {
        fputs("<h2>", f);
        put_escaped(f, r->sections[i].title);
        fputs("</h2>\n<pre>", f);
        put_escaped(f, r->sections[i].text);
        fputs("</pre>\n", f);
    }
    fputs("<p class=\"note\">Written by emofuse " EMOFUSE_VERSION ".</p>\n</body>\n</html>\n", f);
    if (ferror(f)) {
        ef_atomic_abort(&af);
        return ef_fail(err, EF_ERR_IO, "%s: write failed", path);
    }
    return ef_atomic_commit(&af, err);
}
