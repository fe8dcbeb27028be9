/* install.c — a tool's install, in two sandboxed phases (install.h):
 *
 *   F  fetch   egress only to the ecosystem's registry (through coco's
 *              proxy), no package code: `npm install --ignore-scripts`.
 *   B  build   no network; only the install scripts the config allows
 *              run (by default the tool's own package's).
 *
 * Each phase is a run with a policy derived from the tool's config
 * (written as a config, parsed and resolved like any other): the tool's
 * new directory writable at INSTALL_MOUNT, its download cache at
 * INSTALL_CACHE_MOUNT, never the workspace or the home.  Then the tree
 * is described in manifest.json (every path's type, mode, size, mtime,
 * inode and SHA-256), renamed into place and made current with one
 * rename of a symlink: a killed install leaves a v/.tmp-* directory
 * (removed by the next one) and never anything that looks installed. */
#include "install_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "native.h"
#include "net.h"
#include "oci.h"
#include "paths.h"
#include "policy.h"
#include "sys.h"

#define ENV_LINK "current"
#define INSTALL_RECORD "install.json"
#define INSTALL_TIMEOUT "30m"

void install_env_free(struct install_env *e)
{
    if (e->use_fd >= 0)
        close(e->use_fd);
    free(e->dir);
    free(e->root);
    free(e->version);
    free(e->spec);
    free(e->range);
    free(e->runtime_spec);
    if (e->runtime) {
        install_env_free(e->runtime);
        free(e->runtime);
    }
    strvec_clear(&e->run_env);
    *e = (struct install_env)INSTALL_ENV_INIT;
}

/* The driver of SPEC's ecosystem, or NULL (no spec, or one coco does
 * not install). */
static const struct install_driver *driver_of(const char *spec)
{
    struct tool_spec ts;
    if (!spec || tool_spec_parse(spec, &ts) < 0)
        return NULL;
    const struct install_driver *d = install_driver_spec(&ts);
    tool_spec_free(&ts);
    return d;
}

bool install_handles(const char *spec, const char **why)
{
    if (driver_of(spec))
        return true;
    if (why)
        *why = spec ? "coco's installer does not handle this ecosystem yet: "
                      "the program must be on the host's PATH"
                    : "no install spec";
    return false;
}

bool install_applies(const struct policy *p, const char **why)
{
    if (!install_handles(p->spec, why))
        return false;
    if (runtime_is_engine(p->runtime) && p->image_source &&
        streq(p->image_source, "config")) {
        if (why)
            *why = "the config names its image: on podman and docker the "
                   "program comes from it";
        return false;
    }
    return true;
}

static void fmt_mib(uint64_t b, char *buf, size_t len)
{
    if (b < (1u << 20))
        snprintf(buf, len, "%.1f KiB", (double)b / 1024.0);
    else
        snprintf(buf, len, "%.1f MiB", (double)b / (1024.0 * 1024.0));
}

const char *install_plan(const char *spec)
{
    const struct install_driver *d = driver_of(spec);
    return d ? d->plan : NULL;
}

bool install_native_only(const char *spec)
{
    const struct install_driver *d = driver_of(spec);
    return d && d->native_only;
}

const char *install_pick(const char *tool, const struct strvec *tools)
{
    for (size_t k = 0; tools && k < tools->n; k++)
        if (install_handles(tools->v[k], NULL))
            return tools->v[k];
    return tool;
}

/* P's install.runtime, when its tool runs on one (npm: tools), or NULL. */
static const char *runtime_of(const struct policy *p)
{
    const struct install_driver *d = driver_of(p->spec);
    return p->install_runtime && d && streq(d->name, "npm")
               ? p->install_runtime
               : NULL;
}

/* ---- the tool's directory ---------------------------------------------- */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* envs/TOOL, created 0700 when missing; refused when it is not a
 * directory of the user's that only they may write. */
static int env_dir_open(const char *tool, bool create, char **path_out,
                        coco_err *err)
{
    bool rt = str_has_prefix(tool, RUNTIME_TOOL_PREFIX);
    _cleanup_free_ char *envs = rt ? paths_runtimes_dir() : paths_envs_dir();
    _cleanup_free_ char *dir = path_join(envs, rt ? tool + strlen(
                                             RUNTIME_TOOL_PREFIX) : tool);
    if (create && mkdir_parents(dir, 0700, err) < 0)
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && !create)
            return 0;
        return err_set(err, errno, "%s: cannot open the install directory",
                       dir);
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
        (st.st_mode & 022)) {
        close(fd);
        return err_set(err, 0, "%s: not a directory of yours that only you "
                       "may write; fix its owner and mode (chmod 700) or "
                       "remove it", dir);
    }
    if (path_out)
        *path_out = steal_pointer(&dir);
    return fd;
}

/* "v/NAME" of the current install, or NULL. */
static char *current_name(int envfd)
{
    char buf[512];
    ssize_t n = readlinkat(envfd, ENV_LINK, buf, sizeof buf - 1);
    if (n <= 2)
        return NULL;
    buf[n] = '\0';
    if (strncmp(buf, "v/", 2) != 0 || strchr(buf + 2, '/') ||
        strcmp(buf + 2, "..") == 0 || strcmp(buf + 2, ".") == 0 ||
        buf[2] == '.')
        return NULL;
    return xstrdup(buf);
}

/* The current install's record (v/NAME/install.json, small: what the
 * run needs, and the tree's fingerprint), into OUT; with MF, also its
 * manifest.  1, 0 when there is none, -1 when it cannot be read. */
static int load_env(const char *envdir, int envfd, struct install_env *out,
                    struct manifest *mf, json_t **extra_out, coco_err *err)
{
    _cleanup_free_ char *cur = current_name(envfd);
    if (!cur)
        return 0;
    _cleanup_free_ char *dir = path_join(envdir, cur);
    _cleanup_free_ char *ipath = path_join(dir, INSTALL_RECORD);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (read_file(ipath, &text, &len, 1u << 20, err) < 0)
        return -1;
    json_error_t je;
    json_t *x = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    const char *spec = json_string_value(json_object_get(x, "spec"));
    const char *ver = json_string_value(json_object_get(x, "package_version"));
    const char *drv = json_string_value(json_object_get(x, "driver"));
    const char *fp = json_string_value(json_object_get(x, "tree_sha256"));
    json_t *files = json_object_get(x, "files"), *bytes = json_object_get(x, "bytes");
    const struct install_driver *d = install_driver_for(drv);
    if (!spec || !ver || !d || !fp || strlen(fp) != 64 ||
        !json_is_integer(files) || !json_is_integer(bytes) ||
        json_integer_value(files) < 0 || json_integer_value(bytes) < 0) {
        json_decref(x);
        return err_set(err, 0, "%s: not a record coco wrote (spec, "
                       "package_version, driver, tree_sha256, files, bytes)",
                       ipath);
    }
    out->dir = steal_pointer(&dir);
    out->root = path_join(out->dir, "root");
    out->version = xstrdup(ver);
    out->spec = xstrdup(spec);
    const char *range = json_string_value(json_object_get(x, "range"));
    out->range = range ? xstrdup(range) : NULL;
    const char *rts = json_string_value(json_object_get(x, "runtime"));
    out->runtime_spec = rts ? xstrdup(rts) : NULL;
    out->bin = d->bin;
    out->more_bin = d->more_bin;
    if (d->run_env) {
        _cleanup_close_ int rfd = open(out->root, O_RDONLY | O_DIRECTORY |
                                       O_NOFOLLOW | O_CLOEXEC);
        if (rfd >= 0)
            d->run_env(rfd, &out->run_env);
    }
    memcpy(out->tree_sha256, fp, 65);
    out->files = (uint64_t)json_integer_value(files);
    out->bytes = (uint64_t)json_integer_value(bytes);
    if (mf) {
        _cleanup_free_ char *mpath = path_join(out->dir, "manifest.json");
        if (manifest_load(mpath, mf, NULL, err) < 0) {
            json_decref(x);
            return -1;
        }
    }
    if (extra_out)
        *extra_out = x;
    else
        json_decref(x);
    return 1;
}

int install_current(const char *tool, struct install_env *out, coco_err *err)
{
    *out = (struct install_env)INSTALL_ENV_INIT;
    _cleanup_free_ char *envdir = NULL;
    int envfd = env_dir_open(tool, false, &envdir, err);
    if (envfd <= 0)
        return envfd;
    int r = load_env(envdir, envfd, out, NULL, NULL, err);
    close(envfd);
    return r;
}

/* ---- one phase: a run with a derived policy -------------------------- */

struct phase_ctx {
    const struct policy *p;           /* the tool's */
    const struct host_ctx *ctx;
    const struct install_driver *d;
    const struct tool_spec *ts;
    const char *root;                 /* host: the new install's root */
    const char *cache;                /* host: its download cache */
    struct strvec hosts;              /* phase F's allowlist */
    int logfd;
    int outfd;                        /* the installer's stdout: -1, the
                                         log; phase R: its answer */
    const struct install_env *rt;     /* install.runtime's, or NULL */
};

/* The phase's config, as JSON text: parsed and resolved like a tool's. */
static char *phase_config(const struct phase_ctx *pc, const char *program,
                          bool network)
{
    json_t *c = json_object();
    bool engine = runtime_is_engine(pc->p->runtime);
    json_object_set_new(c, "command", json_string(program));
    /* the tool's own runtime: on podman and docker, its image's
     * installer (npm) in a container of that image */
    json_object_set_new(c, "runtime",
                        json_string(runtime_name(engine ? pc->p->runtime
                                                        : RT_NATIVE)));
    if (engine)
        json_object_set_new(c, "image", json_string(pc->p->image));
    json_object_set_new(c, "workdir", json_string(INSTALL_MOUNT));
    json_t *mounts = json_array();
    json_t *m = json_object();
    json_object_set_new(m, "src", json_string(pc->root));
    json_object_set_new(m, "dst", json_string(INSTALL_MOUNT));
    json_array_append_new(mounts, m);
    m = json_object();
    json_object_set_new(m, "src", json_string(pc->cache));
    json_object_set_new(m, "dst", json_string(INSTALL_CACHE_MOUNT));
    /* phase B's scripts read the downloads, never change them (the next
     * install trusts what F fetched and checked) */
    if (!network)
        json_object_set_new(m, "opts", json_string("ro"));
    json_array_append_new(mounts, m);
    for (size_t i = 0; pc->d->ro_paths && pc->d->ro_paths[i]; i++) {
        m = json_object();
        json_object_set_new(m, "src", json_string(pc->d->ro_paths[i]));
        json_object_set_new(m, "dst", json_string(pc->d->ro_paths[i]));
        json_object_set_new(m, "opts", json_string("ro"));
        json_array_append_new(mounts, m);
    }
    json_object_set_new(c, "mounts", mounts);
    json_t *env = json_object();
    /* phase B's scripts (npm rebuild) run on the tool's runtime: its
     * node first on PATH, read-only */
    if (!network && pc->rt) {
        m = json_object();
        json_object_set_new(m, "src", json_string(pc->rt->root));
        json_object_set_new(m, "dst", json_string(RUNTIME_MOUNT));
        json_object_set_new(m, "opts", json_string("ro"));
        json_array_append_new(mounts, m);
        _cleanup_free_ char *bin = path_join(RUNTIME_MOUNT, pc->rt->bin);
        _cleanup_free_ char *path = xasprintf("%s:%s", bin,
                                              COCO_SANDBOX_PATH);
        json_object_set_new(env, "PATH", json_string(path));
    }
    for (size_t i = 0; pc->d->env[i]; i++) {
        const char *eq = strchr(pc->d->env[i], '=');
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - pc->d->env[i]),
                 pc->d->env[i]);
        json_object_set_new(env, name, json_string(eq + 1));
    }
    for (size_t i = 0; i < pc->p->config_env.n; i++) {
        const char *e = pc->p->config_env.v[i], *eq = strchr(e, '=');
        for (size_t k = 0; pc->d->config_env[k]; k++)
            if (strlen(pc->d->config_env[k]) == (size_t)(eq - e) &&
                strncmp(pc->d->config_env[k], e, (size_t)(eq - e)) == 0)
                json_object_set_new(env, pc->d->config_env[k],
                                    json_string(eq + 1));
    }
    /* the host's CA bundle, when nothing in its environment names one */
    static const char *const bundles[] = {
        "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
        NULL};
    if (pc->d->ca_var && !env_lookup(pc->ctx->environ, pc->d->ca_var) &&
        !json_object_get(env, pc->d->ca_var))
        for (size_t i = 0; bundles[i]; i++)
            if (access(bundles[i], R_OK) == 0) {
                /* a container has the image's /etc: the host's bundle
                 * goes in beside the install, read-only */
                const char *at = engine ? INSTALL_CA_MOUNT : bundles[i];
                if (engine) {
                    m = json_object();
                    json_object_set_new(m, "src", json_string(bundles[i]));
                    json_object_set_new(m, "dst", json_string(at));
                    json_object_set_new(m, "opts", json_string("ro"));
                    json_array_append_new(mounts, m);
                }
                json_object_set_new(env, pc->d->ca_var, json_string(at));
                break;
            }
    json_object_set_new(c, "env", env);
    if (network) {
        json_t *h = json_array();
        for (size_t i = 0; i < pc->hosts.n; i++)
            json_array_append_new(h, json_string(pc->hosts.v[i]));
        json_object_set_new(c, "allowed_hosts", h);
    } else {
        json_object_set_new(c, "network", json_string("none"));
    }
    json_t *lim = json_object();
    json_object_set_new(lim, "timeout", json_string(INSTALL_TIMEOUT));
    json_object_set_new(c, "limits", lim);
    char *text = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    return text;
}

/* Run ARGV in the phase's sandbox, its output into the log; the exit
 * status, or -1. */
static int run_phase(const struct phase_ctx *pc, const char *phase,
                     const struct strvec *argv, bool network, coco_err *err)
{
    _cleanup_free_ char *text = phase_config(pc, argv->v[0], network);
    _cleanup_free_ char *where = xasprintf("%s (install, phase %s)",
                                           pc->p->config_path, phase);
    struct config cfg;
    /* a runtime's phases are named after its program ("node") */
    const char *cname = str_has_prefix(pc->p->tool, RUNTIME_TOOL_PREFIX)
                            ? pc->ts->name
                            : pc->p->tool;
    if (!text || config_parse(text, strlen(text), cname, where, &cfg,
                              err) < 0)
        return -1;
    struct host_ctx hc = *pc->ctx;
    hc.stdin_tty = hc.stdout_tty = false;
    hc.have_cwd_fd = false;
    bool engine = runtime_is_engine(pc->p->runtime);
    struct run_flags fl = {.runtime = engine ? pc->p->runtime : RT_NATIVE};
    struct policy pp;
    int r = policy_resolve(&cfg, &hc, &fl, argv->v + 1, argv->n - 1, &pp,
                           err);
    config_free(&cfg);
    if (r < 0)
        return -1;
    /* No named volume: the install's only writable places are its own
     * directory and its download cache, bind-mounted (coco hashes the
     * very bytes the installer wrote). */
    free(pp.volume);
    pp.volume = NULL;
    free(pp.cache_dir);
    pp.cache_dir = NULL;
    dprintf(pc->logfd, "\n== coco: phase %s: network %s ==\n", phase,
            network ? "the registry only" : "none");
    for (size_t i = 0; i < argv->n; i++) {
        _cleanup_free_ char *e = str_escape(argv->v[i]);
        dprintf(pc->logfd, "%s%s", i ? " " : "$ ", e);
    }
    dprintf(pc->logfd, "\n");
    /* The installer's output goes to the log, its input is nothing. */
    fflush(stdout);
    fflush(stderr);
    int saved[3] = {dup(0), dup(1), dup(2)};
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (saved[0] < 0 || saved[1] < 0 || saved[2] < 0 || nul < 0) {
        for (int i = 0; i < 3; i++)
            if (saved[i] >= 0)
                close(saved[i]);
        if (nul >= 0)
            close(nul);
        policy_free(&pp);
        return err_set(err, errno, "install: redirect the installer's "
                       "output");
    }
    dup2(nul, 0);
    dup2(pc->outfd >= 0 ? pc->outfd : pc->logfd, 1);
    dup2(pc->logfd, 2);
    close(nul);
    int code;
    /* as run.c runs: on an engine, phase F's proxy on a unix socket and
     * the relay in the container (its only way out); phase B has
     * --network=none and no proxy */
    code = engine ? oci_run_egress(&pp, err) : native_run(&pp, err);
    for (int i = 0; i < 3; i++) {
        dup2(saved[i], i);
        close(saved[i]);
    }
    if (engine && (code == 127 || code == 126)) {
        /* the relay, runc and docker all say 127 for a program that is
         * not there (126: there, not runnable) */
        _cleanup_free_ char *ei = str_escape(pp.image);
        err_set(err, 0, "%s: installing %s on %s: the image %s has no "
                "runnable %s (exit %d); name an image that has it "
                "(COCO_IMAGE or the config's \"image\"), or use --runtime "
                "native", pc->p->tool, pc->p->spec, runtime_name(pp.runtime),
                ei, argv->v[0], code);
        code = -2;
    } else if (engine && code == 125) {
        _cleanup_free_ char *ei = str_escape(pp.image);
        err_set(err, 0, "%s: installing %s: %s could not start a container "
                "of %s (exit 125)", pc->p->tool, pc->p->spec,
                runtime_name(pp.runtime), ei);
        code = -1;
    }
    policy_free(&pp);
    return code;
}

/* The log's last LINES lines on stderr, escaped. */
static void log_tail(const char *log, int lines)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    coco_err e = {0};
    if (read_file(log, &text, &len, 16u << 20, &e) < 0 || !len)
        return;
    size_t at = len;
    int n = 0;
    while (at > 0 && n <= lines) {
        at--;
        if (text[at] == '\n' && at + 1 < len)
            n++;
    }
    if (n > lines)
        at++;
    char *save = NULL;
    for (char *l = strtok_r(text + at, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        _cleanup_free_ char *esc = str_escape(l);
        fprintf(stderr, "  | %s\n", esc);
    }
}

/* After a failed phase F: the first host the proxy refused, from its
 * notices in LOG ("coco: TOOL: egress to HOST port N refused (WHY)"),
 * said plainly in ERR: a registry that cannot be reached (-1: that is
 * the whole story), or a host the installer wanted that phase F does not
 * allow (1: the log's tail says what wanted it).  0 when there is none. */
static int why_fetch_failed(const struct phase_ctx *pc, const char *log,
                            const struct install_lockcheck *lc,
                            const char *espec, coco_err *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    coco_err e = {0};
    if (read_file(log, &text, &len, 16u << 20, &e) < 0 || !len)
        return 0;
    _cleanup_free_ char *pre = xasprintf("coco: %s: egress to ",
                                         pc->p->tool);
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (!str_has_prefix(l, pre))
            continue;
        char host[256], why[64];
        unsigned port;
        if (sscanf(l + strlen(pre), "%255s port %u refused (%63[a-z:-])",
                   host, &port, why) != 3 || port > 65535)
            continue;
        _cleanup_free_ char *eh = str_escape(host);
        if (!net_allow_match(lc->allow, lc->n_allow, host, (uint16_t)port)) {
            _cleanup_free_ char *c = str_escape(pc->p->config_path);
            err_set(err, 0, "%s: installing %s failed: the installer asked "
                    "for %s:%u, which fetch does not allow (only the "
                    "registry's hosts; a registry of your own goes in "
                    "\"install\": {\"allowed_hosts\": [...]} in %s)",
                    pc->p->tool, espec, eh, port, c);
            return 1;
        }
        const char *plain =
            streq(why, "no-address") ? "its name does not resolve from "
                                       "this machine"
            : streq(why, "no-resolver") || streq(why, "resolver-unreachable")
                ? "no DNS resolver answered"
            : streq(why, "connect-failed") ? "the connection failed"
                                           : why;
        return err_set(err, 0, "%s: installing %s failed: the registry %s "
                       "could not be reached on port %u (%s); nothing was "
                       "installed (a registry of your own: "
                       "install.allowed_hosts in the config; log: %s)",
                       pc->p->tool, espec, eh, port, plain, log);
    }
    return 0;
}

/* ---- the install ------------------------------------------------------ */

static int copy_file_at(int fromdir, const char *from, const char *to,
                        coco_err *err)
{
    _cleanup_close_ int fd = openat(fromdir, from, O_RDONLY | O_NOFOLLOW |
                                    O_CLOEXEC);
    if (fd < 0)
        return err_set(err, errno, "install: open %s", from);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (read_fd(fd, from, &text, &len, 64u << 20, err) < 0)
        return -1;
    return write_file_atomic(to, text, len, 0644, true, err);
}

/* SHA-256 of FILE beneath DIRFD, as the first 12 hex digits. */
static int file_hash12(int dirfd, const char *file, char out[13],
                       coco_err *err)
{
    _cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW |
                                    O_CLOEXEC);
    uint8_t d[32];
    char hex[65];
    if (fd < 0)
        return err_set(err, errno, "install: open %s", file);
    if (sha256_fd(fd, d, err) < 0)
        return -1;
    sha256_hex(d, hex);
    memcpy(out, hex, 12);
    out[12] = '\0';
    return 0;
}

/* Versions beside CURRENT, and installs killed half-way: removed when no
 * run uses them (a run holds the use lock shared). */
static void remove_stale(int envfd, const char *keep)
{
    _cleanup_close_ int use = openat(envfd, ".use.lock", O_RDWR | O_CREAT |
                                     O_CLOEXEC | O_NOFOLLOW, 0600);
    if (use < 0 || flock(use, LOCK_EX | LOCK_NB) < 0)
        return;
    _cleanup_close_ int vfd = openat(envfd, "v", O_RDONLY | O_DIRECTORY |
                                     O_NOFOLLOW | O_CLOEXEC);
    if (vfd < 0)
        return;
    int dup_fd = dup(vfd);
    DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return;
    }
    struct strvec names = STRVEC_INIT;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
            (!keep || strcmp(de->d_name, keep) != 0))
            strvec_push(&names, de->d_name);
    closedir(d);
    for (size_t i = 0; i < names.n; i++)
        if (remove_tree_at(vfd, names.v[i]) < 0)
            warn("install: cannot remove %s: %s", names.v[i],
                 strerror(errno));
    strvec_clear(&names);
}

static void say(const struct policy *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct policy *p, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "coco: %s: %s\n", p->tool, buf);
}

/* What changes from the install in OLDDIR (the current one) to the new
 * tree at ROOTFD: versions, packages added and removed, packages that
 * newly want install scripts.  Said before the switch; nothing when the
 * lock cannot be read (a first install has no old one). */
static void say_changes(const struct policy *p, const struct install_driver *d,
                        const char *olddir, int rootfd,
                        const struct strvec *scripts)
{
    struct strvec was = STRVEC_INIT, now = STRVEC_INIT;
    coco_err ignore = {0};
    char *ipath = NULL, *text = NULL;
    json_t *x = NULL;
    _cleanup_close_ int ofd = open(olddir, O_RDONLY | O_DIRECTORY |
                                   O_NOFOLLOW | O_CLOEXEC);
    if (!d->lock_list || ofd < 0 || d->lock_list(ofd, &was, &ignore) < 0 ||
        d->lock_list(rootfd, &now, &ignore) < 0)
        goto out;
    size_t added = 0, removed = 0, shown = 0;
    char line[1024] = "";
    size_t ll = 0;
    for (size_t i = 0; i < now.n; i++) {
        if (strvec_contains(&was, now.v[i]))
            continue;
        const char *sp = strchr(now.v[i], ' ');
        size_t nl = sp ? (size_t)(sp - now.v[i]) : strlen(now.v[i]);
        const char *old = NULL;
        for (size_t k = 0; k < was.n && !old; k++)
            if (strncmp(was.v[k], now.v[i], nl) == 0 && was.v[k][nl] == ' ' &&
                !strvec_contains(&now, was.v[k]))
                old = was.v[k] + nl + 1;
        added += !old;
        if (shown++ < 12 && ll < sizeof line - 200) {
            _cleanup_free_ char *e = str_escape(now.v[i]);
            _cleanup_free_ char *eo = old ? str_escape(old) : NULL;
            char *spc = strchr(e, ' ');
            if (spc)
                *spc = '\0';
            ll += (size_t)snprintf(line + ll, sizeof line - ll, "%s%s %s%s%s",
                                   ll ? ", " : "", e, eo ? eo : "(new)",
                                   eo ? " -> " : " ", spc ? spc + 1 : "");
        }
    }
    for (size_t k = 0; k < was.n; k++)
        if (!strvec_contains(&now, was.v[k])) {
            const char *sp = strchr(was.v[k], ' ');
            size_t nl = sp ? (size_t)(sp - was.v[k]) : strlen(was.v[k]);
            bool still = false;
            for (size_t i = 0; i < now.n && !still; i++)
                still = strncmp(now.v[i], was.v[k], nl) == 0 &&
                        now.v[i][nl] == ' ';
            removed += !still;
        }
    if (!shown && !removed) {
        say(p, "no package changes");
    } else {
        say(p, "changes: %zu package%s changed or added, %zu removed%s%s%s",
            shown, shown == 1 ? "" : "s", removed, shown ? ": " : "", line,
            shown > 12 ? ", ..." : "");
        (void)added;
    }
    /* install scripts the old install did not have */
    ipath = path_join(olddir, INSTALL_RECORD);
    size_t len = 0;
    if (read_file(ipath, &text, &len, 1u << 20, &ignore) == 0)
        x = json_loadb(text, len, 0, NULL);
    for (size_t i = 0; i < scripts->n; i++) {
        bool had = false;
        const char *keys[] = {"scripts_run", "scripts_not_run"};
        for (size_t k = 0; k < 2 && !had; k++) {
            size_t j;
            json_t *v;
            json_array_foreach(json_object_get(x, keys[k]), j, v)
                had = had || streq(json_string_value(v), scripts->v[i]);
        }
        if (!had) {
            _cleanup_free_ char *e = str_escape(scripts->v[i]);
            say(p, "new: package %s wants an install script", e);
        }
    }
out:
    json_decref(x);
    free(ipath);
    free(text);
    strvec_clear(&was);
    strvec_clear(&now);
}

static int do_install(const struct policy *p, const struct host_ctx *ctx,
                      const struct install_driver *d,
                      const struct tool_spec *ts, int envfd,
                      const char *envdir, const char *from_lock_dir,
                      const char *from_lock_hash,
                      const struct install_env *rt, coco_err *err)
{
    uint64_t t0 = mono_ms();
    int ret = -1, rootfd = -1;
    struct phase_ctx pc = {.p = p, .ctx = ctx, .d = d, .ts = ts,
                           .logfd = -1, .outfd = -1, .rt = rt};
    /* what phase F installs: TS, its version resolved (node@lts) */
    struct tool_spec fts = *ts;
    char *range = NULL, *rpath = NULL, *rtext = NULL;
    struct strvec scripts = STRVEC_INIT, run_scripts = STRVEC_INIT,
                  skipped = STRVEC_INIT, argv = STRVEC_INIT;
    struct net_allow *allow = NULL;
    struct manifest mf = {0};
    char *tmp = NULL, *root = NULL, *cache = NULL, *log = NULL,
         *version = NULL, *final = NULL, *tmpname = NULL, *hosts_text = NULL,
         *espec = str_escape(p->spec), *vname = NULL, *cur = NULL,
         *tmprel = NULL, *lnk = NULL, *ev = NULL;
    json_t *extra = NULL;

    /* the log: fresh for each install */
    {
        _cleanup_free_ char *state = paths_state_dir();
        _cleanup_free_ char *logs = path_join(state, "logs");
        if (mkdir_parents(logs, 0700, err) < 0)
            goto out;
        _cleanup_free_ char *lname = xasprintf("%s-install.log", p->tool);
        log = path_join(logs, lname);
    }
    pc.logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
                    O_CLOEXEC, 0600);
    if (pc.logfd < 0) {
        err_set(err, errno, "%s: cannot write the install log", log);
        goto out;
    }

    /* a fresh directory for it, and the tool's own download cache */
    if (mkdirat(envfd, "v", 0700) < 0 && errno != EEXIST) {
        err_set(err, errno, "%s/v: cannot create it", envdir);
        goto out;
    }
    tmp = xasprintf("%s/v/.tmp-XXXXXX", envdir);
    if (!mkdtemp(tmp)) {
        err_set(err, errno, "%s: cannot create it", tmp);
        goto out;
    }
    tmpname = xstrdup(strrchr(tmp, '/') + 1);
    root = path_join(tmp, "root");
    cache = path_join(envdir, "cache/install");
    if (mkdir(root, 0755) < 0 || mkdir_parents(cache, 0700, err) < 0) {
        if (!err->msg[0])
            err_set(err, errno, "%s: cannot create it", root);
        goto out;
    }
    rootfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rootfd < 0) {
        err_set(err, errno, "%s: cannot open it", root);
        goto out;
    }
    if (from_lock_dir) {
        _cleanup_close_ int ofd = open(from_lock_dir, O_RDONLY |
                                       O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        char h[13];
        if (ofd >= 0 && (file_hash12(ofd, d->lock, h, err) < 0 ||
                         strcmp(h, from_lock_hash) != 0)) {
            if (!err->msg[0])
                err_set(err, 0, "%s/%s: changed since it was installed; "
                        "`coco install --upgrade %s` resolves anew",
                        from_lock_dir, d->lock, p->tool);
            goto out;
        }
        _cleanup_free_ char *to_m = d->manifest_file
                                        ? path_join(root, d->manifest_file)
                                        : NULL;
        _cleanup_free_ char *to_l = path_join(root, d->lock);
        if (ofd < 0 ||
            (to_m && copy_file_at(ofd, d->manifest_file, to_m, err) < 0) ||
            copy_file_at(ofd, d->lock, to_l, err) < 0) {
            if (!err->msg[0])
                err_set(err, errno, "%s: cannot open it", from_lock_dir);
            goto out;
        }
    }
    pc.root = root;
    pc.cache = cache;
    for (size_t i = 0; d->hosts[i]; i++)
        strvec_push(&pc.hosts, d->hosts[i]);
    if (d->find_hosts && d->find_hosts(&pc.hosts, err) < 0) {
        err_prefix(err, "%s: installing %s", p->tool, espec);
        goto out;
    }
    /* the registry's, then the config's install.allowed_hosts (a
     * corporate registry), then its allowed_hosts (issue 9: the list
     * "extendable by allowed_hosts") */
    for (size_t i = 0; i < p->install_hosts.n; i++)
        if (!strvec_contains(&pc.hosts, p->install_hosts.v[i]))
            strvec_push(&pc.hosts, p->install_hosts.v[i]);
    for (size_t i = 0; i < p->net.allowed_hosts.n; i++)
        if (!strvec_contains(&pc.hosts, p->net.allowed_hosts.v[i]))
            strvec_push(&pc.hosts, p->net.allowed_hosts.v[i]);
    allow = xcalloc(pc.hosts.n, sizeof *allow);
    for (size_t i = 0; i < pc.hosts.n; i++)
        if (net_allow_parse(pc.hosts.v[i], &allow[i])) {
            err_set(err, 0, "install: \"%s\" is not an allowed_hosts entry",
                    pc.hosts.v[i]);
            goto out;
        }

    /* F: fetch, no package code */
    hosts_text = strvec_join(&pc.hosts, ", ");
    int cached = 0;
    if (d->prepare) {
        _cleanup_close_ int cfd = open(cache, O_RDONLY | O_DIRECTORY |
                                       O_NOFOLLOW | O_CLOEXEC);
        cached = cfd < 0 ? err_set(err, errno, "%s: cannot open it", cache)
                         : d->prepare(rootfd, cfd, from_lock_dir != NULL,
                                      err);
        if (cached < 0) {
            err_prefix(err, "%s: installing %s", p->tool, espec);
            goto out;
        }
    }
    int code = 0;
    if (!from_lock_dir && d->range_of)
        fts.version = (char *)d->range_of(ts);
    if (!from_lock_dir && d->resolve_argv) {
        /* R: resolve the version on the registry (network: phase F's,
         * no package code: the answer is data, parsed here) */
        int need = d->resolve_argv(ts, &argv, err);
        if (need < 0) {
            err_prefix(err, "%s: installing %s", p->tool, espec);
            goto out;
        }
        if (need > 0) {
            rpath = path_join(tmp, "resolve.json");
            pc.outfd = open(rpath, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
                            O_CLOEXEC, 0600);
            if (pc.outfd < 0) {
                err_set(err, errno, "%s: cannot create it", rpath);
                goto out;
            }
            say(p, "resolving %s: asking %s", espec, hosts_text);
            code = run_phase(&pc, "R", &argv, true, err);
            close(pc.outfd);
            pc.outfd = -1;
            strvec_clear(&argv);
            if (code != 0) {
                if (code < -1)
                    goto out;
                if (code > 0)
                    err_set(err, 0, "%s: resolving %s failed: %s exited "
                            "with %d while asking %s", p->tool, espec,
                            d->program, code, hosts_text);
                goto fail_log;
            }
            size_t rlen = 0;
            if (read_file(rpath, &rtext, &rlen, 16u << 20, err) < 0 ||
                d->resolve(rtext, rlen, (int64_t)time(NULL), &range,
                           err) < 0) {
                err_prefix(err, "%s: resolving %s", p->tool, espec);
                goto out;
            }
            fts.version = range;
            _cleanup_free_ char *er = str_escape(range);
            say(p, "%s resolves to %s@%s", espec, ts->name, er);
        }
    }
    if (cached) {
        say(p, "installing %s again, from its lock: every package is in "
            "its download cache (no network)", espec);
    } else {
        say(p, "installing %s%s: fetching from %s (no package code runs)",
            espec, from_lock_dir ? " again, from its lock" : "", hosts_text);
        if (d->fetch_argv(&fts, rootfd, from_lock_dir != NULL, &argv,
                          err) < 0) {
            err_prefix(err, "%s: installing %s", p->tool, espec);
            goto out;
        }
        code = run_phase(&pc, "F", &argv, true, err);
    }
    if (code != 0) {
        if (code < -1)
            goto out;  /* the image lacks the installer: one line */
        struct install_lockcheck flc = {.allow = allow,
                                        .n_allow = pc.hosts.n};
        int why = code > 0 ? why_fetch_failed(&pc, log, &flc, espec, err)
                           : 0;
        if (why < 0)
            goto out;  /* one line says it all */
        if (code > 0 && why == 0)
            err_set(err, 0, "%s: installing %s failed: %s exited with %d "
                    "while fetching from %s", p->tool, espec, d->program,
                    code, hosts_text);
        goto fail_log;
    }
    struct install_lockcheck lc = {.allow = allow, .n_allow = pc.hosts.n};
    {
        _cleanup_close_ int cfd = open(cache, O_RDONLY | O_DIRECTORY |
                                       O_NOFOLLOW | O_CLOEXEC);
        if (cfd < 0) {
            err_set(err, errno, "%s: cannot open it", cache);
            goto out;
        }
        if (d->check_lock(rootfd, cfd, &lc, &scripts, err) < 0) {
            err_prefix(err, "%s: installing %s", p->tool, espec);
            goto out;
        }
    }

    /* B: build, no network, only the scripts allowed */
    for (size_t i = 0; i < scripts.n; i++) {
        if (streq(scripts.v[i], ts->name) ||
            strvec_contains(&p->allow_scripts, scripts.v[i]))
            strvec_push(&run_scripts, scripts.v[i]);
        else
            strvec_push(&skipped, scripts.v[i]);
    }
    for (size_t i = 0; i < skipped.n; i++) {
        _cleanup_free_ char *e = str_escape(skipped.v[i]);
        _cleanup_free_ char *c = str_escape(p->config_path);
        say(p, "package %s has an install script; not run (to run it "
            "offline, add \"install\": {\"allow_scripts\": [\"%s\"]} to %s)",
            e, e, c);
    }
    if (d->always_build || run_scripts.n) {
        strvec_clear(&argv);
        d->build_argv(&run_scripts, &argv);
        _cleanup_free_ char *names = strvec_join(&run_scripts, ", ");
        _cleanup_free_ char *en = str_escape(names);
        if (run_scripts.n)
            say(p, "building: the install scripts of %s, without network",
                en);
        else
            say(p, "unpacking, without network (no package scripts run)");
        code = 0;
        if (d->pre_build_argv) {
            struct strvec pre = STRVEC_INIT;
            d->pre_build_argv(&pre);
            code = run_phase(&pc, "B", &pre, false, err);
            strvec_clear(&pre);
        }
        if (code == 0)
            code = run_phase(&pc, "B", &argv, false, err);
        if (code != 0) {
            if (code < -1)
                goto out;
            if (code > 0 && run_scripts.n)
                err_set(err, 0, "%s: installing %s failed: the install "
                        "scripts of %s exited with %d", p->tool, espec, en,
                        code);
            else if (code > 0)
                err_set(err, 0, "%s: installing %s failed: %s exited with "
                        "%d while unpacking", p->tool, espec, argv.v[0],
                        code);
            goto fail_log;
        }
    }

    if (d->finish && d->finish(rootfd, err) < 0)
        goto out;
    /* describe it, then put it in place */
    if (d->version(rootfd, ts, &version, err) < 0) {
        err_prefix(err, "%s: installing %s", p->tool, espec);
        goto out;
    }
    char lockhash[13];
    if (file_hash12(rootfd, d->lock, lockhash, err) < 0)
        goto out;
    if (manifest_build(rootfd, &mf, err) < 0) {
        err_prefix(err, "%s: installing %s", p->tool, espec);
        goto out;
    }
    extra = json_object();
    json_object_set_new(extra, "spec", json_string(p->spec));
    json_object_set_new(extra, "driver", json_string(d->name));
    json_object_set_new(extra, "package", json_string(ts->name));
    json_object_set_new(extra, "package_version", json_string(version));
    if (from_lock_dir && d->resolve) {
        /* again from the lock: the range the first install resolved */
        _cleanup_free_ char *opath = path_join(from_lock_dir, INSTALL_RECORD);
        _cleanup_free_ char *otext = NULL;
        size_t olen = 0;
        coco_err ignore = {0};
        json_t *ox = read_file(opath, &otext, &olen, 1u << 20, &ignore) == 0
                         ? json_loadb(otext, olen, 0, NULL)
                         : NULL;
        const char *orange = json_string_value(json_object_get(ox, "range"));
        if (orange && !range)
            range = xstrdup(orange);
        json_decref(ox);
    }
    if (rt)
        json_object_set_new(extra, "runtime", json_string(p->install_runtime));
    /* what a resolved version (node@lts) became */
    if (range)
        json_object_set_new(extra, "range", json_string(range));
    json_object_set_new(extra, "lock", json_string(d->lock));
    json_object_set_new(extra, "lock_sha256_12", json_string(lockhash));
    json_object_set_new(extra, "installed_at",
                        json_integer((json_int_t)time(NULL)));
    json_t *ran = json_array(), *skip = json_array();
    for (size_t i = 0; i < run_scripts.n; i++)
        json_array_append_new(ran, json_string(run_scripts.v[i]));
    for (size_t i = 0; i < skipped.n; i++)
        json_array_append_new(skip, json_string(skipped.v[i]));
    json_object_set_new(extra, "scripts_run", ran);
    json_object_set_new(extra, "scripts_not_run", skip);
    {
        _cleanup_free_ char *mpath = path_join(tmp, "manifest.json");
        _cleanup_free_ char *lpath = path_join(tmp, d->lock);
        _cleanup_free_ char *ppath = d->manifest_file
                                         ? path_join(tmp, d->manifest_file)
                                         : NULL;
        _cleanup_free_ char *ipath = path_join(tmp, INSTALL_RECORD);
        char fp[65];
        manifest_fingerprint(&mf, fp);
        json_object_set_new(extra, "tree_sha256", json_string(fp));
        size_t nfiles = 0;
        for (size_t i = 0; i < mf.n; i++)
            nfiles += mf.e[i].type == MF_FILE;
        json_object_set_new(extra, "files", json_integer((json_int_t)nfiles));
        json_object_set_new(extra, "bytes",
                            json_integer((json_int_t)mf.total_size));
        _cleanup_free_ char *rec = json_dumps(extra, JSON_INDENT(1) |
                                              JSON_PRESERVE_ORDER);
        if (copy_file_at(rootfd, d->lock, lpath, err) < 0 ||
            (ppath && copy_file_at(rootfd, d->manifest_file, ppath,
                                   err) < 0) ||
            manifest_write(&mf, mpath, extra, err) < 0 ||
            write_file_atomic(ipath, rec, strlen(rec), 0600, true, err) < 0)
            goto out;
    }
    /* version names come from the package: checked by d->version */
    vname = xasprintf("%s-%s", version, lockhash);
    final = xasprintf("v/%s", vname);
    cur = current_name(envfd);
    tmprel = xasprintf("v/%s", tmpname);
    if (cur && !from_lock_dir) {
        _cleanup_free_ char *olddir = path_join(envdir, cur);
        say_changes(p, d, olddir, rootfd, &scripts);
    }
    if (cur && strcmp(cur, final) == 0) {
        /* the same install again (a damaged one, reinstalled): the old
         * one goes aside first, and is removed below */
        _cleanup_free_ char *aside = xasprintf("v/.old-%s", tmpname + 5);
        if (renameat(envfd, final, envfd, aside) < 0) {
            err_set(err, errno, "%s/%s: cannot move it aside", envdir,
                    final);
            goto out;
        }
    } else if (remove_tree_at(envfd, final) < 0) {
        err_set(err, errno, "%s/%s: cannot remove an old copy", envdir,
                final);
        goto out;
    }
    if (renameat(envfd, tmprel, envfd, final) < 0) {
        err_set(err, errno, "%s: cannot rename it to %s", tmp, final);
        goto out;
    }
    free(tmp);
    tmp = NULL;
    /* switch: a new link renamed over the old one */
    lnk = xasprintf(ENV_LINK ".%s", tmpname + 5);
    unlinkat(envfd, lnk, 0);
    if (symlinkat(final, envfd, lnk) < 0 ||
        renameat(envfd, lnk, envfd, ENV_LINK) < 0) {
        err_set(err, errno, "%s/%s: cannot switch it to %s", envdir,
                ENV_LINK, final);
        unlinkat(envfd, lnk, 0);
        goto out;
    }
    fsync(envfd);
    remove_stale(envfd, vname);
    char sz[32];
    ev = str_escape(version);
    size_t files = 0;
    for (size_t i = 0; i < mf.n; i++)
        files += mf.e[i].type == MF_FILE;
    fmt_mib(mf.total_size, sz, sizeof sz);
    say(p, "installed %s %s: %zu files, %s, in %.1f s (log: %s)", ts->name,
        ev, files, sz,
        (double)(mono_ms() - t0) / 1000.0, log);
    ret = 0;
    goto out;

fail_log:
    if (pc.logfd >= 0 && log) {
        fprintf(stderr, "coco: %s: the install log's last lines:\n",
                p->tool);
        log_tail(log, 15);
        err_prefix(err, "full log: %s", log);
    }
out:
    if (tmp) {
        /* nothing half-done stays: a failed install leaves no tree */
        _cleanup_close_ int vfd = openat(envfd, "v", O_RDONLY |
                                         O_DIRECTORY | O_CLOEXEC);
        if (vfd >= 0 && tmpname)
            remove_tree_at(vfd, tmpname);
    }
    if (rootfd >= 0)
        close(rootfd);
    if (pc.logfd >= 0)
        close(pc.logfd);
    json_decref(extra);
    manifest_free(&mf);
    strvec_clear(&scripts);
    strvec_clear(&run_scripts);
    strvec_clear(&skipped);
    strvec_clear(&argv);
    strvec_clear(&pc.hosts);
    free(allow);
    free(tmp);
    free(tmpname);
    free(root);
    free(cache);
    free(log);
    free(version);
    free(final);
    free(hosts_text);
    free(espec);
    free(vname);
    free(cur);
    free(tmprel);
    free(lnk);
    free(ev);
    free(range);
    free(rpath);
    free(rtext);
    return ret;
}

/* The check before a run: the tree's fingerprint now against the one
 * recorded (no manifest to load: a few milliseconds); when they differ,
 * the manifest says which path changed.  0 unchanged, 1 changed (ERR
 * names the path), -1 error. */
static int check_current(const struct install_env *e, coco_err *err)
{
    _cleanup_close_ int rfd = open(e->root, O_RDONLY | O_DIRECTORY |
                                   O_NOFOLLOW | O_CLOEXEC);
    if (rfd < 0)
        return err_set(err, errno, "%s: cannot open it", e->root);
    char now[65];
    if (manifest_tree_fingerprint(rfd, now, err) == 0 &&
        strcmp(now, e->tree_sha256) == 0)
        return 0;
    /* changed, or the walk refused what it found: the manifest names it */
    struct manifest m;
    _cleanup_free_ char *mpath = path_join(e->dir, "manifest.json");
    coco_err merr = {0};
    if (manifest_load(mpath, &m, NULL, &merr) < 0) {
        *err = merr;
        return -1;
    }
    char *changed = NULL;
    memset(err, 0, sizeof *err);
    int c = manifest_check_quick(&m, rfd, &changed, err);
    manifest_free(&m);
    if (c == 0) {
        err_set(err, 0, "%s/" INSTALL_RECORD ": its tree_sha256 does not "
                "match its manifest", e->dir);
        return 1;
    }
    if (c > 0) {
        _cleanup_free_ char *ec = str_escape(changed);
        err_set(err, 0, "%s", ec);
    }
    free(changed);
    return c;
}

/* When check_current() said C > 0: ERR, which names what changed, as
 * the refusal a run gets (an error, C < 0, is left as it is). */
static void changed_error(const struct policy *p, int c, coco_err *err)
{
    if (c <= 0)
        return;
    char what[sizeof err->msg / 2];
    size_t wl = strnlen(err->msg, sizeof what - 1);
    memcpy(what, err->msg, wl);
    what[wl] = '\0';
    err_set(err, 0, "%s: its install changed since coco made it (%s); not "
            "running it: `coco verify %s` checks every file, `coco install "
            "%s` installs it again", p->tool, what, p->tool, p->tool);
}

static int ensure_once(const struct policy *p, const struct host_ctx *ctx,
                       enum install_mode mode, const struct install_env *rt,
                       struct install_env *out, coco_err *err)
{
    *out = (struct install_env)INSTALL_ENV_INIT;
    struct tool_spec ts;
    if (tool_spec_parse(p->spec, &ts) < 0)
        return err_set(err, 0, "%s: tool: no install spec", p->config_path);
    const struct install_driver *d = install_driver_spec(&ts);
    int ret = -1, envfd = -1, lockfd = -1;
    char *envdir = NULL, *from = NULL, *from_hash = NULL;
    json_t *extra = NULL;
    if (!d) {
        err_set(err, 0, "%s: tool: coco cannot install \"%s\" itself yet",
                p->config_path, p->spec);
        goto out;
    }
    const char *why = NULL;
    if (!install_applies(p, &why)) {
        err_set(err, 0, "%s: not installed by coco: %s", p->tool, why);
        goto out;
    }
    if (runtime_is_engine(p->runtime) && d->native_only) {
        err_set(err, 0, "%s: coco installs %s: tools on the native runtime "
                "only (a .deb's needs are judged by the host's dpkg, and a "
                "%s container has the image's libraries): run it with "
                "--runtime native, or name an image that has %s (\"image\" "
                "in %s)", p->tool, d->name, runtime_name(p->runtime),
                ts.name, p->config_path);
        goto out;
    }
    envfd = env_dir_open(p->tool, true, &envdir, err);
    if (envfd < 0)
        goto out;
    /* one install at a time; a second waits for the first */
    lockfd = openat(envfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW |
                    O_CLOEXEC, 0600);
    if (lockfd < 0) {
        err_set(err, errno, "%s/.lock: cannot open it", envdir);
        goto out;
    }
    if (flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
        say(p, "waiting for another install of this tool to finish");
        if (flock(lockfd, LOCK_EX) < 0) {
            err_set(err, errno, "%s/.lock", envdir);
            goto out;
        }
    }
    int have = load_env(envdir, envfd, out, NULL, (json_t **)&extra, err);
    if (have < 0) {
        /* a record coco cannot read: reinstall rather than trust */
        _cleanup_free_ char *e = xstrdup(err->msg);
        say(p, "the current install is unreadable (%s); installing again",
            e);
        memset(err, 0, sizeof *err);
        have = 0;
    }
    /* the spec, and the runtime its scripts were built with */
    bool same_spec = have > 0 && streq(out->spec, p->spec) &&
                     streq(out->runtime_spec, rt ? p->install_runtime : NULL);
    if (have > 0 && same_spec && mode == INSTALL_IF_NEEDED) {
        int c = check_current(out, err);
        if (c != 0) {
            changed_error(p, c, err);
            goto out;
        }
        ret = 0;
        goto out;
    }
    /* reinstall from the lock; a changed spec or an upgrade resolves anew */
    if (have > 0 && same_spec && mode == INSTALL_REINSTALL) {
        const char *h = json_string_value(json_object_get(extra,
                                                          "lock_sha256_12"));
        _cleanup_free_ char *pj = d->manifest_file
                                      ? path_join(out->dir, d->manifest_file)
                                      : NULL;
        _cleanup_free_ char *lk = path_join(out->dir, d->lock);
        if (h && (!pj || access(pj, R_OK) == 0) && access(lk, R_OK) == 0) {
            from = xstrdup(out->dir);
            from_hash = xstrdup(h);
        }
    }
    json_decref(extra);
    extra = NULL;
    if (have > 0 && !same_spec && !streq(out->spec, p->spec)) {
        _cleanup_free_ char *o = str_escape(out->spec);
        _cleanup_free_ char *n = str_escape(p->spec);
        say(p, "the config's tool changed from %s to %s", o, n);
    } else if (have > 0 && !same_spec) {
        _cleanup_free_ char *o = str_escape(out->runtime_spec
                                                ? out->runtime_spec
                                                : "(the host's node)");
        _cleanup_free_ char *n = str_escape(rt ? p->install_runtime
                                               : "(the host's node)");
        say(p, "the config's install.runtime changed from %s to %s", o, n);
    }
    install_env_free(out);
    if (do_install(p, ctx, d, &ts, envfd, envdir, from, from_hash, rt,
                   err) < 0)
        goto out;
    if (load_env(envdir, envfd, out, NULL, NULL, err) <= 0) {
        if (!err->msg[0])
            err_set(err, 0, "%s: the install vanished", envdir);
        goto out;
    }
    ret = 0;
out:
    json_decref(extra);
    if (ret < 0)
        install_env_free(out);
    if (lockfd >= 0)
        close(lockfd);
    if (envfd >= 0)
        close(envfd);
    free(envdir);
    free(from);
    free(from_hash);
    tool_spec_free(&ts);
    return ret;
}

int install_verify(const char *tool, char **changed, coco_err *err)
{
    *changed = NULL;
    _cleanup_free_ char *envdir = NULL;
    int envfd = env_dir_open(tool, false, &envdir, err);
    if (envfd <= 0)
        return envfd < 0 ? -1
                         : err_set(err, 0, "%s: not installed by coco", tool);
    struct install_env e = INSTALL_ENV_INIT;
    struct manifest mf = {0};
    int r = load_env(envdir, envfd, &e, &mf, NULL, err);
    close(envfd);
    if (r <= 0) {
        install_env_free(&e);
        return r < 0 ? -1 : err_set(err, 0, "%s: not installed by coco",
                                    tool);
    }
    _cleanup_close_ int rfd = open(e.root, O_RDONLY | O_DIRECTORY |
                                   O_NOFOLLOW | O_CLOEXEC);
    if (rfd < 0)
        r = err_set(err, errno, "%s: cannot open it", e.root);
    else
        r = manifest_check_full(&mf, rfd, changed, err);
    manifest_free(&mf);
    install_env_free(&e);
    return r;
}

int install_remove(const char *tool, coco_err *err)
{
    _cleanup_free_ char *envdir = NULL;
    int envfd = env_dir_open(tool, false, &envdir, err);
    if (envfd <= 0)
        return envfd;
    _cleanup_close_ int lockfd = openat(envfd, ".lock", O_RDWR | O_CREAT |
                                        O_NOFOLLOW | O_CLOEXEC, 0600);
    _cleanup_close_ int use = openat(envfd, ".use.lock", O_RDWR | O_CREAT |
                                     O_NOFOLLOW | O_CLOEXEC, 0600);
    close(envfd);
    if (lockfd < 0 || use < 0 || flock(lockfd, LOCK_EX | LOCK_NB) < 0 ||
        flock(use, LOCK_EX | LOCK_NB) < 0)
        return err_set(err, 0, "%s: it is being installed or run; try again "
                       "when it is done", tool);
    _cleanup_free_ char *envs = paths_envs_dir();
    _cleanup_close_ int efd = open(envs, O_RDONLY | O_DIRECTORY |
                                   O_NOFOLLOW | O_CLOEXEC);
    if (efd < 0 || remove_tree_at(efd, tool) < 0)
        return err_set(err, errno, "%s: cannot remove it", envdir);
    return 1;
}

/* The use lock, shared, then a look whether CURRENT still is what was
 * checked: an install that switched meanwhile may remove it. */
static int hold_current(const char *tool, struct install_env *e)
{
    _cleanup_free_ char *envdir = NULL;
    coco_err ignore = {0};
    int envfd = env_dir_open(tool, false, &envdir, &ignore);
    if (envfd <= 0)
        return -1;
    int use = openat(envfd, ".use.lock", O_RDWR | O_CREAT | O_NOFOLLOW |
                     O_CLOEXEC, 0600);
    if (use < 0 || flock(use, LOCK_SH) < 0) {
        if (use >= 0)
            close(use);
        close(envfd);
        return -1;
    }
    _cleanup_free_ char *cur = current_name(envfd);
    close(envfd);
    _cleanup_free_ char *dir = cur ? path_join(envdir, cur) : NULL;
    if (!dir || strcmp(dir, e->dir) != 0) {
        close(use);
        return 0;
    }
    e->use_fd = use;
    return 1;
}

/* A run's way in: the current install, if it is of P's spec and may
 * serve P's runtime, checked, with the use lock held shared (so no
 * install removes it meanwhile).  No install lock (runs of one tool do
 * not queue behind each other), nothing created.  1 ready (OUT filled),
 * 0 an install is needed (the locked way decides), -1 changed or an
 * error. */
static int use_current(const struct policy *p, struct install_env *out,
                       coco_err *err)
{
    *out = (struct install_env)INSTALL_ENV_INIT;
    const struct install_driver *d = driver_of(p->spec);
    if (!d || (runtime_is_engine(p->runtime) && d->native_only))
        return 0;
    _cleanup_free_ char *envdir = NULL;
    coco_err ignore = {0};
    int envfd = env_dir_open(p->tool, false, &envdir, &ignore);
    if (envfd <= 0)
        return 0;
    int use = openat(envfd, ".use.lock", O_RDWR | O_CREAT | O_NOFOLLOW |
                     O_CLOEXEC, 0600);
    int have = use >= 0 && flock(use, LOCK_SH) == 0
                   ? load_env(envdir, envfd, out, NULL, NULL, &ignore)
                   : 0;
    close(envfd);
    if (have <= 0 || !streq(out->spec, p->spec) ||
        !streq(out->runtime_spec, runtime_of(p))) {
        if (use >= 0)
            close(use);
        install_env_free(out);
        return 0;
    }
    int c = check_current(out, err);
    if (c != 0) {
        close(use);
        install_env_free(out);
        changed_error(p, c, err);
        return -1;
    }
    out->use_fd = use;
    return 1;
}

static int ensure_tool(const struct policy *p, const struct host_ctx *ctx,
                       enum install_mode mode, const struct install_env *rt,
                       struct install_env *out, coco_err *err);

int install_ensure(const struct policy *p, const struct host_ctx *ctx,
                   enum install_mode mode, struct install_env *out,
                   coco_err *err)
{
    *out = (struct install_env)INSTALL_ENV_INIT;
    struct install_env *rt = NULL;
    if (runtime_of(p)) {
        /* the runtime first (phase B runs on it): installed once per
         * spec for all the user's tools, checked before every run */
        rt = xmalloc(sizeof *rt);
        *rt = (struct install_env)INSTALL_ENV_INIT;
        struct policy rp = *p;
        rp.tool = xasprintf(RUNTIME_TOOL_PREFIX "%s", p->install_runtime);
        rp.spec = p->install_runtime;
        rp.install_runtime = NULL;
        rp.allow_scripts = (struct strvec)STRVEC_INIT;
        /* `coco install TOOL` installs its runtime again too (from
         * its lock: a damaged one is put right) */
        int r = ensure_tool(&rp, ctx, mode, NULL, rt, err);
        free(rp.tool);
        if (r < 0) {
            _cleanup_free_ char *es = str_escape(p->install_runtime);
            err_prefix(err, "%s: install.runtime %s", p->tool, es);
            free(rt);
            return -1;
        }
    }
    if (ensure_tool(p, ctx, mode, rt, out, err) < 0) {
        if (rt) {
            install_env_free(rt);
            free(rt);
        }
        return -1;
    }
    out->runtime = rt;
    return 0;
}

static int ensure_tool(const struct policy *p, const struct host_ctx *ctx,
                       enum install_mode mode, const struct install_env *rt,
                       struct install_env *out, coco_err *err)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r = mode == INSTALL_IF_NEEDED ? use_current(p, out, err) : 0;
    if (r < 0)
        return -1;
    for (int tries = 0; r == 0 && tries < 3; tries++) {
        if (ensure_once(p, ctx, tries ? INSTALL_IF_NEEDED : mode, rt, out,
                        err) < 0)
            return -1;
        int h = hold_current(p->tool, out);
        if (h > 0) {
            r = 1;
            break;
        }
        install_env_free(out);
        if (h < 0)
            return err_set(err, errno, "%s: cannot lock its install",
                           p->tool);
    }
    if (r == 0)
        return err_set(err, 0, "%s: its install keeps changing (another "
                       "coco installs it); try again", p->tool);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (coco_debug)
        debug("install: %s %s, loaded and checked in %.2f ms", p->tool,
              out->version,
              (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    return 0;
}

int install_describe(const struct policy *p, FILE *o)
{
    const char *why = NULL;
    int risks = 0;
    _cleanup_free_ char *es = str_escape(p->spec);
    _cleanup_free_ char *py = NULL;
    coco_err perr = {0};
    int pyc = runtime_is_engine(p->runtime)
                  ? 0 : python_host_check(p->spec, NULL, &py, &perr);
    if (pyc > 0) {
        _cleanup_free_ char *ep = str_escape(py);
        fprintf(o, "install    %s: the host's %s (coco installs no Python)\n",
                es, ep);
        return 0;
    }
    if (pyc < 0) {
        fprintf(o, "install    %s: cannot run here: %s\n", es, perr.msg);
        return 1;
    }
    if (!install_handles(p->spec, &why)) {
        fprintf(o, "install    %s: %s\n", es, why);
        return 0;
    }
    bool engine = runtime_is_engine(p->runtime);
    _cleanup_free_ char *ei = engine ? str_escape(p->image) : NULL;
    if (!install_applies(p, &why)) {
        fprintf(o, "install    %s: not installed by coco: on %s the program "
                   "comes from the config's image %s\n",
                es, runtime_name(p->runtime), ei);
        return 0;
    }
    struct tool_spec ts;
    if (tool_spec_parse(p->spec, &ts) < 0)
        return 0;
    const struct install_driver *d = install_driver_spec(&ts);
    if (engine && d->native_only) {
        fprintf(o, "install    %s: coco installs %s: tools on the native "
                   "runtime only;\n           a %s run refuses it (run it "
                   "with --runtime native, or name an image that has it)\n",
                es, d->name, runtime_name(p->runtime));
        tool_spec_free(&ts);
        return 0;
    }
    struct install_env e = INSTALL_ENV_INIT;
    coco_err err = {0};
    int have = install_current(p->tool, &e, &err);
    char sz[32];
    if (have > 0 && streq(e.spec, p->spec)) {
        _cleanup_free_ char *ev = str_escape(e.version);
        _cleanup_free_ char *ed = str_escape(e.dir);
        fmt_mib(e.bytes, sz, sizeof sz);
        fprintf(o, "install    %s: installed %s %s (%llu files, %s) in %s,\n"
                   "           read-only at " INSTALL_MOUNT "%s, %s first on "
                   "PATH\n", es, ts.name, ev, (unsigned long long)e.files,
                sz, ed, engine ? " in the container" : "", d->bin);
        if (d->resolve_rule && e.range) {
            _cleanup_free_ char *er = str_escape(e.range);
            fprintf(o, "           resolved to %s@%s when installed: %s\n",
                    ts.name, er, d->resolve_rule);
        }
    } else {
        struct strvec hs = STRVEC_INIT;
        coco_err herr = {0};
        for (size_t i = 0; d->hosts[i]; i++)
            strvec_push(&hs, d->hosts[i]);
        if (d->find_hosts && d->find_hosts(&hs, &herr) < 0)
            strvec_push(&hs, "(none: see below)");
        fprintf(o, "install    %s: %s; the next run installs it", es,
                have > 0 ? "the config's spec changed" : "not installed yet");
        if (engine)
            fprintf(o, " in %s containers\n           of %s (its %s; "
                       "the install is bind-mounted from the host)",
                    runtime_name(p->runtime), ei, d->program);
        fprintf(o, ":\n           fetch from ");
        for (size_t i = 0; i < hs.n; i++) {
            _cleanup_free_ char *eh = str_escape(hs.v[i]);
            fprintf(o, "%s%s", i ? ", " : "", eh);
        }
        strvec_clear(&hs);
        for (size_t i = 0; i < p->install_hosts.n; i++)
            fprintf(o, ", %s", p->install_hosts.v[i]);
        for (size_t i = 0; i < p->net.allowed_hosts.n; i++)
            fprintf(o, ", %s", p->net.allowed_hosts.v[i]);
        if (d->always_build)
            fprintf(o, " (no package code runs),\n           then unpack "
                       "without network (no package scripts run)\n");
        else if (d->resolve_rule)
            fprintf(o, " (no package code runs);\n           %s\n",
                    d->resolve_rule);
        else
            fprintf(o, " (no package code runs),\n           then build "
                       "without network (install scripts of %s only)\n",
                    ts.name);
        if (herr.msg[0]) {
            _cleanup_free_ char *em = str_escape(herr.msg);
            fprintf(o, "  ! %s\n", em);
        }
    }
    if (have < 0) {
        _cleanup_free_ char *em = str_escape(err.msg);
        fprintf(o, "  ! its install cannot be read: %s\n", em);
    }
    if (runtime_of(p)) {
        /* the runtime it runs on (install.runtime) */
        _cleanup_free_ char *er = str_escape(p->install_runtime);
        _cleanup_free_ char *rtool = xasprintf(RUNTIME_TOOL_PREFIX "%s",
                                               p->install_runtime);
        struct install_env r = INSTALL_ENV_INIT;
        coco_err rerr = {0};
        if (install_current(rtool, &r, &rerr) > 0 &&
            streq(r.spec, p->install_runtime)) {
            _cleanup_free_ char *ev = str_escape(r.version);
            _cleanup_free_ char *ed = str_escape(r.dir);
            fprintf(o, "           runs on %s (install.runtime): node %s in "
                       "%s,\n           read-only at " RUNTIME_MOUNT
                       ", %s before the tool's on PATH (also for its "
                       "install scripts)\n", er, ev, ed, r.bin);
        } else {
            fprintf(o, "           runs on %s (install.runtime): not "
                       "installed yet; the next run installs it from the "
                       "npm registry\n", er);
        }
        install_env_free(&r);
    }
    for (size_t i = 0; i < p->allow_scripts.n; i++) {
        _cleanup_free_ char *ep = str_escape(p->allow_scripts.v[i]);
        fprintf(o, "  ! RISK: install.allow_scripts: %s's install scripts run "
                   "when coco installs the tool (offline, writing only its "
                   "install)\n", ep);
        risks++;
    }
    install_env_free(&e);
    tool_spec_free(&ts);
    return risks;
}
