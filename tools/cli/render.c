/* Renderers for the report model of report.c.
 *
 * table: a plain-text report for terminals: title, aligned summary, then
 *        each table with aligned columns, measured in display cells
 *        (term.c) and fitted to the view's width: the widest columns are
 *        narrowed and their cells wrapped at spaces onto more lines;
 *        control characters are shown as spaces, so no text from the
 *        server can move the cursor or restyle the terminal.  Status
 *        cells are coloured only when the view asks.
 * md:    GitHub-flavoured Markdown: the summary sentence and first
 *        actions, summary list, provenance, pipe tables (with the cells'
 *        document forms: titles and dates beside ids), legend.
 * csv:   RFC 4180, the report's one-row-per-requirement table only, so a
 *        spreadsheet gets exactly one record per requirement; a cell
 *        beginning with =, +, -, @, a tab or a carriage return gets a '
 *        in front (OWASP's advice against CSV injection), so a
 *        spreadsheet shows it as text instead of running it.
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

/* Writes n bytes of s with control characters as spaces. */
static void cw_put_text(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i], out);
}

/* Narrows the columns of natural widths w (in place) until the row,
 * columns two spaces apart, fits width: the widest one is narrowed first,
 * none below its floor (its header's width, at least 8 cells, or its
 * natural width when less).  A table that cannot fit keeps the floors. */
static void cw_fit_columns(size_t *w, const size_t *floor, size_t n, size_t width)
{
    size_t total = 2 * (n ? n - 1 : 0);
    for (size_t c = 0; c < n; c++)
        total += w[c];
    while (width && total > width) {
        size_t wide = n;
        for (size_t c = 0; c < n; c++)
            if (w[c] > floor[c] && (wide == n || w[c] > w[wide]))
                wide = c;
        if (wide == n)
            break;
        w[wide]--;
        total--;
    }
}

/* The next line of the cell text at *s that fits cols cells: its bytes in
 * *n and cells in *cells; *s moves past it and the spaces after it.
 * Breaks after the last space that fits, else inside the word. */
static void cw_next_line(const char **s, size_t cols, size_t *n, size_t *cells)
{
    const char *p = *s;
    size_t k = cw_text_fit(p, cols, cells);
    if (p[k] && p[k] != ' ') {
        size_t sp = k;
        while (sp > 0 && p[sp - 1] != ' ')
            sp--;
        while (sp > 0 && p[sp - 1] == ' ')
            sp--;
        if (sp > 0)
            *cells = cw_text_width_n(p, k = sp);
    }
    if (k == 0 && *p) { /* a character wider than the column: it alone */
        while (p[++k] && ((unsigned char)p[k] & 0xC0) == 0x80)
            ;
        *cells = cw_text_width_n(p, k);
    }
    *n = k;
    p += k;
    while (*p == ' ')
        p++;
    *s = p;
}

static void cw_render_text_table(FILE *out, const cw_table *t, const cw_view *v)
{
    size_t *w = calloc(t->ncols * 2 + 1, sizeof *w);
    const char **at = calloc(t->ncols + 1, sizeof *at);
    if (!w || !at) {
        free(w);
        free(at);
        return;
    }
    size_t *floor = w + t->ncols;
    for (size_t c = 0; c < t->ncols; c++)
        w[c] = cw_text_width(t->cols[c]);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t x = cw_text_width(t->cells[r * t->ncols + c]);
            if (x > w[c])
                w[c] = x;
        }
    for (size_t c = 0; c < t->ncols; c++) {
        size_t head = cw_text_width(t->cols[c]);
        floor[c] = head > 8 ? head : 8;
        if ((int)c == t->status_col || floor[c] > w[c])
            floor[c] = w[c]; /* statuses are never wrapped */
    }
    cw_fit_columns(w, floor, t->ncols, v->width);
    fprintf(out, "%s (%zu)\n", t->caption, t->nrows);
    for (size_t c = 0; c < t->ncols; c++) {
        fputs(t->cols[c], out);
        if (c + 1 < t->ncols)
            cw_pad(out, w[c] - cw_text_width(t->cols[c]) + 2);
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
        for (size_t c = 0; c < t->ncols; c++)
            at[c] = t->cells[r * t->ncols + c];
        /* one line of every cell at a time, until all are written */
        for (bool first = true, more = true; more; first = false) {
            more = false;
            for (size_t c = 0; c < t->ncols; c++) {
                size_t n, cells;
                const char *line = at[c];
                cw_next_line(&at[c], w[c], &n, &cells);
                const char *ansi =
                    v->colour && first && (int)c == t->status_col ? cw_status_colour(line) : NULL;
                if (ansi)
                    fprintf(out, "\033[%sm", ansi);
                cw_put_text(out, line, n);
                if (ansi)
                    fputs("\033[0m", out);
                more |= *at[c] != '\0';
                if (c + 1 < t->ncols)
                    cw_pad(out, (w[c] > cells ? w[c] - cells : 0) + 2);
            }
            fputc('\n', out);
        }
    }
    if (t->nrows == 0)
        fputs("(none)\n", out);
    free(w);
    free(at);
}

static void cw_render_table(FILE *out, const cw_report *r, const cw_view *v)
{
    fprintf(out, "%s\n", r->title);
    for (size_t i = cw_text_width(r->title); i > 0; i--)
        fputc('=', out);
    fputc('\n', out);
    size_t kw = 0;
    for (size_t i = 0; i < r->nsummary; i++)
        if (cw_text_width(r->sum_key[i]) > kw)
            kw = cw_text_width(r->sum_key[i]);
    for (size_t i = 0; i < r->nsummary; i++) {
        fprintf(out, "%s:", r->sum_key[i]);
        cw_pad(out, kw - cw_text_width(r->sum_key[i]) + 1);
        fprintf(out, "%s\n", r->sum_val[i]);
    }
    for (size_t i = 0; i < r->ntables; i++) {
        fputc('\n', out);
        cw_render_text_table(out, &r->tables[i], v);
    }
}

/* Markdown cell: pipes escaped, line breaks flattened so a row stays one
 * line, and the characters that start HTML written as entities: Markdown
 * passes raw HTML through, and a title from a loaded file (<script>...)
 * must reach a rendered report as text. */
static void cw_md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '<')
            fputs("&lt;", out);
        else if (*s == '>')
            fputs("&gt;", out);
        else if (*s == '&')
            fputs("&amp;", out);
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

/* One CSV cell: written by libcsv (cw_csv_put), quoted also when a space
 * begins or ends the value, so a spreadsheet keeps it; a value that would
 * start a formula there (=, +, -, @, tab, carriage return: an id such as
 * =HYPERLINK(...) from a loaded file) is written with a ' in front. */
static void cw_csv_cell(FILE *out, const char *s)
{
    if (s && *s && strchr("=+-@\t\r", *s)) {
        size_t n = strlen(s);
        char *quoted = malloc(n + 2);
        if (quoted) {
            quoted[0] = '\'';
            memcpy(quoted + 1, s, n + 1);
            cw_csv_put(out, quoted, CW_CSV_QUOTE_EDGE_SPACE);
            free(quoted);
            return;
        }
    }
    cw_csv_put(out, s, CW_CSV_QUOTE_EDGE_SPACE);
}

static void cw_render_csv(FILE *out, const cw_report *r)
{
    if (r->csv_table >= r->ntables)
        return;
    const cw_table *t = &r->tables[r->csv_table];
    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            fputc(',', out);
        cw_csv_cell(out, t->cols[c]);
    }
    fputs("\r\n", out);
    for (size_t row = 0; row < t->nrows; row++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c)
                fputc(',', out);
            cw_csv_cell(out, t->cells[row * t->ncols + c]);
        }
        fputs("\r\n", out);
    }
}

int cw_render(FILE *out, const cw_report *r, cw_format fmt, const cw_view *view)
{
    static const cw_view plain = {false, 0};
    switch (fmt) {
    case CW_FMT_TABLE: cw_render_table(out, r, view ? view : &plain); break;
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
