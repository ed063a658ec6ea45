/* The name rule of crosswalk/check.h: non-empty, bounded, no control
 * characters.  Stored names are keys joined by NUL bytes and shown in
 * answers and logs, so a control character is refused rather than kept. */
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
