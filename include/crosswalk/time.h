/* Time values and their one text form.
 *
 * A cw_time is Unix seconds, UTC.  On the wire and in files a time is
 * RFC 3339 ("2026-01-31T12:00:00Z"; fractions are accepted and dropped,
 * offsets are applied); answers always use the Z form. */
#ifndef CROSSWALK_TIME_H
#define CROSSWALK_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t cw_time;

/* The times RFC 3339 can write: 0000-01-01T00:00:00Z to
 * 9999-12-31T23:59:59Z.  Nothing outside them is stored, so that every
 * stored time has its one text form. */
#define CW_TIME_MIN INT64_C(-62167219200)
#define CW_TIME_MAX INT64_C(253402300799)

/* Parses the n bytes at s (no NUL needed) as RFC 3339 into *out.  Returns
 * 0, or -1 when they are not such a time (nothing written): a day that
 * does not exist in its month ("2026-02-31") is not. */
int cw_time_parse(const char *s, size_t n, cw_time *out);

/* Like cw_time_parse, for a NUL-terminated s and more strictly: the
 * date and time are joined by 'T' or 't' only (not ' ').  The tools check
 * files with it before anything is sent. */
int cw_time_parse_strict(const char *s, cw_time *out);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into buf (cap bytes, NUL-terminated;
 * 21 bytes suffice for years 0000..9999). */
void cw_time_format(cw_time t, char *buf, size_t cap);

/* The current time. */
cw_time cw_now(void);

#endif
