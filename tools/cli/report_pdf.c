/* `--format pdf`: the HTML report printed to PDF by headless Chromium.
 *
 * A PDF made here is the HTML document of report_html.c as a browser
 * prints it, so the two never differ and no PDF writer of our own is
 * needed.  Chromium is an optional tool at run time: it is looked for
 * before the server is asked anything (CROSSWALK_CHROMIUM, else chromium,
 * chromium-browser or google-chrome on PATH), and its absence is an error
 * that says what to install or to print the HTML from a browser instead.
 * It runs headless in a temporary directory of its own (the page, the
 * profile and HOME), with networking features, extensions and the first-
 * run machinery off, without its header and footer (the report prints
 * its own title and page numbers), for at most two minutes, in a process
 * group of its own so that a hung browser is stopped whole.  As root
 * Chromium refuses to start with its sandbox, so it is run without it
 * then (CROSSWALK_CHROMIUM_FLAGS adds flags, --no-sandbox among them where
 * the sandbox cannot start); the page it loads is the report itself,
 * whose Content-Security-Policy forbids scripts and every fetch. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { CW_PDF_TIMEOUT_S = 120 };

/* Finds an executable: name itself when it holds a '/', else on PATH.
 * Fills path (n bytes) and returns 0, or -1 when there is none. */
static int cw_which(const char *name, char *path, size_t n)
{
    if (strchr(name, '/')) {
        snprintf(path, n, "%s", name);
        return access(path, X_OK) == 0 ? 0 : -1;
    }
    const char *dirs = getenv("PATH");
    if (!dirs)
        dirs = "/usr/local/bin:/usr/bin:/bin";
    while (*dirs) {
        size_t len = strcspn(dirs, ":");
        if (len && (size_t)snprintf(path, n, "%.*s/%s", (int)len, dirs, name) < n &&
            access(path, X_OK) == 0)
            return 0;
        dirs += len + (dirs[len] == ':');
    }
    return -1;
}

/* The browser to print with: CROSSWALK_CHROMIUM, else the first Chromium
 * on PATH.  Returns 0 with its path, or -1. */
static int cw_browser(char *path, size_t n)
{
    const char *chosen = getenv("CROSSWALK_CHROMIUM");
    if (chosen && *chosen)
        return cw_which(chosen, path, n);
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome",
                                        "google-chrome-stable"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (cw_which(names[i], path, n) == 0)
            return 0;
    return -1;
}

int cw_pdf_check(void)
{
    char path[4096];
    if (cw_browser(path, sizeof path) == 0)
        return 0;
    const char *chosen = getenv("CROSSWALK_CHROMIUM");
    if (chosen && *chosen)
        fprintf(stderr,
                "crosswalk: --format pdf: CROSSWALK_CHROMIUM names '%s', which is not an "
                "executable\n",
                chosen);
    else
        fprintf(stderr,
                "crosswalk: --format pdf prints the HTML report with Chromium, which is not "
                "installed (looked for chromium, chromium-browser and google-chrome on PATH; "
                "CROSSWALK_CHROMIUM names another): install Debian's chromium, or write --format "
                "html and print it from a browser\n");
    return CW_EXIT_ERROR;
}

static int cw_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* The last line of the browser's log, for an error message. */
static void cw_log_tail(const char *log, char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (line[0] != '\n')
            snprintf(buf, n, "%s", line);
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

/* Runs the browser on dir/report.html, printing dir/report.pdf; returns 0
 * or -1 after printing why. */
static int cw_print(const char *browser, const char *dir)
{
    char profile[4200], pdf[4200], page[4200], log[4200];
    snprintf(profile, sizeof profile, "--user-data-dir=%s/profile", dir);
    snprintf(pdf, sizeof pdf, "--print-to-pdf=%s/report.pdf", dir);
    snprintf(page, sizeof page, "file://%s/report.html", dir);
    snprintf(log, sizeof log, "%s/browser.log", dir);
    /* CROSSWALK_CHROMIUM_FLAGS adds flags, separated by blanks (such as
     * --no-sandbox where the sandbox cannot start) */
    char *extra =
        strdup(getenv("CROSSWALK_CHROMIUM_FLAGS") ? getenv("CROSSWALK_CHROMIUM_FLAGS") : "");
    const char **argv = calloc(18 + (extra ? strlen(extra) / 2 + 1 : 0), sizeof *argv);
    if (!extra || !argv) {
        free(extra);
        free(argv);
        fputs("crosswalk: out of memory\n", stderr);
        return -1;
    }
    size_t k = 0;
    static const char *const flags[] = {"--headless",
                                        "--disable-gpu",
                                        "--no-first-run",
                                        "--no-default-browser-check",
                                        "--disable-extensions",
                                        "--disable-background-networking",
                                        "--disable-component-update",
                                        "--disable-sync",
                                        "--disable-dev-shm-usage",
                                        "--no-pdf-header-footer"};
    argv[k++] = browser;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        argv[k++] = flags[i];
    argv[k++] = profile;
    argv[k++] = pdf;
    if (geteuid() == 0)
        argv[k++] = "--no-sandbox";
    for (char *save = NULL, *w = strtok_r(extra, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
        argv[k++] = w;
    argv[k++] = page;
    argv[k] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "crosswalk: --format pdf: cannot start %s: %s\n", browser, strerror(errno));
        free(extra);
        free(argv);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int in = open("/dev/null", O_RDONLY);
        int o = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in >= 0)
            dup2(in, STDIN_FILENO);
        if (o >= 0) {
            dup2(o, STDOUT_FILENO);
            dup2(o, STDERR_FILENO);
        }
        setenv("HOME", dir, 1);
        execv(browser, (char *const *)argv);
        _exit(127);
    }
    setpgid(pid, pid);
    free(extra);
    free(argv);
    /* Wait for it to end without reaping it, so that its process group
     * cannot be another's when what is left of it is stopped: the
     * browser's helpers may outlive it for a moment, still writing to its
     * profile, and they are ours to stop. */
    int st = 0;
    siginfo_t info;
    for (int waited_ms = 0;; waited_ms += 50) {
        memset(&info, 0, sizeof info);
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid)
            break;
        if (waited_ms >= CW_PDF_TIMEOUT_S * 1000) {
            kill(-pid, SIGKILL);
            waitpid(pid, &st, 0);
            fprintf(stderr, "crosswalk: --format pdf: %s did not finish within %d s\n", browser,
                    CW_PDF_TIMEOUT_S);
            return -1;
        }
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    kill(-pid, SIGKILL);
    pid_t done = waitpid(pid, &st, 0);
    if (done < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char tail[512];
        cw_log_tail(log, tail, sizeof tail);
        fprintf(stderr, "crosswalk: --format pdf: %s failed (%s %d)%s%s\n", browser,
                done >= 0 && WIFSIGNALED(st) ? "signal" : "exit status",
                done >= 0 && WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), *tail ? ": " : "",
                tail);
        return -1;
    }
    return 0;
}

/* Copies dir/report.pdf to out after checking it is one. */
static int cw_copy_pdf(const char *dir, FILE *out)
{
    char path[4200], buf[65536];
    snprintf(path, sizeof path, "%s/report.pdf", dir);
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (n < 5 || memcmp(buf, "%PDF-", 5) != 0) {
        fprintf(stderr, "crosswalk: --format pdf: the browser wrote no PDF\n");
        if (f)
            fclose(f);
        return -1;
    }
    int rc = 0;
    do {
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    } while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0);
    if (ferror(f))
        rc = -1;
    fclose(f);
    if (rc)
        fprintf(stderr, "crosswalk: --format pdf: writing the PDF failed: %s\n", strerror(errno));
    return rc;
}

int cw_report_pdf(FILE *out, const cw_report *r)
{
    char browser[4096];
    if (cw_browser(browser, sizeof browser)) {
        fprintf(stderr, "crosswalk: --format pdf: Chromium is not installed\n");
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/crosswalk-pdf-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "crosswalk: --format pdf: temporary directory %s: %s\n", dir,
                strerror(errno));
        return -1;
    }
    char page[4200];
    snprintf(page, sizeof page, "%s/report.html", dir);
    FILE *f = fopen(page, "w");
    int rc = -1;
    if (!f) {
        fprintf(stderr, "crosswalk: --format pdf: %s: %s\n", page, strerror(errno));
    } else {
        cw_report_html(f, r);
        if (fclose(f) == 0)
            rc = cw_print(browser, dir);
        else
            fprintf(stderr, "crosswalk: --format pdf: %s: %s\n", page, strerror(errno));
    }
    if (rc == 0)
        rc = cw_copy_pdf(dir, out);
    /* a helper in a group of its own may still be writing: try again */
    for (int i = 0; i < 20; i++) {
        nftw(dir, cw_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        if (access(dir, F_OK) != 0)
            break;
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    return rc;
}
