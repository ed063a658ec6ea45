/* What an operator sets about logs and metrics, and their life with the
 * server's: one function reads each option by name and value (so the
 * command line and a configuration file share it), the log is opened and
 * a SIGHUP handle reopens it after a rotation, the metrics listener is
 * started after the protocol's listeners and closed with them. */
#include "server.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "true"/"false" and their usual spellings; a flag given without a value
 * is true. */
static int parse_bool(const char *name, const char *v, bool *out, cw_err *err)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!v || strcasecmp(v, yes[i]) == 0)
            return *out = true, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = false, 0;
    }
    return cw_err_set(err, CW_EINVAL, "%s: '%s' is not true or false", name, v);
}

static int copy_value(const char *name, const char *v, char *dst, size_t cap, cw_err *err)
{
    if (!v || !*v)
        return cw_err_set(err, CW_EINVAL, "%s: needs a value", name);
    if (strlen(v) >= cap)
        return cw_err_set(err, CW_EINVAL, "%s: longer than %zu bytes", name, cap - 1);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

int cw_observe_option(cw_config *cfg, const char *name, const char *value, cw_err *err)
{
    if (strcmp(name, "log-level") == 0) {
        static const char *const levels[] = {"error", "warn", "info", "debug"};
        for (int i = 0; value && i < 4; i++)
            if (strcmp(value, levels[i]) == 0)
                return cfg->log_level = i, 0;
        return cw_err_set(err, CW_EINVAL, "log-level: '%s' is not error, warn, info or debug",
                          value ? value : "");
    }
    if (strcmp(name, "log-format") == 0) {
        if (value && strcmp(value, "text") == 0)
            cfg->log_json = false;
        else if (value && strcmp(value, "json") == 0)
            cfg->log_json = true;
        else
            return cw_err_set(err, CW_EINVAL, "log-format: '%s' is not text or json",
                              value ? value : "");
        return 0;
    }
    if (strcmp(name, "log-file") == 0)
        return copy_value(name, value, cfg->log_file, sizeof cfg->log_file, err);
    if (strcmp(name, "access-log") == 0)
        return parse_bool(name, value, &cfg->access_log, err);
    if (strcmp(name, "slow-ms") == 0) {
        char *end;
        long ms = value ? strtol(value, &end, 10) : -1;
        if (!value || !*value || *end || ms < 0 || ms > 86400000)
            return cw_err_set(err, CW_EINVAL,
                              "slow-ms: '%s' is not a number of milliseconds (0 to 86400000)",
                              value ? value : "");
        cfg->slow_log = true;
        cfg->slow_ms = (unsigned)ms;
        return 0;
    }
    if (strcmp(name, "metrics") == 0) {
        struct sockaddr_storage ss;
        int rc = copy_value(name, value, cfg->metrics, sizeof cfg->metrics, err);
        return rc ? rc : cw_metrics_addr(value, &ss, err);
    }
    return cw_err_set(err, CW_ENOENT, "%s: not an option of the logs or metrics", name);
}

static void on_sighup(uv_signal_t *h, int signum)
{
    (void)signum;
    cw_server *s = h->data;
    if (!s->cfg.log_file[0])
        return;
    cw_err err = {0};
    if (cw_log_reopen(s, &err))
        CW_LOG_KV(s, LOG_ERROR, "log file not reopened: lines still go to the old one",
                  KV_S("error", err.msg));
    else
        CW_LOG_KV(s, LOG_INFO, "log file reopened", KV_S("file", s->cfg.log_file));
}

int cw_observe_start(cw_server *s, cw_err *err)
{
    int rc = cw_log_open(s, err);
    if (rc)
        return rc;
    uv_signal_init(s->loop, &s->sighup_log);
    s->sighup_log.data = s;
    uv_signal_start(&s->sighup_log, on_sighup, SIGHUP);
    return 0;
}

void cw_observe_stop(cw_server *s)
{
    cw_metrics_stop(s);
    if (s->sighup_log.loop && !uv_is_closing((uv_handle_t *)&s->sighup_log)) {
        uv_close((uv_handle_t *)&s->sighup_log, NULL);
        /* Closing the last handle of a signal gives it back its default
         * action, which for SIGHUP is death: the last moments of an
         * orderly stop ignore it instead. */
        signal(SIGHUP, SIG_IGN);
    }
}
