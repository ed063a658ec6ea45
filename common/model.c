/* The vocabulary of the data model: enum names, their parsers, the
 * relationship composition table of docs/SEMANTICS.md §2.2, and the natural order in which
 * requirement ids are listed. */
#include "crosswalk/model.h"

#include "crosswalk/error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const rel_names[CW_REL_COUNT] = {
    "equal", "subset_of", "superset_of", "intersects_with", "not_related", "unknown",
};

const char *cw_rel_name(cw_rel r)
{
    return (unsigned)r < CW_REL_COUNT ? rel_names[r] : "unknown";
}

int cw_rel_parse(const char *s, cw_rel *out)
{
    /* "unknown" is a composition result only; it cannot be stored. */
    for (int i = 0; s && i < CW_REL_NOT_RELATED + 1; i++)
        if (strcmp(s, rel_names[i]) == 0) {
            *out = (cw_rel)i;
            return 0;
        }
    return CW_EREL;
}

const char *cw_level_name(cw_level l)
{
    return l == CW_LEVEL_FULL ? "full" : l == CW_LEVEL_PARTIAL ? "partial" : "none";
}

int cw_level_parse(const char *s, cw_level *out)
{
    if (s && strcmp(s, "full") == 0)
        *out = CW_LEVEL_FULL;
    else if (s && strcmp(s, "partial") == 0)
        *out = CW_LEVEL_PARTIAL;
    else
        return CW_EINVAL;
    return 0;
}

static const char *const ctl_status_names[] = {"implemented", "planned", "not_implemented"};

const char *cw_ctl_status_name(cw_ctl_status s)
{
    return (unsigned)s < 3 ? ctl_status_names[s] : "not_implemented";
}

int cw_ctl_status_parse(const char *s, cw_ctl_status *out)
{
    for (int i = 0; s && i < 3; i++)
        if (strcmp(s, ctl_status_names[i]) == 0) {
            *out = (cw_ctl_status)i;
            return 0;
        }
    return CW_EINVAL;
}

static const char *const result_names[] = {"pass", "unknown", "fail"};

const char *cw_result_name(cw_result r)
{
    return (unsigned)r < 3 ? result_names[r] : "unknown";
}

int cw_result_parse(const char *s, cw_result *out)
{
    for (int i = 0; s && i < 3; i++)
        if (strcmp(s, result_names[i]) == 0) {
            *out = (cw_result)i;
            return 0;
        }
    return CW_EINVAL;
}

const char *cw_ctl_state_name(cw_ctl_state s)
{
    switch (s) {
    case CW_STATE_EFFECTIVE: return "effective";
    case CW_STATE_UNVERIFIED: return "unverified";
    case CW_STATE_FAILING: return "failing";
    default: return "inactive";
    }
}

static const char *const status_names[CW_ST_COUNT] = {
    "gap", "failing", "unverified", "partial", "met", "not_applicable",
};

const char *cw_status_name(cw_status s)
{
    return (unsigned)s < CW_ST_COUNT ? status_names[s] : "gap";
}

const char *const cw_rationale_names[] = {"syntactic", "semantic", "functional", NULL};

bool cw_rationale_ok(const char *s)
{
    for (size_t i = 0; s && cw_rationale_names[i]; i++)
        if (strcmp(s, cw_rationale_names[i]) == 0)
            return true;
    return false;
}

const char *const cw_kind_names[] = {"clause",    "theme",    "control",     "objective",
                                     "function",  "category", "subcategory", "series",
                                     "criterion", "domain",   "practice",    NULL};

bool cw_kind_ok(const char *s)
{
    for (size_t i = 0; s && cw_kind_names[i]; i++)
        if (strcmp(s, cw_kind_names[i]) == 0)
            return true;
    return false;
}

bool cw_slug_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > CW_MAX_SLUG || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
              s[i] == '-'))
            return false;
    return true;
}

void cw_names_join(const char *const *names, char *out, size_t cap)
{
    size_t at = 0;
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; names[i] && at < cap; i++) {
        int n = snprintf(out + at, cap - at, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        at += (size_t)n;
    }
}

cw_rel cw_rel_inverse(cw_rel r)
{
    if (r == CW_REL_SUBSET_OF)
        return CW_REL_SUPERSET_OF;
    if (r == CW_REL_SUPERSET_OF)
        return CW_REL_SUBSET_OF;
    return r;
}

#define EQ CW_REL_EQUAL
#define SUB CW_REL_SUBSET_OF
#define SUP CW_REL_SUPERSET_OF
#define INT CW_REL_INTERSECTS_WITH
#define UNK CW_REL_UNKNOWN
/* docs/SEMANTICS.md §2.2, rows "so far", columns "next", for the four positive relations. */
static const cw_rel compose_table[4][4] = {
    /* equal      */ {EQ, SUB, SUP, INT},
    /* subset_of  */ {SUB, SUB, UNK, UNK},
    /* superset_of*/ {SUP, INT, SUP, INT},
    /* intersects */ {INT, INT, UNK, UNK},
};
#undef EQ
#undef SUB
#undef SUP
#undef INT
#undef UNK

cw_rel cw_rel_compose(cw_rel so_far, cw_rel next)
{
    if (so_far == CW_REL_UNKNOWN || next == CW_REL_UNKNOWN)
        return CW_REL_UNKNOWN;
    if (so_far == CW_REL_NOT_RELATED || next == CW_REL_NOT_RELATED) {
        if ((so_far == CW_REL_NOT_RELATED && next == CW_REL_EQUAL) ||
            (so_far == CW_REL_EQUAL && next == CW_REL_NOT_RELATED))
            return CW_REL_NOT_RELATED;
        return CW_REL_UNKNOWN;
    }
    if ((unsigned)so_far > CW_REL_INTERSECTS_WITH || (unsigned)next > CW_REL_INTERSECTS_WITH)
        return CW_REL_UNKNOWN;
    return compose_table[so_far][next];
}

cw_level cw_rel_level(cw_rel composed)
{
    switch (composed) {
    case CW_REL_EQUAL:
    case CW_REL_SUPERSET_OF: return CW_LEVEL_FULL;
    case CW_REL_SUBSET_OF:
    case CW_REL_INTERSECTS_WITH: return CW_LEVEL_PARTIAL;
    default: return CW_LEVEL_NONE;
    }
}

static int id_cmp_natural(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0' && isdigit((unsigned char)a[1]))
                a++;
            while (*b == '0' && isdigit((unsigned char)b[1]))
                b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la]))
                la++;
            while (isdigit((unsigned char)b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = memcmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    if (*a || *b)
        return *a ? 1 : -1;
    return 0;
}

int cw_id_cmp(const char *a, const char *b)
{
    int c = id_cmp_natural(a, b);
    /* "A.5.01" and "A.5.1" are equal numerically but distinct ids. */
    return c ? c : strcmp(a, b);
}
