/* import_xml.c: OSCAL catalogs and mapping-collections written in XML
 * (NIST publishes XML first), parsed with libxml2 and turned into the JSON
 * tree of the same document in OSCAL's JSON format, which
 * cw_imp_oscal_catalog or cw_imp_oscal_mapping then reads: both forms go
 * through one reader, so they give the same batch by construction.  Only
 * what the readers use is converted: for a catalog its uuid and metadata
 * (title, version, last-modified, oscal-version), groups, controls (with
 * enhancements), params (id, class, label), parts, props, links and the
 * back-matter resources' uuid and title; for a mapping-collection its
 * metadata, provenance, back-matter, and each mapping's resources and maps
 * (relationship, sources, targets, qualifiers, confidence-score, coverage,
 * props, remarks, matching-rationale), the repeated XML elements becoming
 * JSON's arrays.  XML prose is markup; it becomes
 * the Markdown OSCAL JSON carries (paragraphs apart by a blank line, list
 * items on lines of their own as "- " or "1. ", inline *em*, **strong**,
 * `code`, [text](href), and an insert as "{{ insert: param, id }}").  A
 * problem the reader names by a JSON path is moved to the line of the XML
 * element that path came from (file:line); XML syntax errors are reported
 * at libxml2's line.  Another root (a profile) is refused with what is read
 * instead. *
 * Ownership: the document and the JSON tree live only during cw_imp_xml;
 * batches and problems belong to the cw_import. */
#include "import.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OSCAL_NS "http://csrc.nist.gov/ns/oscal/1.0"

typedef struct xc {
    cw_import *imp;
    const char *name;
    cw_imp_map lines; /* JSON path given to the reader -> line of its XML element */
} xc;

static int is_el(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, OSCAL_NS) == 0 &&
           (!name || strcmp((const char *)n->name, name) == 0);
}

static const char *el_name(const xmlNode *n)
{
    return is_el(n, NULL) ? (const char *)n->name : "";
}

/* ---- text buffer: Markdown built from markup ---- */

typedef struct tb {
    char *s; /* owned; NULL until something is written */
    size_t n, cap;
} tb;

static void tb_putn(tb *b, const char *s, size_t l)
{
    if (b->n + l + 1 > b->cap) {
        size_t ncap = (b->n + l + 1) * 2;
        char *ns = realloc(b->s, ncap);
        if (!ns)
            return; /* out of memory: the text comes out short, never corrupt */
        b->s = ns;
        b->cap = ncap;
    }
    memcpy(b->s + b->n, s, l);
    b->n += l;
    b->s[b->n] = '\0';
}

static void tb_puts(tb *b, const char *s)
{
    tb_putn(b, s, strlen(s));
}

static int tb_last(const tb *b)
{
    return b->n ? b->s[b->n - 1] : '\n';
}

static void tb_rtrim(tb *b)
{
    while (b->n && (b->s[b->n - 1] == ' ' || b->s[b->n - 1] == '\n'))
        b->s[--b->n] = '\0';
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* XML indentation inside prose is not content: runs of white space are one
 * space, none at the start of a line, as a Markdown renderer reads them. */
static void tb_text(tb *b, const char *s)
{
    for (; *s; s++) {
        if (is_space(*s)) {
            int last = tb_last(b);
            if (last != ' ' && last != '\n')
                tb_putn(b, " ", 1);
        } else {
            tb_putn(b, s, 1);
        }
    }
}

static void inline_children(tb *b, const xmlNode *n);

static void inline_wrapped(tb *b, const xmlNode *n, const char *open, const char *close)
{
    tb_puts(b, open);
    inline_children(b, n);
    if (tb_last(b) == ' ')
        b->s[--b->n] = '\0';
    tb_puts(b, close);
}

static void inline_node(tb *b, const xmlNode *k)
{
    if (k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) {
        tb_text(b, (const char *)k->content);
        return;
    }
    if (k->type != XML_ELEMENT_NODE)
        return;
    const char *e = (const char *)k->name;
    if (strcmp(e, "insert") == 0) {
        xmlChar *type = xmlGetNoNsProp(k, (const xmlChar *)"type"),
                *ref = xmlGetNoNsProp(k, (const xmlChar *)"id-ref");
        tb_puts(b, "{{ insert: ");
        tb_puts(b, type ? (const char *)type : "param");
        tb_puts(b, ", ");
        tb_puts(b, ref ? (const char *)ref : "");
        tb_puts(b, " }}");
        xmlFree(type);
        xmlFree(ref);
    } else if (strcmp(e, "em") == 0 || strcmp(e, "i") == 0) {
        inline_wrapped(b, k, "*", "*");
    } else if (strcmp(e, "strong") == 0 || strcmp(e, "b") == 0) {
        inline_wrapped(b, k, "**", "**");
    } else if (strcmp(e, "code") == 0) {
        inline_wrapped(b, k, "`", "`");
    } else if (strcmp(e, "q") == 0) {
        inline_wrapped(b, k, "\"", "\"");
    } else if (strcmp(e, "sub") == 0) {
        inline_wrapped(b, k, "~", "~");
    } else if (strcmp(e, "sup") == 0) {
        inline_wrapped(b, k, "^", "^");
    } else if (strcmp(e, "a") == 0) {
        xmlChar *href = xmlGetNoNsProp(k, (const xmlChar *)"href");
        inline_wrapped(b, k, "[", "](");
        tb_puts(b, href ? (const char *)href : "");
        tb_puts(b, ")");
        xmlFree(href);
    } else if (strcmp(e, "img") == 0) {
        xmlChar *alt = xmlGetNoNsProp(k, (const xmlChar *)"alt"),
                *src = xmlGetNoNsProp(k, (const xmlChar *)"src");
        tb_puts(b, "![");
        tb_puts(b, alt ? (const char *)alt : "");
        tb_puts(b, "](");
        tb_puts(b, src ? (const char *)src : "");
        tb_puts(b, ")");
        xmlFree(alt);
        xmlFree(src);
    } else {
        inline_children(b, k);
    }
}

static void inline_children(tb *b, const xmlNode *n)
{
    for (const xmlNode *k = n->children; k; k = k->next)
        inline_node(b, k);
}

static int is_list(const xmlNode *k)
{
    return is_el(k, "ul") || is_el(k, "ol");
}

/* Starts a new block: blocks are apart by one blank line. */
static void block_sep(tb *b)
{
    tb_rtrim(b);
    if (b->n)
        tb_puts(b, "\n\n");
}

static void list(tb *b, const xmlNode *l, int depth)
{
    int num = 0, ordered = is_el(l, "ol");
    for (const xmlNode *li = l->children; li; li = li->next) {
        if (!is_el(li, "li"))
            continue;
        /* the first item of a list keeps the blank line before its block */
        if (num > 0 || depth > 0) {
            tb_rtrim(b);
            tb_puts(b, "\n");
        }
        for (int d = 0; d < depth; d++)
            tb_puts(b, "  ");
        char mark[24];
        snprintf(mark, sizeof mark, ordered ? "%d. " : "- ", ++num);
        tb_puts(b, mark);
        for (const xmlNode *k = li->children; k; k = k->next) {
            if (is_list(k))
                list(b, k, depth + 1);
            else if (is_el(k, "p"))
                inline_children(b, k);
            else
                inline_node(b, k);
        }
    }
}

static void table(tb *b, const xmlNode *t)
{
    int rows = 0;
    for (const xmlNode *tr = t->children; tr; tr = tr->next) {
        if (!is_el(tr, "tr"))
            continue;
        int cells = 0, head = 0;
        if (rows > 0) {
            tb_rtrim(b);
            tb_puts(b, "\n");
        }
        tb_puts(b, "|");
        for (const xmlNode *td = tr->children; td; td = td->next) {
            if (!is_el(td, "td") && !is_el(td, "th"))
                continue;
            head |= is_el(td, "th");
            cells++;
            tb_puts(b, " ");
            inline_children(b, td);
            tb_rtrim(b);
            tb_puts(b, " |");
        }
        /* Markdown needs the line under the head row to see a table. */
        if (rows++ == 0 && head) {
            tb_puts(b, "\n|");
            for (int i = 0; i < cells; i++)
                tb_puts(b, " --- |");
        }
    }
}

/* The parts of an element a reader finds elsewhere (not prose). */
static int structural(const xmlNode *k)
{
    static const char *const skip[] = {"title", "prop",    "link",  "part",   "param",    "control",
                                       "group", "remarks", "label", "select", "guideline"};
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (is_el(k, skip[i]))
            return 1;
    return 0;
}

static void blocks(tb *b, const xmlNode *n)
{
    int loose = 0; /* inside a paragraph made of text outside any <p> */
    for (const xmlNode *k = n->children; k; k = k->next) {
        const char *e = el_name(k);
        int heading = e[0] == 'h' && e[1] >= '1' && e[1] <= '6' && !e[2];
        if (structural(k) || k->type == XML_COMMENT_NODE || k->type == XML_PI_NODE) {
            continue;
        } else if (is_el(k, "p") || heading) {
            block_sep(b);
            for (int i = 0; heading && i < e[1] - '0'; i++)
                tb_puts(b, i + 1 == e[1] - '0' ? "# " : "#");
            inline_children(b, k);
        } else if (is_list(k)) {
            block_sep(b);
            list(b, k, 0);
        } else if (is_el(k, "table")) {
            block_sep(b);
            table(b, k);
        } else if (is_el(k, "pre")) {
            block_sep(b);
            xmlChar *raw = xmlNodeGetContent(k);
            tb_puts(b, "```\n");
            tb_puts(b, raw ? (const char *)raw : "");
            tb_puts(b, "\n```");
            xmlFree(raw);
        } else if (is_el(k, "blockquote")) {
            tb inner = {0};
            blocks(&inner, k);
            block_sep(b);
            tb_puts(b, "> ");
            for (size_t i = 0; i < inner.n; i++) {
                tb_putn(b, &inner.s[i], 1);
                if (inner.s[i] == '\n')
                    tb_puts(b, "> ");
            }
            free(inner.s);
        } else {
            /* Text straight in a part is not OSCAL, but its words are the
             * statement all the same: kept as a paragraph of its own. */
            if (k->type == XML_TEXT_NODE && !loose) {
                const char *t = (const char *)k->content;
                while (*t && is_space(*t))
                    t++;
                if (!*t)
                    continue;
            }
            if (!loose)
                block_sep(b);
            inline_node(b, k);
            loose = 1;
            continue;
        }
        loose = 0;
    }
    tb_rtrim(b);
}

/* ---- DOM -> OSCAL JSON ---- */

/* Sets o[key] to the attribute attr of n when n has it. */
static void set_attr(json_t *o, const char *key, const xmlNode *n, const char *attr)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)attr);
    if (v)
        json_object_set_new(o, key, json_string((const char *)v));
    xmlFree(v);
}

/* Sets o[key] to the inline markup of n's first child element named el,
 * as Markdown, when there is one. */
static void set_line(json_t *o, const char *key, const xmlNode *n, const char *el)
{
    for (const xmlNode *k = n->children; k; k = k->next)
        if (is_el(k, el)) {
            tb b = {0};
            inline_children(&b, k);
            tb_rtrim(&b);
            json_object_set_new(o, key, json_string(b.s ? b.s : ""));
            free(b.s);
            return;
        }
}

/* Sets o[key] to arr when it has elements; arr is stolen. */
static void set_array(json_t *o, const char *key, json_t *arr)
{
    if (json_array_size(arr))
        json_object_set_new(o, key, arr);
    else
        json_decref(arr);
}

static json_t *props_of(const xmlNode *n)
{
    json_t *a = json_array();
    for (const xmlNode *k = n->children; k; k = k->next)
        if (is_el(k, "prop")) {
            json_t *p = json_object();
            set_attr(p, "name", k, "name");
            set_attr(p, "value", k, "value");
            set_attr(p, "ns", k, "ns");
            set_attr(p, "class", k, "class");
            json_array_append_new(a, p);
        }
    return a;
}

static json_t *links_of(const xmlNode *n)
{
    json_t *a = json_array();
    for (const xmlNode *k = n->children; k; k = k->next)
        if (is_el(k, "link")) {
            json_t *l = json_object();
            set_attr(l, "href", k, "href");
            set_attr(l, "rel", k, "rel");
            json_array_append_new(a, l);
        }
    return a;
}

static json_t *part_of(const xmlNode *n)
{
    json_t *p = json_object(), *parts = json_array();
    set_attr(p, "id", n, "id");
    set_attr(p, "name", n, "name");
    set_attr(p, "ns", n, "ns");
    set_attr(p, "class", n, "class");
    set_line(p, "title", n, "title");
    set_array(p, "props", props_of(n));
    tb b = {0};
    blocks(&b, n);
    if (b.n)
        json_object_set_new(p, "prose", json_string(b.s));
    free(b.s);
    for (const xmlNode *k = n->children; k; k = k->next)
        if (is_el(k, "part"))
            json_array_append_new(parts, part_of(k));
    set_array(p, "parts", parts);
    return p;
}

static json_t *params_of(const xmlNode *n)
{
    json_t *a = json_array();
    for (const xmlNode *k = n->children; k; k = k->next)
        if (is_el(k, "param")) {
            json_t *p = json_object();
            set_attr(p, "id", k, "id");
            set_attr(p, "class", k, "class");
            set_line(p, "label", k, "label");
            json_array_append_new(a, p);
        }
    return a;
}

/* A control or a group (their members differ only in which nest) at the
 * JSON path the reader will name it by. */
static json_t *node_of(xc *c, const xmlNode *n, const char *path)
{
    json_t *o = json_object(), *parts = json_array();
    cw_imp_map_put(&c->lines, path, xmlGetLineNo(n), NULL);
    set_attr(o, "id", n, "id");
    set_attr(o, "class", n, "class");
    set_line(o, "title", n, "title");
    set_array(o, "params", params_of(n));
    set_array(o, "props", props_of(n));
    set_array(o, "links", links_of(n));
    for (const xmlNode *k = n->children; k; k = k->next)
        if (is_el(k, "part"))
            json_array_append_new(parts, part_of(k));
    set_array(o, "parts", parts);
    static const char *const nest[] = {"group", "groups", "control", "controls"};
    for (size_t i = 0; i < 4; i += 2) {
        json_t *a = json_array();
        for (const xmlNode *k = n->children; k; k = k->next)
            if (is_el(k, nest[i])) {
                char p[512];
                snprintf(p, sizeof p, "%s.%s[%zu]", path, nest[i + 1], json_array_size(a));
                json_array_append_new(a, node_of(c, k, p));
            }
        set_array(o, nest[i + 1], a);
    }
    return o;
}

/* Returns a new reference: {"catalog": {...}} for the <catalog> root. */
/* The trimmed text of n, as a JSON string (stolen by the caller). */
static json_t *text_of(const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    tb b = {0};
    tb_text(&b, v ? (const char *)v : "");
    tb_rtrim(&b);
    json_t *s = json_string(b.s ? b.s : "");
    free(b.s);
    xmlFree(v);
    return s;
}

/* metadata: the fields the readers use (title, last-modified, version,
 * oscal-version). */
static json_t *metadata_of(xc *c, const xmlNode *k, const char *path)
{
    json_t *md = json_object();
    cw_imp_map_put(&c->lines, path, xmlGetLineNo(k), NULL);
    set_line(md, "title", k, "title");
    static const char *const plain[] = {"last-modified", "version", "oscal-version"};
    for (const xmlNode *m = k->children; m; m = m->next)
        for (size_t i = 0; i < 3; i++)
            if (is_el(m, plain[i]))
                json_object_set_new(md, plain[i], text_of(m));
    return md;
}

static json_t *back_matter_of(const xmlNode *k)
{
    json_t *res = json_array();
    for (const xmlNode *r = k->children; r; r = r->next)
        if (is_el(r, "resource")) {
            json_t *o = json_object();
            set_attr(o, "uuid", r, "uuid");
            set_line(o, "title", r, "title");
            json_array_append_new(res, o);
        }
    return json_pack("{s:o}", "resources", res);
}

static json_t *catalog_of(xc *c, const xmlNode *root)
{
    json_t *cat = node_of(c, root, "$.catalog"), *md = NULL;
    cw_imp_map_put(&c->lines, "$", xmlGetLineNo(root), NULL);
    json_object_del(cat, "id"); /* a catalog has none; its controls' parent is the top */
    set_attr(cat, "uuid", root, "uuid");
    for (const xmlNode *k = root->children; k; k = k->next) {
        if (is_el(k, "metadata") && !md)
            md = metadata_of(c, k, "$.catalog.metadata");
        else if (is_el(k, "back-matter"))
            json_object_set_new(cat, "back-matter", back_matter_of(k));
    }
    json_object_set_new(cat, "metadata", md ? md : json_object());
    return json_pack("{s:o}", "catalog", cat);
}

/* What a map, a mapping and a provenance share in XML: the
 * matching-rationale, method and status flags, a confidence-score (its
 * category or percentage child), a coverage (its text is JSON's
 * target-coverage), props and remarks. */
static void mapping_common(json_t *o, const xmlNode *n)
{
    set_attr(o, "matching-rationale", n, "matching-rationale");
    set_attr(o, "method", n, "method");
    set_attr(o, "status", n, "status");
    set_array(o, "props", props_of(n));
    for (const xmlNode *k = n->children; k; k = k->next) {
        if (is_el(k, "confidence-score")) {
            json_t *cs = json_object();
            for (const xmlNode *v = k->children; v; v = v->next)
                if (is_el(v, "category") || is_el(v, "percentage"))
                    json_object_set_new(cs, el_name(v), text_of(v));
            json_object_set_new(o, "confidence-score", cs);
        } else if (is_el(k, "coverage")) {
            json_object_set_new(o, "coverage", json_pack("{s:o}", "target-coverage", text_of(k)));
        } else if (is_el(k, "remarks") || is_el(k, "mapping-description")) {
            json_object_set_new(o, el_name(k), text_of(k));
        }
    }
}

static json_t *map_of(xc *c, const xmlNode *n, const char *path)
{
    json_t *m = json_object(), *src = json_array(), *tgt = json_array(), *qual = json_array();
    cw_imp_map_put(&c->lines, path, xmlGetLineNo(n), NULL);
    set_attr(m, "uuid", n, "uuid");
    mapping_common(m, n);
    for (const xmlNode *k = n->children; k; k = k->next) {
        if (is_el(k, "relationship")) {
            json_object_set_new(m, "relationship", text_of(k));
        } else if (is_el(k, "source") || is_el(k, "target")) {
            json_t *it = json_object(), *side = is_el(k, "source") ? src : tgt;
            char ip[256];
            snprintf(ip, sizeof ip, "%s.%s[%zu]", path, is_el(k, "source") ? "sources" : "targets",
                     json_array_size(side));
            cw_imp_map_put(&c->lines, ip, xmlGetLineNo(k), NULL);
            set_attr(it, "type", k, "type");
            set_attr(it, "id-ref", k, "id-ref");
            json_array_append_new(side, it);
        } else if (is_el(k, "qualifier")) {
            json_t *q = json_object();
            set_attr(q, "subject", k, "subject");
            set_attr(q, "predicate", k, "predicate");
            set_attr(q, "category", k, "category");
            for (const xmlNode *v = k->children; v; v = v->next)
                if (is_el(v, "description") || is_el(v, "remarks"))
                    json_object_set_new(q, el_name(v), text_of(v));
            json_array_append_new(qual, q);
        }
    }
    set_array(m, "sources", src);
    set_array(m, "targets", tgt);
    set_array(m, "qualifiers", qual);
    return m;
}

static json_t *resource_of(xc *c, const xmlNode *n, const char *path)
{
    json_t *r = json_object();
    cw_imp_map_put(&c->lines, path, xmlGetLineNo(n), NULL);
    set_attr(r, "type", n, "type");
    set_attr(r, "href", n, "href");
    set_attr(r, "ns", n, "ns");
    set_line(r, "title", n, "title");
    set_array(r, "props", props_of(n));
    return r;
}

/* A mapping-collection in XML as the JSON tree cw_imp_oscal_mapping reads:
 * XML repeats <mapping>, <map>, <source>, <target> and <qualifier> where
 * JSON has the arrays mappings, maps, sources, targets and qualifiers. */
static json_t *mapping_of(xc *c, const xmlNode *root)
{
    json_t *coll = json_object(), *mappings = json_array();
    cw_imp_map_put(&c->lines, "$", xmlGetLineNo(root), NULL);
    cw_imp_map_put(&c->lines, "$.mapping-collection", xmlGetLineNo(root), NULL);
    set_attr(coll, "uuid", root, "uuid");
    for (const xmlNode *k = root->children; k; k = k->next) {
        char path[128], sub[192];
        if (is_el(k, "metadata")) {
            json_object_set_new(coll, "metadata",
                                metadata_of(c, k, "$.mapping-collection.metadata"));
        } else if (is_el(k, "back-matter")) {
            json_object_set_new(coll, "back-matter", back_matter_of(k));
        } else if (is_el(k, "provenance")) {
            json_t *p = json_object();
            cw_imp_map_put(&c->lines, "$.mapping-collection.provenance", xmlGetLineNo(k), NULL);
            mapping_common(p, k);
            json_object_set_new(coll, "provenance", p);
        } else if (is_el(k, "mapping")) {
            snprintf(path, sizeof path, "$.mapping-collection.mappings[%zu]",
                     json_array_size(mappings));
            cw_imp_map_put(&c->lines, path, xmlGetLineNo(k), NULL);
            json_t *m = json_object(), *maps = json_array();
            set_attr(m, "uuid", k, "uuid");
            mapping_common(m, k);
            for (const xmlNode *v = k->children; v; v = v->next) {
                if (is_el(v, "source-resource") || is_el(v, "target-resource")) {
                    snprintf(sub, sizeof sub, "%s.%s", path, el_name(v));
                    json_object_set_new(m, el_name(v), resource_of(c, v, sub));
                } else if (is_el(v, "map")) {
                    snprintf(sub, sizeof sub, "%s.maps[%zu]", path, json_array_size(maps));
                    json_array_append_new(maps, map_of(c, v, sub));
                }
            }
            json_object_set_new(m, "maps", maps);
            json_array_append_new(mappings, m);
        }
    }
    /* the schema wants at least one <mapping>; none reads as an empty array */
    json_object_set_new(coll, "mappings", mappings);
    return json_pack("{s:o}", "mapping-collection", coll);
}

static void paths_to_lines(xc *c, size_t from)
{
    size_t nl = strlen(c->name);
    for (size_t i = from; i < c->imp->n_problems; i++) {
        cw_import_problem *p = &c->imp->problems[i];
        if (strncmp(p->where, c->name, nl) != 0 || p->where[nl] != ':' || p->where[nl + 1] != '$')
            continue;
        char path[sizeof p->where];
        snprintf(path, sizeof path, "%s", p->where + nl + 1);
        long line;
        while (!cw_imp_map_get(&c->lines, path, &line)) {
            char *cut = strrchr(path, '.'), *br = strrchr(path, '[');
            if (br > cut)
                cut = br;
            if (!cut)
                break;
            *cut = '\0';
        }
        if (cw_imp_map_get(&c->lines, path, &line))
            snprintf(p->where, sizeof p->where, "%s:%ld", c->name, line);
    }
}

int cw_imp_xml(cw_import *imp, const char *name, const char *data, size_t len,
               const cw_import_opts *opts)
{
    if (len > INT_MAX) {
        cw_imp_problem(imp, name, "file", "is larger than the XML parser reads (2 GiB)");
        return -1;
    }
    xmlInitParser();
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    if (!ctx) {
        cw_imp_problem(imp, name, "file", "out of memory");
        return -1;
    }
    /* The text is UTF-8 by now (checked or converted by the caller), which
     * overrides whatever the declaration says.  No network, no entity
     * substitution: a catalog needs neither, and both let a file reach
     * outside itself. */
    xmlDocPtr doc = xmlCtxtReadMemory(ctx, data, (int)len, name, "UTF-8",
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                          XML_PARSE_BIG_LINES);
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctx);
        char msg[256];
        snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "not well-formed XML");
        msg[strcspn(msg, "\n")] = '\0';
        cw_imp_problem_at(imp, name, e && e->line > 0 ? e->line : 1, "xml", "%s", msg);
        xmlFreeParserCtxt(ctx);
        return -1;
    }
    xmlFreeParserCtxt(ctx);
    const xmlNode *root = xmlDocGetRootElement(doc);
    long line = root ? xmlGetLineNo(root) : 1;
    const char *rn = root ? (const char *)root->name : "";
    int rc = -1;
    if (is_el(root, "catalog")) {
        xc c = {imp, name, {0}};
        json_t *tree = catalog_of(&c, root);
        size_t from = imp->n_problems;
        imp->format = "oscal-catalog";
        rc = cw_imp_oscal_catalog(imp, name, tree, opts);
        paths_to_lines(&c, from);
        json_decref(tree);
        cw_imp_map_free(&c.lines);
    } else if (!is_el(root, NULL)) {
        const char *ns = root && root->ns && root->ns->href ? (const char *)root->ns->href : "";
        cw_imp_problem_at(imp, name, line, "xml",
                          "<%.40s> is not in the OSCAL namespace (%s%.80s%s, not " OSCAL_NS
                          "): crosswalk reads OSCAL catalogs and mapping-collections in XML",
                          rn, *ns ? "'" : "none", ns, *ns ? "'" : "");
    } else if (strcmp(rn, "profile") == 0) {
        cw_imp_problem_at(imp, name, line, "xml",
                          "an OSCAL profile selects controls from a catalog and is not read "
                          "here in XML: load the resolved catalog instead (NIST publishes one "
                          "beside each baseline, *_resolved-profile_catalog.xml)");
    } else if (strcmp(rn, "mapping-collection") == 0) {
        xc c = {imp, name, {0}};
        json_t *tree = mapping_of(&c, root);
        size_t from = imp->n_problems;
        imp->format = "oscal-mapping";
        rc = cw_imp_oscal_mapping(imp, name, tree, opts);
        paths_to_lines(&c, from);
        json_decref(tree);
        cw_imp_map_free(&c.lines);
    } else {
        cw_imp_problem_at(imp, name, line, "xml",
                          "<%.40s> is not an OSCAL catalog or mapping-collection: crosswalk "
                          "reads those two in XML, and profiles (with --catalog) in JSON",
                          rn);
    }
    xmlFreeDoc(doc);
    return rc;
}
