/* args.c: the conventions every command's arguments follow.  Times are
 * taken as people write them (a date, a local time, RFC 3339 with any
 * offset, Unix seconds) and handed on in the one form the server keeps,
 * RFC 3339 UTC.  A name that is not known, a command or an option on the
 * command line or a framework or organisation the server does not have,
 * is answered with the nearest ones it could have meant: those it begins
 * (`soc2` for soc2-2017), else those within a few edits of it (a
 * transposition is one edit: `covreage`). */
#include "cli.h"

#include <crosswalk/time.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int cw_time_arg(const char *s, char *out, size_t cap)
{
    cw_time t;
    size_t n = strlen(s);
    const char *d = s + (*s == '-');
    char *end;
    if (*d && strspn(d, "0123456789") == strlen(d)) {
        long long v = strtoll(s, &end, 10);
        if (v < CW_TIME_MIN || v > CW_TIME_MAX)
            return -1;
        t = (cw_time)v;
    } else if (cw_time_parse(s, n, &t) == 0) {
        /* RFC 3339 with its offset (T, t or a space between) */
    } else {
        /* a date (midnight UTC), or a date and time with no offset: the
         * local time of this machine */
        int y, mo, da, h = 0, mi = 0, se = 0, used = 0;
        char sep;
        bool date = sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &da, &used) == 3 && (size_t)used == n;
        bool local = !date && (sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &da, &sep, &h, &mi,
                                      &se, &used) == 7 ||
                               (se = 0, sscanf(s, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &da, &sep, &h,
                                               &mi, &used) == 6));
        if (!(date || (local && (size_t)used == n && (sep == 'T' || sep == 't' || sep == ' '))))
            return -1;
        char z[32];
        snprintf(z, sizeof z, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, da, h, mi, se);
        if (cw_time_parse(z, strlen(z), &t))
            return -1; /* no such day or hour */
        if (local) {
            struct tm tm = {.tm_year = y - 1900,
                            .tm_mon = mo - 1,
                            .tm_mday = da,
                            .tm_hour = h,
                            .tm_min = mi,
                            .tm_sec = se,
                            .tm_isdst = -1};
            time_t lt = mktime(&tm);
            if (lt == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31))
                return -1;
            t = (cw_time)lt;
        }
    }
    cw_time_format(t, out, cap);
    return 0;
}

/* Edits from a to b (insert, delete, change, swap two neighbours), in any
 * case, giving up at limit + 1. */
static size_t cw_edits(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if ((la > lb ? la - lb : lb - la) > limit || la > 64 || lb > 64)
        return limit + 1;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

size_t cw_suggest(const char *word, const char *const *cands, size_t n, char *out, size_t cap)
{
    enum { MAX = 3 };
    const char *pick[MAX];
    size_t k = 0, wl = strlen(word);
    out[0] = '\0';
    if (!wl)
        return 0;
    /* what it begins, in the order given */
    for (size_t i = 0; i < n && k < MAX; i++)
        if (strlen(cands[i]) > wl && strncasecmp(cands[i], word, wl) == 0)
            pick[k++] = cands[i];
    /* else the nearest by edits, when near enough to be a slip */
    size_t limit = wl <= 4 ? 1 : wl <= 8 ? 2 : 3;
    for (size_t dist = 1; k == 0 && dist <= limit; dist++)
        for (size_t i = 0; i < n && k < MAX; i++)
            if (cw_edits(word, cands[i], limit) == dist)
                pick[k++] = cands[i];
    size_t l = 0;
    for (size_t i = 0; i < k && l < cap; i++)
        l += (size_t)snprintf(out + l, cap - l, "%s'%s'",
                              i == 0      ? ""
                              : i + 1 < k ? ", "
                                          : " or ",
                              pick[i]);
    return k;
}

/* The quoted name after what in msg ("no framework 'soc2'"), copied into
 * name; false when msg says no such thing. */
static bool cw_named_after(const char *msg, const char *what, char *name, size_t cap)
{
    const char *p = strstr(msg, what);
    if (!p)
        return false;
    p += strlen(what);
    const char *q = strchr(p, '\'');
    if (!q || (size_t)(q - p) >= cap)
        return false;
    memcpy(name, p, (size_t)(q - p));
    name[q - p] = '\0';
    return true;
}

void cw_hint_unknown(cw_rpc *c, const char *msg)
{
    static const struct {
        const char *says, *method, *key, *noun;
    } kinds[] = {{"no framework '", "framework.list", "framework", "frameworks"},
                 {"no organisation '", "org.list", "org", "organisations"}};
    for (size_t k = 0; msg && k < sizeof kinds / sizeof kinds[0]; k++) {
        char name[160];
        if (!cw_named_after(msg, kinds[k].says, name, sizeof name))
            continue;
        json_t *list = NULL;
        char *err = NULL;
        if (cw_rpc_call(c, kinds[k].method, NULL, &list, &err) == 0 && json_is_array(list)) {
            size_t n = json_array_size(list), i;
            const char **names = calloc(n + 1, sizeof *names);
            json_t *e;
            json_array_foreach(list, i, e) if (names) names[i] =
                json_string_value(json_object_get(e, kinds[k].key));
            char hint[512];
            size_t m = 0;
            for (i = 0; names && i < n; i++)
                if (names[i])
                    names[m++] = names[i];
            if (names && cw_suggest(name, names, m, hint, sizeof hint))
                fprintf(stderr, "crosswalk: did you mean %s? (`crosswalk %s` lists the %s)\n", hint,
                        k == 0 ? "call framework.list" : "org list", kinds[k].noun);
            free(names);
        }
        free(err);
        json_decref(list);
        return;
    }
}

int cw_read_file(const char *path, char **data, size_t *len)
{
    bool in = strcmp(path, "-") == 0;
    FILE *f = in ? stdin : fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int failed = !buf || ferror(f);
    int saved = errno;
    if (!in)
        fclose(f);
    if (failed) {
        free(buf);
        errno = saved ? saved : EIO;
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

void cw_counts_add(json_t *ans, long t[CW_N_COUNTS])
{
    static const char *const keys[] = {"created", "updated", "deleted", "rejected", "unchanged"};
    for (size_t k = 0; k < CW_N_COUNTS; k++) {
        json_t *v = json_object_get(ans, keys[k]);
        if (json_is_integer(v))
            t[k] += (long)json_integer_value(v);
    }
    /* org.put answers {org, created: bool}. */
    if (json_is_true(json_object_get(ans, "created")))
        t[CW_N_CREATED]++;
}

void cw_counts_text(const long t[CW_N_COUNTS], bool dry, char *buf, size_t cap)
{
    if (dry)
        snprintf(buf, cap, "would create %ld, update %ld, leave %ld unchanged", t[CW_N_CREATED],
                 t[CW_N_UPDATED], t[CW_N_UNCHANGED]);
    else
        snprintf(buf, cap, "created %ld, updated %ld, unchanged %ld, rejected %ld", t[CW_N_CREATED],
                 t[CW_N_UPDATED], t[CW_N_UNCHANGED], t[CW_N_REJECTED]);
}

bool cw_error_item(const char *msg, size_t *k, int *name_len, const char **rest)
{
    const char *colon = msg ? strstr(msg, ": ") : NULL;
    if (!colon)
        return false;
    const char *list = colon + 2;
    size_t ll = strspn(list, "abcdefghijklmnopqrstuvwxyz_");
    if (ll == 0 || list[ll] != '[' || !isdigit((unsigned char)list[ll + 1]))
        return false;
    char *end;
    unsigned long v = strtoul(list + ll + 1, &end, 10);
    if (*end != ']')
        return false;
    *k = v;
    *name_len = (int)(colon - msg);
    *rest = end + 1 + (end[1] == '.');
    if (**rest == ':')
        *rest += 2;
    return true;
}
