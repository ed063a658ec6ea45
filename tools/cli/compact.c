/* compact.c: the full form of a coverage answer asked for with
 * detail: "compact" (server/PROTOCOL.md, "Compact detail").  The client
 * asks for the compact form, which crosses the wire in under half the
 * bytes, and turns it back into the full form here, so the reports and
 * the JSON output read one shape whatever was sent.
 *
 * Ownership: the answer is changed in place; every value taken from the
 * tables is copied (json_deep_copy) or referenced with its own count. */
#include "cli.h"

#include <string.h>

/* o[key] = v, with v stolen; nothing when v is NULL. */
static void set_new(json_t *o, const char *key, json_t *v)
{
    if (v)
        json_object_set_new(o, key, v);
}

static json_t *step_of(json_t *s)
{
    if (!json_is_array(s) || json_array_size(s) != 7)
        return json_null();
    json_t *d = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "framework", json_array_get(s, 0), "id",
                          json_array_get(s, 1), "relationship", json_array_get(s, 2), "strength",
                          json_array_get(s, 3), "origin", json_array_get(s, 4), "rationale",
                          json_array_get(s, 5));
    if (d && !json_is_null(json_array_get(s, 6)))
        json_object_set(d, "note", json_array_get(s, 6));
    return d ? d : json_null();
}

static json_t *path_of(json_t *tabs, json_t *index)
{
    json_t *p = json_array_get(json_object_get(tabs, "paths"), (size_t)json_integer_value(index));
    if (!json_is_integer(index) || !json_is_array(p) || json_array_size(p) != 6)
        return json_null();
    json_t *steps = json_array(), *k;
    size_t i;
    json_array_foreach(json_array_get(p, 2), i, k) json_array_append_new(
        steps,
        step_of(json_array_get(json_object_get(tabs, "steps"), (size_t)json_integer_value(k))));
    json_t *d =
        json_pack("{s:{s:O,s:O},s:o,s:O,s:O,s:O,s:I}", "from", "framework", json_array_get(p, 0),
                  "id", json_array_get(p, 1), "steps", steps, "composed", json_array_get(p, 3),
                  "strength", json_array_get(p, 4), "inferred", json_array_get(p, 5), "hops",
                  (json_int_t)json_array_size(json_array_get(p, 2)));
    return d ? d : json_null();
}

static json_t *member_contribution(json_t *tabs, json_t *m)
{
    if (!json_is_array(m))
        return json_null();
    json_t *d = json_pack("{s:O,s:O,s:O}", "control", json_array_get(m, 0), "state",
                          json_array_get(m, 1), "via", json_array_get(m, 2));
    if (!json_is_null(json_array_get(m, 3)))
        set_new(d, "path", path_of(tabs, json_array_get(m, 3)));
    json_object_set(d, "evidence", json_array_get(m, 4));
    return d;
}

static json_t *contribution_of(json_t *tabs, json_t *c)
{
    if (!json_is_array(c)) /* a server that could not build its tables */
        return json_incref(c);
    json_t *via = json_array_get(c, 0), *d;
    if (json_is_string(via) && strcmp(json_string_value(via), "joint") == 0) {
        json_t *members = json_array(), *m;
        size_t i;
        json_array_foreach(json_array_get(c, 8), i, m)
        {
            json_t *md =
                json_pack("{s:O,s:O}", "id", json_array_get(m, 0), "status", json_array_get(m, 1));
            if (!json_is_null(json_array_get(m, 2)))
                json_object_set(md, "why", json_array_get(m, 2));
            if (!json_is_null(json_array_get(m, 3)))
                json_object_set(md, "lowest", json_array_get(m, 3));
            set_new(md, "contribution", member_contribution(tabs, json_array_get(m, 4)));
            json_array_append_new(members, md);
        }
        json_t *row = json_array_get(json_object_get(tabs, "rows"),
                                     (size_t)json_integer_value(json_array_get(c, 4)));
        d = json_pack("{s:O,s:s}", "level", json_array_get(c, 1), "via", "joint");
        if (!json_is_null(json_array_get(c, 2)))
            json_object_set(d, "reached_group", json_array_get(c, 2));
        json_object_set(d, "gives", json_array_get(c, 3));
        set_new(d, "joint",
                json_pack("{s:O,s:O,s:O,s:O,s:o}", "row", row ? row : json_null(), "gives",
                          json_array_get(c, 5), "in_place", json_array_get(c, 6), "of",
                          json_array_get(c, 7), "members", members));
        return d;
    }
    json_t *l = json_array_get(c, 4);
    d = json_pack("{s:O,s:O,s:O,s:O}", "control", json_array_get(c, 1), "state",
                  json_array_get(c, 2), "level", json_array_get(c, 3), "via", via);
    set_new(d, "link",
            json_is_array(l) ? json_pack("{s:O,s:O,s:O}", "framework", json_array_get(l, 0), "id",
                                         json_array_get(l, 1), "level", json_array_get(l, 2))
                             : json_null());
    set_new(d, "path",
            json_is_null(json_array_get(c, 5)) ? json_null() : path_of(tabs, json_array_get(c, 5)));
    if (!json_is_null(json_array_get(c, 7)))
        json_object_set(d, "reached_group", json_array_get(c, 7));
    json_object_set(d, "evidence", json_array_get(c, 6));
    return d;
}

void cw_coverage_expand(json_t *answer)
{
    json_t *tabs = json_object();
    static const char *const keys[] = {"steps", "paths", "rows"};
    int compact = 0;
    for (size_t i = 0; i < 3; i++) {
        json_t *t = json_object_get(answer, keys[i]);
        if (t) {
            compact = 1;
            json_object_set(tabs, keys[i], t);
            json_object_del(answer, keys[i]);
        }
    }
    size_t i;
    json_t *r;
    json_array_foreach(compact ? json_object_get(answer, "requirements") : NULL, i, r)
    {
        json_t *full = json_array(), *c;
        size_t j;
        json_array_foreach(json_object_get(r, "contributions"), j, c)
            json_array_append_new(full, contribution_of(tabs, c));
        json_object_set_new(r, "contributions", full);
    }
    json_decref(tabs);
}
