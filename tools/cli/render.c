/* Renderers for the report model of report.c.
 *
 * table: a plain-text report for terminals: title, aligned summary, then
 *        each table with aligned columns (widths counted in UTF-8 code
 *        points); status cells are coloured only when asked, which main.c
 *        does only when the output is a terminal.
 * md:    GitHub-flavoured Markdown: the summary sentence and first
 *        actions, summary list, provenance, pipe tables (with the cells'
 *        document forms: titles and dates beside ids), legend.
 * csv:   RFC 4180, the report's one-row-per-requirement table only, so a
 *        spreadsheet gets exactly one record per requirement.
 * json:  the server's answer, indented.
 * html:  report_html.c: one self-contained document for reading and
 *        printing.
 * pdf:   report_pdf.c: that document printed by headless Chromium. */
#include "cli.h"

#include "csvfile.h"

#include <stdlib.h>
#include <string.h>

int cw_format_parse(const char *s, cw_format *out)
{
    static const struct {
        const char *name;
        cw_format f;
    } names[] = {{"table", CW_FMT_TABLE}, {"md", CW_FMT_MD},     {"markdown", CW_FMT_MD},
                 {"csv", CW_FMT_CSV},     {"json", CW_FMT_JSON}, {"html", CW_FMT_HTML},
                 {"pdf", CW_FMT_PDF}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

/* Display width: UTF-8 code points (continuation bytes do not count).  The
 * catalogues are Latin text, so this is the width a terminal shows. */
static size_t cw_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static const char *cw_status_colour(const char *v)
{
    static const struct {
        const char *status, *ansi;
    } map[] = {{"met", "32"},     {"full", "32"},  {"partial", "36"},     {"unverified", "33"},
               {"failing", "31"}, {"gap", "1;31"}, {"unreached", "1;31"}, {"not_applicable", "2"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(v, map[i].status) == 0)
            return map[i].ansi;
    return NULL;
}

static void cw_pad(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

static void cw_render_text_table(FILE *out, const cw_table *t, bool colour)
{
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w)
        return;
    for (size_t c = 0; c < t->ncols; c++)
        w[c] = cw_width(t->cols[c]);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t x = cw_width(t->cells[r * t->ncols + c]);
            if (x > w[c])
                w[c] = x;
        }
    fprintf(out, "%s (%zu)\n", t->caption, t->nrows);
    for (size_t c = 0; c < t->ncols; c++) {
        fputs(t->cols[c], out);
        if (c + 1 < t->ncols)
            cw_pad(out, w[c] - cw_width(t->cols[c]) + 2);
    }
    fputc('\n', out);
    for (size_t c = 0; c < t->ncols; c++) {
        for (size_t i = 0; i < w[c]; i++)
            fputc('-', out);
        if (c + 1 < t->ncols)
            cw_pad(out, 2);
    }
    fputc('\n', out);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *v = t->cells[r * t->ncols + c];
            const char *ansi = colour && (int)c == t->status_col ? cw_status_colour(v) : NULL;
            if (ansi)
                fprintf(out, "\033[%sm%s\033[0m", ansi, v);
            else
                fputs(v, out);
            if (c + 1 < t->ncols)
                cw_pad(out, w[c] - cw_width(v) + 2);
        }
        fputc('\n', out);
    }
    if (t->nrows == 0)
        fputs("(none)\n", out);
    free(w);
}

static void cw_render_table(FILE *out, const cw_report *r, bool colour)
{
    fprintf(out, "%s\n", r->title);
    for (size_t i = cw_width(r->title); i > 0; i--)
        fputc('=', out);
    fputc('\n', out);
    size_t kw = 0;
    for (size_t i = 0; i < r->nsummary; i++)
        if (cw_width(r->sum_key[i]) > kw)
            kw = cw_width(r->sum_key[i]);
    for (size_t i = 0; i < r->nsummary; i++) {
        fprintf(out, "%s:", r->sum_key[i]);
        cw_pad(out, kw - cw_width(r->sum_key[i]) + 1);
        fprintf(out, "%s\n", r->sum_val[i]);
    }
    for (size_t i = 0; i < r->ntables; i++) {
        fputc('\n', out);
        cw_render_text_table(out, &r->tables[i], colour);
    }
}

/* Markdown cell: pipes escaped, line breaks flattened so a row stays one
 * line. */
static void cw_md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static void cw_render_md(FILE *out, const cw_report *r)
{
    fputs("# ", out);
    cw_md_cell(out, r->title);
    fputs("\n\n", out);
    if (r->subtitle) {
        cw_md_cell(out, r->subtitle);
        fputs("\n\n", out);
    }
    if (r->lead) {
        cw_md_cell(out, r->lead);
        fputs("\n\n", out);
    }
    if (r->nactions) {
        fprintf(out, "**%s**\n\n", r->actions_title ? r->actions_title : "Actions");
        for (size_t i = 0; i < r->nactions; i++) {
            fprintf(out, "%zu. ", i + 1);
            cw_md_cell(out, r->actions[i]);
            fputc('\n', out);
        }
        fputc('\n', out);
    }
    for (size_t i = 0; i < r->nsummary; i++) {
        fprintf(out, "- **%s**: ", r->sum_key[i]);
        cw_md_cell(out, r->sum_val[i]);
        fputc('\n', out);
    }
    if (r->nprov)
        fputs("\n## Provenance\n\n", out);
    for (size_t i = 0; i < r->nprov; i++) {
        fprintf(out, "- **%s**: ", r->prov_key[i]);
        cw_md_cell(out, r->prov_val[i]);
        fputc('\n', out);
    }
    for (size_t i = 0; i < r->ntables; i++) {
        const cw_table *t = &r->tables[i];
        fprintf(out, "\n## ");
        cw_md_cell(out, t->caption);
        fprintf(out, " (%zu)\n\n", t->nrows);
        if (t->nrows == 0) {
            fputs("(none)\n", out);
            continue;
        }
        for (size_t c = 0; c < t->ncols; c++) {
            fputs("| ", out);
            cw_md_cell(out, t->cols[c]);
            fputc(' ', out);
        }
        fputs("|\n", out);
        for (size_t c = 0; c < t->ncols; c++)
            fputs("| --- ", out);
        fputs("|\n", out);
        for (size_t row = 0; row < t->nrows; row++) {
            for (size_t c = 0; c < t->ncols; c++) {
                const char *d = t->doc ? t->doc[row * t->ncols + c] : NULL;
                fputs("| ", out);
                cw_md_cell(out, d ? d : t->cells[row * t->ncols + c]);
                fputc(' ', out);
            }
            fputs("|\n", out);
        }
    }
    if (r->nlegend) {
        fputs("\n## What each status means\n\n", out);
        for (size_t i = 0; i < r->nlegend; i++)
            fprintf(out, "- **%s**: %s\n", cw_status_label(r->legend_key[i]), r->legend_val[i]);
    }
}

/* Fields are written by libcsv (cw_csv_put), quoted also when a space
 * begins or ends the value, so a spreadsheet keeps it. */
static void cw_render_csv(FILE *out, const cw_report *r)
{
    if (r->csv_table >= r->ntables)
        return;
    const cw_table *t = &r->tables[r->csv_table];
    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            fputc(',', out);
        cw_csv_put(out, t->cols[c], CW_CSV_QUOTE_EDGE_SPACE);
    }
    fputs("\r\n", out);
    for (size_t row = 0; row < t->nrows; row++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c)
                fputc(',', out);
            cw_csv_put(out, t->cells[row * t->ncols + c], CW_CSV_QUOTE_EDGE_SPACE);
        }
        fputs("\r\n", out);
    }
}

int cw_render(FILE *out, const cw_report *r, cw_format fmt, bool colour)
{
    switch (fmt) {
    case CW_FMT_TABLE: cw_render_table(out, r, colour); break;
    case CW_FMT_MD: cw_render_md(out, r); break;
    case CW_FMT_CSV: cw_render_csv(out, r); break;
    case CW_FMT_JSON:
        if (json_dumpf(r->answer, out, JSON_INDENT(2) | JSON_ENCODE_ANY))
            return -1;
        fputc('\n', out);
        break;
    case CW_FMT_HTML: cw_report_html(out, r); break;
    case CW_FMT_PDF:
        if (cw_report_pdf(out, r))
            return -2;
        break;
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
