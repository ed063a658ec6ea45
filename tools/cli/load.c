/* `crosswalk load` and `crosswalk export`: files in and out via the importers.
 *
 * load validates every file first (cw_import_file parses and checks without
 * touching the server) and sends nothing when any file has a problem, so a
 * typo on line 900 never leaves half a catalogue behind.  Then it sends each
 * file's batches in order; every batch is one bulk call, which the server
 * applies atomically, so an interrupted load leaves whole batches only.  A
 * batch the server refuses is reported at the file and line of the row it
 * names (items[k] of batch b is the file's row b * batch size + k; for the
 * CSV formats, whose importers make one item of each data row in order,
 * the file is read again to find that row's line).
 *
 * --dry-run sends the same batches with dry_run: the server checks them as
 * it would a real load, references included, and writes nothing.  Since it
 * cannot see what the earlier files of the command would have stored, each
 * batch carries assume: the organisation --org creates, the requirements
 * of the catalogues and the controls of the controls files sent before it.
 *
 * A progress line (progress.c) is drawn on stderr only when stderr is a
 * terminal: while the files are read and checked, then while they are
 * sent, with the rate and the time left; the summary is always printed.
 * FILE - is standard input, kept in a temporary file so that it can be
 * read again.
 *
 * export asks mapping.export for a framework's stored rows and
 * hands the answer to the CSV or OSCAL mapping-collection writer.
 *
 * Built only when the importers exist (CW_HAVE_IMPORT, see CMakeLists.txt). */
#include "cli.h"
#include "csvfile.h"
#include "import.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* What became of one batch. */
enum { B_NOT_SENT = 0, B_STORED, B_REFUSED };

/* A load under way: the files (as given, and as read: standard input is
 * kept in a temporary file), their imports, the progress line, the items
 * answered of all items, the counts of the answers (cw_tally) in all and
 * per file, and per file what became of each batch (fate[file][batch], for
 * the report after a refusal) and, once looked up, the line of each item. */
typedef struct cw_loading {
    cw_progress prog;
    bool dry;
    size_t done, items, nfiles;
    long totals[CW_N_COUNTS];
    long (*counts)[CW_N_COUNTS];
    char **files;
    const char **paths;
    cw_import *imps;
    unsigned char **fate;
    long **lines;
    /* a dry run's assumptions: what earlier batches would have written */
    bool assume_org;
    json_t *assume_reqs, *assume_ctls;
} cw_loading;

/* The line of each item of file i, which the importers made one of each
 * data row of, in order, for the CSV formats: that row's line.  NULL
 * when the file is no CSV or does not read the same again. */
static long *cw_item_lines(const cw_loading *ld, size_t i)
{
    const cw_import *imp = &ld->imps[i];
    if (!imp->format || strncmp(imp->format, "csv-", 4) != 0)
        return NULL;
    char *data;
    size_t len;
    if (cw_read_file(ld->paths[i], &data, &len))
        return NULL;
    cw_csv_table t = {0};
    cw_csv_error e;
    long *lines = NULL;
    if (cw_csv_read(data, len, &t, &e) == 0 && t.n == imp->total_items + 1 &&
        (lines = malloc((t.n + 1) * sizeof *lines)))
        for (size_t k = 1; k < t.n; k++)
            lines[k - 1] = t.r[k].line;
    cw_csv_free(&t);
    free(data);
    return lines;
}

/* What names item k of a refused batch for a person: its id, or a
 * crosswalk row's ends; empty when the batch is packed (evidence, which
 * comes from CSV only, and so has lines). */
static void cw_item_name(const cw_import_batch *bt, size_t k, char *buf, size_t cap)
{
    static const char *const lists[] = {"requirements", "mappings", "controls", "items"};
    json_t *item = NULL;
    for (size_t l = 0; l < 4 && !item; l++)
        item = json_array_get(json_object_get(bt->params, lists[l]), k);
    const char *id = json_string_value(json_object_get(item, "id"));
    const char *tgt = json_string_value(json_object_get(item, "target"));
    json_t *src = json_object_get(item, "source");
    char set[160] = "";
    size_t i, l = 0;
    json_t *m;
    json_array_foreach(src, i, m) if (l < sizeof set) l +=
        (size_t)snprintf(set + l, sizeof set - l, "%s%s", i ? ", " : "{", json_string_value(m));
    if (l && l < sizeof set - 1)
        strcat(set, "}");
    buf[0] = '\0';
    if (id)
        snprintf(buf, cap, ": id '%.100s'", id);
    else if (tgt)
        snprintf(buf, cap, ": %.100s -> %.100s", json_is_string(src) ? json_string_value(src) : set,
                 tgt);
}

/* Says why batch b of file fi was refused: at the file and line of the
 * item the message names (items[k]...), when it names one. */
static void cw_refused(cw_loading *ld, size_t fi, size_t b, const char *msg)
{
    const cw_import *imp = &ld->imps[fi];
    const cw_import_batch *bt = &imp->batches[b];
    size_t k;
    int nl;
    const char *rest;
    if (!cw_error_item(msg, &k, &nl, &rest) || k >= bt->items) {
        fprintf(stderr, "crosswalk: %s: batch %zu of %zu (%s, %zu items): %s\n", ld->files[fi],
                b + 1, imp->n_batches, bt->method, bt->items, msg ? msg : "failed");
        return;
    }
    size_t at = k;
    for (size_t j = 0; j < b; j++)
        at += imp->batches[j].items;
    if (!ld->lines[fi])
        ld->lines[fi] = cw_item_lines(ld, fi);
    if (ld->lines[fi]) {
        fprintf(stderr, "crosswalk: %s:%ld: %.*s: %s (batch %zu of %zu, %s, item %zu of %zu)\n",
                ld->files[fi], ld->lines[fi][at], nl, msg, rest, b + 1, imp->n_batches, bt->method,
                k + 1, bt->items);
    } else {
        char name[320];
        cw_item_name(bt, k, name, sizeof name);
        fprintf(stderr, "crosswalk: %s: item %zu of the file%s: %s (batch %zu of %zu, %s)\n",
                ld->files[fi], at + 1, name, msg, b + 1, imp->n_batches, bt->method);
    }
}

/* Takes the outcome r of batch b of file fi's import: an answer res
 * (released here) is counted and moves the progress line; a refusal is
 * reported with msg (freed here).  Returns 0 or CW_EXIT_ERROR. */
static int cw_batch_answered(cw_loading *ld, cw_rpc *c, size_t fi, size_t b, int r, json_t *res,
                             char *msg)
{
    const cw_import_batch *bt = &ld->imps[fi].batches[b];
    ld->fate[fi][b] = r ? B_REFUSED : B_STORED;
    if (r) {
        cw_progress_clear(&ld->prog);
        if (r == CW_RPC_ESERVER) {
            cw_refused(ld, fi, b, msg);
            cw_hint_unknown(c, msg);
        } else {
            fprintf(stderr, "crosswalk: %s: batch %zu: connection: %s\n", ld->files[fi], b + 1,
                    msg ? msg : "failed");
        }
        free(msg);
        return CW_EXIT_ERROR;
    }
    cw_counts_add(res, ld->totals);
    cw_counts_add(res, ld->counts[fi]);
    json_decref(res);
    ld->done += bt->items;
    cw_progress_show(&ld->prog, ld->dry ? "checking" : "sending", ld->files[fi], ld->done,
                     ld->items, ld->done == ld->items);
    return 0;
}

/* Creates the organisation when it does not exist (a dry run checks the
 * creation and takes the organisation as existing from then on); a
 * failure other than not_found is reported. */
static int cw_ensure_org(cw_rpc *c, const char *org, cw_loading *ld)
{
    json_t *p = json_pack("{s:s}", "org", org), *res = NULL;
    char *msg = NULL;
    int rc = cw_rpc_call(c, "org.get", p, &res, &msg);
    json_decref(res);
    if (rc == 0) {
        json_decref(p);
        return 0;
    }
    if (rc != CW_RPC_ESERVER || !msg || strncmp(msg, "not_found", 9) != 0) {
        fprintf(stderr, "crosswalk: %s\n", msg ? msg : "org.get failed");
        free(msg);
        json_decref(p);
        return CW_EXIT_ERROR;
    }
    free(msg);
    res = NULL;
    if (ld->dry)
        json_object_set_new(p, "dry_run", json_true());
    rc = cw_ctx_call(c, "org.put", p, &res);
    json_decref(p);
    if (rc == 0) {
        cw_counts_add(res, ld->totals);
        ld->assume_org = ld->dry;
    }
    json_decref(res);
    return rc;
}

/* After a refusal: per file, which batches are stored, which was refused
 * and which were never sent, as runs of batch numbers.  Batches that were
 * already on their way when one was refused may be stored after it.
 * Every write is an upsert, so loading the fixed file again converges. */
static void cw_report_fates(const cw_loading *ld, char **files, const cw_import *imps,
                            size_t nfiles)
{
    static const char *const names[] = {"not sent", "stored", "refused"};
    for (size_t i = 0; i < nfiles; i++) {
        size_t nb = imps[i].n_batches;
        printf("%s: batches of %zu:", files[i], nb);
        for (size_t b = 0; b < nb;) {
            size_t e = b;
            while (e + 1 < nb && ld->fate[i][e + 1] == ld->fate[i][b])
                e++;
            if (e == b)
                printf(" %zu %s;", b + 1, names[ld->fate[i][b]]);
            else
                printf(" %zu-%zu %s;", b + 1, e + 1, names[ld->fate[i][b]]);
            b = e + 1;
        }
        printf("\n");
    }
    printf("fix the file and run the same command again: rows already stored are updated in "
           "place\n");
}

/* The keys of cw_urn_index: prefix then s, lower-cased, into key (cut at
 * CW_URN_KEY; ids and the stored URNs are far shorter).  Returns key. */
#define CW_URN_KEY 512
static const char *urn_key(char *key, const char *prefix, const char *s)
{
    int n = snprintf(key, CW_URN_KEY, "%s%s", prefix, s);
    for (int i = 0; i < n && i < CW_URN_KEY; i++)
        key[i] = (char)tolower((unsigned char)key[i]);
    return key;
}

/* Adds requirement rows reqs (as requirement.list answers them, or as a
 * catalog.load batch holds them) to idx: lower-cased URN -> id, from their
 * "urn" attributes (GRC libraries store each node's URN), "id:" +
 * lower-cased id -> id (null when two ids differ only in case) and "=" +
 * id -> id. */
static void cw_urn_add(json_t *idx, json_t *reqs)
{
    size_t i;
    json_t *r;
    json_array_foreach(reqs, i, r)
    {
        /* ids too, in any case ("id:a.5.1" -> A.5.1): the URN's last
         * segment names a shipped catalogue's requirement that way */
        char key[CW_URN_KEY];
        json_t *id = json_object_get(r, "id"), *u;
        if (json_is_string(id)) {
            /* two ids alike but for case name neither: null */
            json_t *was = json_object_get(idx, urn_key(key, "id:", json_string_value(id)));
            if (was && !json_equal(was, id))
                json_object_set_new(idx, key, json_null());
            else
                json_object_set(idx, key, id);
            snprintf(key, sizeof key, "=%s", json_string_value(id));
            json_object_set(idx, key, id);
        }
        size_t k;
        json_array_foreach(json_object_get(json_object_get(r, "attributes"), "urn"), k,
                           u) if (json_is_string(u) && *json_string_value(u))
            json_object_set(idx, urn_key(key, "", json_string_value(u)), id);
    }
}

/* The requirements of framework slug as cw_urn_add indexes them: the
 * stored ones, and those the catalogues of this load provide (slug ->
 * their requirement rows; a dry run stores none of them).  An empty map
 * when there are none.  Returns a new reference. */
static json_t *cw_urn_index(cw_rpc *c, const char *slug, json_t *provided)
{
    json_t *idx = json_object(), *q = json_pack("{s:s}", "framework", slug), *reqs = NULL;
    char *msg = NULL;
    if (cw_rpc_call(c, "requirement.list", q, &reqs, &msg) == 0)
        cw_urn_add(idx, reqs);
    cw_urn_add(idx, json_object_get(provided, slug));
    free(msg);
    json_decref(q);
    json_decref(reqs);
    return idx;
}

/* A GRC mapping library names requirements of other libraries by URN;
 * the URN's last segment (what the rows hold until now) is often not the
 * stored id ('ac-1' for AC-1).  Each such URN is looked up among the
 * stored requirements' URNs, else its last segment among their ids in
 * any case (a shipped catalogue's A.5.1 for 'a.5.1'), and the id found is
 * put into the row; one not found keeps its segment, and the server says
 * which is unknown. */
static void cw_resolve_urns(cw_rpc *c, const char *file, cw_import *imp, json_t *provided)
{
    json_t *rows = json_array(), *cache = json_object(), *ref;
    for (size_t b = 0; b < imp->n_batches; b++)
        if (strcmp(imp->batches[b].method, "mapping.load") == 0)
            json_array_extend(rows, json_object_get(imp->batches[b].params, "mappings"));
    size_t i, found = 0;
    json_array_foreach(imp->urn_refs, i, ref)
    {
        json_t *row = json_array_get(rows, (size_t)json_integer_value(json_array_get(ref, 0)));
        const char *side = json_string_value(json_array_get(ref, 1));
        json_int_t member = json_integer_value(json_array_get(ref, 2));
        const char *slug = json_string_value(json_object_get(
            row, strcmp(side, "source") == 0 ? "source_framework" : "target_framework"));
        if (!row || !slug)
            continue;
        json_t *idx = json_object_get(cache, slug);
        if (!idx)
            json_object_set_new(cache, slug, idx = cw_urn_index(c, slug, provided));
        const char *urn = json_string_value(json_array_get(ref, 3)), *seg = strrchr(urn, ':');
        char key[CW_URN_KEY];
        json_t *id = json_object_get(idx, urn_key(key, "", urn));
        if (!id) /* by the URN's last segment among the ids */
            id = json_object_get(idx, urn_key(key, "id:", seg ? seg + 1 : urn));
        if (!json_is_string(id))
            continue;
        found++;
        if (member < 0)
            json_object_set(row, side, id);
        else
            json_array_set(json_object_get(row, side), (size_t)member, id);
    }
    if (json_array_size(imp->urn_refs))
        fprintf(stderr,
                "%s: %zu of %zu requirement URNs of other libraries found among the stored "
                "frameworks' URNs\n",
                file, found, json_array_size(imp->urn_refs));
    json_decref(rows);
    json_decref(cache);
}

/* The id of slug's stored requirement that id names in another case, or
 * NULL (it is stored as written, or not at all, or two stored ids differ
 * from it only in case).  idx is cw_urn_index's, cached in cache. */
static json_t *cw_id_in_case(cw_rpc *c, json_t *cache, const char *slug, json_t *id,
                             json_t *provided)
{
    json_t *idx = json_object_get(cache, slug);
    if (!idx)
        json_object_set_new(cache, slug, idx = cw_urn_index(c, slug, provided));
    char key[CW_URN_KEY];
    snprintf(key, sizeof key, "=%s", json_string_value(id));
    if (!json_is_string(id) || json_object_get(idx, key))
        return NULL;
    json_t *found = json_object_get(idx, urn_key(key, "id:", json_string_value(id)));
    return json_is_string(found) ? found : NULL;
}

/* OSCAL writes control ids in lower case ('ac-1', 'de.ae-02') where many
 * catalogues, the shipped ones among them, write them as published
 * ('DE.AE-02').  A mapping-collection's id that its framework does not
 * store as written, but stores in another case (one id only), is taken
 * as that id, and the count is printed; an id not stored in any case is
 * left for the server to name. */
static void cw_resolve_case(cw_rpc *c, const char *file, cw_import *imp, json_t *provided)
{
    json_t *cache = json_object();
    size_t n = 0;
    char first[160] = "";
    for (size_t b = 0; b < imp->n_batches; b++) {
        if (strcmp(imp->batches[b].method, "mapping.load") != 0)
            continue;
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(imp->batches[b].params, "mappings"), i, row)
        {
            static const char *const sides[][2] = {{"source", "source_framework"},
                                                   {"target", "target_framework"}};
            for (int s = 0; s < 2; s++) {
                const char *slug = json_string_value(json_object_get(row, sides[s][1]));
                json_t *v = json_object_get(row, sides[s][0]), *id;
                if (!slug)
                    continue;
                bool joint = json_is_array(v);
                size_t members = joint ? json_array_size(v) : 1;
                for (size_t k = 0; k < members; k++) {
                    json_t *one = joint ? json_array_get(v, k) : v;
                    if (!(id = cw_id_in_case(c, cache, slug, one, provided)))
                        continue;
                    if (!n++)
                        snprintf(first, sizeof first, "%.60s -> %.60s", json_string_value(one),
                                 json_string_value(id));
                    if (joint)
                        json_array_set(v, k, id);
                    else
                        json_object_set(row, sides[s][0], id);
                }
            }
        }
    }
    if (n)
        fprintf(stderr,
                "%s: %zu requirement ids found in the stored frameworks in another case (%s%s)\n",
                file, n, first, n > 1 ? ", ..." : "");
    json_decref(cache);
}

/* A JSON string's text, or NULL when it is absent or empty. */
static const char *cw_nonempty(const json_t *v)
{
    const char *s = json_string_value(v);
    return s && *s ? s : NULL;
}

/* Whether a catalogue batch may go into the framework of its slug.  A
 * framework that already exists and that the file does not own (it names
 * another publisher or name, or says none while the stored one has a
 * publisher, as the shipped catalogues do) is not merged into without
 * --replace: a library of another tool that happens to use a shipped
 * slug would otherwise re-parent and re-title a catalogue every
 * organisation is measured against.  Returns 0, or CW_EXIT_ERROR after
 * saying what would change and what to do. */
static int cw_may_load_into(cw_rpc *c, const char *file, const cw_import_batch *bt, bool replace)
{
    json_t *p = bt->params;
    const char *fw = json_string_value(json_object_get(p, "framework"));
    if (!fw || replace)
        return 0;
    json_t *q = json_pack("{s:s}", "framework", fw), *have = NULL;
    char *msg = NULL;
    int r = cw_rpc_call(c, "framework.get", q, &have, &msg);
    json_decref(q);
    if (r) {
        bool absent = msg && strncmp(msg, "not_found", 9) == 0;
        if (!absent)
            fprintf(stderr, "crosswalk: %s: framework.get: %s\n", file, msg ? msg : "failed");
        free(msg);
        return absent ? 0 : CW_EXIT_ERROR;
    }
    const char *hn = cw_nonempty(json_object_get(have, "name")),
               *hp = cw_nonempty(json_object_get(have, "publisher")),
               *fn = cw_nonempty(json_object_get(p, "name")),
               *fp = cw_nonempty(json_object_get(p, "publisher"));
    bool owned = fp ? hp && strcmp(fp, hp) == 0 && (!fn || (hn && strcmp(fn, hn) == 0)) : !hp;
    if (!owned)
        fprintf(stderr,
                "crosswalk: %s: framework '%s' already holds %s%s%s (%lld requirements); this "
                "file, %s%s%s, would merge %zu requirements into it%s%s%s. Load it under a slug "
                "of its own (--framework NEW-SLUG), or give --replace to merge it into '%s'\n",
                file, fw, hn ? hn : fw, hp ? ", published by " : "", hp ? hp : "",
                (long long)json_integer_value(json_object_get(have, "requirements")),
                fn ? fn : "without a name", fp ? " by " : "", fp ? fp : "", bt->items,
                fn && hn && strcmp(fn, hn) ? " and rename it '" : "",
                fn && hn && strcmp(fn, hn) ? fn : "", fn && hn && strcmp(fn, hn) ? "'" : "", fw);
    json_decref(have);
    return owned ? 0 : CW_EXIT_ERROR;
}

/* Keeps standard input in a temporary file (its path in *path, malloc'd;
 * the caller unlinks and frees it), so that it can be read twice.  0 or
 * CW_EXIT_ERROR (said). */
static int cw_spool_stdin(char **path)
{
    char *data;
    size_t len;
    if (cw_read_file("-", &data, &len)) {
        fprintf(stderr, "crosswalk: -: cannot read standard input: %s\n", strerror(errno));
        return CW_EXIT_ERROR;
    }
    const char *dir = getenv("TMPDIR");
    size_t n = strlen(dir && *dir ? dir : "/tmp") + 32;
    char *p = malloc(n);
    int fd = -1;
    if (p) {
        snprintf(p, n, "%s/crosswalk-stdin-XXXXXX", dir && *dir ? dir : "/tmp");
        fd = mkstemp(p);
    }
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    bool ok = f && fwrite(data, 1, len, f) == len;
    if (f ? fclose(f) != 0 : fd >= 0 && close(fd) != 0)
        ok = false;
    free(data);
    if (!ok) {
        fprintf(stderr, "crosswalk: -: cannot keep standard input in a temporary file: %s\n",
                strerror(errno));
        if (fd >= 0)
            unlink(p);
        free(p);
        return CW_EXIT_ERROR;
    }
    *path = p;
    return 0;
}

/* A problem's where, as the user named the file: the temporary file that
 * holds standard input is shown as "-". */
static void cw_print_problem(const cw_import_problem *p, const char *path, const char *name,
                             const char *note)
{
    size_t pl = strlen(path);
    const char *w = p->where;
    bool spooled = strcmp(path, name) != 0 && strncmp(w, path, pl) == 0;
    fprintf(stderr, "%s%s: %s: %s%s\n", spooled ? name : "", spooled ? w + pl : w, p->field, note,
            p->msg);
}

/* The assumptions a dry-run batch of method carries (a new reference, or
 * NULL for none): what the batches before it would have written. */
static json_t *cw_assume_for(const cw_loading *ld, const char *method)
{
    bool reqs = strcmp(method, "mapping.load") == 0 || strcmp(method, "control.put") == 0;
    bool ctls = strcmp(method, "evidence.load") == 0;
    bool org = ld->assume_org && (strcmp(method, "control.put") == 0 || ctls);
    json_t *a = json_object();
    if (org)
        json_object_set_new(a, "org", json_true());
    if (reqs && json_array_size(ld->assume_reqs))
        json_object_set(a, "requirements", ld->assume_reqs);
    if (ctls && json_array_size(ld->assume_ctls))
        json_object_set(a, "controls", ld->assume_ctls);
    if (json_object_size(a) == 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* Notes what batch bt would write that later batches of a dry run name:
 * a catalogue's requirements, a controls file's controls. */
static void cw_assume_after(cw_loading *ld, const cw_import_batch *bt)
{
    size_t i;
    json_t *x;
    if (strcmp(bt->method, "catalog.load") == 0) {
        json_t *fw = json_object_get(bt->params, "framework");
        json_array_foreach(json_object_get(bt->params, "requirements"), i, x)
            json_array_append_new(ld->assume_reqs, json_pack("{s:O,s:O}", "framework", fw, "id",
                                                             json_object_get(x, "id")));
    } else if (strcmp(bt->method, "control.put") == 0) {
        json_array_foreach(json_object_get(bt->params, "controls"), i, x)
            json_array_append(ld->assume_ctls, json_object_get(x, "id"));
    }
}

/* A packed batch (the map {org, items}) with more named arguments after
 * its own: the extra object's (dry_run, assume).  Returns the new bytes
 * (malloc'd, *len long) or NULL. */
static char *cw_packed_with(const cw_import_batch *bt, json_t *extra, size_t *len)
{
    unsigned char head = (unsigned char)bt->packed[0];
    size_t own = head & 0x0f, more = json_object_size(extra);
    if ((head & 0xf0) != 0x80 || own + more > 15)
        return NULL; /* the importers pack a fixmap of two */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, own + more);
    msgpack_sbuffer_write(&sb, bt->packed + 1, bt->packed_len - 1);
    const char *k;
    json_t *v;
    json_object_foreach(extra, k, v)
    {
        msgpack_pack_str(&pk, strlen(k));
        msgpack_pack_str_body(&pk, k, strlen(k));
        if (cw_json_pack(&pk, v)) {
            msgpack_sbuffer_destroy(&sb);
            return NULL;
        }
    }
    *len = sb.size;
    return msgpack_sbuffer_release(&sb);
}

/* Sends batch b of file i: pipelined when it is packed (*id then set and
 * *queued true), else answered at once (*res, or r and *msg). */
static int cw_send_batch(cw_loading *ld, cw_rpc *c, size_t i, size_t b, uint32_t *id, bool *queued,
                         json_t **res, char **msg)
{
    const cw_import_batch *bt = &ld->imps[i].batches[b];
    json_t *extra = NULL;
    if (ld->dry) {
        extra = json_pack("{s:b}", "dry_run", 1);
        json_t *as = cw_assume_for(ld, bt->method);
        if (as)
            json_object_set_new(extra, "assume", as);
    }
    int r;
    *queued = false;
    if (bt->packed) {
        size_t len = bt->packed_len;
        char *with = extra ? cw_packed_with(bt, extra, &len) : NULL;
        if (extra && !with) {
            json_decref(extra);
            *msg = strdup("internal: the batch could not be marked a dry run");
            return CW_RPC_ETRANSPORT;
        }
        r = cw_rpc_send_packed(c, bt->method, with ? with : bt->packed, len, id, msg);
        free(with);
        *queued = r == 0;
    } else {
        json_t *params = bt->params;
        if (extra) {
            params = json_copy(bt->params);
            json_object_update(params, extra);
        }
        r = cw_rpc_call(c, bt->method, params, res, msg);
        if (extra)
            json_decref(params);
    }
    json_decref(extra);
    if (ld->dry)
        cw_assume_after(ld, bt);
    return r;
}

/* Sends every batch of every file, in order.  Packed (evidence) batches
 * are pipelined a few deep: the server groups writes that wait together
 * into one commit, and the next batch is on its way while one commits.
 * Answers come back in order; after a refusal nothing more is sent, the
 * batches already sent are still waited for and counted if they were
 * applied.  Returns 0 or CW_EXIT_ERROR. */
static int cw_send_all(cw_loading *ld, cw_rpc *c)
{
    enum { DEPTH = 8 };
    struct flight {
        size_t file, batch;
        uint32_t id;
    } fl[DEPTH];
    size_t nfl = 0, head = 0;
    int rc = 0;
    /* slug -> requirement rows of the catalogues sent so far */
    json_t *provided = json_object();
    for (size_t i = 0; i < ld->nfiles; i++) {
        cw_import *imp = &ld->imps[i];
        for (size_t b = 0; b <= imp->n_batches; b++) {
            const cw_import_batch *bt = b < imp->n_batches ? &imp->batches[b] : NULL;
            bool last = i == ld->nfiles - 1 && !bt;
            /* Wait while the pipeline is full, before an unpacked batch
             * (sent and answered alone), after a failure, and at the end. */
            while (nfl && (nfl == DEPTH || (bt && !bt->packed) || rc || last)) {
                struct flight *f = &fl[head];
                json_t *res = NULL;
                char *msg = NULL;
                int r = cw_rpc_wait(c, f->id, &res, &msg);
                head = (head + 1) % DEPTH;
                nfl--;
                if (cw_batch_answered(ld, c, f->file, f->batch, r, res, msg))
                    rc = CW_EXIT_ERROR;
            }
            if (!bt || rc)
                continue;
            /* after the files before it are stored (or, in a dry run,
             * known): a framework library given first is found */
            if (b == 0 && imp->urn_refs)
                cw_resolve_urns(c, ld->files[i], imp, provided);
            if (b == 0 && imp->format && strcmp(imp->format, "oscal-mapping") == 0)
                cw_resolve_case(c, ld->files[i], imp, provided);
            if (strcmp(bt->method, "catalog.load") == 0)
                json_object_set(provided,
                                json_string_value(json_object_get(bt->params, "framework")),
                                json_object_get(bt->params, "requirements"));
            char *msg = NULL;
            json_t *res = NULL;
            bool queued;
            struct flight *f = &fl[(head + nfl) % DEPTH];
            *f = (struct flight){i, b, 0};
            int r = cw_send_batch(ld, c, i, b, &f->id, &queued, &res, &msg);
            if (queued)
                nfl++;
            else if (cw_batch_answered(ld, c, i, b, r, res, msg))
                rc = CW_EXIT_ERROR;
        }
    }
    json_decref(provided);
    return rc;
}

/* Reads and checks every file (nothing is sent when one has a problem),
 * then sends them.  files are the names as given; "-" is read from
 * standard input. */
static int cw_load_run(const cw_ctx *ctx, const cw_load_req *req, const cw_import_opts *io,
                       bool replace, char **files, size_t nfiles)
{
    cw_loading ld;
    memset(&ld, 0, sizeof ld);
    cw_progress_start(&ld.prog);
    ld.dry = req->dry_run;
    ld.nfiles = nfiles;
    ld.files = files;
    ld.paths = calloc(nfiles + 1, sizeof *ld.paths);
    ld.imps = calloc(nfiles + 1, sizeof *ld.imps);
    ld.fate = calloc(nfiles + 1, sizeof *ld.fate);
    ld.lines = calloc(nfiles + 1, sizeof *ld.lines);
    ld.counts = calloc(nfiles + 1, sizeof *ld.counts);
    ld.assume_reqs = json_array();
    ld.assume_ctls = json_array();
    char *spooled = NULL;
    int rc = 0;
    if (!ld.paths || !ld.imps || !ld.fate || !ld.lines || !ld.counts) {
        fprintf(stderr, "crosswalk: out of memory\n");
        rc = CW_EXIT_ERROR;
    }
    for (size_t i = 0; rc == 0 && i < nfiles; i++) {
        ld.paths[i] = files[i];
        if (strcmp(files[i], "-") == 0) {
            if (spooled)
                rc = cw_usage("load", "- (standard input) is given twice");
            else if ((rc = cw_spool_stdin(&spooled)) == 0)
                ld.paths[i] = spooled;
        }
    }
    size_t problems = 0, batches = 0;
    for (size_t i = 0; rc == 0 && i < nfiles; i++) {
        char what[160];
        snprintf(what, sizeof what, "%zu/%zu %s", i + 1, nfiles, files[i]);
        cw_progress_show(&ld.prog, "reading and checking", what, 0, 0, true);
        int r = cw_import_file(ld.paths[i], io, &ld.imps[i]);
        cw_progress_clear(&ld.prog);
        const cw_import *imp = &ld.imps[i];
        for (size_t k = 0; k < imp->n_problems; k++)
            cw_print_problem(&imp->problems[k], ld.paths[i], files[i], "");
        for (size_t k = 0; k < imp->n_notes; k++)
            cw_print_problem(&imp->notes[k], ld.paths[i], files[i], "note: ");
        problems += imp->n_problems;
        if (r < 0 && imp->n_problems == 0) {
            fprintf(stderr, "%s: file: cannot be imported\n", files[i]);
            problems++;
        } else if (r == 0 && req->expect && (!imp->format || strcmp(imp->format, req->expect))) {
            fprintf(stderr, "%s: file: is %s, not %s\n", files[i],
                    imp->format ? imp->format : "in no known format", req->what);
            problems++;
        }
        ld.items += imp->total_items;
        batches += imp->n_batches;
        if (!(ld.fate[i] = calloc(imp->n_batches + 1, 1)))
            rc = CW_EXIT_ERROR;
    }
    if (rc == 0 && problems) {
        fprintf(stderr, "crosswalk load: %zu problem%s; nothing loaded\n", problems,
                problems == 1 ? "" : "s");
        rc = CW_EXIT_ERROR;
    }
    cw_rpc c;
    bool open = rc == 0 && (rc = cw_ctx_connect(ctx, &c)) == 0;
    if (rc == 0 && req->org)
        rc = cw_ensure_org(&c, req->org, &ld);
    /* Every catalogue is checked before anything is sent. */
    for (size_t i = 0; i < nfiles && rc == 0; i++)
        for (size_t b = 0; b < ld.imps[i].n_batches; b++)
            if (strcmp(ld.imps[i].batches[b].method, "catalog.load") == 0 &&
                cw_may_load_into(&c, files[i], &ld.imps[i].batches[b], replace))
                rc = CW_EXIT_ERROR;
    bool sent = rc == 0;
    if (sent)
        rc = cw_send_all(&ld, &c);
    if (open)
        cw_rpc_close(&c);
    cw_progress_clear(&ld.prog);
    char counts[160];
    if (sent && ld.dry) {
        for (size_t i = 0; i < nfiles; i++) {
            size_t nb = ld.imps[i].n_batches, refused = 0, checked = 0;
            for (size_t b = 0; b < nb; b++) {
                refused += ld.fate[i][b] == B_REFUSED;
                checked += ld.fate[i][b] == B_STORED;
            }
            cw_counts_text(ld.counts[i], true, counts, sizeof counts);
            printf("%s: %s, %zu items in %zu batch%s: %s\n", files[i],
                   ld.imps[i].format ? ld.imps[i].format : "?", ld.imps[i].total_items, nb,
                   nb == 1 ? "" : "es",
                   refused        ? "refused (above)"
                   : checked < nb ? "not checked"
                                  : counts);
        }
        cw_counts_text(ld.totals, true, counts, sizeof counts);
        if (rc)
            printf("dry run: the server refused a batch (above); nothing written\n");
        else
            printf("dry run: %zu file%s valid, %zu items in %zu batch%s checked by the server "
                   "(%s); nothing written\n",
                   nfiles, nfiles == 1 ? "" : "s", ld.items, batches, batches == 1 ? "" : "es",
                   counts);
    } else if (sent) {
        cw_counts_text(ld.totals, false, counts, sizeof counts);
        printf("%s %zu of %zu items from %zu file%s in %.1f s: %s\n",
               rc ? "stopped after" : "loaded", ld.done, ld.items, nfiles, nfiles == 1 ? "" : "s",
               cw_progress_elapsed(&ld.prog), counts);
    }
    if (sent && rc && !ld.dry)
        cw_report_fates(&ld, files, ld.imps, nfiles);
    for (size_t i = 0; i < nfiles; i++) {
        if (ld.imps)
            cw_import_free(&ld.imps[i]);
        if (ld.fate)
            free(ld.fate[i]);
        if (ld.lines)
            free(ld.lines[i]);
    }
    if (spooled)
        unlink(spooled);
    free(spooled);
    free(ld.paths);
    free(ld.imps);
    free(ld.fate);
    free(ld.lines);
    free(ld.counts);
    json_decref(ld.assume_reqs);
    json_decref(ld.assume_ctls);
    return rc;
}

int cw_load_files(const cw_ctx *ctx, const char *cmd, const cw_load_req *req, char **files,
                  size_t nfiles)
{
    (void)cmd;
    cw_import_opts io = {req->org, NULL, 10000, NULL, NULL, NULL, NULL};
    return cw_load_run(ctx, req, &io, false, files, nfiles);
}

int cw_cmd_load(const cw_ctx *ctx, int argc, char **argv)
{
    const char *org = NULL, *framework = NULL, *batch = NULL, *encoding = NULL, *sfw = NULL,
               *tfw = NULL, *catalog = NULL;
    bool dry = false, replace = false;
    cw_opt opts[] = {{"--org", NULL, true, &org, NULL, NULL},
                     {"--framework", NULL, true, &framework, NULL, NULL},
                     {"--batch-size", NULL, true, &batch, NULL, NULL},
                     {"--encoding", NULL, true, &encoding, NULL, NULL},
                     {"--replace", NULL, false, NULL, &replace, NULL},
                     {"--dry-run", NULL, false, NULL, &dry, NULL},
                     {"--source-framework", NULL, true, &sfw, NULL, NULL},
                     {"--target-framework", NULL, true, &tfw, NULL, NULL},
                     {"--catalog", NULL, true, &catalog, NULL, NULL}};
    char **files;
    size_t nfiles;
    int rc = cw_opts_parse("load", argc, argv, opts, sizeof opts / sizeof opts[0], cw_help_load,
                           &files, &nfiles);
    if (rc == 3)
        return 0;
    long bs = batch ? cw_parse_count(batch) : 10000;
    if (rc == 0 && nfiles == 0)
        rc = cw_usage("load", "no FILE given");
    if (rc == 0 && bs <= 0)
        rc = cw_usage("load", "--batch-size: expected a positive number, got '%s'", batch);
    if (rc == 0) {
        cw_import_opts io = {org, framework, (size_t)bs, encoding, sfw, tfw, catalog};
        cw_load_req req = {org, dry, NULL, NULL};
        rc = cw_load_run(ctx, &req, &io, replace, files, nfiles);
    }
    free(files);
    return rc;
}

int cw_cmd_export(const cw_ctx *ctx, int argc, char **argv)
{
    const char *fw = NULL, *target = NULL, *format = NULL, *output = NULL;
    cw_opt opts[] = {{"--framework", NULL, true, &fw, NULL, NULL},
                     {"--target-framework", NULL, true, &target, NULL, NULL},
                     {"--format", NULL, true, &format, NULL, NULL},
                     {"--output", "-o", true, &output, NULL, NULL}};
    int rc = cw_opts_parse_only("export", argc, argv, opts, sizeof opts / sizeof opts[0],
                                cw_help_export);
    if (rc)
        return rc == 3 ? 0 : rc;
    if (output && strcmp(output, "-") == 0)
        output = NULL; /* standard output */
    if (!fw)
        return cw_usage("export", "--framework is required");
    bool oscal = false;
    if (format) {
        if (strcmp(format, "oscal") == 0)
            oscal = true;
        else if (strcmp(format, "csv") != 0)
            return cw_usage("export", "--format: expected csv or oscal, got '%s'", format);
    } else if (output && strlen(output) > 5 &&
               strcasecmp(output + strlen(output) - 5, ".json") == 0) {
        oscal = true;
    }
    cw_rpc c;
    if ((rc = cw_ctx_connect(ctx, &c)) != 0)
        return rc;
    /* mapping.export gives the rows as stored (direction, origin, a joint
     * row's set), so loading the export back updates them instead of
     * adding reversed or merged copies. */
    json_t *p = json_pack("{s:s}", "framework", fw), *rows = NULL;
    if (target)
        json_object_set_new(p, "target_framework", json_string(target));
    rc = cw_ctx_call(&c, "mapping.export", p, &rows);
    json_decref(p);
    cw_rpc_close(&c);
    if (rc)
        return rc;
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out) {
        fprintf(stderr, "crosswalk: -o %s: %s\n", output, strerror(errno));
        json_decref(rows);
        return CW_EXIT_ERROR;
    }
    /* Rows may be stored in either direction: no source/target filter. */
    int w = oscal ? cw_export_oscal(out, rows, NULL, NULL) : cw_export_csv(out, rows);
    if (fflush(out))
        w = -1;
    if (output && fclose(out))
        w = -1;
    json_decref(rows);
    if (w) {
        fprintf(stderr, "crosswalk: export: writing %s failed\n",
                output ? output : "standard output");
        return CW_EXIT_ERROR;
    }
    return 0;
}
