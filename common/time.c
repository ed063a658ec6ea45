/* Times as crosswalk writes and reads them everywhere: Unix seconds (UTC)
 * on the inside, RFC 3339 on the wire and in files.  The engine, the
 * server and the tools all parse and format through here, so a time one
 * of them accepts is a time all of them accept. */
#include "crosswalk/time.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM); fractions are
 * truncated to seconds. */
static int two_digits(const char *p)
{
    return isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])
               ? (p[0] - '0') * 10 + (p[1] - '0')
               : -1;
}

/* The parser behind both entry points, over a NUL-terminated buf of at
 * least 20 bytes.  strict: the date and time are joined by 'T' or 't'
 * only (see cw_time_parse_strict).  The day must exist in its month either
 * way: "2026-02-31" is refused, not read as March 3rd. */
static int parse(const char *buf, bool strict, cw_time *out)
{
    /* Fixed positions; checked by hand because this runs for every time
     * of every bulk item, where sscanf dominated the decode. */
    int c1 = two_digits(buf), c2 = two_digits(buf + 2), M = two_digits(buf + 5),
        D = two_digits(buf + 8), h = two_digits(buf + 11), m = two_digits(buf + 14),
        sec = two_digits(buf + 17);
    if (c1 < 0 || c2 < 0 || M < 0 || D < 0 || h < 0 || m < 0 || sec < 0 || buf[4] != '-' ||
        buf[7] != '-' || !(buf[10] == 'T' || buf[10] == 't' || (buf[10] == ' ' && !strict)) ||
        buf[13] != ':' || buf[16] != ':')
        return -1;
    int Y = c1 * 100 + c2;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (D > mdays[M - 1] || (M == 2 && D == 29 && !leap))
        return -1;
    const char *p = buf + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    long off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) || p[3] != ':' ||
            !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
            return -1;
        oh = (p[1] - '0') * 10 + (p[2] - '0');
        om = (p[4] - '0') * 10 + (p[5] - '0');
        if (oh > 23 || om > 59)
            return -1;
        off = (oh * 60L + om) * 60L * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    /* days from civil (Howard Hinnant's algorithm, public domain idea) */
    int y = Y - (M <= 2);
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = era * 146097 + doe - 719468;
    *out = (cw_time)days * 86400 + h * 3600 + m * 60 + sec - off;
    return 0;
}

int cw_time_parse(const char *s, size_t n, cw_time *out)
{
    char buf[64];
    if (n < 20 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return parse(buf, false, out);
}

int cw_time_parse_strict(const char *s, cw_time *out)
{
    return strlen(s) < 20 ? -1 : parse(s, true, out);
}

void cw_time_format(cw_time t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        snprintf(buf, cap, "%lld", (long long)t);
        return;
    }
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

cw_time cw_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (cw_time)ts.tv_sec;
}
