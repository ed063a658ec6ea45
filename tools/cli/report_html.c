/* The HTML report: one self-contained document for reading and printing.
 *
 * The page reads as a report to hand an auditor: the title names the
 * organisation and frameworks, a summary (counts by status and the first
 * actions) comes first, then the provenance (versions, time, hops, the
 * frameworks' publishers and licence notes, the crosswalk rows' origins),
 * the meaning of each status, the chart and the tables.  Each status has a
 * colour that stays apart from the others for readers with red-green
 * colour blindness (blue, sky blue, amber, dark vermilion and greys, after
 * Okabe and Ito's palette; test_reports.py checks the distances under a
 * simulated deuteranopia and protanopia) and, because colour alone is not
 * enough, a shape of its own (a filled disc with a tick, a half disc, a
 * dashed ring with a question mark, a disc with a cross, an empty ring, a
 * struck ring) and a pattern in the chart.  Long lists (candidates, joint rows,
 * every contribution) sit behind closed <details> elements whose summary
 * line says what they hold, so a printout carries one line for each.
 *
 * Print rules: margins that suit A4 and Letter alike, page numbers in
 * the margin, table headers repeated on every page (thead), rows, tiles
 * and list items never split across pages, headings kept with what
 * follows.  Ids never break inside (nowrap), wherever their hyphens are.
 *
 * Self-contained: inline CSS and SVG only, no scripts, fonts or other
 * resources, and a Content-Security-Policy forbidding any, so the file is
 * safe to mail around and renders the same offline.  Every piece of text
 * from the server goes through cw_html_escape; a status name goes into a
 * class attribute only when it is one of the known ones. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

void cw_html_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

/* A status (or finding kind) and how it looks: its fill, a darker shade
 * for text, its icon and its chart pattern. */
typedef struct cw_look {
    const char *key, *fill, *ink, *icon, *pattern;
} cw_look;

static const cw_look cw_looks[] = {
    {"met", "#0072B2", "#004f7c", "ic-met", NULL},
    {"full", "#0072B2", "#004f7c", "ic-met", NULL},
    {"partial", "#56B4E9", "#1d6a99", "ic-partial", "pt-partial"},
    {"unverified", "#E8B100", "#7a5c00", "ic-unverified", "pt-unverified"},
    {"failing", "#B83D00", "#8f2f00", "ic-failing", "pt-failing"},
    {"gap", "#8c8c8c", "#333333", "ic-gap", NULL},
    {"unreached", "#8c8c8c", "#333333", "ic-gap", NULL},
    {"not_applicable", "#dddddd", "#666666", "ic-na", "pt-na"},
    {"dangling", "#B83D00", "#8f2f00", NULL, NULL},
    {"subset_both_ways", "#E8B100", "#7a5c00", NULL, NULL},
    {"conflict", "#CC79A7", "#8e3d6c", NULL, NULL},
    {"withdrawn_member", "#999999", "#444444", NULL, NULL},
    {"duplicate_member", "#bbbbbb", "#444444", NULL, NULL}};

static const cw_look *cw_look_of(const char *key)
{
    for (size_t i = 0; i < sizeof cw_looks / sizeof cw_looks[0]; i++)
        if (strcmp(key, cw_looks[i].key) == 0)
            return &cw_looks[i];
    return NULL;
}

/* The icons and chart patterns, defined once and used by reference. */
static const char cw_defs[] =
    "<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\" focusable=\"false\">"
    "<defs>"
    "<symbol id=\"ic-met\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" r=\"7\" fill=\"#0072B2\"/>"
    "<path d=\"M4.3 8.4 7 11 11.8 5.4\" fill=\"none\" stroke=\"#fff\" stroke-width=\"2\"/></symbol>"
    "<symbol id=\"ic-partial\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" r=\"6.3\" "
    "fill=\"#fff\" stroke=\"#1d6a99\" stroke-width=\"1.4\"/>"
    "<path d=\"M8 1.7A6.3 6.3 0 0 0 8 14.3Z\" fill=\"#56B4E9\" stroke=\"#1d6a99\" "
    "stroke-width=\"1.4\"/></symbol>"
    "<symbol id=\"ic-unverified\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" r=\"6.3\" "
    "fill=\"#fff\" stroke=\"#E8B100\" stroke-width=\"1.8\" stroke-dasharray=\"2.6 1.6\"/>"
    "<path d=\"M6.1 6.3a1.9 1.9 0 1 1 2.6 1.8c-.5.2-.7.6-.7 1.1v.6\" fill=\"none\" "
    "stroke=\"#7a5c00\" stroke-width=\"1.5\"/><circle cx=\"8\" cy=\"11.7\" r=\".9\" "
    "fill=\"#7a5c00\"/></symbol>"
    "<symbol id=\"ic-failing\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" r=\"7\" "
    "fill=\"#B83D00\"/><path d=\"M5.2 5.2 10.8 10.8M10.8 5.2 5.2 10.8\" stroke=\"#fff\" "
    "stroke-width=\"2\"/></symbol>"
    "<symbol id=\"ic-gap\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" r=\"6.2\" fill=\"#fff\" "
    "stroke=\"#333\" stroke-width=\"1.6\"/></symbol>"
    "<symbol id=\"ic-na\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" r=\"6.2\" fill=\"#fff\" "
    "stroke=\"#777\" stroke-width=\"1.3\"/><path d=\"M3.8 12.2 12.2 3.8\" stroke=\"#777\" "
    "stroke-width=\"1.3\"/></symbol>"
    "<pattern id=\"pt-partial\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
    "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#56B4E9\"/>"
    "<rect width=\"2\" height=\"6\" fill=\"#ffffff\" fill-opacity=\".55\"/></pattern>"
    "<pattern id=\"pt-unverified\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\">"
    "<rect width=\"5\" height=\"5\" fill=\"#E8B100\"/><circle cx=\"2.5\" cy=\"2.5\" r=\"1\" "
    "fill=\"#6b4a00\"/></pattern>"
    "<pattern id=\"pt-failing\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
    "<rect width=\"6\" height=\"6\" fill=\"#B83D00\"/><path d=\"M0 0 6 6M6 0 0 6\" "
    "stroke=\"#fff\" stroke-width=\".9\"/></pattern>"
    "<pattern id=\"pt-na\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" "
    "patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"#f2f2f2\"/>"
    "<rect width=\"1\" height=\"5\" fill=\"#9a9a9a\"/></pattern>"
    "</defs></svg>\n";

static const char cw_css[] =
    ":root{--ink:#1f1f1f;--muted:#5a5a5a;--rule:#c8c8c8;--head:#eef1f4}"
    "body{font-family:'Segoe UI','Helvetica Neue',Helvetica,Arial,'Liberation Sans',system-ui,"
    "sans-serif;margin:2em auto;max-width:1200px;padding:0 1.2em;color:var(--ink);"
    "line-height:1.4;font-size:15px}"
    "svg.defs{position:absolute;width:0;height:0;overflow:hidden}"
    "header{border-bottom:3px solid #0072B2;margin-bottom:1em}"
    "h1{font-size:1.7em;margin:.2em 0}"
    "p.subtitle{margin:.2em 0 .6em;color:var(--muted)}"
    "h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:1px solid var(--rule)}"
    "h3{font-size:1em;margin:1em 0 .3em}"
    "p.lead{font-size:1.1em;margin:.4em 0}"
    "p.intro{color:var(--muted);margin:.2em 0 .5em}"
    "ul.tiles{list-style:none;padding:0;margin:.6em 0;display:flex;flex-wrap:wrap;gap:.5em}"
    "ul.tiles li{border:1px solid var(--rule);border-left:6px solid var(--fill);"
    "border-radius:4px;padding:.3em .7em;min-width:7em}"
    "ul.tiles b{font-size:1.4em;margin:0 .25em}"
    "ol.actions{margin:.3em 0;padding-left:1.6em}ol.actions li{margin:.15em 0}"
    "table.kv{width:auto;font-size:1em;margin:.3em 0}"
    "table.kv th,table.kv td{border:0;padding:.1em 1em .1em 0;background:none}"
    "table.kv th{white-space:nowrap;font-weight:600}"
    "th.w{min-width:10em}"
    "svg.ic{width:1em;height:1em;vertical-align:-.15em;margin-right:.3em;flex:none}"
    "table{border-collapse:collapse;margin:.4em 0;font-size:.9em;width:100%}"
    "th,td{border:1px solid var(--rule);padding:.2em .45em;text-align:left;vertical-align:top;"
    "overflow-wrap:break-word}"
    "th{background:var(--head)}"
    "td.nw{white-space:nowrap}"
    "td.st{white-space:nowrap;font-weight:600;color:var(--ink)}"
    "details.fold{border-bottom:1px solid #e3e3e3;padding:.1em 0}"
    "details.fold>summary{cursor:pointer}"
    "details.fold table{margin:.2em 0 .5em}"
    "svg.chart{width:100%;max-width:760px;height:auto}"
    "svg.chart text{font-size:12px;fill:#333}"
    "footer{margin-top:2em;font-size:.8em;color:var(--muted)}"
    "@page{margin:14mm 12mm 15mm}"
    "@media print{"
    "body{max-width:none;margin:0;padding:0;font-size:9pt;line-height:1.3}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "h1{font-size:16pt}h2{font-size:11.5pt;margin-top:1em;break-after:avoid}"
    "h3{break-after:avoid}p.intro{break-after:avoid}"
    "table{font-size:8pt}th,td{padding:.12em .35em}"
    "thead{display:table-header-group}"
    "tr,li,ul.tiles li,details.fold>summary,svg.chart{break-inside:avoid}"
    "details.fold{padding:0}"
    "footer{margin-top:1em}"
    "}";

/* Writes s as the body of a CSS string: everything but plain characters
 * as a hex escape, so no text of the server's can end the string or the
 * style element. */
static void cw_css_string(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&')
            fprintf(out, "\\%x ", c);
        else
            fputc(c, out);
    }
}

/* An icon for a status, when it has one. */
static void cw_icon(FILE *out, const cw_look *l)
{
    if (l && l->icon)
        fprintf(
            out,
            "<svg class=\"ic\" viewBox=\"0 0 16 16\" aria-hidden=\"true\"><use href=\"#%s\"/></svg>",
            l->icon);
}

/* The chart's fill for a series: its pattern, else its colour. */
static void cw_fill(FILE *out, const char *series)
{
    const cw_look *l = cw_look_of(series);
    if (!l)
        fputs("#bdbdbd", out);
    else if (l->pattern)
        fprintf(out, "url(#%s)", l->pattern);
    else
        fputs(l->fill, out);
}

/* Writes at most max code points of s, escaped, with "…" when cut. */
static void cw_html_cut(FILE *out, const char *s, size_t max)
{
    size_t n = 0, i = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == max)
            break;
    }
    char *part = strndup(s, i);
    if (!part)
        return;
    cw_html_escape(out, part);
    free(part);
    if (s[i])
        fputs("\xE2\x80\xA6", out);
}

/* Stacked horizontal bars, one per group (id and title on the left), each
 * the group's items split by status in proportion, with the count after
 * it; the legend underneath uses the same fills. */
static void cw_chart_svg(FILE *out, const cw_chart *c)
{
    const double label_w = 290, bar_w = 400, row_h = 22, bar_h = 15, top = 6;
    double legend_y = top + row_h * (double)c->ngroups + 10;
    double height = legend_y + 26;
    fprintf(out,
            "<svg id=\"coverage-chart\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
            "viewBox=\"0 0 740 %.0f\" role=\"img\" aria-label=\"requirements by group and "
            "status\">\n",
            height);
    for (size_t g = 0; g < c->ngroups; g++) {
        double y = top + row_h * (double)g;
        long total = 0;
        for (size_t s = 0; s < c->nseries; s++)
            total += c->counts[g * c->nseries + s];
        fprintf(out, "<text x=\"0\" y=\"%.1f\" class=\"lbl\">", y + bar_h - 3);
        cw_html_escape(out, c->labels[g]);
        if (c->titles && *c->titles[g]) {
            fputs(" \xC2\xB7 ", out);
            cw_html_cut(out, c->titles[g], 38);
        }
        fputs("</text>\n", out);
        double x = label_w;
        for (size_t s = 0; s < c->nseries && total > 0; s++) {
            long n = c->counts[g * c->nseries + s];
            if (n == 0)
                continue;
            double w = bar_w * (double)n / (double)total;
            fprintf(out,
                    "<rect class=\"bar\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" "
                    "fill=\"",
                    x, y, w, bar_h);
            cw_fill(out, c->series[s]);
            fputs("\" stroke=\"#fff\" stroke-width=\".6\"><title>", out);
            cw_html_escape(out, c->labels[g]);
            fprintf(out, ": %s %ld of %ld</title></rect>\n", cw_status_label(c->series[s]), n,
                    total);
            x += w;
        }
        if (total == 0)
            fprintf(out,
                    "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
                    "stroke=\"#ccc\"/>\n",
                    label_w, y, bar_w, bar_h);
        fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" class=\"cnt\">%ld</text>\n", label_w + bar_w + 8,
                y + bar_h - 3, total);
    }
    double lx = label_w;
    for (size_t s = 0; s < c->nseries; s++) {
        const char *label = cw_status_label(c->series[s]);
        fprintf(out,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" stroke=\"#666\" "
                "stroke-width=\".5\" fill=\"",
                lx, legend_y);
        cw_fill(out, c->series[s]);
        fprintf(out, "\"/><text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">%s</text>\n", lx + 16,
                legend_y + 11, label);
        lx += 26 + 6.5 * (double)strlen(label);
    }
    fputs("</svg>\n", out);
}

/* The opening of a data table: its header row, without column `skip`
 * (the one a fold's summary already names; ncols for none). */
static void cw_table_head(FILE *out, const cw_table *t, size_t skip)
{
    fputs("<table class=\"data\">\n<thead><tr>", out);
    for (size_t c = 0; c < t->ncols; c++) {
        if (c == skip)
            continue;
        fputs(c < 32 && (t->wide >> c & 1) ? "<th scope=\"col\" class=\"w\">"
                                           : "<th scope=\"col\">",
              out);
        cw_html_escape(out, t->cols[c]);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
}

static void cw_table_row(FILE *out, const cw_table *t, size_t row, size_t skip)
{
    fputs("<tr>", out);
    for (size_t c = 0; c < t->ncols; c++) {
        if (c == skip)
            continue;
        const char *v = t->cells[row * t->ncols + c];
        const char *d = t->doc ? t->doc[row * t->ncols + c] : NULL;
        const cw_look *l = (int)c == t->status_col ? cw_look_of(v) : NULL;
        if (l) {
            /* v is one of the known names, so it is safe in an attribute */
            fprintf(out, "<td class=\"st st-%s\">", v);
            cw_icon(out, l);
            cw_html_escape(out, cw_status_label(v));
        } else {
            fputs(c < 32 && (t->nowrap >> c & 1) ? "<td class=\"nw\">" : "<td>", out);
            cw_html_escape(out, d ? d : v);
        }
        fputs("</td>", out);
    }
    fputs("</tr>\n", out);
}

/* One table: its plain rows in one table, each fold as a closed
 * <details> holding its rows without the first column. */
static void cw_table_html(FILE *out, const cw_table *t, size_t index)
{
    fprintf(out, "<section class=\"table\" id=\"table-%zu\">\n<h2>", index + 1);
    cw_html_escape(out, t->caption);
    fprintf(out, " (%zu)</h2>\n", t->nrows);
    if (t->intro) {
        fputs("<p class=\"intro\">", out);
        cw_html_escape(out, t->intro);
        fputs("</p>\n", out);
    }
    bool open = false;
    size_t f = 0;
    for (size_t row = 0; row < t->nrows;) {
        if (f < t->nfolds && t->folds[f].first == row) {
            if (open)
                fputs("</tbody>\n</table>\n", out);
            open = false;
            fputs("<details class=\"fold\"><summary>", out);
            cw_html_escape(out, t->folds[f].summary);
            fputs("</summary>\n", out);
            cw_table_head(out, t, 0);
            for (size_t k = 0; k < t->folds[f].n; k++)
                cw_table_row(out, t, row + k, 0);
            fputs("</tbody>\n</table>\n</details>\n", out);
            row += t->folds[f].n;
            f++;
            continue;
        }
        if (!open)
            cw_table_head(out, t, t->ncols);
        open = true;
        cw_table_row(out, t, row++, t->ncols);
    }
    if (open)
        fputs("</tbody>\n</table>\n", out);
    if (t->nrows == 0)
        fputs("<p class=\"intro\">None.</p>\n", out);
    fputs("</section>\n", out);
}

static void cw_kv_row(FILE *out, const cw_look *icon, const char *key, const char *val);

/* The summary: the lead sentence, one tile per status with its total,
 * and the first actions.  A report without a lead sentence (the ISMS
 * reports) gives its summary as key and value lines instead. */
static void cw_summary(FILE *out, const cw_report *r)
{
    fputs("<section id=\"summary\" class=\"summary\">\n<h2>Summary</h2>\n", out);
    if (r->lead) {
        fputs("<p class=\"lead\">", out);
        cw_html_escape(out, r->lead);
        fputs("</p>\n", out);
    } else if (r->nsummary) {
        fputs("<table class=\"kv\">\n<tbody>", out);
        for (size_t i = 0; i < r->nsummary; i++)
            cw_kv_row(out, NULL, r->sum_key[i], r->sum_val[i]);
        fputs("</tbody></table>\n", out);
    }
    const cw_chart *c = &r->chart;
    if (c->ngroups) {
        fputs("<ul class=\"tiles\">\n", out);
        for (size_t s = 0; s < c->nseries; s++) {
            long n = 0;
            for (size_t g = 0; g < c->ngroups; g++)
                n += c->counts[g * c->nseries + s];
            const cw_look *l = cw_look_of(c->series[s]);
            fprintf(out, "<li style=\"--fill:%s\">", l ? l->fill : "#bdbdbd");
            cw_icon(out, l);
            fprintf(out, "<b>%ld</b>%s</li>\n", n, cw_status_label(c->series[s]));
        }
        fputs("</ul>\n", out);
    }
    if (r->nactions) {
        fputs("<h3>", out);
        cw_html_escape(out, r->actions_title ? r->actions_title : "Actions");
        fputs("</h3>\n<ol class=\"actions\">\n", out);
        for (size_t i = 0; i < r->nactions; i++) {
            fputs("<li>", out);
            cw_html_escape(out, r->actions[i]);
            fputs("</li>\n", out);
        }
        fputs("</ol>\n", out);
    }
    fputs("</section>\n", out);
}

/* One row of a key/value table (provenance, legend); the icon is the
 * status's, when the key is one. */
static void cw_kv_row(FILE *out, const cw_look *icon, const char *key, const char *val)
{
    fputs("<tr><th scope=\"row\">", out);
    cw_icon(out, icon);
    cw_html_escape(out, key);
    fputs("</th><td>", out);
    cw_html_escape(out, val);
    fputs("</td></tr>\n", out);
}

void cw_report_html(FILE *out, const cw_report *r)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    cw_html_escape(out, r->title);
    fprintf(out, "</title>\n<style>%s", cw_css);
    /* the title in the page margin, and the page number */
    fputs("@page{@bottom-left{content:\"", out);
    cw_css_string(out, r->title);
    fputs("\";font:7.5pt Helvetica,Arial,'Liberation Sans',sans-serif;color:#666}"
          "@bottom-right{content:\"Page \" counter(page) \" of \" counter(pages);"
          "font:7.5pt Helvetica,Arial,'Liberation Sans',sans-serif;color:#666}}",
          out);
    for (size_t i = 0; i < sizeof cw_looks / sizeof cw_looks[0]; i++)
        fprintf(out, ".st-%s{--fill:%s}", cw_looks[i].key, cw_looks[i].fill);
    fputs("</style>\n</head>\n<body>\n", out);
    fputs(cw_defs, out);
    fputs("<header>\n<h1>", out);
    cw_html_escape(out, r->title);
    fputs("</h1>\n", out);
    if (r->subtitle) {
        fputs("<p class=\"subtitle\">", out);
        cw_html_escape(out, r->subtitle);
        fputs("</p>\n", out);
    }
    fputs("</header>\n", out);
    cw_summary(out, r);
    if (r->nprov) {
        fputs("<section id=\"provenance\">\n<h2>Provenance</h2>\n<table class=\"kv prov\">\n", out);
        for (size_t i = 0; i < r->nprov; i++)
            cw_kv_row(out, NULL, r->prov_key[i], r->prov_val[i]);
        fputs("</table>\n</section>\n", out);
    }
    if (r->nlegend) {
        fputs("<section id=\"legend\">\n<h2>What each status means</h2>\n"
              "<table class=\"kv legend\">\n",
              out);
        for (size_t i = 0; i < r->nlegend; i++)
            cw_kv_row(out, cw_look_of(r->legend_key[i]), cw_status_label(r->legend_key[i]),
                      r->legend_val[i]);
        fputs("</table>\n</section>\n", out);
    }
    if (r->chart.ngroups) {
        fputs("<section id=\"chart\">\n<h2>Requirements by group and status</h2>\n", out);
        cw_chart_svg(out, &r->chart);
        fputs("</section>\n", out);
    }
    for (size_t i = 0; i < r->ntables; i++)
        cw_table_html(out, &r->tables[i], i);
    fputs("<footer>Made by crosswalk from crosswalkd's answers (see Provenance). A self-contained "
          "file: no scripts, fonts or external resources. Closed lists open with a click; print "
          "them open to include them.</footer>\n</body>\n</html>\n",
          out);
}
