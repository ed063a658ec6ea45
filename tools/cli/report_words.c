/* Report text in words: names, crosswalk paths, controls and evidence.
 *
 * What report.c's builders write into cells and sentences, read off the
 * server's answer and the context report_context.c fetched: a framework
 * by the short name its full name gives ("SOC 2", "ISO/IEC 27001:2022"),
 * the organisation by its name, a crosswalk row or path as a sentence
 * ("A.5.15 matches CC6.1"), a set of requirements with its members in
 * place and missing, a control with the state its deciding evidence gives
 * it, an evidence item with its result and dates.  Without the context
 * (a call the server refused) the same sentences fall back to slugs and
 * ids.  As the words are written, the frameworks and crosswalk rows they
 * name are noted in the builder's state for the provenance.  Also the
 * small helpers both files share (JSON fields, growing strings, dates). */
#include "report.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------ */

/* Building a report has no partial result worth keeping, so running out of
 * memory ends the command with the one message every allocation here gives. */
_Noreturn void cw_oom(void)
{
    fputs("crosswalk: out of memory\n", stderr);
    exit(1);
}

/* Returns a malloc'd copy of s ("" for NULL); the caller frees it. */
char *cw_xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        cw_oom();
    return d;
}

/* realloc that ends the command when out of memory, so a report's
 * parallel arrays grow without keeping the old block for a failure; p
 * passes to the result, which the caller owns. */
void *cw_xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        cw_oom();
    return p;
}

/* A string view of a JSON scalar: strings as they are, numbers and
 * booleans printed, null/absent as "".  buf backs the printed forms. */
static const char *cw_jtext(json_t *v, char *buf, size_t n)
{
    if (!v)
        return "";
    switch (json_typeof(v)) {
    case JSON_STRING: return json_string_value(v);
    case JSON_INTEGER: snprintf(buf, n, "%lld", (long long)json_integer_value(v)); return buf;
    case JSON_REAL: snprintf(buf, n, "%.1f", json_real_value(v)); return buf;
    case JSON_TRUE: return "yes";
    case JSON_FALSE: return "no";
    default: return "";
    }
}

const char *cw_js(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

long cw_jl(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_real(v))
        return (long)json_real_value(v);
    return 0;
}

void cw_sb_open(cw_sb *b)
{
    b->p = NULL;
    b->n = 0;
    b->f = open_memstream(&b->p, &b->n);
    if (!b->f)
        cw_oom();
}

/* Closes the stream; the text is the caller's to free. */
char *cw_sb_take(cw_sb *b)
{
    fclose(b->f);
    return b->p;
}

/* Joins the strings of a JSON array with sep. */
void cw_join(FILE *f, json_t *arr, const char *sep)
{
    size_t i;
    json_t *e;
    char buf[64];
    json_array_foreach(arr, i, e) fprintf(f, "%s%s", i ? sep : "", cw_jtext(e, buf, sizeof buf));
}

/* cw_join into a new string, for a table cell; the caller frees it. */
char *cw_joined(json_t *arr, const char *sep)
{
    cw_sb b;
    cw_sb_open(&b);
    cw_join(b.f, arr, sep);
    return cw_sb_take(&b);
}

/* "A.8.3 and A.5.18" from a JSON array of ids */
void cw_and_list(FILE *f, json_t *ids)
{
    size_t n = json_array_size(ids), i;
    json_t *x;
    json_array_foreach(ids, i, x) fprintf(f, "%s%s", i ? (i + 1 == n ? " and " : ", ") : "",
                                          json_is_string(x) ? json_string_value(x) : "?");
}

/* "2026-11-02" from an RFC 3339 answer time ("" stays ""). */
static const char *cw_day(const char *t, char *buf, size_t n)
{
    snprintf(buf, n, "%.10s", t);
    return buf;
}

/* "2026-11-20 00:00 UTC" from "2026-11-20T00:00:00Z": answers give UTC. */
const char *cw_moment(const char *t, char *buf, size_t n)
{
    if (strlen(t) < 16 || t[10] != 'T')
        snprintf(buf, n, "%s", t);
    else
        snprintf(buf, n, "%.10s %.5s UTC", t, t + 11);
    return buf;
}

/* ---- names -------------------------------------------------------------- */

const char *cw_status_label(const char *s)
{
    static const struct {
        const char *key, *label;
    } map[] = {{"not_applicable", "not applicable"},
               {"subset_both_ways", "subset both ways"},
               {"withdrawn_member", "withdrawn member"},
               {"duplicate_member", "duplicate member"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(s, map[i].key) == 0)
            return map[i].label;
    return s;
}

/* ---- the builder's state: names, and what the report cites ------------- */

json_t *cw_fw_info(cw_bctx *b, const char *slug)
{
    return json_object_get(json_object_get(b->ctx, "frameworks"), slug);
}

/* Whether a word holds no lower-case letter ("ISO/IEC", "27001:2022"). */
static bool cw_word_caps(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (islower((unsigned char)w[i]))
            return false;
    return n > 0;
}

static bool cw_word_digit(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isdigit((unsigned char)w[i]))
            return true;
    return false;
}

/* Appends to f the leading words of s[0..n) that have no lower-case letter;
 * returns whether one of them held a digit.  digits_only keeps only words
 * with a digit (a version after an abbreviation: "2.0"). */
static bool cw_caps_words(FILE *f, const char *s, size_t n, bool digits_only, bool *wrote)
{
    bool digit = false;
    size_t i = 0;
    while (i < n) {
        while (i < n && s[i] == ' ')
            i++;
        size_t j = i;
        while (j < n && s[j] != ' ')
            j++;
        if (j == i || !cw_word_caps(s + i, j - i) || (digits_only && !cw_word_digit(s + i, j - i)))
            break;
        fprintf(f, "%s%.*s", *wrote ? " " : "", (int)(j - i), s + i);
        *wrote = true;
        digit |= cw_word_digit(s + i, j - i);
        i = j;
    }
    return digit;
}

/* The short name people use for a framework, read off its full name: a
 * parenthesised abbreviation ("AICPA Trust Services Criteria (SOC 2)" ->
 * "SOC 2"; "NIST Cybersecurity Framework (CSF) 2.0" -> "NIST CSF 2.0"),
 * else the leading words up to the first one in lower case when they hold
 * a number ("ISO/IEC 27001:2022 Information security ..." ->
 * "ISO/IEC 27001:2022"), else the name itself when short.  NULL when
 * none fits; the caller frees the result. */
static char *cw_short_from_name(const char *name)
{
    cw_sb b;
    cw_sb_open(&b);
    bool wrote = false, ok;
    const char *lp = strchr(name, '('), *rp = lp ? strchr(lp, ')') : NULL;
    if (rp && rp - lp > 1 && rp - lp <= 17 && isupper((unsigned char)lp[1]) &&
        cw_word_caps(lp + 1, (size_t)(rp - lp - 1))) {
        const char *after = rp + 1;
        while (*after == ' ')
            after++;
        /* an abbreviation that ends the name stands alone ("SOC 2"); one
         * inside it keeps the publisher before it and the version after */
        if (*after)
            cw_caps_words(b.f, name, (size_t)(lp - name), false, &wrote);
        fprintf(b.f, "%s%.*s", wrote ? " " : "", (int)(rp - lp - 1), lp + 1);
        wrote = true;
        cw_caps_words(b.f, after, strlen(after), true, &wrote);
        ok = true;
    } else {
        ok = cw_caps_words(b.f, name, strlen(name), false, &wrote);
    }
    char *s = cw_sb_take(&b);
    if (ok && *s)
        return s;
    free(s);
    return *name && strlen(name) <= 32 ? cw_xstrdup(name) : NULL;
}

/* A framework's short name ("SOC 2"), or its slug when the server gave no
 * name.  Valid while the builder's state lives. */
const char *cw_fw_short(cw_bctx *b, const char *slug)
{
    if (!*slug)
        return slug;
    json_object_set_new(b->cited, slug, json_true());
    json_t *s = json_object_get(b->shortname, slug);
    if (!s) {
        char *n = cw_short_from_name(cw_js(cw_fw_info(b, slug), "name"));
        s = json_string(n ? n : slug);
        free(n);
        json_object_set_new(b->shortname, slug, s);
    }
    return json_string_value(s);
}

/* A framework's full name, or its slug. */
const char *cw_fw_name(cw_bctx *b, const char *slug)
{
    json_object_set_new(b->cited, slug, json_true());
    const char *n = cw_js(cw_fw_info(b, slug), "name");
    return *n ? n : slug;
}

/* The organisation's name, or its slug. */
const char *cw_org_name(cw_bctx *b)
{
    const char *n = cw_js(b->ctx, "org_name");
    return *n ? n : cw_js(b->a, "org");
}

/* Writes a requirement: bare when it is of the report's own framework,
 * else after its framework's short name ("ISO/IEC 27001:2022 A.8.15"). */
void cw_req(cw_bctx *b, FILE *f, const char *fw, const char *id)
{
    if (*fw && (!b->home || strcmp(fw, b->home) != 0))
        fprintf(f, "%s ", cw_fw_short(b, fw));
    fputs(id, f);
}

/* n of the assessed framework's requirements, with what it calls them:
 * "61 SOC 2 criteria" (fw is the framework's short name). */
void cw_count_kind(cw_bctx *b, FILE *f, long n, const char *fw)
{
    const char *k = cw_js(b->ctx, "kind");
    size_t l = strlen(k);
    fprintf(f, "%ld %s ", n, fw);
    if (!l)
        fprintf(f, "requirement%s", n == 1 ? "" : "s");
    else if (n == 1)
        fputs(k, f);
    else if (strcmp(k, "criterion") == 0)
        fputs("criteria", f);
    else if (l > 1 && k[l - 1] == 'y' && !strchr("aeiou", k[l - 2]))
        fprintf(f, "%.*sies", (int)(l - 1), k);
    else if (k[l - 1] == 's' || k[l - 1] == 'x' || k[l - 1] == 'h')
        fprintf(f, "%ses", k);
    else
        fprintf(f, "%ss", k);
}

/* ---- crosswalk rows and paths in words ---------------------------------- */

/* "source REL target" in words, for one requirement and for a set. */
const char *cw_rel_words(const char *rel, bool plural)
{
    static const struct {
        const char *rel, *one, *many;
    } map[] = {{"equal", "matches", "match"},
               {"subset_of", "is part of", "are part of"},
               {"superset_of", "covers all of", "cover all of"},
               {"intersects_with", "covers part of", "cover part of"},
               {"not_related", "is unrelated to", "are unrelated to"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(rel, map[i].rel) == 0)
            return plural ? map[i].many : map[i].one;
    return plural ? "relate in no known way to" : "relates in no known way to";
}

/* Records a crosswalk row the report cites, for the provenance. */
static void cw_cite_row(cw_bctx *b, const char *from_fw, const char *from, const char *to_fw,
                        const char *to, const char *origin)
{
    if (!*origin)
        return;
    char key[1024];
    snprintf(key, sizeof key, "%s\x1f%s\x1f%s\x1f%s\x1f%s", from_fw, from, to_fw, to, origin);
    json_object_set_new(b->rows, key, json_string(origin));
}

static void cw_strength(FILE *f, json_t *o)
{
    json_t *s = json_object_get(o, "strength");
    if (json_is_integer(s))
        fprintf(f, "strength %lld/10", (long long)json_integer_value(s));
}

/* A path as a sentence: "ISO/IEC 27001:2013 A.7.1.2 matches ISO/IEC
 * 27001:2022 A.6.2, which covers part of CC1.1 (inferred over 2 steps:
 * covers part of it)". */
void cw_path_words(cw_bctx *b, FILE *f, json_t *path)
{
    json_t *from = json_object_get(path, "from");
    const char *pfw = cw_js(from, "framework"), *pid = cw_js(from, "id");
    cw_req(b, f, pfw, pid);
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(path, "steps"), i, st)
    {
        fprintf(f, "%s%s ", i ? ", which " : " ", cw_rel_words(cw_js(st, "relationship"), false));
        cw_req(b, f, cw_js(st, "framework"), cw_js(st, "id"));
        cw_cite_row(b, pfw, pid, cw_js(st, "framework"), cw_js(st, "id"), cw_js(st, "origin"));
        pfw = cw_js(st, "framework");
        pid = cw_js(st, "id");
    }
    bool inferred = json_is_true(json_object_get(path, "inferred"));
    bool strength = json_is_integer(json_object_get(path, "strength"));
    if (!inferred && !strength)
        return;
    fputs(" (", f);
    if (inferred)
        fprintf(f, "inferred over %ld steps: %s it overall%s", cw_jl(path, "hops"),
                cw_rel_words(cw_js(path, "composed"), false), strength ? "; " : "");
    cw_strength(f, path);
    fputc(')', f);
}

/* A set of requirements as a sentence: "ISO/IEC 27001:2022 A.5.15 and
 * A.8.5 together cover all of CC6.1". */
void cw_row_words(cw_bctx *b, FILE *f, json_t *row, const char *target_fw)
{
    const char *sfw = cw_js(row, "source_framework");
    const char *tfw = *cw_js(row, "target_framework") ? cw_js(row, "target_framework") : target_fw;
    if (*sfw && (!b->home || strcmp(sfw, b->home) != 0))
        fprintf(f, "%s ", cw_fw_short(b, sfw));
    cw_and_list(f, json_object_get(row, "source"));
    fprintf(f, " together %s ", cw_rel_words(cw_js(row, "relationship"), true));
    cw_req(b, f, tfw, cw_js(row, "target"));
    char *set = cw_joined(json_object_get(row, "source"), "+");
    cw_cite_row(b, sfw, set, tfw, cw_js(row, "target"), cw_js(row, "origin"));
    free(set);
}

/* ---- controls and evidence in words ------------------------------------- */

/* "EV-3 (Nessus scan) failed, collected 2026-11-03": an evidence item with
 * its result and dates, which an auditor asks for first. */
static void cw_evidence_words(cw_bctx *b, FILE *f, const char *id)
{
    json_t *e = json_object_get(json_object_get(b->ctx, "evidence"), id);
    fputs(id, f);
    if (!e)
        return;
    if (*cw_js(e, "title"))
        fprintf(f, " \u201C%s\u201D", cw_js(e, "title"));
    const char *res = cw_js(e, "result"), *until = cw_js(e, "valid_until");
    char d1[32], d2[32];
    fprintf(f, " %s, collected %s",
            strcmp(res, "pass") == 0   ? "passed"
            : strcmp(res, "fail") == 0 ? "failed"
                                       : "result unknown",
            cw_day(cw_js(e, "collected_at"), d1, sizeof d1));
    if (strcmp(res, "pass") != 0)
        return;
    if (!*until)
        fputs(", no expiry", f);
    else if (b->as_of && strcmp(until, b->as_of) < 0)
        fprintf(f, ", expired %s", cw_day(until, d2, sizeof d2));
    else
        fprintf(f, ", valid until %s", cw_day(until, d2, sizeof d2));
}

/* Evidence ids (a JSON array) in words, "; " between them. */
void cw_evidence_list(cw_bctx *b, FILE *f, json_t *ids)
{
    size_t i;
    json_t *x;
    json_array_foreach(ids, i, x)
    {
        fputs(i ? "; " : "", f);
        cw_evidence_words(b, f, json_string_value(x) ? json_string_value(x) : "");
    }
}

/* "AC-1 (Access control)". */
void cw_control_words(cw_bctx *b, FILE *f, const char *id)
{
    json_t *c = json_object_get(json_object_get(b->ctx, "controls"), id);
    fputs(id, f);
    if (*cw_js(c, "title"))
        fprintf(f, " (%s)", cw_js(c, "title"));
}

/* Why a control is in its state, from the deciding evidence control.get
 * gave at the report's time: "no evidence", or the items in words. */
void cw_control_state_words(cw_bctx *b, FILE *f, const char *id, const char *state)
{
    json_t *c = json_object_get(json_object_get(b->ctx, "controls"), id);
    json_t *ev = json_object_get(c, "evidence");
    fputs(state, f);
    if (json_array_size(ev)) {
        fputs(" (", f);
        cw_evidence_list(b, f, ev);
        fputc(')', f);
    } else if (c && strcmp(state, "unverified") == 0) {
        fputs(" (no evidence)", f);
    }
}

/* A joint row's members: those in place with what put them there, then
 * the others by status: "A.5.1 met by POL-1 (...); missing: 5.1, 7.3". */
void cw_members_words(cw_bctx *b, FILE *f, json_t *je)
{
    size_t i;
    json_t *m;
    bool any = false;
    json_array_foreach(json_object_get(je, "members"), i, m)
    {
        const char *st = cw_js(m, "status");
        if (strcmp(st, "gap") == 0)
            continue;
        fprintf(f, "%s%s %s", any ? "; " : "", cw_js(m, "id"), cw_status_label(st));
        any = true;
        if (*cw_js(m, "lowest"))
            fprintf(f, " (lowest under it: %s)", cw_js(m, "lowest"));
        json_t *c = json_object_get(m, "contribution");
        if (json_is_object(c) && *cw_js(c, "control")) {
            fputs(" by ", f);
            cw_control_words(b, f, cw_js(c, "control"));
            if (json_array_size(json_object_get(c, "evidence"))) {
                fputs(", evidence ", f);
                cw_evidence_list(b, f, json_object_get(c, "evidence"));
            }
        }
    }
    bool first = true;
    json_array_foreach(json_object_get(je, "members"), i, m)
    {
        if (strcmp(cw_js(m, "status"), "gap") != 0)
            continue;
        fprintf(f, "%s%s", first ? (any ? "; missing: " : "missing: ") : ", ", cw_js(m, "id"));
        first = false;
        if (*cw_js(m, "why"))
            fprintf(f, " (%s)", cw_js(m, "why"));
    }
}

/* One contribution as a sentence: who, in what state, by which route, on
 * what evidence. */
void cw_contribution_words(cw_bctx *b, FILE *f, json_t *c)
{
    if (strcmp(cw_js(c, "via"), "joint") == 0) {
        json_t *je = json_object_get(c, "joint");
        cw_row_words(b, f, json_object_get(je, "row"), b->home);
        fprintf(f, " (gives %s): %ld of %ld in place: ", cw_status_label(cw_js(c, "gives")),
                cw_jl(je, "in_place"), cw_jl(je, "of"));
        cw_members_words(b, f, je);
        if (json_is_string(json_object_get(c, "reached_group")))
            fprintf(f, " (through group %s)", cw_js(c, "reached_group"));
        return;
    }
    cw_control_words(b, f, cw_js(c, "control"));
    fprintf(f, ", %s", cw_js(c, "state"));
    if (strcmp(cw_js(c, "level"), "partial") == 0)
        fputs(", in part", f);
    fputs(": ", f);
    const char *via = cw_js(c, "via");
    json_t *path = json_object_get(c, "path");
    json_t *link = json_object_get(c, "link");
    if (json_is_object(path)) {
        cw_path_words(b, f, path);
        if (json_is_object(link)) {
            fputs(", from its link to ", f);
            cw_req(b, f, cw_js(link, "framework"), cw_js(link, "id"));
        }
    } else if (strcmp(via, "group") == 0 && json_is_object(link)) {
        fputs("linked to the group ", f);
        cw_req(b, f, cw_js(link, "framework"), cw_js(link, "id"));
        fprintf(f, " at level %s", cw_js(link, "level"));
    } else if (strcmp(via, "direct") == 0) {
        fprintf(f, "linked to it directly at level %s", cw_js(c, "level"));
    } else {
        fprintf(f, "through %s", via);
    }
    json_t *rg = json_object_get(c, "reached_group");
    if (json_is_string(rg))
        fprintf(f, " (through group %s)", json_string_value(rg));
    json_t *ev = json_object_get(c, "evidence");
    if (json_array_size(ev)) {
        fputs("; evidence ", f);
        cw_evidence_list(b, f, ev);
    } else if (strcmp(cw_js(c, "state"), "unverified") == 0) {
        fputs("; no evidence", f);
    }
}
