/* term.c: the CLI's manners at a terminal.  Text is measured in display
 * cells, as a terminal draws it (wcwidth: a Japanese title takes two cells
 * a character, a combining accent none), so tables line up whatever the
 * script; the measuring locale is the user's LC_CTYPE when it is UTF-8,
 * else C.UTF-8, since everything the server sends is UTF-8.  A command's
 * output (cw_output) goes to -o FILE, to standard output, or, when that is
 * a terminal and the text is longer than the screen, through a pager
 * ($PAGER, by default `less -FRX`; --no-pager turns it off); it is
 * coloured by --color=auto|always|never, where auto means a terminal that
 * is not "dumb" and no NO_COLOR (set and not empty). */
#include "cli.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

/* Whether widths come from the C library (a UTF-8 locale is in force) or
 * are counted one cell per code point (no UTF-8 locale on this system). */
static bool cw_have_wcwidth(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

void cw_term_init(void)
{
    setlocale(LC_CTYPE, "");
    if (!cw_have_wcwidth() && !setlocale(LC_CTYPE, "C.UTF-8"))
        setlocale(LC_CTYPE, "C");
}

/* The character at s (len bytes left): its bytes in *n and its width in
 * cells.  A control character or a byte that is not UTF-8 counts one cell
 * (the table writers print it as a space). */
static int cw_char_cells(const char *s, size_t len, size_t *n)
{
    unsigned char c = (unsigned char)*s;
    if (c < 0x80) {
        *n = 1;
        return 1;
    }
    if (!cw_have_wcwidth()) {
        size_t k = 1;
        while (k < len && ((unsigned char)s[k] & 0xC0) == 0x80)
            k++;
        *n = k;
        return 1;
    }
    mbstate_t st;
    memset(&st, 0, sizeof st);
    wchar_t wc;
    size_t k = mbrtowc(&wc, s, len, &st);
    if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
        *n = 1;
        return 1;
    }
    *n = k;
    int w = wcwidth(wc);
    return w < 0 ? 1 : w;
}

size_t cw_text_width_n(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0, n; i < len; i += n)
        w += (size_t)cw_char_cells(s + i, len - i, &n);
    return w;
}

size_t cw_text_width(const char *s)
{
    return cw_text_width_n(s, strlen(s));
}

size_t cw_text_fit(const char *s, size_t cols, size_t *width)
{
    size_t len = strlen(s), w = 0, i = 0;
    while (i < len) {
        size_t n;
        int c = cw_char_cells(s + i, len - i, &n);
        if (w + (size_t)c > cols)
            break;
        w += (size_t)c;
        i += n;
    }
    if (width)
        *width = w;
    return i;
}

/* The window size of fd: columns or rows, 0 when fd is no terminal. */
static int cw_winsize(int fd, bool rows)
{
    struct winsize ws;
    if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) != 0)
        return 0;
    return rows ? ws.ws_row : ws.ws_col;
}

int cw_term_columns(int fd)
{
    return cw_winsize(fd, false);
}

int cw_color_parse(const char *s, cw_color *out)
{
    static const char *const names[] = {"auto", "always", "never"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (cw_color)i;
            return 0;
        }
    return -1;
}

/* Whether the program named by the first word of cmd is on PATH. */
static bool cw_on_path(const char *cmd)
{
    char name[256];
    size_t n = strcspn(cmd, " \t");
    if (n == 0 || n >= sizeof name)
        return false;
    memcpy(name, cmd, n);
    name[n] = '\0';
    if (strchr(name, '/'))
        return access(name, X_OK) == 0;
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        size_t dl = strcspn(p, ":");
        char full[4096];
        if (dl && dl + n + 2 < sizeof full) {
            snprintf(full, sizeof full, "%.*s/%s", (int)dl, p, name);
            if (access(full, X_OK) == 0)
                return true;
        }
        p += dl + (p[dl] == ':');
    }
    return false;
}

/* The pager to run for a terminal, or NULL for none: $PAGER as given (an
 * empty one or `cat` means none), else `less -FRX` when less is there. */
static const char *cw_pager(void)
{
    const char *p = getenv("PAGER");
    if (p)
        return *p && strcmp(p, "cat") != 0 ? p : NULL;
    return cw_on_path("less") ? "less -FRX" : NULL;
}

int cw_output_open(cw_output *o, const cw_ctx *ctx, const char *path, bool table)
{
    memset(o, 0, sizeof *o);
    if (path && strcmp(path, "-") == 0)
        path = NULL; /* -o - is standard output */
    o->path = path;
    bool tty = !path && isatty(STDOUT_FILENO);
    const char *term = getenv("TERM"), *nc = getenv("NO_COLOR");
    o->colour = table && (ctx->color == CW_COLOR_ALWAYS ||
                          (ctx->color == CW_COLOR_AUTO && tty && !(nc && *nc) &&
                           !(term && strcmp(term, "dumb") == 0)));
    /* Tables fit the terminal they are shown on; elsewhere they keep their
     * whole width unless COLUMNS asks for one. */
    int cols = tty ? cw_term_columns(STDOUT_FILENO) : 0;
    const char *ce = getenv("COLUMNS");
    if (!cols && !path && ce && atoi(ce) > 0)
        cols = atoi(ce);
    o->width = cols > 0 ? (size_t)cols : 0;
    if (path) {
        o->f = fopen(path, "w");
        if (!o->f) {
            fprintf(stderr, "crosswalk: -o %s: %s\n", path, strerror(errno));
            return CW_EXIT_ERROR;
        }
        return 0;
    }
    o->pager = tty && !ctx->no_pager ? cw_pager() : NULL;
    /* Held until the end, when its length decides whether it needs the
     * pager (less -F would decide the same, but not every $PAGER does). */
    if (o->pager && (o->f = open_memstream(&o->buf, &o->len)))
        return 0;
    o->pager = NULL;
    o->f = stdout;
    return 0;
}

/* Writes the held text through the pager (when it is longer than the
 * screen) or to standard output.  A pager the user quits early is no
 * error. */
static int cw_output_page(cw_output *o)
{
    size_t lines = 0;
    for (size_t i = 0; i < o->len; i++)
        lines += o->buf[i] == '\n';
    int rows = cw_winsize(STDOUT_FILENO, true);
    if (rows <= 0 || lines < (size_t)rows) {
        size_t w = fwrite(o->buf, 1, o->len, stdout);
        return w == o->len && fflush(stdout) == 0 ? 0 : -1;
    }
    fflush(stdout);
    /* less's own defaults for a pager given without options */
    setenv("LESS", "FRX", 0);
    FILE *p = popen(o->pager, "w");
    if (!p) {
        size_t w = fwrite(o->buf, 1, o->len, stdout);
        return w == o->len ? 0 : -1;
    }
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    fwrite(o->buf, 1, o->len, p);
    pclose(p);
    signal(SIGPIPE, old);
    return 0;
}

int cw_output_close(cw_output *o, int rc)
{
    int w = 0;
    if (o->pager) {
        if (fclose(o->f) == 0 && rc == 0)
            w = cw_output_page(o);
        free(o->buf);
    } else if (o->path) {
        w = fclose(o->f);
    } else if (o->f) {
        w = fflush(o->f);
    }
    if (rc == 0 && w) {
        fprintf(stderr, "crosswalk: writing %s failed: %s\n", o->path ? o->path : "the output",
                strerror(errno));
        rc = CW_EXIT_ERROR;
    }
    memset(o, 0, sizeof *o);
    return rc;
}
