/* cmd_store.c — `coco get NAME [--force]`: fetch a config from the store,
 * validate it, show what it grants, save it atomically. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "hostpath.h"
#include "store.h"
#include "sys.h"

#define STORE_MAX_BYTES (1u << 20)

/* What a config grants, in the words `coco show` uses, before it is
 * saved: the user sees mounts, network, env and extra arguments first.
 * This is the only review a config from the store gets, so every string
 * of it is printed escaped (E): a newline, an escape sequence or a bidi
 * control in a value must not forge or hide a line. */
void store_describe(const struct config *c, const char *home, const char *cwd,
                    FILE *o)
{
    char b[64];
    _cleanup_strvec_ struct strvec keep = STRVEC_INIT;
#define E(s) str_escape_keep(&keep, (s))
    fprintf(o, "%s grants:\n", E(c->name));
    fprintf(o, "  command   %s", E(c->command ? c->command : c->name));
    if (c->tool)
        fprintf(o, "  (install %s)", E(c->tool));
    fprintf(o, "\n");
    if (!c->n_mounts)
        fprintf(o, "  files     none of the host's\n");
    for (size_t i = 0; i < c->n_mounts; i++) {
        /* The rule `coco show` marks with: the source as it would expand
         * here (lexically, touching nothing). */
        _cleanup_free_ char *abs = hostpath_expand(c->mounts[i].src, home, cwd);
        bool risky = !abs || hostpath_sensitive(abs, home);
        fprintf(o, "  %-9s %s%s -> %s (%s)%s\n", i ? "" : "files",
                risky ? "! " : "", E(c->mounts[i].src), E(c->mounts[i].dst),
                c->mounts[i].opts & MNT_RO ? "read-only" : "read+write",
                risky ? ": a sensitive host path" : "");
    }
    switch (c->network) {
    case NET_ALLOWED:
        fprintf(o, "  network   only:");
        for (size_t i = 0; i < c->allowed_hosts.n; i++)
            fprintf(o, " %s", E(c->allowed_hosts.v[i]));
        fprintf(o, "\n");
        break;
    case NET_FULL:
        fprintf(o, "  network   ! full (any address)\n");
        break;
    case NET_HOST:
        fprintf(o, "  network   ! host (the host's network, unfiltered)\n");
        break;
    default:
        fprintf(o, "  network   none\n");
    }
    for (size_t i = 0; i < c->env_passthrough.n; i++)
        fprintf(o, "  %-9s %s (from your environment)\n", i ? "" : "env",
                E(c->env_passthrough.v[i]));
    for (size_t i = 0; i < c->n_env; i++)
        fprintf(o, "  %-9s %s=%s\n", i || c->env_passthrough.n ? "" : "env",
                E(c->env[i].name), E(c->env[i].value));
    for (size_t i = 0; i < c->ports.n; i++)
        fprintf(o, "  ports     ! %s\n", E(c->ports.v[i]));
    if (c->x11)
        fprintf(o, "  x11       ! your display (keystrokes, screen)\n");
    if (c->podman_args.n) {
        fprintf(o, "  runtime args !");
        for (size_t i = 0; i < c->podman_args.n; i++)
            fprintf(o, " %s", E(c->podman_args.v[i]));
        fprintf(o, "\n");
    }
    if (c->image) {
        bool pinned = image_pinned(c->image);
        fprintf(o, "  image     %s%s\n", pinned ? "" : "! ", E(c->image));
        if (!pinned)
            fprintf(o, "            (not pinned by digest: its tag can be moved to "
                       "other code)\n");
    }
    if (c->isolated == 0)
        fprintf(o, "  cache     ! shared with other tools (isolated: false)\n");
    if (c->limits.memory)
        fprintf(o, "  memory    %s\n", fmt_size(c->limits.memory, b, sizeof b));
    if (c->limits.timeout_ms)
        fprintf(o, "  timeout   %s\n", fmt_duration(c->limits.timeout_ms, b, sizeof b));
#undef E
}

static bool is_url(const char *s)
{
    return str_has_prefix(s, "https://") || str_has_prefix(s, "http://");
}

/* Fetch NAME.json from the store into *BUF; *SRC names where from. */
static int store_fetch(const char *name, char **buf, size_t *len, char **src,
                       coco_err *err)
{
    const char *env = getenv("COCO_STORE");
    if (env && *env && is_url(env)) {
        /* curl as an argv vector, never a shell string; https and http
         * only, no redirects to other schemes, bounded size and time. */
        _cleanup_free_ char *base = xstrdup(env);
        size_t bl = strlen(base);
        while (bl > 0 && base[bl - 1] == '/')
            base[--bl] = '\0';
        *src = xasprintf("%s/%s.json", base, name);
        char *argv[] = {"curl", "--fail", "--silent", "--show-error",
                        "--location", "--proto", "=https,http", "--proto-redir",
                        "=https", "--max-filesize", "1048576", "--max-time", "60",
                        "--", *src, NULL};
        int code = spawn_capture(argv, buf, len, STORE_MAX_BYTES, err);
        if (code < 0)
            return err_prefix(err, "get %s: fetching %s (is curl installed?)",
                              name, *src);
        if (code != 0) {
            free(*buf);
            *buf = NULL;
            return err_set(err, 0, "get %s: %s: download failed (curl exit %d)",
                           name, *src, code);
        }
        return 0;
    }
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
        dir = data_dir_find("store");
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
    _cleanup_free_ char *buf = NULL, *src = NULL;
    size_t len = 0;
    if (store_fetch(name, &buf, &len, &src, &err) < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    struct config c;
    if (config_parse(buf, len, name, src, &c, &err) < 0) {
        err_prefix(&err, "get: refusing a config the store serves");
        err_print(&err);
        return EXIT_COCO;
    }
    /* Where "~" and "." would point if the tool ran from here. */
    struct host_ctx ctx;
    coco_err herr = {0};
    if (host_ctx_from_process(&ctx, &herr) == 0) {
        store_describe(&c, ctx.home, ctx.cwd, stdout);
        host_ctx_release(&ctx);
    } else {
        store_describe(&c, "/", "/", stdout);
    }
    config_free(&c);
    _cleanup_free_ char *dir = config_dir();
    if (mkdir_parents(dir, 0700, &err) < 0 ||
        write_file_atomic(dest, buf, len, 0644, force, &err) < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    printf("saved %s\n", dest);
    return fflush(stdout) == 0 ? 0 : EXIT_COCO;
}
