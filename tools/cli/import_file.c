/* import_file.c: the importers' entry point.  cw_import_file reads the
 * whole file into memory, skips a UTF-8 byte order mark and decides the
 * format from the content alone: a document whose first non-blank
 * character is '{' is JSON (parsed with jansson; a "catalog" member makes
 * it an OSCAL catalog, "mapping-collection" an OSCAL mapping collection);
 * a first line that is one of the four CSV headers of the project (or
 * looks like a CSV header: commas, no colon) is CSV; anything else is
 * tried as a YAML document (libyaml) and is a GRC library when its top
 * level has an `objects:` mapping.  It then hands the content to the
 * reader of that format (import_csv.c, import_oscal.c, import_yaml.c).
 *
 * Text is UTF-8, as everything the server stores: a file that is not is
 * refused with the line and column of its first bad byte, unless the user
 * names its character set (--encoding, converted with iconv), so a title is
 * never stored empty or mangled.  A document whose first non-blank
 * character is '<' is XML, handed to import_xml.c (OSCAL catalogs); an
 * OSCAL profile ("profile") goes to import_profile.c, which needs the
 * catalog it selects from.
 *
 * Ownership: everything allocated here belongs to the cw_import and is
 * released by cw_import_free. */
#include "import.h"

#include <crosswalk/check.h>

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_all(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
        char *nb = cap > SIZE_MAX / 4 ? NULL : realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int saved = errno;
    fclose(f);
    if (!buf) {
        errno = saved ? saved : EIO;
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

static const char *const csv_headers[] = {
    "id,parent,kind,title,description,attributes",
    "source_framework,source_id,target_framework,target_id,relationship,strength,rationale,origin",
    "id,controls,kind,title,source,uri,sha256,collected_at,valid_until,result",
    "id,title,owner,status,links",
};

static int looks_like_csv(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && s[n] != '\n' && s[n] != '\r')
        n++;
    for (size_t i = 0; i < sizeof csv_headers / sizeof *csv_headers; i++)
        if (strlen(csv_headers[i]) == n && memcmp(csv_headers[i], s, n) == 0)
            return 1;
    /* A header-like first line: words and commas (or semicolons, which
     * the CSV reader then names), no YAML "key:". */
    if (n == 0 || memchr(s, ':', n) || (!memchr(s, ',', n) && !memchr(s, ';', n)))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ',' || s[i] == ';' ||
              s[i] == ' ' || s[i] == '"'))
            return 0;
    return 1;
}

/* Line of a byte offset (1-based). */
static long line_of(const char *s, size_t off)
{
    long line = 1;
    for (size_t i = 0; i < off && s[i]; i++)
        line += s[i] == '\n';
    return line;
}

/* Converts data[0..*len) from the character set enc to UTF-8 in place of
 * *data (which is freed and replaced; the caller owns the new buffer).
 * On failure a problem names the line and column of the byte that could
 * not be converted. */
static int to_utf8(cw_import *out, const char *path, const char *enc, char **data, size_t *len)
{
    iconv_t cd = iconv_open("UTF-8", enc);
    if (cd == (iconv_t)-1) {
        cw_imp_problem(out, path, "encoding", "'%.40s' is not a character set iconv knows", enc);
        return -1;
    }
    size_t cap = *len * 4 + 4, left = cap - 1, inleft = *len;
    char *res = malloc(cap), *in = *data, *o = res;
    if (!res) {
        iconv_close(cd);
        return -1;
    }
    size_t r = iconv(cd, &in, &inleft, &o, &left);
    iconv_close(cd);
    if (r == (size_t)-1) {
        size_t at = (size_t)(in - *data), line = 1, col = 1;
        for (size_t i = 0; i < at; i++, col++)
            if ((*data)[i] == '\n')
                line++, col = 0;
        char where[300];
        snprintf(where, sizeof where, "%s:%zu:%zu", path, line, col);
        cw_imp_problem(out, where, "encoding", "byte 0x%02x is not %s", (unsigned char)(*data)[at],
                       enc);
        free(res);
        return -1;
    }
    *o = '\0';
    free(*data);
    *data = res;
    *len = (size_t)(o - res);
    return 0;
}

/* 0 when s[0..n) is UTF-8; else a problem naming the line and column of
 * the first byte that is not, and how to load the file anyway. */
static int check_utf8(cw_import *out, const char *path, const char *s, size_t n)
{
    size_t bad = cw_utf8_bad(s, n);
    if (bad == n)
        return 0;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < bad; i++, col++)
        if (s[i] == '\n')
            line++, col = 0;
    char where[300];
    snprintf(where, sizeof where, "%s:%zu:%zu", path, line, col);
    cw_imp_problem(out, where, "encoding",
                   "byte 0x%02x is not UTF-8; if the file is in another character set, name "
                   "it: --encoding cp1252 (or latin1, ...)",
                   (unsigned char)s[bad]);
    return -1;
}

int cw_import_file(const char *path, const cw_import_opts *opts, cw_import *out)
{
    static const cw_import_opts defaults = {NULL, NULL, 10000, NULL, NULL, NULL, NULL};
    cw_import_opts o = opts ? *opts : defaults;
    if (o.batch_size == 0)
        o.batch_size = 10000;
    memset(out, 0, sizeof *out);

    char *data;
    size_t len;
    if (read_all(path, &data, &len)) {
        cw_imp_problem(out, path, "file", "cannot read: %s", strerror(errno));
        return -1;
    }
    if (memchr(data, '\0', len)) {
        cw_imp_problem(out, path, "file", "is binary (contains NUL bytes), not CSV, JSON or YAML");
        free(data);
        return -1;
    }
    if (o.encoding ? to_utf8(out, path, o.encoding, &data, &len)
                   : check_utf8(out, path, data, len)) {
        free(data);
        return -1;
    }
    const char *s = data;
    size_t n = len;
    if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        s += 3;
        n -= 3;
    }
    size_t k = 0;
    while (k < n && isspace((unsigned char)s[k]))
        k++;
    int rc;
    if (k == n) {
        cw_imp_problem(out, path, "file", "is empty");
        rc = -1;
    } else if (s[k] == '{') {
        json_error_t je;
        json_t *root = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
        if (!root) {
            char where[256];
            snprintf(where, sizeof where, "%s:%d", path, je.line);
            cw_imp_problem(out, where, "json", "%s", je.text);
            rc = -1;
        } else if (json_is_object(json_object_get(root, "catalog"))) {
            out->format = "oscal-catalog";
            rc = cw_imp_oscal_catalog(out, path, root, &o);
        } else if (json_is_object(json_object_get(root, "mapping-collection"))) {
            out->format = "oscal-mapping";
            rc = cw_imp_oscal_mapping(out, path, root, &o);
        } else if (json_is_object(json_object_get(root, "profile"))) {
            rc = cw_imp_oscal_profile(out, path, root, &o);
        } else {
            char where[256];
            snprintf(where, sizeof where, "%s:$", path);
            cw_imp_problem(out, where, "json",
                           "not an OSCAL catalog or mapping-collection (no \"catalog\" or "
                           "\"mapping-collection\" object at the top)");
            rc = -1;
        }
        json_decref(root);
    } else if (s[k] == '<') {
        rc = cw_imp_xml(out, path, s, n, &o);
    } else if (looks_like_csv(s, n)) {
        rc = cw_imp_isms_kind(s, n) ? cw_imp_isms_csv(out, path, s, n, &o)
                                    : cw_imp_csv(out, path, s, n, &o);
    } else {
        rc = cw_imp_yaml(out, path, s, n, &o);
        if (rc > 0) {
            cw_imp_problem_at(out, path, line_of(s, k), "file",
                              "not a recognised format (crosswalk CSV, OSCAL catalog or "
                              "mapping-collection JSON, GRC YAML library)");
            rc = -1;
        }
    }
    free(data);
    return rc;
}
