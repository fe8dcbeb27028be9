/* cmd_store.c — `coco get NAME [--force]`: fetch a config from the store,
 * validate it, show what it grants, save it atomically. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "paths.h"
#include "engine_args.h"
#include "show.h"
#include "spawn.h"
#include "store.h"
#include "sys.h"


/* ---- a store's reply ---- */

/* What curl's exit statuses mean for a store, in words (curl(1), EXIT
 * CODES).  A refused redirect (1 after a 3xx), an HTTP error (22) and
 * a reply too large (63) are told apart in store_reply_body(); anything
 * not here is named by its number. */
static const struct {
    int code;
    const char *words;
} curl_exits[] = {
    {1, "curl refused the protocol (stores are fetched over https and http "
        "only)"},
    {3, "the URL is malformed; check COCO_STORE"},
    {5, "cannot resolve the proxy's host name; check https_proxy and http_proxy"},
    {6, "cannot resolve the store's host name; check COCO_STORE and your DNS"},
    {7, "cannot connect to the store: nothing listens there, or a firewall "
        "drops the connection"},
    {16, "the HTTP/2 connection to the store failed"},
    {18, "the reply was cut off before its end"},
    {28, "no complete reply within 60 seconds"},
    {35, "the TLS handshake with the store failed"},
    {47, "the store redirected more than 5 times"},
    {52, "the store closed the connection without a reply"},
    {55, "the connection broke while sending the request"},
    {56, "the connection broke while receiving the reply"},
    {60, "the store's TLS certificate is not trusted or does not name its host"},
    {77, "the trusted CA certificates cannot be read"},
    {92, "the HTTP/2 stream from the store failed"},
};

static const char *curl_exit_words(int code)
{
    for (size_t i = 0; i < sizeof curl_exits / sizeof *curl_exits; i++)
        if (curl_exits[i].code == code)
            return curl_exits[i].words;
    return NULL;
}

/* The one reason every oversized reply gets, whichever way it was found
 * (Content-Length, a long chunked body, a full pipe). */
#define TOO_LARGE "the store's reply is larger than 1 MiB; that is no tool config"

/* Split curl's output into the body and the trailer STORE_WRITE_OUT
 * appends ("\ncoco-store-reply:CODE URL"); the last mark is the
 * trailer's, since curl writes it after the body.  Returns the body's
 * length, or -1 when there is no trailer. */
static ssize_t split_trailer(const char *out, size_t len, int *http_code,
                             const char **last_url)
{
    static const char mark[] = STORE_REPLY_MARK;
    size_t ml = sizeof mark - 1;
    if (!out || len < ml)
        return -1;
    for (size_t i = len - ml + 1; i-- > 0;) {
        if (memcmp(out + i, mark, ml) != 0)
            continue;
        const char *t = out + i + ml;
        *http_code = 0;
        for (int d = 0; d < 3 && t[d] >= '0' && t[d] <= '9'; d++)
            *http_code = *http_code * 10 + (t[d] - '0');
        const char *sp = memchr(t, ' ', (size_t)(out + len - t));
        *last_url = sp ? sp + 1 : "";
        return (ssize_t)i;
    }
    return -1;
}

int store_reply_body(const char *name, const char *url, int status,
                     const char *out, size_t len, size_t *body_len,
                     coco_err *err)
{
    if (status == STORE_TOO_LARGE || status == 63)
        return err_set(err, 0, "get %s: %s: " TOO_LARGE, name, url);
    int code = 0;
    const char *last = "";
    ssize_t body = split_trailer(out, len, &code, &last);
    if (status == 1 && code >= 300 && code < 400)
        /* --proto-redir =https refused where the redirect pointed. */
        return err_set(err, 0, "get %s: %s: the store redirected to %s; coco "
                               "follows store redirects only to https:// URLs, "
                               "so that nobody on the way can change the config",
                       name, url, *last ? last : "another protocol");
    if (status == 22 && code == 404)
        return err_set(err, 0, "get %s: %s: the store has no tool \"%s\" "
                               "(HTTP 404)", name, url, name);
    if (status == 22 && code >= 400)
        return err_set(err, 0, "get %s: %s: the store answered HTTP %d%s", name,
                       url, code, code >= 500 ? " (a server error; try again later)"
                                  : code == 401 || code == 403 ? " (access refused)"
                                  : "");
    if (status > 128 && status < 128 + 65)
        return err_set(err, 0, "get %s: %s: curl was killed by signal %d", name,
                       url, status - 128);
    if (status != 0) {
        const char *w = curl_exit_words(status);
        if (w)
            return err_set(err, 0, "get %s: %s: %s (curl exit %d)", name, url, w,
                           status);
        return err_set(err, 0, "get %s: %s: curl failed with exit status %d "
                               "(see curl(1), EXIT CODES)", name, url, status);
    }
    if (body < 0)
        return err_set(err, 0, "get %s: %s: curl's output ends without the "
                               "status line coco asked for; is \"curl\" on PATH "
                               "curl?", name, url);
    if ((size_t)body > STORE_MAX_BYTES)
        return err_set(err, 0, "get %s: %s: " TOO_LARGE, name, url);
    if (code < 200 || code > 299)
        return err_set(err, 0, "get %s: %s: the store answered HTTP %d, not a "
                               "config", name, url, code);
    *body_len = (size_t)body;
    return 0;
}

int store_review(const char *name, const char *src, const char *body,
                 size_t len, const char *home, const char *cwd, FILE *grants,
                 coco_err *err)
{
    struct config c;
    if (config_parse(body, len, name, src, &c, err) < 0)
        return err_prefix(err, "get: refusing a config the store serves");
    show_config(&c, home, cwd, grants);
    config_free(&c);
    return 0;
}

int store_reply(const char *name, const char *url, int status, const char *out,
                size_t len, const char *home, const char *cwd, FILE *grants,
                size_t *body_len, coco_err *err)
{
    if (store_reply_body(name, url, status, out, len, body_len, err) < 0)
        return -1;
    return store_review(name, url, out, *body_len, home, cwd, grants, err);
}

/* ---- fetching ---- */

static bool is_url(const char *s)
{
    return str_has_prefix(s, "https://") || str_has_prefix(s, "http://");
}

/* Fetch NAME.json from the URL store BASE with curl into *OUT (the whole
 * output, body and trailer; *STATUS is curl's exit status or
 * STORE_TOO_LARGE).  Fails only when curl cannot be run. */
static int fetch_url(const char *name, const char *base, char **src,
                     int *status, char **out, size_t *len, coco_err *err)
{
    _cleanup_free_ char *b = xstrdup(base);
    size_t bl = strlen(b);
    while (bl > 0 && b[bl - 1] == '/')
        b[--bl] = '\0';
    *src = xasprintf("%s/%s.json", b, name);
    /* curl as an argv vector, never a shell string; https and http only,
     * redirects only to https, bounded size and time; silent, because
     * coco says what went wrong itself, from the exit status and the
     * trailer --write-out appends. */
    char *argv[] = {"curl", "--fail", "--silent", "--location", "--proto",
                    "=https,http", "--proto-redir", "=https", "--max-redirs", "5",
                    "--max-filesize", "1048576", "--max-time", "60",
                    "--write-out", STORE_WRITE_OUT, "--", *src, NULL};
    *status = spawn_capture(argv, out, len, STORE_MAX_BYTES + STORE_TRAILER_MAX,
                            err);
    if (*status == SPAWN_TOO_BIG) {
        *status = STORE_TOO_LARGE;
        *out = NULL;
        *len = 0;
    } else if (*status < 0) {
        if (err->errnum == ENOENT)
            return err_set(err, 0, "get %s: COCO_STORE is a URL, and fetching "
                                   "%s needs curl, which is not installed "
                                   "(apt-get install curl)", name, *src);
        return err_prefix(err, "get %s: fetching %s", name, *src);
    }
    return 0;
}

/* Read NAME.json from the directory store (COCO_STORE or the one that
 * ships with coco) into *BUF; *SRC names the file. */
static int fetch_dir(const char *name, const char *env, char **src, char **buf,
                     size_t *len, coco_err *err)
{
    _cleanup_free_ char *dir = NULL;
    if (env && *env) {
        if (env[0] != '/')
            return err_set(err, 0, "COCO_STORE: \"%s\" is neither an absolute "
                                   "directory nor an http(s) URL", env);
        dir = xstrdup(env);
        struct stat st;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
            return err_set(err, 0, "COCO_STORE: %s is not a directory", dir);
    } else {
        dir = paths_data_find("store");
        if (!dir)
            return err_set(err, 0, "get: no store found (looked in %s/store and "
                                   "beside the coco binary); set COCO_STORE",
                           COCO_DATADIR);
    }
    *src = xasprintf("%s/%s.json", dir, name);
    struct stat st;
    if (stat(*src, &st) < 0 && errno == ENOENT)
        return err_set(err, 0, "get: the store at %s has no tool \"%s\"", dir, name);
    return read_file(*src, buf, len, STORE_MAX_BYTES, err);
}

/* Fetch NAME's config, check it and print what it grants.  On success
 * *BUF holds the config's bytes, *LEN of them, to be saved. */
static int store_get(const char *name, char **buf, size_t *len, coco_err *err)
{
    /* Where "~" and "." would point if the tool ran from here. */
    struct host_ctx ctx;
    coco_err herr = {0};
    bool have_ctx = host_ctx_from_process(&ctx, &herr) == 0;
    const char *home = have_ctx ? ctx.home : "/", *cwd = have_ctx ? ctx.cwd : "/";
    const char *env = getenv("COCO_STORE");
    _cleanup_free_ char *src = NULL;
    int r;
    if (env && *env && is_url(env)) {
        int status = 0;
        r = fetch_url(name, env, &src, &status, buf, len, err);
        if (r == 0)
            r = store_reply(name, src, status, *buf, *len, home, cwd, stdout, len,
                            err);
    } else {
        r = fetch_dir(name, env, &src, buf, len, err);
        if (r == 0)
            r = store_review(name, src, *buf, *len, home, cwd, stdout, err);
    }
    if (have_ctx)
        host_ctx_release(&ctx);
    return r;
}

int cmd_get(int argc, char **argv)
{
    const char *name = NULL;
    bool force = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
            force = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return coco_fail("get: unknown option \"%s\" (usage: coco get NAME "
                             "[--force])", argv[i]);
        else if (!name)
            name = argv[i];
        else
            return coco_fail("get: one NAME at a time (usage: coco get NAME "
                             "[--force])");
    }
    if (!name) {
        coco_fail("usage: coco get NAME [--force]");
        return EXIT_COCO;
    }
    /* A name is a file name in the config directory, nothing more: no
     * '/', no "..", no control characters. */
    coco_err err = {0};
    if (!tool_name_valid(name)) {
        err_set(&err, 0, "get: \"%s\" is not a valid tool name (letters, "
                         "digits, . _ + -; no '/' or \"..\")", name);
        err_print(&err);
        return EXIT_COCO;
    }
    _cleanup_free_ char *dest = config_path_for(name, &err);
    struct stat st;
    if (!force && lstat(dest, &st) == 0) {
        coco_fail("get: %s already exists; use --force to replace it",
                dest);
        return EXIT_COCO;
    }
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (store_get(name, &buf, &len, &err) < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    _cleanup_free_ char *dir = paths_tools_dir();
    if (mkdir_parents(dir, 0700, &err) < 0 ||
        write_file_atomic(dest, buf, len, 0644, force, &err) < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    _cleanup_free_ char *edest = str_escape(dest);
    printf("saved %s\n", edest);
    return fflush(stdout) == 0 ? 0 : EXIT_COCO;
}
