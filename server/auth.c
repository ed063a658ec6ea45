/* Bearer-token authentication.  The auth file holds only SHA-256 hashes of
 * tokens, one per line: "<64 hex digits> <admin|editor|auditor> [org]
 * [label]", '#' starting a comment.  A presented token is hashed and
 * compared in constant time with every entry, so neither the file nor the
 * timing gives a token away.  Tokens are never logged: only labels.  The
 * file is read again on SIGHUP: the new tokens take over only when every
 * line of it is valid, so a mistake while rotating a token locks nobody
 * out. */
#include "server.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void cw_sha256(const void *data, size_t len, unsigned char out[32])
{
    crypto_hash_sha256(out, data, len);
}

int cw_auth_load(cw_server *s, const char *path, cw_err *err)
{
    if (sodium_init() < 0)
        return cw_err_set(err, CW_EINVAL, "auth: libsodium failed to initialise");
    FILE *f = fopen(path, "r");
    if (!f)
        return cw_err_set(err, CW_EINVAL, "auth: cannot open '%s': %s", path, strerror(errno));
    char line[512];
    int lineno = 0, rc = 0;
    cw_token *tokens = NULL; /* owned here until it replaces s->tokens */
    size_t n_tokens = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *save = NULL;
        char *hash = strtok_r(line, " \t\r\n", &save);
        if (!hash || hash[0] == '#')
            continue;
        char *role = strtok_r(NULL, " \t\r\n", &save);
        char *org = strtok_r(NULL, " \t\r\n", &save);
        char *label = strtok_r(NULL, " \t\r\n", &save);
        cw_token t;
        memset(&t, 0, sizeof t);
        if (strlen(hash) != 64) {
            rc = cw_err_set(err, CW_EINVAL, "auth: %s:%d: expected a 64-digit SHA-256 hex hash",
                            path, lineno);
            break;
        }
        size_t bin_len = 0;
        const char *end = NULL;
        if (sodium_hex2bin(t.hash, sizeof t.hash, hash, 64, NULL, &bin_len, &end) != 0 ||
            bin_len != sizeof t.hash || *end) {
            rc = cw_err_set(err, CW_EINVAL, "auth: %s:%d: hash is not hexadecimal", path, lineno);
            break;
        }
        if (role && strcmp(role, "admin") == 0)
            t.role = ROLE_ADMIN;
        else if (role && strcmp(role, "editor") == 0)
            t.role = ROLE_EDITOR;
        else if (role && strcmp(role, "auditor") == 0)
            t.role = ROLE_AUDITOR;
        else {
            rc = cw_err_set(err, CW_EINVAL, "auth: %s:%d: role must be admin, editor or auditor",
                            path, lineno);
            break;
        }
        if (t.role != ROLE_ADMIN) {
            if (!org || strlen(org) > CW_MAX_SLUG) {
                rc = cw_err_set(err, CW_EINVAL,
                                "auth: %s:%d: an %s token needs the organisation it may use", path,
                                lineno, role);
                break;
            }
            strcpy(t.org, org);
        } else if (org) {
            label = org; /* admin lines: the third field is the label */
        }
        snprintf(t.name, sizeof t.name, "%s", label ? label : "line");
        if (!label)
            snprintf(t.name, sizeof t.name, "line%d", lineno);
        if (n_tokens == cap) {
            cap = cap ? cap * 2 : 8;
            cw_token *nt = realloc(tokens, cap * sizeof *nt);
            if (!nt) {
                rc = cw_err_set(err, CW_ENOMEM, "auth: out of memory");
                break;
            }
            tokens = nt;
        }
        tokens[n_tokens++] = t;
    }
    fclose(f);
    if (rc == 0 && n_tokens == 0)
        rc = cw_err_set(err, CW_EINVAL, "auth: %s holds no tokens", path);
    if (rc) {
        free(tokens);
        return rc;
    }
    /* Sessions copy the role and organisation they authenticated with,
     * never a pointer into this table, so it may be replaced under them. */
    free(s->tokens);
    s->tokens = tokens;
    s->n_tokens = n_tokens;
    s->auth_required = true;
    return 0;
}

const cw_token *cw_auth_find(const cw_server *s, const char *token, size_t len)
{
    unsigned char h[32];
    cw_sha256(token, len, h);
    const cw_token *found = NULL;
    for (size_t i = 0; i < s->n_tokens; i++)
        if (sodium_memcmp(h, s->tokens[i].hash, 32) == 0)
            found = &s->tokens[i];
    return found;
}

const char *cw_role_name(cw_role r)
{
    return r == ROLE_ADMIN     ? "admin"
           : r == ROLE_EDITOR  ? "editor"
           : r == ROLE_AUDITOR ? "auditor"
                               : "none";
}

/* ---- failed attempts, per address ---- */

#define AUTH_BURST 10.0 /* attempts an address may make at once */
#define AUTH_REFILL 1.0 /* attempts it gets back per second */
#define AUTH_LOG_MS 10000

static struct cw_auth_bucket *bucket(cw_server *s, const char *addr)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = addr; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    struct cw_auth_bucket *b = &s->auth_buckets[h % AUTH_BUCKETS];
    uint64_t now = uv_now(s->loop);
    if (strcmp(b->addr, addr) != 0) {
        /* Another address had this slot: it is taken over, so a guesser
         * gains at most a fresh bucket by colliding, never a full table. */
        snprintf(b->addr, sizeof b->addr, "%s", addr);
        b->tokens = AUTH_BURST;
        b->at_ms = now;
    }
    b->tokens += (double)(now - b->at_ms) / 1000.0 * AUTH_REFILL;
    if (b->tokens > AUTH_BURST)
        b->tokens = AUTH_BURST;
    b->at_ms = now;
    return b;
}

bool cw_auth_may_try(cw_server *s, const cw_session *who)
{
    return bucket(s, who->addr)->tokens >= 1.0;
}

void cw_auth_failed(cw_server *s, const cw_session *who, bool refused)
{
    struct cw_auth_bucket *b = bucket(s, who->addr);
    if (!refused && b->tokens >= 1.0)
        b->tokens -= 1.0;
    if (refused)
        s->auth_refused_unlogged++;
    else
        s->auth_fails_unlogged++;
    uint64_t now = uv_now(s->loop);
    if (now - s->auth_fail_logged_ms < AUTH_LOG_MS)
        return;
    cw_log(s, LOG_WARN,
           "auth: %llu wrong tokens and %llu attempts refused for too many failures in the "
           "last %d s; the latest from %s (conn=%llu)",
           (unsigned long long)s->auth_fails_unlogged, (unsigned long long)s->auth_refused_unlogged,
           AUTH_LOG_MS / 1000, who->addr, (unsigned long long)who->conn_id);
    s->auth_fail_logged_ms = now;
    s->auth_fails_unlogged = s->auth_refused_unlogged = 0;
}
