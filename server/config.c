/* crosswalkd's settings from the environment, a configuration file and the
 * command line.  One table names every setting once, with the type of its
 * value and where it goes in cw_config: the long options getopt_long reads
 * and the keys the file may hold are both made from it, and one function
 * checks a value whichever of the three it came from, so a flag and its key
 * can never disagree.  The file is INI-like ("key = value" lines, '#' or
 * ';' comments, no sections) and read with libinih; a line reader of our
 * own counts lines, so every refusal names the file, the line and the key. */
#include "server.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FROM_DEFAULT, FROM_ENV, FROM_FILE, FROM_FLAG };

typedef enum {
    T_LISTEN,  /* an address, repeatable */
    T_PATH,    /* a non-empty string */
    T_SIZE,    /* bytes, with an optional K, M or G (KiB...) suffix; not 0 */
    T_COUNT,   /* a whole number from 1 */
    T_COUNT0,  /* a whole number from 0 */
    T_DEPTH,   /* a nesting depth msgpack-c can decode */
    T_LEVEL,   /* a log level */
    T_FLAG,    /* a switch: present on the command line, true or false in the file */
    T_OBS,     /* a log or metrics setting, read by cw_observe_option (observe.c) */
    T_OBS_FLAG /* the same, a switch */
} value_type;

typedef struct setting {
    const char *name; /* the flag without "--", and the file's key */
    int short_opt;    /* 0: none */
    value_type type;
    size_t at; /* offset of the field in cw_config */
} setting;

#define AT(field) offsetof(cw_config, field)
static const setting settings[] = {
    {"listen", 'l', T_LISTEN, 0},
    {"data", 'd', T_PATH, AT(data_dir)},
    {"init", 0, T_FLAG, AT(init)},
    {"auth", 'a', T_PATH, AT(auth_file)},
    {"map-size", 'm', T_SIZE, AT(map_size)},
    {"map-max", 0, T_SIZE, AT(map_max)},
    {"max-message", 'M', T_SIZE, AT(max_message)},
    {"max-depth", 0, T_DEPTH, AT(max_depth)},
    {"max-connections", 'c', T_COUNT, AT(max_connections)},
    {"max-output", 0, T_SIZE, AT(max_output)},
    {"max-write-queue", 0, T_SIZE, AT(max_write_queue)},
    {"max-memory", 0, T_SIZE, AT(max_memory)},
    {"idle-timeout", 0, T_COUNT0, AT(idle_timeout)},
    {"stall-timeout", 0, T_COUNT, AT(stall_timeout)},
    {"auth-timeout", 0, T_COUNT, AT(auth_timeout)},
    {"log-level", 'L', T_LEVEL, AT(log_level)},
    {"log-format", 0, T_OBS, 0},
    {"log-file", 0, T_OBS, 0},
    {"access-log", 0, T_OBS_FLAG, 0},
    {"slow-ms", 0, T_OBS, 0},
    {"metrics", 0, T_OBS, 0},
    {"no-bootstrap", 0, T_FLAG, AT(no_bootstrap)},
    {"no-sync", 0, T_FLAG, AT(no_sync)},
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

/* Options that are not settings: getopt values past the table's indexes. */
enum { O_CONFIG = 256 + N_SETTINGS, O_HASH, O_VERSION = 'V', O_HELP = 'h' };

static const setting *find(const char *name)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0)
            return &settings[i];
    return NULL;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *s == '-')
        return -1;
    if (*end == 'K' || *end == 'k')
        v <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        v <<= 20, end++;
    else if (*end == 'G' || *end == 'g')
        v <<= 30, end++;
    if (*end == 'i' && end[1] == 'B')
        end += 2;
    else if (*end == 'B')
        end++;
    if (*end)
        return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0)
            return *out = true, 0;
        if (strcmp(s, no[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

/* Checks value for st and stores it in cfg.  The message in err says what
 * was wrong with the value only; the caller says where it came from. */
static int set(cw_config *cfg, const setting *st, const char *value, int from, cw_err *err)
{
    char *field = (char *)cfg + st->at;
    if (!*value && st->type != T_FLAG && st->type != T_OBS_FLAG)
        return cw_err_set(err, CW_EINVAL, "no value given");
    switch (st->type) {
    case T_LISTEN:
        if (cfg->listen_layer != from) {
            /* Addresses from a higher place replace the lower ones. */
            cfg->n_listen = 0;
            cfg->listen_layer = from;
        }
        if (cfg->n_listen >= MAX_LISTEN)
            return cw_err_set(err, CW_EINVAL, "at most %d addresses", MAX_LISTEN);
        if (!(cfg->listen[cfg->n_listen] = cw_arena_strdup(cfg->strings, value)))
            return cw_err_set(err, CW_ENOMEM, "out of memory");
        cfg->n_listen++;
        return 0;
    case T_PATH:
        if (!(*(const char **)field = cw_arena_strdup(cfg->strings, value)))
            return cw_err_set(err, CW_ENOMEM, "out of memory");
        return 0;
    case T_SIZE: {
        size_t v;
        if (parse_size(value, &v) || v == 0)
            return cw_err_set(err, CW_EINVAL, "'%s' is not a size (e.g. 1048576, 64M, 2GiB)",
                              value);
        *(size_t *)field = v;
        return 0;
    }
    case T_COUNT:
    case T_COUNT0:
    case T_DEPTH: {
        char *end;
        long n = strtol(value, &end, 10);
        if (*end || n < 0 || n > 10000000 || (st->type != T_COUNT0 && n == 0))
            return cw_err_set(err, CW_EINVAL, "'%s' is not a valid count", value);
        if (st->type == T_DEPTH && n > CW_MAX_DEPTH_LIMIT)
            return cw_err_set(err, CW_EINVAL, "%ld: msgpack-c decodes at most %d levels", n,
                              CW_MAX_DEPTH_LIMIT);
        *(unsigned *)field = (unsigned)n;
        return 0;
    }
    case T_LEVEL: {
        static const char *const levels[] = {"error", "warn", "info", "debug"};
        for (int i = 0; i < 4; i++)
            if (strcmp(value, levels[i]) == 0)
                return *(int *)field = i, 0;
        return cw_err_set(err, CW_EINVAL, "'%s': the level is error, warn, info or debug", value);
    }
    case T_FLAG:
        if (parse_bool(value, (bool *)field))
            return cw_err_set(err, CW_EINVAL, "'%s' is not true or false", value);
        return 0;
    case T_OBS:
    case T_OBS_FLAG: {
        /* its messages start with the setting's name, which the caller
         * gives already */
        int rc = cw_observe_option(cfg, st->name, value, err);
        size_t nl = strlen(st->name);
        if (rc && strncmp(err->msg, st->name, nl) == 0 && strncmp(err->msg + nl, ": ", 2) == 0)
            memmove(err->msg, err->msg + nl + 2, strlen(err->msg + nl + 2) + 1);
        return rc;
    }
    }
    return cw_err_set(err, CW_EINVAL, "unknown setting");
}

static void defaults(cw_config *cfg)
{
    cfg->data_dir = "./crosswalk-data";
    cfg->max_message = CW_DEFAULT_MAX_MESSAGE;
    cfg->max_depth = CW_DEFAULT_MAX_DEPTH;
    cfg->max_connections = CW_DEFAULT_MAX_CONNECTIONS;
    cfg->max_output = CW_DEFAULT_MAX_OUTPUT;
    cfg->log_level = LOG_INFO;
    cfg->stall_timeout = 10;
    cfg->auth_timeout = CW_DEFAULT_AUTH_TIMEOUT;
    cfg->max_write_queue = CW_DEFAULT_MAX_WRITE_QUEUE;
    cfg->max_memory = CW_DEFAULT_MAX_MEMORY;
    cfg->listen_layer = FROM_DEFAULT;
}

static int from_env(cw_config *cfg, cw_err *err)
{
    static const struct {
        const char *var, *key;
    } vars[] = {
        {"CROSSWALK_LISTEN", "listen"}, {"CROSSWALK_DATA", "data"}, {"CROSSWALK_AUTH", "auth"}};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i].var);
        char *copy = v && *v ? cw_arena_strdup(cfg->strings, v) : NULL;
        if (v && *v && !copy)
            return cw_err_set(err, CW_ENOMEM, "out of memory");
        /* Only CROSSWALK_LISTEN holds a list (comma-separated); a path
         * may hold commas. */
        const char *sep = strcmp(vars[i].key, "listen") == 0 ? "," : "";
        char *save = NULL;
        for (char *tok = copy ? strtok_r(copy, sep, &save) : NULL; tok;
             tok = strtok_r(NULL, sep, &save)) {
            cw_err e = {0};
            if (set(cfg, find(vars[i].key), tok, FROM_ENV, &e))
                return cw_err_set(err, e.code, "%s: %s", vars[i].var, e.msg);
        }
    }
    return 0;
}

/* ---- the configuration file ---- */

typedef struct file_reader {
    cw_config *cfg;
    const char *path;
    FILE *f;
    int line;
    int seen[N_SETTINGS]; /* the line that set each key, 0 if none */
    cw_err *err;          /* the first problem found */
} file_reader;

/* fgets for libinih, counting lines.  A line longer than libinih's buffer
 * would come back in pieces, the rest read as lines of its own: it is
 * refused instead, and handed on as an empty line. */
static char *read_line(char *str, int num, void *stream)
{
    file_reader *r = stream;
    char *got = fgets(str, num, r->f);
    if (!got)
        return NULL;
    r->line++;
    size_t n = strlen(str);
    if (n && str[n - 1] != '\n' && !feof(r->f)) {
        int c;
        while ((c = fgetc(r->f)) != EOF && c != '\n')
            ;
        if (!r->err->code)
            cw_err_set(r->err, CW_EINVAL, "%s:%d: the line is longer than %d characters", r->path,
                       r->line, num - 3);
        str[0] = '\0';
    }
    return got;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    file_reader *r = user;
    if (r->err->code)
        return 1; /* the first problem is the one reported */
    const setting *st = find(name);
    cw_err e = {0};
    if (*section)
        cw_err_set(&e, CW_EINVAL, "is in section [%s]; the file has no sections", section);
    else if (!st)
        cw_err_set(&e, CW_EINVAL, "unknown key");
    else if (r->seen[st - settings] && st->type != T_LISTEN)
        cw_err_set(&e, CW_EINVAL, "already set on line %d", r->seen[st - settings]);
    else
        set(r->cfg, st, value, FROM_FILE, &e);
    if (e.code) {
        cw_err_set(r->err, e.code, "%s:%d: %s: %s", r->path, r->line, name, e.msg);
        return 0;
    }
    r->seen[st - settings] = r->line;
    return 1;
}

static int from_file(cw_config *cfg, const char *path, cw_err *err)
{
    file_reader r = {.cfg = cfg, .path = path, .err = err};
    if (!(r.f = fopen(path, "r")))
        return cw_err_set(err, CW_EINVAL, "--config: cannot open '%s': %s", path, strerror(errno));
    int rc = ini_parse_stream(read_line, &r, on_key, &r);
    fclose(r.f);
    if (err->code)
        return err->code;
    if (rc > 0) /* a line libinih could not read (no '=', an unclosed '[') */
        return cw_err_set(err, CW_EINVAL, "%s:%d: expected 'key = value'", path, rc);
    if (rc < 0)
        return cw_err_set(err, CW_ENOMEM, "%s: out of memory", path);
    return 0;
}

/* ---- the command line ---- */

int cw_config_parse(cw_config *cfg, int argc, char **argv, cw_action *action, cw_err *err)
{
    *action = CW_RUN;
    defaults(cfg);
    if (!(cfg->strings = cw_arena_new()))
        return cw_err_set(err, CW_ENOMEM, "out of memory");
    int rc = from_env(cfg, err);
    if (rc)
        return rc;

    struct option opts[N_SETTINGS + 5];
    char shorts[2 * N_SETTINGS + 4] = "Vh";
    size_t ns = 2;
    for (size_t i = 0; i < N_SETTINGS; i++) {
        int arg = settings[i].type == T_FLAG || settings[i].type == T_OBS_FLAG ? no_argument
                                                                               : required_argument;
        opts[i] = (struct option){settings[i].name, arg, NULL, (int)(256 + i)};
        if (settings[i].short_opt) {
            shorts[ns++] = (char)settings[i].short_opt;
            shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    opts[N_SETTINGS] = (struct option){"config", required_argument, NULL, O_CONFIG};
    opts[N_SETTINGS + 1] = (struct option){"hash-token", no_argument, NULL, O_HASH};
    opts[N_SETTINGS + 2] = (struct option){"version", no_argument, NULL, O_VERSION};
    opts[N_SETTINGS + 3] = (struct option){"help", no_argument, NULL, O_HELP};
    opts[N_SETTINGS + 4] = (struct option){0, 0, 0, 0};

    /* The flags are applied after the file they may name, so that they
     * win over it wherever they stand. */
    struct given {
        const setting *st;
        const char *value;
    } *given = calloc((size_t)argc + 1, sizeof *given);
    if (!given)
        return cw_err_set(err, CW_ENOMEM, "out of memory");
    size_t n_given = 0;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
        const setting *st = NULL;
        if (o >= 256 && o < 256 + (int)N_SETTINGS)
            st = &settings[o - 256];
        for (size_t i = 0; !st && i < N_SETTINGS; i++)
            if (settings[i].short_opt == o)
                st = &settings[i];
        if (st) {
            given[n_given++] =
                (struct given){st, st->type == T_FLAG || st->type == T_OBS_FLAG ? "true" : optarg};
            continue;
        }
        if (o == O_CONFIG) {
            cfg->config_file = optarg;
            continue;
        }
        *action = o == O_HASH ? CW_HASH_TOKEN : o == O_VERSION ? CW_SHOW_VERSION : CW_SHOW_HELP;
        free(given);
        if (o == '?')
            return cw_err_set(err, CW_EINVAL, "see the usage below");
        return 0;
    }
    if (optind < argc) {
        *action = CW_SHOW_HELP;
        rc = cw_err_set(err, CW_EINVAL, "unexpected argument '%s'", argv[optind]);
    }
    if (!rc && cfg->config_file)
        rc = from_file(cfg, cfg->config_file, err);
    for (size_t i = 0; !rc && i < n_given; i++) {
        cw_err e = {0};
        if (set(cfg, given[i].st, given[i].value, FROM_FLAG, &e))
            rc = cw_err_set(err, e.code, "--%s: %s", given[i].st->name, e.msg);
    }
    free(given);
    return rc;
}

int cw_config_finish(cw_config *cfg, int n_passed, cw_err *err)
{
    if (cfg->n_listen == 0 && n_passed == 0) {
        char addr[64];
        snprintf(addr, sizeof addr, "tcp://127.0.0.1:%d", CW_DEFAULT_PORT);
        if (!(cfg->listen[0] = cw_arena_strdup(cfg->strings, addr)))
            return cw_err_set(err, CW_ENOMEM, "out of memory");
        cfg->n_listen = 1;
    }
    if (cfg->n_listen + n_passed > MAX_LISTEN)
        return cw_err_set(err, CW_EINVAL, "%d passed sockets and %d listen addresses: at most %d",
                          n_passed, cfg->n_listen, MAX_LISTEN);
    cfg->max_output_soft = cfg->max_output / 4;
    if (cfg->max_message < 64)
        cfg->max_message = 64;
    return 0;
}

void cw_config_free(cw_config *cfg)
{
    cw_arena_free(cfg->strings);
    cfg->strings = NULL;
}
