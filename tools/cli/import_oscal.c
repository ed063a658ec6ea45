/* import_oscal.c: OSCAL catalog and mapping-collection JSON, and the OSCAL
 * export of a crosswalk.
 *
 * Catalog (`{"catalog": {...}}`): every group that has an id and every
 * control (including enhancements, the controls nested in a control)
 * becomes one requirement, with the enclosing group or control as its
 * parent; a group without an id adds no requirement and its contents take
 * the enclosing parent.  Groups are loaded with kind "category", controls
 * with kind "control".  A control's description is the prose of its part
 * named "statement" and every part nested in it, in document order, each
 * prefixed by the part's "label" prop when it has one, joined by spaces
 * (parameter insertions are kept as written).  Every control (an
 * enhancement too, and a control that has enhancements) is assessable;
 * a group is not.  A control whose "status" prop is "withdrawn" is loaded
 * with status withdrawn: kept for its crosswalks, never assessed.  Props
 * kept as attributes: "label" (label=AC-1) and any other "status".  The framework slug is the
 * caller's override or the metadata title made into a slug (lower case,
 * every run of other characters than a-z and 0-9 becomes '-'); name and
 * version come from the metadata.
 *
 * Mapping collection (`{"mapping-collection": {...}}`): each map's
 * relationship is translated (equivalent-to and equal-to -> equal,
 * subset-of -> subset_of, superset-of -> superset_of, intersects-with ->
 * intersects_with, no-relationship -> not_related).  A map states
 * "sources REL targets" of the unions of its sources and targets.  One
 * source and one target give one row.  Several sources and one target give
 * one joint row (the sources together are REL the target).  Several
 * targets are split into one row per target (joint when there are several
 * sources), with what the set relation allows for each target alone: when
 * the sources equal or contain the union of the targets they contain each
 * target (superset_of); when they are not related to the union they are
 * not related to any target (not_related); when they only overlap the
 * union, or lie inside it, nothing more than an overlap can be said of one
 * target (intersects_with).  Only items of type "control" are accepted.  The framework slug of a source-resource or
 * target-resource is, in this order: a prop named "framework"; the rest of
 * an href "urn:crosswalk:framework:<slug>"; the resource's "title"; the
 * title of the back-matter resource an href "#uuid" points to; the last
 * segment of the href without its extension and a trailing
 * "_catalog"/"-catalog"/"_profile"/"-profile", made into a slug.
 * strength comes from the map's confidence-score (a number 0..1 ->
 * round(score*10), a number above 1 up to 100 is a percentage, a named
 * level low/medium/high -> 3/6/9, or an object holding "percentage" or
 * "category"), else from its coverage ("target-coverage" read the same
 * way), else from the provenance's confidence-score or coverage, clamped
 * to 1..10.  rationale comes from a map prop named "rationale"
 * (syntactic/semantic/functional, or "none": the map has none), else the
 * map's matching-rationale, else the provenance's.  origin is a map prop
 * named "origin", else the collection's metadata title; a map prop "note"
 * becomes the row's note, followed by the statement parts and each
 * qualifier ("qualifier: target has-requirement (restricted): remarks").
 * Remarks, coverage text and the provenance's method and status are not
 * kept (origin is part of a row's key and must stay one stable name per
 * published mapping); a note says so.  An empty "mappings" array loads
 * nothing, with a note.
 *
 * Problems name a JSON path: file:$.catalog.groups[2].controls[5].id.
 *
 * cw_export_oscal writes one mapping per (source framework, target
 * framework) pair, with "framework" props (namespace urn:crosswalk:oscal)
 * and urn:crosswalk:framework: hrefs, and on every map "origin" and "note"
 * props, the row's matching-rationale (or a rationale prop "none") and a
 * confidence-score of strength/10 (a joint row is one map with several
 * sources), so that importing it gives the same rows.  The document
 * passes OSCAL 1.2's schema (tests/cli/schema) except when it has no rows
 * (the schema wants one map).  UUIDs are made from each row's key and
 * last-modified honours SOURCE_DATE_EPOCH, so the same rows export to the
 * same bytes.
 *
 * Ownership: the parsed document is borrowed from the caller; batches
 * belong to the cw_import. */
#define _POSIX_C_SOURCE 200809L
#include "import.h"

#include <crosswalk/model.h>
#include <crosswalk/time.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct oc {
    cw_import *imp;
    const char *name;
    cw_imp_map ids;
    json_t *reqs;
} oc;

static void prob(oc *c, const char *path, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void prob(oc *c, const char *path, const char *field, const char *fmt, ...)
{
    char where[256], msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (field && *field)
        snprintf(where, sizeof where, "%s:%s.%s", c->name, path, field);
    else
        snprintf(where, sizeof where, "%s:%s", c->name, path);
    cw_imp_problem(c->imp, where, field ? field : "", "%s", msg);
}

static const char *str_member(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* ---- growing string ---- */

typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l + 2 > b->cap) {
        size_t ncap = (b->n + l + 2) * 2;
        char *ns = realloc(b->s, ncap);
        if (!ns)
            return;
        b->s = ns;
        b->cap = ncap;
    }
    if (b->n)
        b->s[b->n++] = ' ';
    memcpy(b->s + b->n, s, l + 1);
    b->n += l;
}

static const char *prop_value(json_t *obj, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(obj, "props"), i, p)
    {
        const char *n = str_member(p, "name");
        if (n && strcmp(n, name) == 0)
            return str_member(p, "value");
    }
    return NULL;
}

static void collect_prose(json_t *part, sbuf *b)
{
    const char *label = prop_value(part, "label"), *prose = str_member(part, "prose");
    if (prose && *prose) {
        if (label)
            sb_add(b, label);
        sb_add(b, prose);
    } else if (label && json_array_size(json_object_get(part, "parts"))) {
        sb_add(b, label);
    }
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(part, "parts"), i, p) collect_prose(p, b);
}

/* ---- catalog ---- */

static int add_req(oc *c, json_t *node, const char *path, const char *parent, const char *kind,
                   const char **id_out)
{
    json_t *jid = json_object_get(node, "id");
    const char *id = json_string_value(jid), *why;
    *id_out = id;
    if (!jid) {
        prob(c, path, "id", "missing");
        return -1;
    }
    if (!id) {
        prob(c, path, "id", "must be a string");
        return -1;
    }
    if ((why = cw_imp_id_problem(id))) {
        prob(c, path, "id", "'%.60s' %s", id, why);
        return -1;
    }
    long prev;
    if (cw_imp_map_put(&c->ids, id, 0, &prev) == 1)
        prob(c, path, "id", "'%.60s' appears twice in the catalog", id);
    const char *title = str_member(node, "title");
    if (!title || !*title)
        prob(c, path, "title", "missing or empty");
    json_t *req = json_object();
    json_object_set_new(req, "id", json_string(id));
    if (parent)
        json_object_set_new(req, "parent", json_string(parent));
    json_object_set_new(req, "kind", json_string(kind));
    if (title)
        json_object_set_new(req, "title", json_string(title));
    sbuf b = {0};
    size_t i;
    json_t *part;
    json_array_foreach(json_object_get(node, "parts"), i, part)
    {
        const char *pn = str_member(part, "name");
        if (pn && strcmp(pn, "statement") == 0)
            collect_prose(part, &b);
    }
    if (b.n) {
        if (b.n > CW_IMP_MAX_TEXT) {
            size_t cut = CW_IMP_MAX_TEXT;
            while (cut > 0 && ((unsigned char)b.s[cut] & 0xc0) == 0x80)
                cut--;
            b.s[cut] = '\0';
        }
        json_object_set_new(req, "description", json_string(b.s));
    }
    free(b.s);
    json_t *attrs = json_object();
    const char *label = prop_value(node, "label"), *status = prop_value(node, "status");
    if (label && *label)
        json_object_set_new(attrs, "label", json_pack("[s]", label));
    /* A control is assessed, enhancements and all; a group is not. */
    json_object_set_new(req, "assessable", json_boolean(strcmp(kind, "control") == 0));
    if (status && strcasecmp(status, "withdrawn") == 0)
        json_object_set_new(req, "status", json_string("withdrawn"));
    else if (status && *status)
        json_object_set_new(attrs, "status", json_pack("[s]", status));
    if (json_object_size(attrs))
        json_object_set_new(req, "attributes", attrs);
    else
        json_decref(attrs);
    json_array_append_new(c->reqs, req);
    return 0;
}

/* A walker for one catalog node (a control or a group) at path, under
 * requirement parent (NULL at the top), depth levels down its own kind. */
typedef void walker(oc *c, json_t *node, const char *path, const char *parent, int depth);

/* Walks each element of obj's array member key with fn, naming it
 * path.key[i] in problems: controls and groups nest the same way. */
static void walk_each(oc *c, json_t *obj, const char *path, const char *key, const char *parent,
                      int depth, walker *fn)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(obj, key), i, x)
    {
        char p[512];
        snprintf(p, sizeof p, "%s.%s[%zu]", path, key, i);
        fn(c, x, p, parent, depth);
    }
}

static void walk_control(oc *c, json_t *ctl, const char *path, const char *parent, int depth)
{
    const char *id;
    if (!json_is_object(ctl)) {
        prob(c, path, NULL, "a control must be an object");
        return;
    }
    if (add_req(c, ctl, path, parent, "control", &id))
        id = parent;
    if (depth > 16) {
        prob(c, path, "controls", "nested too deeply");
        return;
    }
    walk_each(c, ctl, path, "controls", id, depth + 1, walk_control);
}

static void walk_group(oc *c, json_t *grp, const char *path, const char *parent, int depth)
{
    if (!json_is_object(grp)) {
        prob(c, path, NULL, "a group must be an object");
        return;
    }
    const char *id = parent;
    if (json_object_get(grp, "id")) {
        const char *gid;
        if (add_req(c, grp, path, parent, "category", &gid) == 0)
            id = gid;
    }
    if (depth > 16) {
        prob(c, path, "groups", "nested too deeply");
        return;
    }
    walk_each(c, grp, path, "controls", id, 0, walk_control);
    walk_each(c, grp, path, "groups", id, depth + 1, walk_group);
}

int cw_imp_oscal_catalog(cw_import *imp, const char *name, json_t *root, const cw_import_opts *opts)
{
    oc c = {imp, name, {0}, json_array()};
    json_t *cat = json_object_get(root, "catalog"), *md = json_object_get(cat, "metadata");
    const char *title = str_member(md, "title"), *version = str_member(md, "version");
    char slug[CW_IMP_MAX_SLUG + 1] = "";
    if (!title || !*title)
        prob(&c, "$.catalog.metadata", "title", "missing or empty");
    if (opts->framework) {
        if (!cw_slug_ok(opts->framework))
            prob(&c, "$", "framework", "'%.60s' is not a framework slug", opts->framework);
        snprintf(slug, sizeof slug, "%s", opts->framework);
    } else if (title && cw_imp_slugify(title, slug, sizeof slug)) {
        prob(&c, "$.catalog.metadata", "title",
             "cannot make a framework slug of '%.60s'; give the framework slug", title);
    }
    walk_each(&c, cat, "$.catalog", "controls", NULL, 0, walk_control);
    walk_each(&c, cat, "$.catalog", "groups", NULL, 0, walk_group);
    if (json_array_size(c.reqs) == 0)
        prob(&c, "$", "catalog", "no groups or controls with ids");
    cw_imp_map_free(&c.ids);
    json_t *p = json_object();
    json_object_set_new(p, "framework", json_string(slug));
    if (title)
        json_object_set_new(p, "name", json_string(title));
    if (version)
        json_object_set_new(p, "version", json_string(version));
    size_t n = json_array_size(c.reqs);
    json_object_set_new(p, "requirements", c.reqs);
    if (cw_imp_batch(imp, "catalog.load", p, n)) {
        cw_imp_problem(imp, name, "file", "out of memory");
        return -1;
    }
    return 0;
}

/* ---- mapping collection ---- */

static int resource_slug(oc *c, json_t *coll, json_t *res, const char *path, char *slug)
{
    const char *v = prop_value(res, "framework"), *href = str_member(res, "href");
    const char *urn = "urn:crosswalk:framework:";
    if (!json_is_object(res)) {
        prob(c, path, NULL, "missing");
        return -1;
    }
    if (v) {
        if (!cw_slug_ok(v)) {
            prob(c, path, "props", "framework '%.60s' is not a framework slug", v);
            return -1;
        }
        snprintf(slug, CW_IMP_MAX_SLUG + 1, "%s", v);
        return 0;
    }
    if (href && strncmp(href, urn, strlen(urn)) == 0) {
        if (!cw_slug_ok(href + strlen(urn))) {
            prob(c, path, "href", "'%.60s' does not end in a framework slug", href);
            return -1;
        }
        snprintf(slug, CW_IMP_MAX_SLUG + 1, "%s", href + strlen(urn));
        return 0;
    }
    const char *title = str_member(res, "title");
    if (!title && href && href[0] == '#') {
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(json_object_get(coll, "back-matter"), "resources"), i, r)
        {
            const char *u = str_member(r, "uuid");
            if (u && strcmp(u, href + 1) == 0)
                title = str_member(r, "title");
        }
    }
    if (title) {
        if (cw_imp_slugify(title, slug, CW_IMP_MAX_SLUG + 1)) {
            prob(c, path, "title", "cannot make a framework slug of '%.60s'", title);
            return -1;
        }
        return 0;
    }
    if (!href || !*href || href[0] == '#') {
        prob(c, path, "href", "names no framework (add a prop named \"framework\")");
        return -1;
    }
    char base[256];
    const char *b = strrchr(href, '/');
    snprintf(base, sizeof base, "%s", b ? b + 1 : href);
    base[strcspn(base, "?#")] = '\0';
    static const char *const ext[] = {".json", ".xml", ".yaml", ".yml"};
    static const char *const suf[] = {"_catalog", "-catalog", "_profile", "-profile"};
    for (size_t k = 0; k < 4; k++) {
        size_t n = strlen(base), l = strlen(ext[k]);
        if (n > l && strcasecmp(base + n - l, ext[k]) == 0)
            base[n - l] = '\0';
    }
    for (size_t k = 0; k < 4; k++) {
        size_t n = strlen(base), l = strlen(suf[k]);
        if (n > l && strcasecmp(base + n - l, suf[k]) == 0)
            base[n - l] = '\0';
    }
    /* The usual layout (oscal-content, trestle) names the file for what it
     * is and the folder for which: catalogs/nist-800-53-rev5/catalog.json. */
    static const char *const generic[] = {"catalog", "profile", "resolved-profile", "component",
                                          "mapping"};
    for (size_t k = 0; k < sizeof generic / sizeof *generic && b; k++)
        if (strcasecmp(base, generic[k]) == 0) {
            const char *d = b;
            while (d > href && d[-1] != '/')
                d--;
            snprintf(base, sizeof base, "%.*s", (int)(b - d), d);
            break;
        }
    /* A name that is a slug already (nist-csf-2.0) is kept as written. */
    if (strlen(base) <= CW_IMP_MAX_SLUG && cw_slug_ok(base)) {
        snprintf(slug, CW_IMP_MAX_SLUG + 1, "%.*s", CW_IMP_MAX_SLUG, base);
        return 0;
    }
    if (cw_imp_slugify(base, slug, CW_IMP_MAX_SLUG + 1)) {
        prob(c, path, "href", "cannot make a framework slug of '%.60s'", href);
        return -1;
    }
    return 0;
}

/* The user's word for a side's framework (--source-framework,
 * --target-framework), which wins over what the file says: 1 when given
 * (a problem when it is not a slug), 0 when not. */
static int given_slug(oc *c, const char *v, const char *opt, char *slug)
{
    if (!v)
        return 0;
    if (!cw_slug_ok(v) || strlen(v) > CW_IMP_MAX_SLUG)
        prob(c, "$", opt, "'%.60s' is not a framework slug", v);
    snprintf(slug, CW_IMP_MAX_SLUG + 1, "%s", v);
    return 1;
}

static const char *map_rel(const char *r)
{
    static const char *const tab[][2] = {
        {"equivalent-to", "equal"},
        {"equal-to", "equal"},
        {"subset-of", "subset_of"},
        {"superset-of", "superset_of"},
        {"intersects-with", "intersects_with"},
        {"no-relationship", "not_related"},
    };
    for (size_t i = 0; r && i < sizeof tab / sizeof *tab; i++)
        if (strcmp(r, tab[i][0]) == 0)
            return tab[i][1];
    return NULL;
}

/* A score read as strength 1..10: 0 when absent, -1 when unreadable. */
static int score_strength(json_t *v)
{
    if (!v)
        return 0;
    if (json_is_object(v)) {
        json_t *x = json_object_get(v, "percentage");
        if (!x)
            x = json_object_get(v, "score");
        if (!x)
            x = json_object_get(v, "category");
        if (!x)
            x = json_object_get(v, "target-coverage");
        return x ? score_strength(x) : -1;
    }
    double d;
    if (json_is_number(v)) {
        d = json_number_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcasecmp(s, "low") == 0)
            return 3;
        if (strcasecmp(s, "medium") == 0)
            return 6;
        if (strcasecmp(s, "high") == 0)
            return 9;
        char *end;
        d = strtod(s, &end);
        if (end == s || (*end && strcmp(end, "%") != 0))
            return -1;
        if (*end == '%')
            d /= 100.0;
    } else {
        return -1;
    }
    if (!(d >= 0) || d > 100)
        return -1;
    if (d > 1)
        d /= 100.0;
    long s = (long)(d * 10 + 0.5);
    return s < 1 ? 1 : s > 10 ? 10 : (int)s;
}

/* The ids of a map's sources or targets into out.  A statement item
 * ("ac-1_smt.a", OSCAL's naming of a control's statement parts) maps its
 * control, once however many of its parts are named; the part ids go to
 * parts, for the row's note: the model maps whole requirements. */
static int item_ids(oc *c, json_t *arr, const char *path, const char *what, json_t *out,
                    json_t *parts)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        prob(c, path, what, "must be a non-empty array");
        return -1;
    }
    size_t i;
    json_t *it;
    int rc = 0;
    json_array_foreach(arr, i, it)
    {
        char p[512];
        snprintf(p, sizeof p, "%s.%s[%zu]", path, what, i);
        /* "id_ref": as oscal-compass's published examples spell it */
        const char *type = str_member(it, "type"), *why,
                   *id = str_member(it, "id-ref") ? str_member(it, "id-ref")
                                                  : str_member(it, "id_ref");
        char ctl[CW_MAX_ID + 1];
        bool stmt = type && strcmp(type, "statement") == 0;
        if (stmt && id) {
            const char *smt = strstr(id, "_smt");
            if (!smt || smt == id || (size_t)(smt - id) > CW_MAX_ID) {
                prob(c, p, "id-ref", "'%.60s' does not name its control (<control>_smt...)", id);
                rc = -1;
                continue;
            }
            json_array_append_new(parts, json_string(id));
            snprintf(ctl, sizeof ctl, "%.*s", (int)(smt - id), id);
            size_t q;
            json_t *x;
            bool seen = false;
            json_array_foreach(out, q, x) seen = seen || strcmp(json_string_value(x), ctl) == 0;
            if (seen)
                continue;
            id = ctl;
        }
        if (type && !stmt && strcmp(type, "control") != 0) {
            prob(c, p, "type", "'%.40s' is not supported (only control and statement)", type);
            rc = -1;
        } else if (!id) {
            prob(c, p, "id-ref", "missing");
            rc = -1;
        } else if ((why = cw_imp_id_problem(id))) {
            prob(c, p, "id-ref", "'%.60s' %s", id, why);
            rc = -1;
        } else {
            json_array_append_new(out, json_string(id));
        }
    }
    return rc;
}

int cw_imp_oscal_mapping(cw_import *imp, const char *name, json_t *root, const cw_import_opts *opts)
{
    oc c = {imp, name, {0}, json_array()};
    json_t *coll = json_object_get(root, "mapping-collection");
    const char *title = str_member(json_object_get(coll, "metadata"), "title");
    json_t *mappings = json_object_get(coll, "mappings"),
           *prov = json_object_get(coll, "provenance");
    if (!json_is_array(mappings))
        prob(&c, "$.mapping-collection", "mappings", "must be an array");
    else if (json_array_size(mappings) == 0)
        cw_imp_note(imp, name, "mappings",
                    "the collection holds no mappings: nothing to load (OSCAL's schema wants at "
                    "least one)");
    /* What the collection's provenance says that rows cannot hold is named
     * once; its rationale and score are every map's default. */
    const char *pm = str_member(prov, "method"), *ps = str_member(prov, "status");
    if (pm || ps)
        cw_imp_note(imp, name, "provenance",
                    "method %s, status %s: not kept (a crosswalk row has no field for them)",
                    pm ? pm : "(none)", ps ? ps : "(none)");
    if (ps && (strcmp(ps, "deprecated") == 0 || strcmp(ps, "superseded") == 0 ||
               strcmp(ps, "draft") == 0))
        cw_imp_note(imp, name, "provenance",
                    "the publisher marks this collection %s: its rows load like any other", ps);
    json_t *prov_score = json_object_get(prov, "confidence-score");
    if (!prov_score)
        prov_score = json_object_get(prov, "coverage");
    size_t n_remarks = 0;
    size_t i;
    json_t *m;
    json_array_foreach(mappings, i, m)
    {
        char path[128], sp[160], tp[160];
        snprintf(path, sizeof path, "$.mapping-collection.mappings[%zu]", i);
        snprintf(sp, sizeof sp, "%s.source-resource", path);
        snprintf(tp, sizeof tp, "%s.target-resource", path);
        char sf[CW_IMP_MAX_SLUG + 1], tf[CW_IMP_MAX_SLUG + 1];
        int ok = given_slug(&c, opts->source_framework, "source-framework", sf) ||
                 resource_slug(&c, coll, json_object_get(m, "source-resource"), sp, sf) == 0;
        ok &= given_slug(&c, opts->target_framework, "target-framework", tf) ||
              resource_slug(&c, coll, json_object_get(m, "target-resource"), tp, tf) == 0;
        json_t *maps = json_object_get(m, "maps");
        if (!json_is_array(maps) || json_array_size(maps) == 0)
            prob(&c, path, "maps", "must be a non-empty array");
        size_t j;
        json_t *mp;
        json_array_foreach(maps, j, mp)
        {
            char mpath[192];
            snprintf(mpath, sizeof mpath, "%s.maps[%zu]", path, j);
            json_t *jr = json_object_get(mp, "relationship");
            const char *rs = json_is_object(jr) ? str_member(jr, "type") : json_string_value(jr);
            const char *rel = map_rel(rs);
            int mok = ok;
            if (!rel) {
                prob(&c, mpath, "relationship",
                     "'%.40s' is not one of equivalent-to, equal-to, subset-of, superset-of, "
                     "intersects-with, no-relationship",
                     rs ? rs : "(missing)");
                mok = 0;
            }
            /* the map's score, else its coverage, else the provenance's */
            json_t *conf = json_object_get(mp, "confidence-score");
            const char *cfield = "confidence-score", *cpath = mpath;
            if (!conf) {
                conf = json_object_get(mp, "coverage");
                cfield = "coverage";
            }
            if (!conf && prov_score) {
                conf = prov_score;
                cpath = "$.mapping-collection.provenance";
                cfield =
                    json_object_get(prov, "confidence-score") ? "confidence-score" : "coverage";
            }
            int strength = score_strength(conf);
            if (strength < 0) {
                prob(&c, cpath, cfield, "not a score from 0 to 1, a percentage or low/medium/high");
                mok = 0;
            }
            const char *rat = prop_value(mp, "rationale"), *origin = prop_value(mp, "origin");
            /* OSCAL 1.2's own field, on the map or the collection's
             * provenance; a rationale prop "none" (crosswalk's export
             * writes it) says the map has none, whatever the provenance
             * says */
            const char *mr = str_member(mp, "matching-rationale");
            if (!mr)
                mr = str_member(prov, "matching-rationale");
            if (rat && strcmp(rat, "none") == 0)
                rat = "";
            else if (!rat && mr && cw_rationale_ok(mr))
                rat = mr;
            if (rat && !*rat)
                rat = NULL;
            else if (rat && !cw_rationale_ok(rat)) {
                prob(&c, mpath, "props",
                     "rationale '%.40s' is not one of syntactic, semantic, "
                     "functional, none",
                     rat);
                mok = 0;
            }
            if (!origin)
                origin = title;
            if (!origin || !*origin) {
                prob(&c, mpath, "origin",
                     "no origin: the collection has no metadata title and the map no origin prop");
                mok = 0;
            }
            if (str_member(mp, "remarks"))
                n_remarks++;
            json_t *srcs = json_array(), *tgts = json_array(), *parts = json_array();
            mok &= item_ids(&c, json_object_get(mp, "sources"), mpath, "sources", srcs, parts) == 0;
            for (size_t x = 1; x < json_array_size(srcs); x++)
                for (size_t y = 0; y < x; y++)
                    if (strcmp(json_string_value(json_array_get(srcs, x)),
                               json_string_value(json_array_get(srcs, y))) == 0) {
                        prob(&c, mpath, "sources", "'%.60s' is listed twice",
                             json_string_value(json_array_get(srcs, x)));
                        mok = 0;
                    }
            mok &= item_ids(&c, json_object_get(mp, "targets"), mpath, "targets", tgts, parts) == 0;
            /* each target on its own: see the file's opening comment */
            size_t nsrc = json_array_size(srcs), ntgt = json_array_size(tgts);
            const char *trel = rel;
            if (ntgt > 1 && rel)
                trel = strcmp(rel, "equal") == 0 || strcmp(rel, "superset_of") == 0 ? "superset_of"
                       : strcmp(rel, "not_related") == 0                            ? "not_related"
                                                         : "intersects_with";
            if (nsrc > 64) {
                prob(&c, mpath, "sources", "%zu sources: a joint row has at most 64", nsrc);
                mok = 0;
            }
            size_t b;
            json_t *t;
            json_array_foreach(tgts, b, t)
            {
                const char *tid = json_string_value(t);
                if (!mok)
                    break;
                size_t a;
                json_t *s;
                int self = 0;
                json_array_foreach(srcs, a, s) self |=
                    strcmp(sf, tf) == 0 && strcmp(json_string_value(s), tid) == 0;
                if (self) {
                    prob(&c, mpath, "targets", "maps '%.60s' to itself", tid);
                    continue;
                }
                /* key: the (sorted) source set, target and origin */
                size_t kl = strlen(sf) + strlen(tf) + strlen(tid) + strlen(origin) + 8;
                json_array_foreach(srcs, a, s) kl += strlen(json_string_value(s)) + 1;
                char *key = malloc(kl);
                if (key) {
                    size_t o = (size_t)snprintf(key, kl, "%s%c", sf, 1);
                    json_array_foreach(srcs, a, s) o +=
                        (size_t)snprintf(key + o, kl - o, "%s%c", json_string_value(s), 2);
                    snprintf(key + o, kl - o, "%c%s%c%s%c%s", 1, tf, 1, tid, 1, origin);
                    if (cw_imp_map_put(&c.ids, key, 0, NULL) == 1)
                        prob(&c, mpath, "targets", "%.40s/%.40s%s -> %.40s/%.40s is mapped twice",
                             sf, json_string_value(json_array_get(srcs, 0)),
                             nsrc > 1 ? " (and the rest of its set)" : "", tf, tid);
                    free(key);
                }
                json_t *row = json_object();
                json_object_set_new(row, "source_framework", json_string(sf));
                if (nsrc > 1)
                    json_object_set(row, "source", srcs);
                else
                    json_object_set(row, "source", json_array_get(srcs, 0));
                json_object_set_new(row, "target_framework", json_string(tf));
                json_object_set_new(row, "target", json_string(tid));
                json_object_set_new(row, "relationship", json_string(trel));
                cw_imp_mapping_tail(row, strength, rat, origin);
                const char *note = prop_value(mp, "note");
                char text[1024];
                size_t tl = (size_t)snprintf(text, sizeof text, "%s", note ? note : "");
                size_t q;
                json_t *x;
                json_array_foreach(parts, q, x) if (tl < sizeof text) tl +=
                    (size_t)snprintf(text + tl, sizeof text - tl, "%s%s",
                                     q    ? ", "
                                     : tl ? "; statement parts: "
                                          : "statement parts: ",
                                     json_string_value(x));
                /* a qualifier (what one side requires of, or cannot do
                 * for, the other) is text the row can keep in its note */
                json_array_foreach(json_object_get(mp, "qualifiers"), q, x) if (tl < sizeof text)
                {
                    const char *qr = str_member(x, "remarks") ? str_member(x, "remarks")
                                                              : str_member(x, "description");
                    tl += (size_t)snprintf(
                        text + tl, sizeof text - tl, "%squalifier: %s %s (%s)%s%s", tl ? "; " : "",
                        str_member(x, "subject") ? str_member(x, "subject") : "?",
                        str_member(x, "predicate") ? str_member(x, "predicate") : "?",
                        str_member(x, "category") ? str_member(x, "category") : "?", qr ? ": " : "",
                        qr ? qr : "");
                }
                if (tl >= sizeof text)
                    memcpy(text + sizeof text - 4, "...", 4);
                if (*text)
                    json_object_set_new(row, "note", json_string(text));
                json_array_append_new(c.reqs, row);
            }
            json_decref(srcs);
            json_decref(tgts);
            json_decref(parts);
        }
    }
    cw_imp_map_free(&c.ids);
    if (n_remarks)
        cw_imp_note(imp, name, "remarks",
                    "the remarks of %zu map%s are not kept (a row's note holds its statement "
                    "parts and qualifiers)",
                    n_remarks, n_remarks == 1 ? "" : "s");
    int rc = cw_imp_mapping_batches(imp, c.reqs, opts->batch_size);
    if (rc) {
        cw_imp_problem(imp, name, "file", "out of memory");
        return -1;
    }
    return 0;
}

/* ---- export ---- */

/* The namespace of the props crosswalk writes (they are read by name,
 * whatever their namespace). */
#define CW_OSCAL_NS "urn:crosswalk:oscal"

/* A UUID made from a name: the same row gets the same UUID in every export,
 * so exporting, loading and exporting again gives the same bytes.  OSCAL
 * accepts only version 4 and 5 UUIDs; version 5 promises SHA-1 of a
 * namespace and a name, which this is not, so the bits are marked version
 * 4: they only have to be unique, and 122 bits of a well-mixed 128-bit hash
 * of a key that is unique in the document are. */
typedef struct uhash {
    uint64_t a, b;
} uhash;

static void uh_add(uhash *h, const char *s)
{
    /* two FNV-1a streams with different offsets; a separator byte after
     * each part so ("ab","c") and ("a","bc") differ */
    for (const unsigned char *p = (const unsigned char *)s;; p++) {
        unsigned c = *p ? *p : 0x1f;
        h->a = (h->a ^ c) * 0x100000001b3ULL;
        h->b = (h->b ^ (c + 0x55)) * 0x100000001b3ULL;
        if (!*p)
            break;
    }
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void uh_uuid(const uhash *h, char out[37])
{
    uint64_t hi = mix64(h->a ^ mix64(h->b)), lo = mix64(h->b ^ hi);
    unsigned char b[16];
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(hi >> (56 - 8 * i));
        b[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static uhash uh_start(const char *kind)
{
    uhash h = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    uh_add(&h, kind);
    return h;
}

static json_t *resource(const char *slug)
{
    char href[128];
    snprintf(href, sizeof href, "urn:crosswalk:framework:%s", slug);
    return json_pack("{s:s,s:s,s:[{s:s,s:s,s:s}]}", "type", "catalog", "href", href, "props",
                     "name", "framework", "ns", CW_OSCAL_NS, "value", slug);
}

static const char *oscal_rel(const char *r)
{
    if (!r)
        return NULL;
    /* equal is the same scope both ways: OSCAL's equal-to (its
     * equivalent-to is "alike in meaning", which the importer also reads
     * as equal, but is not what the row says) */
    if (strcmp(r, "equal") == 0)
        return "equal-to";
    if (strcmp(r, "subset_of") == 0)
        return "subset-of";
    if (strcmp(r, "superset_of") == 0)
        return "superset-of";
    if (strcmp(r, "intersects_with") == 0)
        return "intersects-with";
    if (strcmp(r, "not_related") == 0)
        return "no-relationship";
    return NULL;
}

/* The export's last-modified: SOURCE_DATE_EPOCH when set (the
 * reproducible-builds convention, so two exports of the same rows are the
 * same bytes), else now. */
static cw_time export_time(void)
{
    const char *e = getenv("SOURCE_DATE_EPOCH");
    if (e && *e) {
        char *end;
        long long v = strtoll(e, &end, 10);
        if (!*end && v >= 0 && v <= CW_TIME_MAX)
            return (cw_time)v;
    }
    return cw_now();
}

static json_t *ns_prop(const char *name, const char *value)
{
    return json_pack("{s:s,s:s,s:s}", "name", name, "ns", CW_OSCAL_NS, "value", value);
}

int cw_export_oscal(FILE *out, json_t *rows, const char *source_fw, const char *target_fw)
{
    if (!json_is_array(rows))
        return -1;
    json_t *mappings = json_array();
    const char *origin1 = NULL;
    int one_origin = 1;
    /* OSCAL 1.2 requires a matching-rationale on the provenance, which a
     * reader applies to every map without its own: the most common one of
     * the rows is written there, every row's own on its map, and a row
     * without one says so with a rationale prop "none". */
    static const char *const rationales[] = {"syntactic", "semantic", "functional"};
    size_t rat_count[3] = {0, 0, 0}, no_rat = 0;
    uhash coll_h = uh_start("collection");
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_t *src = json_object_get(r, "source");
        const char *sf = str_member(r, "source_framework"), *tf = str_member(r, "target_framework"),
                   *tid = str_member(r, "target"), *rel = oscal_rel(str_member(r, "relationship")),
                   *origin = str_member(r, "origin"), *rat = str_member(r, "rationale"),
                   *note = str_member(r, "note");
        if (!sf || !(json_is_string(src) || json_is_array(src)) || !tf || !tid || !rel || !origin)
            continue;
        if ((source_fw && strcmp(sf, source_fw)) || (target_fw && strcmp(tf, target_fw)))
            continue;
        if (!origin1)
            origin1 = origin;
        else if (strcmp(origin1, origin))
            one_origin = 0;
        json_t *mapping = NULL, *m;
        size_t k;
        json_array_foreach(mappings, k, m)
        {
            if (strcmp(prop_value(json_object_get(m, "source-resource"), "framework"), sf) == 0 &&
                strcmp(prop_value(json_object_get(m, "target-resource"), "framework"), tf) == 0)
                mapping = m;
        }
        char u[37];
        if (!mapping) {
            uhash h = uh_start("mapping");
            uh_add(&h, sf);
            uh_add(&h, tf);
            uh_uuid(&h, u);
            mapping = json_pack("{s:s,s:o,s:o,s:[]}", "uuid", u, "source-resource", resource(sf),
                                "target-resource", resource(tf), "maps");
            json_array_append_new(mappings, mapping);
        }
        /* the row's key: its source set, target and origin */
        uhash h = uh_start("map");
        uh_add(&h, sf);
        json_t *sources = json_array(), *x;
        if (json_is_array(src)) {
            /* a joint row is one map with several sources */
            json_array_foreach(src, k, x) if (json_is_string(x))
            {
                uh_add(&h, json_string_value(x));
                json_array_append_new(sources,
                                      json_pack("{s:s,s:O}", "type", "control", "id-ref", x));
            }
        } else {
            uh_add(&h, json_string_value(src));
            json_array_append_new(sources,
                                  json_pack("{s:s,s:O}", "type", "control", "id-ref", src));
        }
        uh_add(&h, tf);
        uh_add(&h, tid);
        uh_add(&h, origin);
        uh_uuid(&h, u);
        uh_add(&coll_h, u);
        json_t *props = json_pack("[o]", ns_prop("origin", origin));
        if (note && *note)
            json_array_append_new(props, ns_prop("note", note));
        json_t *map =
            json_pack("{s:s,s:o,s:s,s:o,s:[{s:s,s:s}]}", "uuid", u, "props", props, "relationship",
                      rel, "sources", sources, "targets", "type", "control", "id-ref", tid);
        int ri = -1;
        for (int q = 0; rat && q < 3; q++)
            if (strcmp(rat, rationales[q]) == 0)
                ri = q;
        if (ri >= 0) {
            rat_count[ri]++;
            json_object_set_new(map, "matching-rationale", json_string(rationales[ri]));
        } else {
            no_rat++;
            json_array_append_new(props, ns_prop("rationale", "none"));
        }
        json_t *st = json_object_get(r, "strength");
        if (json_is_integer(st))
            json_object_set_new(
                map, "confidence-score",
                json_pack("{s:f}", "percentage", (double)json_integer_value(st) / 10.0));
        json_array_append_new(json_object_get(mapping, "maps"), map);
    }
    int top = 1; /* semantic when no row has a rationale */
    for (int q = 0; q < 3; q++)
        if (rat_count[q] > rat_count[top])
            top = q;
    char title[512], now[32], u[37];
    if (origin1 && one_origin)
        snprintf(title, sizeof title, "%s", origin1);
    else
        snprintf(title, sizeof title, "crosswalk export%s%s%s%s", source_fw ? ": " : "",
                 source_fw ? source_fw : "", target_fw ? " to " : "", target_fw ? target_fw : "");
    uh_add(&coll_h, title);
    cw_time_format(export_time(), now, sizeof now);
    uh_uuid(&coll_h, u);
    size_t n_maps = 0;
    json_t *m;
    json_array_foreach(mappings, i, m) n_maps += json_array_size(json_object_get(m, "maps"));
    if (n_maps == 0)
        fprintf(stderr, "crosswalk: export: no crosswalk rows to write: the collection has no "
                        "mappings, which OSCAL 1.2's schema does not allow (crosswalk load reads "
                        "it back as empty)\n");
    char desc[512];
    snprintf(desc, sizeof desc,
             "Exported from crosswalk: one map per crosswalk row (a joint row is one map with "
             "several sources); each map's origin and note props, matching-rationale and "
             "confidence-score (strength / 10) carry the row's fields.%s",
             no_rat ? " A map whose rationale prop is none has no matching rationale; the one "
                      "given here does not apply to it."
                    : "");
    json_t *doc = json_pack(
        "{s:{s:s,s:{s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s,s:s},s:o}}", "mapping-collection", "uuid", u,
        "metadata", "title", title, "last-modified", now, "version", "1.0", "oscal-version",
        "1.2.0", "provenance", "method", "human", "matching-rationale", rationales[top], "status",
        "complete", "mapping-description", desc, "mappings", mappings);
    if (!doc)
        return -1;
    int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) == 0 &&
                     fputc('\n', out) != EOF
                 ? 0
                 : -1;
    json_decref(doc);
    return rc || ferror(out) ? -1 : 0;
}
