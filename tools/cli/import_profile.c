/* import_profile.c: an OSCAL JSON profile resolved against the catalog the
 * user names (--catalog), loaded as the catalog of the controls it selects.
 * The rules implemented, a subset of OSCAL profile resolution: every import
 * must name the given catalog, by its href's file name or by a "#uuid"
 * back-matter resource one of whose rlinks has that file name (imports of
 * other catalogs or profiles are problems, naming the href).  An import
 * selects with include-all (every control, enhancements included) or
 * include-controls[], and removes with exclude-controls[]; each selector
 * takes with-ids[] (exact control ids) and matching[].pattern (a glob on
 * control ids: * ? [...]), and with-child-controls "yes" adds every control
 * nested under a matched one, at any depth.  Within one import a control is
 * in when an include selects it and no exclude does; the imports' results
 * are united.  An import with neither include-all nor include-controls is a
 * problem rather than a guess.  A control that is in keeps every control
 * it is nested in (an enhancement its base control), even an excluded one,
 * so the tree loads whole; each one kept only for that is reported in a
 * note.  Groups are kept when something under them is.  An id in with-ids
 * that the catalog does not have is a problem; a pattern that matches
 * nothing is a note.  merge and modify (set-parameters, alters) are not
 * applied: each present is reported in a note, and the controls load as
 * the catalog writes them.  The result is a pruned copy of the catalog
 * with the profile's title and version in its metadata, handed to the
 * OSCAL catalog reader (import_oscal.c), so it loads exactly as that
 * catalog would, as one catalog.load; the framework slug is --framework
 * or the profile's title made into a slug.  The catalog is first read
 * whole by the same reader so its own problems name their real place.
 *
 * Ownership: the profile document is borrowed from the caller; the catalog
 * document, its pruned copy and the selection are owned here and released
 * before returning; batches, problems and notes belong to the cw_import. */
#define _POSIX_C_SOURCE 200809L
#include "import.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* One control of the catalog: its node (borrowed from the catalog
 * document) and the index of the control it is nested in, or -1. */
typedef struct pctl {
    json_t *node;
    const char *id;
    long parent;
} pctl;

typedef struct pr {
    cw_import *imp;
    const char *name, *cat_name; /* the profile's and the catalog's paths */
    cw_imp_map ids;              /* control id -> index in ctl */
    pctl *ctl;
    size_t n, cap;
} pr;

static void prob(pr *p, const char *path, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void prob(pr *p, const char *path, const char *field, const char *fmt, ...)
{
    char where[256], msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(where, sizeof where, "%s:%s", p->name, path);
    cw_imp_problem(p->imp, where, field, "%s", msg);
}

/* A note at "file:$.path" (the profile's JSON path). */
static void note(pr *p, const char *path, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(pr *p, const char *path, const char *field, const char *fmt, ...)
{
    char where[256], msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(where, sizeof where, "%s:%s", p->name, path);
    cw_imp_note(p->imp, where, field, "%s", msg);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Whether href's last segment (before any ?query or #fragment) is base. */
static bool href_is(const char *href, const char *base)
{
    size_t n = strcspn(href, "?#");
    const char *b = href + n;
    while (b > href && b[-1] != '/')
        b--;
    return (size_t)(href + n - b) == strlen(base) && strncmp(b, base, strlen(base)) == 0;
}

/* Whether an import's href names the given catalog; a problem otherwise. */
static bool import_matches(pr *p, json_t *prof, const char *href, const char *ipath)
{
    const char *base = base_name(p->cat_name);
    char path[300];
    snprintf(path, sizeof path, "%s.href", ipath);
    if (!href || !*href) {
        prob(p, path, "href", "missing");
        return false;
    }
    if (href[0] != '#') {
        if (href_is(href, base))
            return true;
        prob(p, path, "href",
             "'%.80s' is not the catalog given (--catalog %.60s): only a profile of that one "
             "catalog is resolved here",
             href, base);
        return false;
    }
    size_t i, k;
    json_t *r, *l;
    json_array_foreach(json_object_get(json_object_get(prof, "back-matter"), "resources"), i, r)
    {
        const char *u = json_string_value(json_object_get(r, "uuid"));
        if (!u || strcmp(u, href + 1) != 0)
            continue;
        json_array_foreach(json_object_get(r, "rlinks"), k, l)
        {
            const char *h = json_string_value(json_object_get(l, "href"));
            if (h && href_is(h, base))
                return true;
        }
        prob(p, path, "href",
             "'%.60s' is a resource whose links do not name the catalog given (--catalog %.60s)",
             href, base);
        return false;
    }
    prob(p, path, "href", "'%.60s' names no resource in the profile's back-matter", href);
    return false;
}

/* ---- the catalog's controls ---- */

static void index_controls(pr *p, json_t *arr, long parent)
{
    size_t i;
    json_t *c;
    json_array_foreach(arr, i, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        if (!id)
            continue;
        if (p->n == p->cap) {
            size_t ncap = p->cap ? p->cap * 2 : 64;
            pctl *nc = realloc(p->ctl, ncap * sizeof *nc);
            if (!nc)
                return;
            p->ctl = nc;
            p->cap = ncap;
        }
        long me = (long)p->n;
        p->ctl[p->n++] = (pctl){c, id, parent};
        cw_imp_map_put(&p->ids, id, me, NULL);
        index_controls(p, json_object_get(c, "controls"), me);
    }
}

static void index_groups(pr *p, json_t *arr)
{
    size_t i;
    json_t *g;
    json_array_foreach(arr, i, g)
    {
        index_controls(p, json_object_get(g, "controls"), -1);
        index_groups(p, json_object_get(g, "groups"));
    }
}

/* Marks control k in sel, and with children every control nested in it. */
static void mark(pr *p, bool *sel, long k, bool children)
{
    sel[k] = true;
    if (!children)
        return;
    size_t i;
    json_t *c;
    long v;
    json_array_foreach(json_object_get(p->ctl[k].node, "controls"), i, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        if (id && cw_imp_map_get(&p->ids, id, &v))
            mark(p, sel, v, true);
    }
}

/* Applies the selectors of an include-controls or exclude-controls array
 * (what names it: the member's name, at path) to sel. */
static void select_controls(pr *p, json_t *arr, const char *path, const char *what, bool *sel)
{
    if (!json_is_array(arr)) {
        prob(p, path, what, "must be an array");
        return;
    }
    size_t i, k;
    json_t *s, *x;
    json_array_foreach(arr, i, s)
    {
        char sp[512];
        snprintf(sp, sizeof sp, "%s.%s[%zu]", path, what, i);
        const char *wc = json_string_value(json_object_get(s, "with-child-controls"));
        bool children = wc && strcmp(wc, "yes") == 0;
        json_t *ids = json_object_get(s, "with-ids"), *pats = json_object_get(s, "matching");
        if (!ids && !pats)
            prob(p, sp, what, "names no control (no with-ids or matching)");
        json_array_foreach(ids, k, x)
        {
            const char *id = json_string_value(x);
            long v;
            if (id && cw_imp_map_get(&p->ids, id, &v)) {
                mark(p, sel, v, children);
            } else {
                char xp[600];
                snprintf(xp, sizeof xp, "%s.with-ids[%zu]", sp, k);
                prob(p, xp, "with-ids", "'%.60s' is not a control of %.100s",
                     id ? id : "(not a string)", base_name(p->cat_name));
            }
        }
        json_array_foreach(pats, k, x)
        {
            const char *pat = json_string_value(json_object_get(x, "pattern"));
            char xp[600];
            snprintf(xp, sizeof xp, "%s.matching[%zu]", sp, k);
            if (!pat) {
                prob(p, xp, "matching", "no pattern");
                continue;
            }
            bool any = false;
            for (size_t c = 0; c < p->n; c++)
                if (fnmatch(pat, p->ctl[c].id, 0) == 0) {
                    mark(p, sel, (long)c, children);
                    any = true;
                }
            if (!any)
                note(p, xp, "pattern", "'%.60s' matches no control of %.100s", pat,
                     base_name(p->cat_name));
        }
    }
}

/* ---- the pruned copy ---- */

/* Removes from arr every control not kept, and from what stays every
 * nested control not kept. */
static void prune_controls(pr *p, json_t *arr, const bool *keep)
{
    for (size_t i = json_array_size(arr); i-- > 0;) {
        json_t *c = json_array_get(arr, i);
        const char *id = json_string_value(json_object_get(c, "id"));
        long v;
        if (!id || !cw_imp_map_get(&p->ids, id, &v) || !keep[v])
            json_array_remove(arr, i);
        else
            prune_controls(p, json_object_get(c, "controls"), keep);
    }
}

/* Prunes each group, then drops the groups left with nothing in them. */
static void prune_groups(pr *p, json_t *arr, const bool *keep)
{
    for (size_t i = json_array_size(arr); i-- > 0;) {
        json_t *g = json_array_get(arr, i);
        json_t *cs = json_object_get(g, "controls"), *gs = json_object_get(g, "groups");
        prune_controls(p, cs, keep);
        prune_groups(p, gs, keep);
        if (json_array_size(cs) == 0 && json_array_size(gs) == 0)
            json_array_remove(arr, i);
    }
}

/* Reads the catalog file (UTF-8 JSON, a byte order mark skipped).  Returns
 * a new reference, or NULL with a problem naming the catalog. */
static json_t *read_catalog(pr *p)
{
    FILE *f = fopen(p->cat_name, "rb");
    if (!f) {
        cw_imp_problem(p->imp, p->cat_name, "catalog",
                       "cannot read the catalog given (--catalog): %s", strerror(errno));
        return NULL;
    }
    unsigned char bom[3];
    if (fread(bom, 1, 3, f) != 3 || memcmp(bom, "\xef\xbb\xbf", 3) != 0)
        rewind(f);
    json_error_t je;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (!root) {
        char where[300];
        snprintf(where, sizeof where, "%s:%d", p->cat_name, je.line);
        cw_imp_problem(p->imp, where, "json", "%s", je.text);
        return NULL;
    }
    if (!json_is_object(json_object_get(root, "catalog"))) {
        char where[300];
        snprintf(where, sizeof where, "%s:$", p->cat_name);
        cw_imp_problem(p->imp, where, "catalog",
                       "not an OSCAL catalog (no \"catalog\" object at the top); a profile of a "
                       "profile is not resolved here");
        json_decref(root);
        return NULL;
    }
    return root;
}

/* The catalog read whole by the catalog reader: 0 when it has no problem,
 * else -1 with its problems copied into the profile's import. */
static int check_catalog(pr *p, json_t *cat)
{
    cw_import scratch;
    memset(&scratch, 0, sizeof scratch);
    /* Any valid slug: the catalog's own title does not name what loads. */
    cw_import_opts o = {0};
    o.framework = "catalog";
    cw_imp_oscal_catalog(&scratch, p->cat_name, cat, &o);
    for (size_t i = 0; i < scratch.n_problems; i++)
        cw_imp_problem(p->imp, scratch.problems[i].where, scratch.problems[i].field, "%s",
                       scratch.problems[i].msg);
    int rc = scratch.n_problems ? -1 : 0;
    cw_import_free(&scratch);
    return rc;
}

/* Marks in sel the controls some import selects (one flag per control). */
static void resolve(pr *p, json_t *prof, bool *sel)
{
    json_t *imports = json_object_get(prof, "imports"), *im;
    if (!json_is_array(imports) || json_array_size(imports) == 0) {
        prob(p, "$.profile.imports", "imports", "missing or empty");
        return;
    }
    bool *inc = calloc(p->n + 1, 2 * sizeof *inc), *exc = inc ? inc + p->n + 1 : NULL;
    if (!inc) {
        prob(p, "$.profile.imports", "imports", "out of memory");
        return;
    }
    size_t i;
    json_array_foreach(imports, i, im)
    {
        char path[256];
        snprintf(path, sizeof path, "$.profile.imports[%zu]", i);
        if (!import_matches(p, prof, json_string_value(json_object_get(im, "href")), path))
            continue;
        memset(inc, 0, 2 * (p->n + 1) * sizeof *inc);
        json_t *all = json_object_get(im, "include-all"),
               *ic = json_object_get(im, "include-controls");
        if (all)
            for (size_t c = 0; c < p->n; c++)
                inc[c] = true;
        else if (ic)
            select_controls(p, ic, path, "include-controls", inc);
        else
            prob(p, path, "imports",
                 "the import selects nothing: give include-all or include-controls");
        json_t *ec = json_object_get(im, "exclude-controls");
        if (ec)
            select_controls(p, ec, path, "exclude-controls", exc);
        for (size_t c = 0; c < p->n; c++)
            sel[c] = sel[c] || (inc[c] && !exc[c]);
    }
    free(inc);
}

int cw_imp_oscal_profile(cw_import *imp, const char *name, json_t *root, const cw_import_opts *opts)
{
    pr p = {imp, name, opts->catalog_path, {0}, NULL, 0, 0};
    if (!opts->catalog_path) {
        prob(&p, "$.profile", "json",
             "an OSCAL profile selects controls from a catalog: name that catalog with "
             "--catalog CATALOG.json, or load the resolved catalog (NIST publishes one beside "
             "each baseline, *_resolved-profile_catalog.json)");
        return -1;
    }
    imp->format = "oscal-profile";
    json_t *prof = json_object_get(root, "profile"), *md = json_object_get(prof, "metadata");
    const char *title = json_string_value(json_object_get(md, "title"));
    if (!title || !*title)
        prob(&p, "$.profile.metadata.title", "title", "missing or empty");
    json_t *cat = read_catalog(&p);
    if (!cat)
        return -1;
    if (check_catalog(&p, cat)) {
        json_decref(cat);
        return 0;
    }
    json_t *c = json_object_get(cat, "catalog");
    index_controls(&p, json_object_get(c, "controls"), -1);
    index_groups(&p, json_object_get(c, "groups"));
    bool *keep = calloc(p.n + 1, 2 * sizeof *keep), *sel = keep ? keep + p.n + 1 : NULL;
    if (!keep) {
        prob(&p, "$", "file", "out of memory");
        goto out;
    }
    resolve(&p, prof, sel);
    /* Ancestors of a selected control come along so the tree loads whole. */
    for (size_t k = 0; k < p.n; k++) {
        if (!sel[k])
            continue;
        keep[k] = true;
        for (long a = p.ctl[k].parent; a >= 0 && !keep[a]; a = p.ctl[a].parent) {
            keep[a] = true;
            if (!sel[a])
                note(&p, "$.profile.imports", "controls",
                     "%.60s is loaded as the control %.60s is nested in, though the profile "
                     "does not select it",
                     p.ctl[a].id, p.ctl[k].id);
        }
    }
    if (json_object_get(prof, "merge"))
        note(&p, "$.profile.merge", "merge",
             "not applied: the controls keep the catalog's groups and order");
    json_t *mod = json_object_get(prof, "modify");
    size_t np = json_array_size(json_object_get(mod, "set-parameters")),
           na = json_array_size(json_object_get(mod, "alters"));
    if (json_object_get(mod, "set-parameters"))
        note(&p, "$.profile.modify.set-parameters", "set-parameters",
             "not applied (%zu parameter setting%s): statements keep the catalog's parameter "
             "insertions",
             np, np == 1 ? "" : "s");
    if (json_object_get(mod, "alters"))
        note(&p, "$.profile.modify.alters", "alters",
             "not applied (%zu alteration%s): controls load as the catalog writes them", na,
             na == 1 ? "" : "s");
    if (imp->n_problems)
        goto out;
    size_t kept = 0;
    for (size_t k = 0; k < p.n; k++)
        kept += keep[k];
    if (kept == 0) {
        prob(&p, "$.profile.imports", "imports", "select no control of %.100s",
             base_name(p.cat_name));
        goto out;
    }

    json_t *copy = json_deep_copy(cat), *cc = json_object_get(copy, "catalog");
    prune_controls(&p, json_object_get(cc, "controls"), keep);
    prune_groups(&p, json_object_get(cc, "groups"), keep);
    json_t *cmd = json_object_get(cc, "metadata");
    if (!json_is_object(cmd)) {
        cmd = json_object();
        json_object_set_new(cc, "metadata", cmd);
    }
    json_object_set_new(cmd, "title", json_string(title));
    json_t *version = json_object_get(md, "version");
    if (json_is_string(version))
        json_object_set(cmd, "version", version);
    else
        json_object_del(cmd, "version");
    cw_imp_oscal_catalog(imp, p.cat_name, copy, opts);
    json_decref(copy);
out:
    free(keep);
    free(p.ctl);
    cw_imp_map_free(&p.ids);
    json_decref(cat);
    return 0;
}
