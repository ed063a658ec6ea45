/* The tools' CSV: one reader for the project's CSV files (the framework
 * catalogues and crosswalks fwbundle bundles, and everything `crosswalk
 * load` reads) and one field writer for the CSV they write.  Both are
 * libcsv's: RFC 4180 quoting is done by a maintained parser, not by hand.
 *
 * cw_csv_read parses in strict mode with spaces kept (a value beginning or
 * ending with a space is reported by the caller, not hidden), one physical
 * line at a time, so every record knows the line it starts on.  Blank
 * lines between records are skipped and their lines listed; what each
 * tool makes of them, of the header and of each field is its own;
 * cw_csv_row walks the data records that have the header's width, the
 * loop every reader of these files runs once it has checked the widths.
 *
 * Ownership: a cw_csv_table owns its records and fields (in large blocks
 * freed together: an evidence file has millions of fields, and one malloc
 * each dominated parsing) until cw_csv_free. */
#ifndef CW_TOOLS_CSV_H
#define CW_TOOLS_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The columns of the framework CSV formats (frameworks/README.md), in
 * order.  A catalogue has the first CW_CSV_CATALOG_BASE columns and may add
 * assessable and status; a crosswalk has the first CW_CSV_CROSSWALK_BASE
 * and may add note.  The shipped files use the 6- and 9-column forms. */
#define CW_CSV_CATALOG_BASE 6
#define CW_CSV_CATALOG_COLS 8
#define CW_CSV_CROSSWALK_BASE 8
#define CW_CSV_CROSSWALK_COLS 9
extern const char *const cw_csv_catalog_cols[CW_CSV_CATALOG_COLS];
extern const char *const cw_csv_crosswalk_cols[CW_CSV_CROSSWALK_COLS];

typedef struct cw_csv_rec {
    long line; /* the line the record starts on (1-based) */
    size_t n;  /* fields */
    char **f;  /* NUL-terminated fields */
} cw_csv_rec;

struct cw_csv_blk;

typedef struct cw_csv_table {
    cw_csv_rec *r; /* r[0] is the header when the file has one */
    size_t n, cap;
    long *blank; /* lines of the blank lines skipped, in order */
    size_t n_blank, cap_blank;
    /* parser state */
    cw_csv_rec cur; /* cur.f is a scratch vector reused for every record */
    size_t cur_cap;
    bool oom;
    struct cw_csv_blk *pool;
} cw_csv_table;

/* Why cw_csv_read stopped. */
typedef struct cw_csv_error {
    bool oom;      /* out of memory */
    bool at_end;   /* the input ended inside a quoted field */
    int csv_errno; /* libcsv's error, for csv_strerror */
    long line;     /* the line where parsing stopped */
    long rec_line; /* the line the unfinished record began on */
} cw_csv_error;

/* Parses data[0..len) into t (zeroed by the caller).  Returns 0, or -1
 * with err filled; free t with cw_csv_free either way. */
int cw_csv_read(const char *data, size_t len, cw_csv_table *t, cw_csv_error *err);
void cw_csv_free(cw_csv_table *t);

/* The data records of t with exactly ncols fields, in order, for a loop
 * over the rows of a file whose header has ncols columns:
 *     for (size_t at = 0; (r = cw_csv_row(t, &at, ncols));)
 * Returns the next such record (a pointer into t), or NULL after the
 * last; *at starts at 0 and then holds the index of the record returned.
 * The header (r[0]) and the records of another width are passed over:
 * each tool reports those once, its own way, before reading the rows. */
const cw_csv_rec *cw_csv_row(const cw_csv_table *t, size_t *at, size_t ncols);

/* cw_csv_put flags. */
#define CW_CSV_QUOTE_EDGE_SPACE 1 /* also quote a value beginning or ending with a space */

/* Writes s (NULL: empty) as one CSV field: quoted with libcsv's csv_fwrite
 * when it holds ',', '"', CR or LF (or, with CW_CSV_QUOTE_EDGE_SPACE, a
 * space at either end), as it is otherwise.  Returns 0, or EOF on a write
 * error. */
int cw_csv_put(FILE *out, const char *s, unsigned flags);

#endif
