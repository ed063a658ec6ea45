/* The rule every name obeys: a slug, an id, an origin, or a filter that
 * names one of them.  One function, so that the engine (which stores the
 * names) and the server (which checks filters before they reach the
 * engine) refuse the same inputs with the same words. */
#ifndef CROSSWALK_CHECK_H
#define CROSSWALK_CHECK_H

#include "crosswalk/error.h"

#include <stddef.h>

/* s must be a non-empty string (NULL counts as empty) of at most max
 * bytes without control characters (below 0x20, or 0x7f).  Returns 0, or
 * CW_EINVAL with err (may be NULL) saying "<field>: ..." and showing the
 * start of s. */
int cw_check_name(const char *field, const char *s, size_t max, cw_err *err);

/* The offset of the first byte of s[0..n) that is not part of well-formed
 * UTF-8 (overlong forms, surrogates and code points above U+10FFFF are
 * not), or n when all of it is.  Every stored string is UTF-8, so that
 * every client's msgpack library can read every answer back. */
size_t cw_utf8_bad(const char *s, size_t n);

#endif
