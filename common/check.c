/* The rules of crosswalk/check.h: a name is non-empty, bounded and free
 * of control characters; every string is well-formed UTF-8.  Stored names
 * are keys joined by NUL bytes and shown in answers and logs, so a control
 * character is refused rather than kept. */
#include "crosswalk/check.h"

#include <string.h>

int cw_check_name(const char *field, const char *s, size_t max, cw_err *err)
{
    if (!s || !*s)
        return cw_err_set(err, CW_EINVAL, "%s: must be a non-empty string", field);
    size_t n = strlen(s);
    if (n > max)
        return cw_err_set(err, CW_EINVAL, "%s: '%.40s...' is longer than %zu bytes", field, s, max);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return cw_err_set(err, CW_EINVAL, "%s: '%.60s' contains a control character", field, s);
    return 0;
}

size_t cw_utf8_bad(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char b = p[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned lo = 0x80, hi = 0xbf; /* the range of the second byte */
        if (b >= 0xc2 && b <= 0xdf)
            len = 2;
        else if (b >= 0xe0 && b <= 0xef) {
            len = 3;
            if (b == 0xe0)
                lo = 0xa0; /* not overlong */
            else if (b == 0xed)
                hi = 0x9f; /* not a surrogate */
        } else if (b >= 0xf0 && b <= 0xf4) {
            len = 4;
            if (b == 0xf0)
                lo = 0x90;
            else if (b == 0xf4)
                hi = 0x8f; /* at most U+10FFFF */
        } else {
            return i;
        }
        if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
            return i;
        for (size_t k = 2; k < len; k++)
            if ((p[i + k] & 0xc0) != 0x80)
                return i;
        i += len;
    }
    return n;
}
