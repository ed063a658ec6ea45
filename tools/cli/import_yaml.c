/* import_yaml.c: the YAML libraries of open-source GRC tools (the library
 * format of CISO Assistant and tools that share it).
 *
 * The document is loaded with libyaml's document API, so every node keeps
 * the line it starts on and problems are reported as file:line.  A
 * library is a mapping with `urn`, `ref_id`, `name`, `version`, `provider`
 * and `objects`; a YAML document without `objects` is not a library.
 *
 * objects.framework becomes one catalog.load batch: framework slug = the
 * caller's override, else the last ':' segment of the framework's urn
 * (lower-cased, characters other than a-z 0-9 '.' '-' turned into '-');
 * name = the framework's name, version = the library's version, publisher
 * = the library's provider.  Each of requirement_nodes is one
 * requirement: id = ref_id, or the last ':' segment of its urn when it has
 * no ref_id; parent = the id of the node its parent_urn names (in the same
 * framework); title = name, else the start of the description (at most
 * 100 bytes, cut at a space), else the id; description = description;
 * implementation_groups (a list) is kept as an attribute; a node's
 * `assessable` (true/false) becomes its assessable flag (without it the
 * tree decides: a node without children is assessed).
 *
 * objects.requirement_mapping_sets (a list) or requirement_mapping_set (one
 * mapping) become mapping.load batches.  A requirement URN resolves to
 * (framework slug, requirement id) through the nodes of the framework in
 * the same file when it is one of them (a URN of that framework that
 * names none of its nodes is a problem), otherwise by the URN convention
 * urn:<provider>:risk:req_node:<framework-ref>:<node-ref>, giving slug =
 * framework-ref and id = node-ref as written (such ids are often
 * lower-cased versions of the publisher's ids, so a crosswalk between
 * frameworks loaded from other files resolves only when the ids agree).
 * relationship: equal -> equal, subset -> subset_of, superset ->
 * superset_of, intersect -> intersects_with, not_related -> not_related;
 * A source_requirement_urn that is a list of URNs (2..64, one framework)
 * is a joint row: the sources together are RELATIONSHIP the target.
 * rationale syntactic/semantic/functional becomes the row's rationale, any
 * other text is kept in its note; a mapping's
 * `annotation` becomes the row's note;
 * strength_of_relationship 1..10 becomes strength (0 or absent: none; 11..100
 * is read as a percentage, rounded up to tenths);
 * origin = the mapping set's name, else the library's name.
 *
 * Ownership: the libyaml document is freed before returning; batches
 * belong to the cw_import. */

#define _POSIX_C_SOURCE 200809L
#include "import.h"

#include <crosswalk/model.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

typedef struct yc {
    cw_import *imp;
    const char *name;
    yaml_document_t *doc;
    /* the URNs of the row being read that the convention resolved: [side,
     * member, urn], kept with the row's index once the row is taken */
    json_t *pend;
    const char *side;
    long member;
} yc;

static long yline(yaml_node_t *n)
{
    return n ? (long)n->start_mark.line + 1 : 1;
}

static yaml_node_t *yget(yc *c, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(c->doc, p->value);
    }
    return NULL;
}

/* A scalar's text; NULL for a missing node, a non-scalar or a null. */
static const char *yscalar(yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    const char *v = (const char *)n->data.scalar.value;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL")))
        return NULL;
    return v;
}

static const char *ystr(yc *c, yaml_node_t *map, const char *key)
{
    return yscalar(yget(c, map, key));
}

static size_t yseq_len(yaml_node_t *n)
{
    return n && n->type == YAML_SEQUENCE_NODE
               ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
               : 0;
}

static yaml_node_t *yseq_at(yc *c, yaml_node_t *n, size_t i)
{
    return yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
}

static void prob(yc *c, yaml_node_t *n, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void prob(yc *c, yaml_node_t *n, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cw_imp_problem_at(c->imp, c->name, yline(n), field, "%s", msg);
}

/* A node's own part of its URN, everything after
 * urn:<provider>:risk:req_node:<framework>: ("3.1:3"), which is unique in
 * the framework where the last ':' segment ("3") need not be. */
static const char *node_ref(const char *urn)
{
    const char *p = urn;
    for (int i = 0; i < 5 && p; i++)
        if ((p = strchr(p, ':')))
            p++;
    return p && *p && strstr(urn, ":req_node:") ? p
           : strrchr(urn, ':')                  ? strrchr(urn, ':') + 1
                                                : urn;
}

static const char *last_segment(const char *urn)
{
    const char *s = strrchr(urn, ':');
    return s ? s + 1 : urn;
}

/* Lower-case, characters outside [a-z0-9.-] -> '-'; 0 when a valid slug. */
static int urn_slug(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < CW_IMP_MAX_SLUG; i++) {
        char ch = (char)tolower((unsigned char)s[i]);
        out[o++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ? ch : '-';
    }
    out[o] = '\0';
    return n <= CW_IMP_MAX_SLUG && cw_slug_ok(out) ? 0 : -1;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* Resolution table: lower-cased node urn -> index into refs. */
typedef struct nodes {
    char slug[CW_IMP_MAX_SLUG + 1]; /* the file's framework, or "" */
    cw_imp_map by_urn;
    char **ref; /* "slug\1id" */
    size_t n;
} nodes;

static void nodes_free(nodes *t)
{
    cw_imp_map_free(&t->by_urn);
    for (size_t i = 0; i < t->n; i++)
        free(t->ref[i]);
    free(t->ref);
}

static json_t *title_from(const char *desc)
{
    size_t n = strlen(desc);
    if (n <= 100)
        return json_string(desc);
    size_t cut = 100;
    while (cut > 40 && desc[cut] != ' ')
        cut--;
    while (cut > 0 && ((unsigned char)desc[cut] & 0xc0) == 0x80)
        cut--;
    char buf[128];
    snprintf(buf, sizeof buf, "%.*s...", (int)cut, desc);
    return json_string(buf);
}

static void do_framework(yc *c, yaml_node_t *root, yaml_node_t *fw, const cw_import_opts *o,
                         nodes *tab)
{
    const char *urn = ystr(c, fw, "urn");
    char slug[CW_IMP_MAX_SLUG + 1] = "";
    if (fw->type != YAML_MAPPING_NODE) {
        prob(c, fw, "framework", "must be a mapping");
        return;
    }
    if (o->framework) {
        if (!cw_slug_ok(o->framework))
            prob(c, fw, "framework", "'%.60s' is not a framework slug", o->framework);
        snprintf(slug, sizeof slug, "%s", o->framework);
    } else if (!urn) {
        prob(c, fw, "urn", "the framework has no urn (or give the framework slug)");
    } else if (urn_slug(last_segment(urn), strlen(last_segment(urn)), slug) &&
               cw_imp_slugify(last_segment(urn), slug, sizeof slug)) {
        /* a long name is shortened on a word boundary above; what is left
         * is a name that does not start with a letter */
        prob(c, yget(c, fw, "urn"), "urn",
             "cannot make a framework slug of '%.60s' (a slug starts with a letter): give one, "
             "e.g. --framework fw-%.50s",
             urn, slug[0] ? slug : last_segment(urn));
    }
    yaml_node_t *rn = yget(c, fw, "requirement_nodes");
    size_t n = yseq_len(rn);
    if (n == 0) {
        prob(c, rn ? rn : fw, "requirement_nodes", "must be a non-empty list");
        return;
    }
    snprintf(tab->slug, sizeof tab->slug, "%s", slug);
    /* Pass 1: urn -> id of every node. */
    cw_imp_map ids = {0};
    char **idv = calloc(n, sizeof *idv);
    tab->ref = realloc(tab->ref, (tab->n + n) * sizeof *tab->ref);
    if (!idv || !tab->ref) {
        free(idv);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *node = yseq_at(c, rn, i);
        const char *nurn = ystr(c, node, "urn"), *ref = ystr(c, node, "ref_id");
        if (!nurn) {
            prob(c, node, "urn", "missing");
            continue;
        }
        const char *id = ref ? ref : node_ref(nurn), *why;
        if ((why = cw_imp_id_problem(id))) {
            prob(c, node, ref ? "ref_id" : "urn", "'%.60s' %s", id, why);
            continue;
        }
        long prev;
        if (cw_imp_map_put(&ids, id, yline(node), &prev) == 1) {
            /* Libraries repeat a ref_id where the publisher numbers two
             * items alike; their URNs differ, so the URN's segment tells
             * this node apart (and is what mappings name it by). */
            const char *seg = node_ref(nurn);
            long p2;
            if (!ref || strcmp(seg, id) == 0 || cw_imp_id_problem(seg) ||
                cw_imp_map_put(&ids, seg, yline(node), &p2) == 1) {
                prob(c, node, "ref_id", "'%.60s' is already the id of the node on line %ld", id,
                     prev);
                continue;
            }
            cw_imp_note_at(c->imp, c->name, yline(node), "ref_id",
                           "'%.60s' is also the ref_id of the node on line %ld: this node's id is "
                           "its part of its URN, '%.60s'",
                           id, prev, seg);
            id = seg;
        }
        idv[i] = strdup(id);
        char *key = strdup(nurn);
        size_t rl = strlen(slug) + strlen(id) + 2;
        char *r = malloc(rl);
        if (!key || !r || !idv[i]) {
            free(key);
            free(r);
            continue;
        }
        lower(key);
        snprintf(r, rl, "%s%c%s", slug, 1, id);
        if (cw_imp_map_put(&tab->by_urn, key, (long)tab->n, &prev) == 1) {
            prob(c, node, "urn", "'%.60s' appears twice", nurn);
            free(r);
        } else {
            tab->ref[tab->n++] = r;
        }
        free(key);
    }
    /* Pass 2: requirements. */
    json_t *reqs = json_array();
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *node = yseq_at(c, rn, i);
        if (!idv[i])
            continue;
        json_t *req = json_object();
        json_object_set_new(req, "id", json_string(idv[i]));
        const char *purn = ystr(c, node, "parent_urn");
        if (purn) {
            char *key = strdup(purn);
            long k;
            if (key) {
                lower(key);
                if (cw_imp_map_get(&tab->by_urn, key, &k) &&
                    strncmp(tab->ref[k], slug, strlen(slug)) == 0 &&
                    tab->ref[k][strlen(slug)] == 1) {
                    const char *pid = tab->ref[k] + strlen(slug) + 1;
                    if (strcmp(pid, idv[i]) == 0)
                        prob(c, yget(c, node, "parent_urn"), "parent_urn", "names the node itself");
                    else
                        json_object_set_new(req, "parent", json_string(pid));
                } else {
                    prob(c, yget(c, node, "parent_urn"), "parent_urn",
                         "no requirement node '%.80s' in this framework", purn);
                }
                free(key);
            }
        }
        const char *nm = ystr(c, node, "name"), *desc = ystr(c, node, "description");
        if (nm)
            json_object_set_new(req, "title", json_string(nm));
        else if (desc)
            json_object_set_new(req, "title", title_from(desc));
        else
            json_object_set_new(req, "title", json_string(idv[i]));
        if (desc)
            json_object_set_new(req, "description", json_string(desc));
        const char *as = ystr(c, node, "assessable");
        if (as && (!strcmp(as, "true") || !strcmp(as, "True") || !strcmp(as, "false") ||
                   !strcmp(as, "False")))
            json_object_set_new(req, "assessable", json_boolean(as[0] == 't' || as[0] == 'T'));
        else if (as)
            prob(c, yget(c, node, "assessable"), "assessable", "'%.40s' is not true or false", as);
        yaml_node_t *ig = yget(c, node, "implementation_groups");
        if (yseq_len(ig)) {
            json_t *vals = json_array();
            for (size_t k = 0; k < yseq_len(ig); k++) {
                const char *v = yscalar(yseq_at(c, ig, k));
                if (v && *v) /* an empty group names nothing */
                    json_array_append_new(vals, json_string(v));
            }
            json_object_set_new(req, "attributes",
                                json_pack("{s:o}", "implementation_groups", vals));
        }
        /* The node's URN, by which other libraries' mappings name it (their
         * last segment is often not the ref_id: 'ac-1' for AC-1). */
        const char *nurn = ystr(c, node, "urn");
        if (nurn && strlen(nurn) <= CW_IMP_MAX_ID) {
            json_t *at = json_object_get(req, "attributes");
            if (!at)
                json_object_set_new(req, "attributes", at = json_object());
            json_object_set_new(at, "urn", json_pack("[s]", nurn));
        }
        json_array_append_new(reqs, req);
    }
    for (size_t i = 0; i < n; i++)
        free(idv[i]);
    free(idv);
    cw_imp_map_free(&ids);
    json_t *p = json_object();
    json_object_set_new(p, "framework", json_string(slug));
    const char *fname = ystr(c, fw, "name"), *ver = ystr(c, root, "version"),
               *prov = ystr(c, root, "provider");
    if (!fname)
        fname = ystr(c, root, "name");
    if (fname)
        json_object_set_new(p, "name", json_string(fname));
    if (ver)
        json_object_set_new(p, "version", json_string(ver));
    if (prov)
        json_object_set_new(p, "publisher", json_string(prov));
    size_t k = json_array_size(reqs);
    json_object_set_new(p, "requirements", reqs);
    cw_imp_batch(c->imp, "catalog.load", p, k);
}

/* Resolves a requirement urn into slug/id (each at most 128 bytes). */
static int resolve(yc *c, nodes *tab, yaml_node_t *at, const char *field, const char *urn,
                   char *slug, char *id)
{
    char *key = strdup(urn);
    long k;
    if (!key)
        return -1;
    lower(key);
    int found = cw_imp_map_get(&tab->by_urn, key, &k);
    free(key);
    if (found) {
        const char *sep = strchr(tab->ref[k], 1);
        snprintf(slug, CW_IMP_MAX_SLUG + 1, "%.*s", (int)(sep - tab->ref[k]), tab->ref[k]);
        snprintf(id, CW_IMP_MAX_ID + 1, "%s", sep + 1);
        return 0;
    }
    /* urn:<provider>:risk:req_node:<framework-ref>:<node-ref> */
    const char *s[5];
    const char *p = urn;
    int i = 0;
    for (; i < 5 && (p = strchr(p, ':')); i++)
        s[i] = ++p;
    if (i == 5 && strncmp(urn, "urn:", 4) == 0 && strncmp(s[1], "risk:", 5) == 0 &&
        strncmp(s[2], "req_node:", 9) == 0 && *s[4] &&
        urn_slug(s[3], (size_t)(s[4] - 1 - s[3]), slug) == 0 && !cw_imp_id_problem(s[4])) {
        snprintf(id, CW_IMP_MAX_ID + 1, "%s", s[4]);
        if (!tab->slug[0] || strcmp(slug, tab->slug) != 0) {
            if (c->pend)
                json_array_append_new(c->pend,
                                      json_pack("[s,I,s]", c->side, (json_int_t)c->member, urn));
            return 0;
        }
        prob(c, at, field, "'%.80s' names no requirement node of this file's framework '%s'", urn,
             tab->slug);
        return -1;
    }
    prob(c, at, field,
         "'%.80s' is no node of this file's framework and not a urn:<provider>:risk:req_node:"
         "<framework>:<node> URN",
         urn);
    return -1;
}

static void do_mapping_set(yc *c, yaml_node_t *root, yaml_node_t *set, nodes *tab, json_t *rows,
                           cw_imp_map *keys)
{
    if (set->type != YAML_MAPPING_NODE) {
        prob(c, set, "requirement_mapping_set", "must be a mapping");
        return;
    }
    const char *origin = ystr(c, set, "name");
    if (!origin)
        origin = ystr(c, root, "name");
    if (!origin) {
        prob(c, set, "name", "the mapping set and the library have no name (the rows' origin)");
        origin = "";
    }
    yaml_node_t *rm = yget(c, set, "requirement_mappings");
    size_t n = yseq_len(rm);
    if (n == 0)
        prob(c, rm ? rm : set, "requirement_mappings", "must be a non-empty list");
    static const char *const rels[][2] = {{"equal", "equal"},
                                          {"subset", "subset_of"},
                                          {"superset", "superset_of"},
                                          {"intersect", "intersects_with"},
                                          {"not_related", "not_related"}};
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *m = yseq_at(c, rm, i);
        const char *su = ystr(c, m, "source_requirement_urn"),
                   *tu = ystr(c, m, "target_requirement_urn"), *rs = ystr(c, m, "relationship"),
                   *rat = ystr(c, m, "rationale"), *st = ystr(c, m, "strength_of_relationship"),
                   *note = ystr(c, m, "annotation");
        char sf[CW_IMP_MAX_SLUG + 1], tf[CW_IMP_MAX_SLUG + 1], sid[CW_IMP_MAX_ID + 1],
            tid[CW_IMP_MAX_ID + 1];
        int ok = 1;
        json_array_clear(c->pend);
        yaml_node_t *sn = yget(c, m, "source_requirement_urn");
        json_t *jset = NULL; /* a joint row's sources */
        if (yseq_len(sn)) {
            jset = json_array();
            size_t ns = yseq_len(sn);
            if (ns < 2 || ns > 64) {
                prob(c, sn, "source_requirement_urn", "a list of sources holds 2..64 URNs, not %zu",
                     ns);
                ok = 0;
            }
            for (size_t k = 0; k < ns && ok; k++) {
                yaml_node_t *e = yseq_at(c, sn, k);
                const char *eu = yscalar(e);
                char esf[CW_IMP_MAX_SLUG + 1];
                c->side = "source";
                c->member = (long)k;
                if (!eu || resolve(c, tab, e, "source_requirement_urn", eu, esf, sid)) {
                    if (!eu)
                        prob(c, e, "source_requirement_urn", "expected a URN");
                    ok = 0;
                    break;
                }
                if (k == 0) {
                    snprintf(sf, sizeof sf, "%s", esf);
                } else if (strcmp(esf, sf) != 0) {
                    prob(c, e, "source_requirement_urn",
                         "'%.60s' is in framework '%s', the first source in '%s': a joint row's "
                         "sources are of one framework",
                         eu, esf, sf);
                    ok = 0;
                }
                size_t q;
                json_t *x;
                json_array_foreach(jset, q, x) if (strcmp(json_string_value(x), sid) == 0)
                {
                    prob(c, e, "source_requirement_urn", "'%.60s' is listed twice", eu);
                    ok = 0;
                }
                json_array_append_new(jset, json_string(sid));
            }
            /* messages name the set by its first id */
            snprintf(sid, sizeof sid, "%s", ok ? json_string_value(json_array_get(jset, 0)) : "");
        } else if (!su) {
            prob(c, m, "source_requirement_urn", "missing");
            ok = 0;
        } else if ((c->side = "source", c->member = -1,
                    resolve(c, tab, sn, "source_requirement_urn", su, sf, sid))) {
            ok = 0;
        }
        if (!tu) {
            prob(c, m, "target_requirement_urn", "missing");
            ok = 0;
        } else if ((c->side = "target", c->member = -1, 0) ||
                   resolve(c, tab, yget(c, m, "target_requirement_urn"), "target_requirement_urn",
                           tu, tf, tid)) {
            ok = 0;
        }
        const char *rel = NULL;
        for (size_t k = 0; rs && k < sizeof rels / sizeof *rels; k++)
            if (strcmp(rs, rels[k][0]) == 0)
                rel = rels[k][1];
        if (!rel) {
            prob(c, rs ? yget(c, m, "relationship") : m, "relationship",
                 "'%.40s' is not one of equal, subset, superset, intersect, not_related",
                 rs ? rs : "(missing)");
            ok = 0;
        }
        /* Libraries write their reasoning into rationale as prose: it is
         * kept as the row's note (the rationale is one of three words). */
        const char *why = NULL;
        static const char *const rats[] = {"syntactic", "semantic", "functional"};
        for (size_t k = 0; rat && k < 3; k++)
            if (strcasecmp(rat, rats[k]) == 0)
                rat = rats[k];
        if (rat && !cw_rationale_ok(rat)) {
            why = rat;
            rat = NULL;
        }
        long strength = 0;
        if (st) {
            char *end;
            strength = strtol(st, &end, 10);
            if (*end || !isdigit((unsigned char)*st) || strength > 100) {
                prob(c, yget(c, m, "strength_of_relationship"), "strength_of_relationship",
                     "'%.40s' is not an integer from 0 to 10 (or a percentage)", st);
                ok = 0;
            } else if (strength > 10) {
                strength = (strength + 9) / 10; /* a percentage, as some libraries write it */
            }
        }
        if (!ok) {
            json_decref(jset);
            continue;
        }
        int self = !jset && strcmp(sf, tf) == 0 && strcmp(sid, tid) == 0;
        size_t q;
        json_t *x;
        json_array_foreach(jset, q, x) self |=
            strcmp(sf, tf) == 0 && strcmp(json_string_value(x), tid) == 0;
        if (self) {
            prob(c, m, "target_requirement_urn", "maps '%.60s' to itself", tid);
            json_decref(jset);
            continue;
        }
        char key[64 * 130 + 1024];
        long prev;
        size_t ko = (size_t)snprintf(key, sizeof key, "%s%c", sf, 1);
        if (jset) /* the set in the order given: a reordered set is not caught here */
            json_array_foreach(jset, q, x) ko +=
                (size_t)snprintf(key + ko, sizeof key - ko, "%s%c", json_string_value(x), 2);
        else
            ko += (size_t)snprintf(key + ko, sizeof key - ko, "%s", sid);
        snprintf(key + ko, sizeof key - ko, "%c%s%c%s%c%.500s", 1, tf, 1, tid, 1, origin);
        json_t *row = json_pack("{s:s,s:o,s:s,s:s,s:s}", "source_framework", sf, "source",
                                jset ? jset : json_string(sid), "target_framework", tf, "target",
                                tid, "relationship", rel);
        if ((note && *note) || why) {
            char text[1024];
            snprintf(text, sizeof text, "%s%s%s", note && *note ? note : "",
                     note && *note && why ? "; " : "", why ? why : "");
            json_object_set_new(row, "note", json_string(text));
        }
        cw_imp_mapping_tail(row, strength, rat, origin);
        /* The map's value is the row's line and its index in rows: a pair
         * given twice alike is a slip in the library, dropped with a note;
         * given twice differently it is a problem (which one holds?). */
        long here = (long)((uint64_t)yline(m) << 32 | json_array_size(rows));
        if (cw_imp_map_put(keys, key, here, &prev) == 1) {
            long pline = (long)((uint64_t)prev >> 32);
            json_t *first = json_array_get(rows, (size_t)(prev & 0xffffffff));
            if (json_equal(first, row))
                cw_imp_note_at(c->imp, c->name, yline(m), "target_requirement_urn",
                               "the same row as on line %ld, dropped", pline);
            else
                prob(c, m, "target_requirement_urn",
                     "the pair %.40s/%.40s -> %.40s/%.40s already appears on line %ld, "
                     "with other values",
                     sf, sid, tf, tid, pline);
            json_decref(row);
            continue;
        }
        /* the URNs this row's ids came from by convention: looked up at load */
        size_t q2;
        json_t *pe;
        json_array_foreach(c->pend, q2, pe)
        {
            if (!c->imp->urn_refs)
                c->imp->urn_refs = json_array();
            json_array_append_new(c->imp->urn_refs,
                                  json_pack("[I,O,O,O]", (json_int_t)json_array_size(rows),
                                            json_array_get(pe, 0), json_array_get(pe, 1),
                                            json_array_get(pe, 2)));
        }
        json_array_append_new(rows, row);
    }
}

int cw_imp_yaml(cw_import *imp, const char *name, const char *data, size_t len,
                const cw_import_opts *opts)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        cw_imp_problem(imp, name, "file", "out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    if (!yaml_parser_load(&parser, &doc)) {
        const yaml_mark_t *mk = &parser.problem_mark;
        cw_imp_problem_at(imp, name, (long)mk->line + 1, "yaml", "%s%s%s",
                          parser.problem ? parser.problem : "not valid YAML",
                          parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return -1;
    }
    yaml_parser_delete(&parser);
    yc c = {imp, name, &doc, json_array(), "source", -1};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *objects = yget(&c, root, "objects");
    if (!objects) {
        json_decref(c.pend);
        yaml_document_delete(&doc);
        return 1;
    }
    imp->format = "grc-yaml";
    if (objects->type != YAML_MAPPING_NODE) {
        prob(&c, objects, "objects", "must be a mapping");
        json_decref(c.pend);
        yaml_document_delete(&doc);
        return 0;
    }
    nodes tab = {0};
    yaml_node_t *fw = yget(&c, objects, "framework");
    if (fw)
        do_framework(&c, root, fw, opts, &tab);
    json_t *rows = json_array();
    cw_imp_map keys = {0};
    yaml_node_t *sets = yget(&c, objects, "requirement_mapping_sets"),
                *one = yget(&c, objects, "requirement_mapping_set");
    if (one)
        do_mapping_set(&c, root, one, &tab, rows, &keys);
    if (sets && sets->type != YAML_SEQUENCE_NODE)
        prob(&c, sets, "requirement_mapping_sets", "must be a list");
    for (size_t i = 0; i < yseq_len(sets); i++)
        do_mapping_set(&c, root, yseq_at(&c, sets, i), &tab, rows, &keys);
    if (!fw && !one && !sets)
        prob(&c, objects, "objects",
             "holds no framework, requirement_mapping_set or requirement_mapping_sets");
    int rc = cw_imp_mapping_batches(imp, rows, opts->batch_size);
    cw_imp_map_free(&keys);
    json_decref(c.pend);
    nodes_free(&tab);
    yaml_document_delete(&doc);
    if (rc) {
        cw_imp_problem(imp, name, "file", "out of memory");
        return -1;
    }
    return 0;
}
