/* policy.c — resolve config + environment + flags into one struct.
 *
 * This is the only place that reads the environment for a run; the
 * backends see the finished struct.  Everything a user can express is
 * checked here, before any fork, so that `coco show` and `--dry-run`
 * describe exactly what a run would do.
 */
#include "policy.h"
#include "install.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "engine_args.h"
#include "hostpath.h"
#include "net.h"
#include "paths.h"
#include "protect.h"
#include "spawn.h"
#include "sys.h"

extern char **environ;

const char *env_lookup(char *const *env, const char *name)
{
    size_t n = strlen(name);
    for (; env && *env; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
            return *env + n + 1;
    return NULL;
}

static bool env_true(char *const *env, const char *name)
{
    const char *v = env_lookup(env, name);
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

static char *fd_path(int fd);

int host_ctx_from_process(struct host_ctx *ctx, coco_err *err)
{
    memset(ctx, 0, sizeof *ctx);
    int cfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    char *cwd = cfd < 0 ? NULL : fd_path(cfd);
    if (!cwd) {
        int e = errno;
        if (cfd >= 0)
            close(cfd);
        return err_set(err, e, "cannot read the current directory");
    }
    ctx->cwd = cwd;
    ctx->cwd_fd = cfd;
    ctx->have_cwd_fd = true;
    char *home = paths_home();
    if (!home) {
        free(cwd);
        close(cfd);
        ctx->cwd = NULL;
        return err_set(err, 0, "HOME is not set and the user has no home "
                               "directory; set HOME");
    }
    ctx->home = home;
    ctx->uid = getuid();
    ctx->gid = getgid();
    ctx->stdin_tty = isatty(0);
    ctx->stdout_tty = isatty(1);
    ctx->environ = environ;
    ctx->pid = getpid();
    ctx->podman_rootless = geteuid() != 0;
    ctx->cgroup2_controllers = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
    return 0;
}

void host_ctx_release(struct host_ctx *ctx)
{
    if (ctx->have_cwd_fd)
        close(ctx->cwd_fd);
    free((char *)ctx->cwd);
    free((char *)ctx->home);
    memset(ctx, 0, sizeof *ctx);
}

static char *expand_src(const char *src, const struct host_ctx *ctx)
{
    return hostpath_expand(src, ctx->home, ctx->cwd);
}

/* The trusted directory a mount source is resolved from: the current
 * directory or the home directory when the (lexical) path lies below one
 * of them -- the deeper one wins -- else "/".  The current directory is
 * the descriptor host_ctx_from_process() opened (the shell's own, not a
 * path someone could swap); $HOME is opened by its name, whose parents
 * only root can change; every
 * component below it is walked without following any, so a tool that can
 * write a mount source cannot turn it into a symlink that the next run
 * would bind.  *REL gets the part below the anchor (a suffix of ABS). */
static int open_anchor(const char *abs, const struct host_ctx *ctx,
                       const char **rel, bool *may_create)
{
    const char *base = "/";
    if (strcmp(ctx->home, "/") != 0 && path_is_within(abs, ctx->home))
        base = ctx->home;
    if (strcmp(ctx->cwd, "/") != 0 && path_is_within(abs, ctx->cwd) &&
        strlen(ctx->cwd) > strlen(base))
        base = ctx->cwd;
    *may_create = strcmp(base, "/") != 0;
    *rel = abs + (strcmp(base, "/") == 0 ? 1 : strlen(base));
    while (**rel == '/')
        (*rel)++;
    if (base == ctx->cwd && ctx->have_cwd_fd)
        return fcntl(ctx->cwd_fd, F_DUPFD_CLOEXEC, 3);
    return open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* The reason open_nofollow() failed, in words that say what to do. */
static int mount_open_error(const struct config *cfg, size_t i, const char *abs,
                            int anchor, const char *rel, int e, coco_err *err)
{
    char comp[PATH_MAX], target[PATH_MAX];
    if (e == ELOOP && find_symlink(anchor, rel, comp, sizeof comp, target,
                                   sizeof target) == 0)
        return err_set(err, 0, "%s: mounts[%zu].src: %s: the component %s is "
                       "a symbolic link (to %s); coco does not follow "
                       "symlinks in mount sources, since a tool that can "
                       "write there could redirect the next run; name the "
                       "real path in the config", cfg->path, i, abs,
                       comp, target);
    if (e == ELOOP)
        return err_set(err, 0, "%s: mounts[%zu].src: %s: a component is a "
                       "symbolic link; coco does not follow symlinks in "
                       "mount sources; name the real path in the config",
                       cfg->path, i, abs);
    if (e == ENOENT)
        return err_set(err, 0, "%s: mounts[%zu].src: %s does not exist (coco "
                       "creates missing directories only below your home or "
                       "the current directory, and never a missing file)",
                       cfg->path, i, abs);
    return err_set(err, e, "%s: mounts[%zu].src: cannot open %s", cfg->path,
                   i, abs);
}

/* The path of what FD holds, as the kernel names it: absolute, without
 * symlinks.  Newly allocated, or NULL. */
static char *fd_path(int fd)
{
    char link[64], buf[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n <= 0 || buf[0] != '/')
        return NULL;
    buf[n] = '\0';
    return xstrdup(buf);
}

static int resolve_mount(const struct config *cfg, size_t i,
                         const struct host_ctx *ctx, bool describe_only,
                         struct policy_mount *pm, coco_err *err)
{
    const struct config_mount *cm = &cfg->mounts[i];
    pm->fd = -1;
    pm->index = i;
    _cleanup_free_ char *abs = expand_src(cm->src, ctx);
    if (!abs)
        return err_set(err, 0, "%s: mounts[%zu].src: \"%s\" cannot be resolved",
                       cfg->path, i, cm->src);
    /* Before anything is opened or created: a directory squatting
     * an engine socket's path would break the engine later. */
    const char *rt = env_lookup(ctx->environ, "XDG_RUNTIME_DIR");
    char buf[PATH_MAX + 96];
    const char *why = hostpath_engine(abs, ctx->home, rt, buf, sizeof buf);
    if (why)
        return err_set(err, 0, "%s: mounts[%zu].src: %s %s; refusing",
                       cfg->path, i, abs, why);
    if (strcmp(cm->dst, "/tmp") == 0 || strcmp(cm->dst, COCO_CACHE_DIR) == 0)
        return err_set(err, 0, "%s: mounts[%zu].dst: %s is managed by coco; "
                               "choose another destination", cfg->path, i, cm->dst);
    /* Above coco's own mounts, a bind would hide them (the tool's home
     * would live in your files) and make the engine create their mount
     * points in its source. */
    static const char *const own[] = {COCO_CONTAINER_HOME, COCO_CACHE_DIR};
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
        if (path_is_within(own[k], cm->dst))
            return err_set(err, 0, "%s: mounts[%zu].dst: %s would hold coco's "
                           "own %s; choose a destination beside it",
                           cfg->path, i, cm->dst, own[k]);
    pm->dst = xstrdup(cm->dst);
    pm->ro = (cm->opts & MNT_RO) != 0;
    pm->opts = cm->opts;

    const char *rel;
    bool may_create;
    _cleanup_close_ int anchor = open_anchor(abs, ctx, &rel, &may_create);
    if (anchor < 0)
        return err_set(err, errno, "%s: mounts[%zu].src: cannot open the "
                       "directory %s is resolved from", cfg->path, i, abs);
    int fd = open_nofollow(anchor, rel, -1);
    if (fd < 0 && errno == ENOENT) {
        /* As the bash coco: a missing directory is created, private to
         * the user.  A missing file is never invented, nothing is created
         * outside the home or the current directory (nor at an engine
         * socket's path: checked above).  Describing (show, --dry-run)
         * changes nothing. */
        if (!may_create)
            return mount_open_error(cfg, i, abs, anchor, rel, ENOENT, err);
        if (describe_only) {
            pm->src = steal_pointer(&abs);
            pm->is_dir = true;
            pm->missing = true;
            pm->risky = hostpath_sensitive(pm->src, ctx->home);
            return 0;
        }
        fd = open_nofollow(anchor, rel, 0700);
    }
    if (fd < 0)
        return mount_open_error(cfg, i, abs, anchor, rel, errno, err);
    pm->fd = fd;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return err_set(err, errno, "%s: mounts[%zu].src: %s", cfg->path, i, abs);
    /* What was checked is what is mounted: the native backend binds this
     * descriptor; podman and docker get the kernel's name for it. */
    pm->src = fd_path(fd);
    if (!pm->src)
        return err_set(err, errno, "%s: mounts[%zu].src: cannot name %s",
                       cfg->path, i, abs);
    /* Again on the kernel's name for what was opened. */
    why = hostpath_engine(pm->src, ctx->home, rt, buf, sizeof buf);
    if (why)
        return err_set(err, 0, "%s: mounts[%zu].src: %s %s; refusing", cfg->path,
                       i, pm->src, why);
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return err_set(err, 0, "%s: mounts[%zu].src: %s is neither a directory "
                               "nor a regular file", cfg->path, i, pm->src);
    pm->is_dir = S_ISDIR(st.st_mode);
    pm->risky = hostpath_sensitive(pm->src, ctx->home);
    return 0;
}

/* What lies at DST (a sandbox path inside mount M) in M's source, found
 * from M's descriptor without following any symlink: *REL gets DST's part
 * below M, *ST its type.  0, or -1 with errno (ELOOP: a symlink). */
static int stat_below(const struct policy_mount *m, const char *dst,
                      const char **rel, struct stat *st)
{
    *rel = dst + strlen(m->dst);
    while (**rel == '/')
        (*rel)++;
    _cleanup_close_ int fd = open_nofollow(m->fd, *rel, -1);
    return fd < 0 ? -1 : fstat(fd, st);
}

/* A working directory inside a config mount must exist there: the
 * engines would create it (and its parents) in the user's files, and the
 * native sandbox cannot enter it. */
static int check_workdir(const struct config *cfg, const struct policy *p,
                         coco_err *err)
{
    for (size_t k = p->n_mounts; k-- > 0;) {  /* deepest first */
        const struct policy_mount *m = &p->mounts[k];
        if (!path_is_within(p->workdir, m->dst))
            continue;
        if (m->fd < 0 || !m->is_dir)
            return 0;
        const char *rel;
        struct stat st;
        if (stat_below(m, p->workdir, &rel, &st) < 0 || !S_ISDIR(st.st_mode))
            return err_set(err, 0, "%s: workdir: %s lies inside mounts[%zu] "
                           "(%s), where %s/%s is not a directory; coco never "
                           "creates it in your files: create it or change "
                           "\"workdir\"", cfg->path, p->workdir, m->index,
                           m->dst, m->src, rel);
        return 0;
    }
    return 0;
}

static size_t path_depth(const char *p)
{
    size_t n = 0;
    for (; *p; p++)
        n += *p == '/';
    return n;
}

/* Parents before children, as podman orders them: a mount whose
 * destination lies inside another's must come after it, or it is hidden.
 * Stable, so equal depths keep the config's order. */
static void sort_mounts(struct policy_mount *m, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct policy_mount cur = m[i];
        size_t d = path_depth(cur.dst), j = i;
        for (; j > 0 && path_depth(m[j - 1].dst) > d; j--)
            m[j] = m[j - 1];
        m[j] = cur;
    }
}

/* A mount inside another config mount needs its mount point to exist in
 * the outer mount's source already: creating it would write an empty
 * file or directory into the user's files (and through an idmapped mount
 * fails for root).  Checked without following symlinks, from the outer
 * source's descriptor. */
static int check_nested(const struct config *cfg, const struct policy *p,
                        size_t j, coco_err *err)
{
    const struct policy_mount *in = &p->mounts[j];
    if (in->missing)
        return 0;  /* describing: a run creates the source, and with it
                      what may be its own mount point (checked then) */
    for (size_t k = j; k-- > 0;) {
        const struct policy_mount *out = &p->mounts[k];
        if (!path_is_within(in->dst, out->dst) ||
            strcmp(in->dst, out->dst) == 0)
            continue;
        if (out->fd < 0)
            return 0;  /* describing a missing source: nothing to check */
        const char *rel;
        struct stat st;
        if (stat_below(out, in->dst, &rel, &st) < 0)
            return err_set(err, 0, "%s: mounts[%zu].dst: %s lies inside "
                           "mounts[%zu] (%s), where %s/%s %s; coco never "
                           "creates mount points in your files: create it "
                           "or choose a destination outside %s", cfg->path,
                           in->index, in->dst, out->index, out->dst,
                           out->src, rel, errno == ELOOP ? "is a symbolic "
                           "link" : "does not exist", out->dst);
        if (!!S_ISDIR(st.st_mode) != in->is_dir)
            return err_set(err, 0, "%s: mounts[%zu].dst: %s lies inside "
                           "mounts[%zu] (%s), where %s/%s is a %s, but the "
                           "source is a %s", cfg->path, in->index, in->dst,
                           out->index, out->dst, out->src, rel,
                           S_ISDIR(st.st_mode) ? "directory" : "file",
                           in->is_dir ? "directory" : "file");
        return 0;
    }
    return 0;
}

static void push_env(struct policy *p, const char *name, const char *value,
                     bool from_host)
{
    for (size_t i = 0; i < p->n_env; i++)
        if (strcmp(p->env[i].name, name) == 0) {
            free(p->env[i].value);
            p->env[i].value = xstrdup(value);
            p->env[i].from_host = from_host;
            return;
        }
    p->env = xrealloc(p->env, (p->n_env + 1) * sizeof *p->env);
    p->env[p->n_env].name = xstrdup(name);
    p->env[p->n_env].value = xstrdup(value);
    p->env[p->n_env].from_host = from_host;
    p->n_env++;
}

/* Container and volume names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
static char *oci_safe_name(const char *prefix, const char *tool, const char *suffix)
{
    char *s = xasprintf("%s%s%s", prefix, tool, suffix);
    for (char *c = s; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '.' || *c == '-'))
            *c = '-';
    return s;
}

/* Cache volumes.  The mapping from tool names must be injective: two
 * tools sharing a volume can rewrite each other's cached executables,
 * which is what "isolated" promises they cannot.  Bytes outside
 * [a-z0-9.-] (upper case included, and '_', the escape character itself)
 * are written as "_XX"; tools live under "coco-cache-t-", so the shared
 * volume "coco-cache-shared" is no tool's. */
#define VOLUME_PREFIX "coco-cache-"
#define VOLUME_TOOL_PREFIX VOLUME_PREFIX "t-"
#define VOLUME_SHARED VOLUME_PREFIX "shared"

static bool volume_plain(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

char *cache_volume_name(const char *tool)
{
    if (!tool)
        return xstrdup(VOLUME_SHARED);
    size_t n = strlen(tool);
    char *out = xmalloc(strlen(VOLUME_TOOL_PREFIX) + 3 * n + 1);
    char *o = stpcpy(out, VOLUME_TOOL_PREFIX);
    for (const char *c = tool; *c; c++) {
        if (volume_plain(*c))
            *o++ = *c;
        else
            o += sprintf(o, "_%02x", (unsigned char)*c);
    }
    *o = '\0';
    return out;
}

static int hex_lower(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *cache_volume_tool(const char *volume)
{
    if (!str_has_prefix(volume, VOLUME_TOOL_PREFIX))
        return NULL;
    const char *p = volume + strlen(VOLUME_TOOL_PREFIX);
    _cleanup_free_ char *tool = xmalloc(strlen(p) + 1);
    char *t = tool;
    while (*p) {
        int hi, lo;
        if (volume_plain(*p)) {
            *t++ = *p++;
        } else if (p[0] == '_' && (hi = hex_lower(p[1])) >= 0 &&
                   (lo = hex_lower(p[2])) >= 0) {
            /* Only the one spelling cache_volume_name() writes. */
            char c = (char)(hi << 4 | lo);
            if (c == '\0' || volume_plain(c))
                return NULL;
            *t++ = c;
            p += 3;
        } else {
            return NULL;
        }
    }
    *t = '\0';
    return tool_name_valid(tool) ? steal_pointer(&tool) : NULL;
}

bool cache_volume_is_ours(const char *volume)
{
    if (strcmp(volume, VOLUME_SHARED) == 0)
        return true;
    _cleanup_free_ char *tool = cache_volume_tool(volume);
    return tool != NULL;
}

/* What a config asks for that the native sandbox cannot give (yet), or
 * NULL.  P->net.mode is already resolved. */
static const char *native_unsupported(const struct config *cfg,
                                      const struct policy *p)
{
    (void)p;
    if (cfg->image)
        return "image: the native runtime runs the host's programs, not an "
               "image, and would ignore it; drop \"image\" to run natively";
    if (cfg->x11)
        return "x11: the native runtime does not share the X display";
    if (cfg->podman_args.n)
        return "podman_args: these options are for podman/docker, not the "
               "native runtime";
    if (cfg->ports.n)
        return "ports: the native runtime does not publish ports";
    return NULL;
}

int policy_env_runtime(char *const *env, enum runtime_kind *out, coco_err *err)
{
    const char *v = env_lookup(env, "COCO_RUNTIME");
    *out = RT_UNSET;
    if (!v || !*v)
        return 0;
    *out = runtime_parse(v);
    if (*out == RT_UNSET)
        return err_set(err, 0, "COCO_RUNTIME: \"%s\" is not a runtime (use "
                               "podman, docker or native)", v);
    return 0;
}

static int resolve_runtime(const struct config *cfg, const struct host_ctx *ctx,
                           const struct run_flags *flags, struct policy *p,
                           coco_err *err)
{
    enum runtime_kind envrt;
    if (policy_env_runtime(ctx->environ, &envrt, err) < 0)
        return -1;
    if (flags && flags->runtime != RT_UNSET) {
        p->runtime = flags->runtime;
        p->runtime_source = "--runtime";
    } else if (envrt != RT_UNSET) {
        p->runtime = envrt;
        p->runtime_source = "COCO_RUNTIME";
    } else if (cfg->runtime != RT_UNSET) {
        p->runtime = cfg->runtime;
        p->runtime_source = "config";
    } else {
        /* The native sandbox needs no daemon and starts fastest; fall back
         * to the engines where the kernel does not allow it. */
        p->runtime_source = "default";
        /* A config that names an image means a container. */
        /* ... and where they give a network mode it cannot. */
        char b1[512], b2[512];
        bool net_ok = !net_mode_missing(RT_NATIVE, p->net.mode, NULL, b1, sizeof b1) ||
                      net_mode_missing(RT_PODMAN, p->net.mode, NULL, b2, sizeof b2);
        if (ctx->native_available && !cfg->image && net_ok &&
            !native_unsupported(cfg, p)) {
            p->runtime = RT_NATIVE;
        } else {
            _cleanup_free_ char *pod = ctx->podman_bin ? NULL
                                       : spawn_find_program(ctx->environ, "podman");
            _cleanup_free_ char *dock = ctx->docker_bin ? NULL
                                        : spawn_find_program(ctx->environ, "docker");
            bool have_podman = ctx->podman_bin || pod;
            bool have_docker = ctx->docker_bin || dock;
            p->runtime = have_podman || !have_docker ? RT_PODMAN : RT_DOCKER;
        }
    }
    /* Never a run with less filtering than the config asked for; show
     * describes it all the same. */
    if (!(flags && flags->show) &&
        net_mode_check(p->runtime, p->net.mode, p->net.source, cfg->path, cfg->name,
                       err) < 0)
        return -1;
    if (p->runtime == RT_NATIVE) {
        const char *why = native_unsupported(cfg, p);
        if (why)
            return err_set(err, 0, "%s: %s; choose --runtime podman or docker",
                           cfg->path, why);
        return 0;
    }
    const char *given = p->runtime == RT_PODMAN ? ctx->podman_bin : ctx->docker_bin;
    const char *prog = runtime_name(p->runtime);
    p->engine_bin = given ? xstrdup(given) : spawn_find_program(ctx->environ, prog);
    if (!p->engine_bin) {
        if (flags && flags->dry_run) {
            p->engine_bin = xstrdup(prog);
        } else {
            return err_set(err, 0, "%s: not found in PATH; install it, or choose "
                                   "another runtime with --runtime or "
                                   "COCO_RUNTIME", prog);
        }
    }
    p->rootless = p->runtime == RT_PODMAN && ctx->podman_rootless;
    /* Rootless podman cannot delegate cgroup v1 controllers: it ignores
     * --memory and --pids-limit with a warning.  Say so instead of
     * promising limits that do not hold. */
    if (p->rootless && !ctx->cgroup2_controllers)
        p->limits_note = "NOT enforced: rootless podman ignores memory, pids "
                         "and cpu limits on cgroup v1";
    return 0;
}

static const char *image_check(const char *s)
{
    if (!*s || s[0] == '-' || strlen(s) > 512)
        return "not an image reference";
    for (const char *c = s; *c; c++)
        if (!(isalnum((unsigned char)*c) || strchr("/:@._-", *c)))
            return "not an image reference (letters, digits and / : @ . _ -)";
    return NULL;
}

/* The network mode and who chose it (the runtime's choice depends on
 * it), then what the mode reaches: allowed hosts, published ports. */
static int resolve_net(const struct config *cfg, const struct host_ctx *ctx,
                       struct policy *p, coco_err *err)
{
    struct policy_net *n = &p->net;
    n->mode = cfg->network == NET_UNSET ? NET_NONE : cfg->network;
    n->source = cfg->network == NET_UNSET ? "default" : "config";
    if (env_true(ctx->environ, "COCO_ALLOW_NETWORK") && n->mode != NET_HOST) {
        n->mode = NET_FULL;
        n->source = "COCO_ALLOW_NETWORK";
    }
    for (size_t i = 0; i < cfg->allowed_hosts.n; i++)
        strvec_push(&n->allowed_hosts, cfg->allowed_hosts.v[i]);
    for (size_t i = 0; i < cfg->private_ranges.n; i++)
        strvec_push(&n->private_ranges, cfg->private_ranges.v[i]);
    if (n->mode == NET_ALLOWED || n->mode == NET_FULL) {
        static const char *const ca[] = {POLICY_CA_VARS};
        for (size_t i = 0; i < sizeof ca / sizeof ca[0]; i++) {
            const char *v = env_lookup(ctx->environ, ca[i]);
            struct stat st;
            if (!v || v[0] != '/')
                continue;
            _cleanup_free_ char *real = realpath(v, NULL);
            if (real && stat(real, &st) == 0 && S_ISREG(st.st_mode))
                strvec_pushf(&n->ca_env, "%s=%s", ca[i], real);
        }
    }

    for (size_t i = 0; i < cfg->ports.n; i++)
        strvec_push(&n->ports, cfg->ports.v[i]);
    const char *extra = env_lookup(ctx->environ, "COCO_EXTRA_PORTS");
    if (!extra || !*extra)
        return 0;
    _cleanup_free_ char *copy = xstrdup(extra);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        const char *why = port_spec_check(t);
        if (why)
            return err_set(err, 0, "COCO_EXTRA_PORTS: \"%s\": %s", t, why);
        strvec_push(&n->ports, t);
    }
    if (n->mode == NET_NONE || n->mode == NET_HOST)
        return err_set(err, 0, "COCO_EXTRA_PORTS: %s has network \"%s\"; "
                               "publishing ports needs \"network\": \"full\"",
                       cfg->name, net_mode_name(n->mode));
    return 0;
}

static int resolve_image(const struct config *cfg, const struct host_ctx *ctx,
                         struct policy *p, coco_err *err)
{
    const char *envimg = env_lookup(ctx->environ, "COCO_IMAGE");
    if (cfg->image) {
        p->image = xstrdup(cfg->image);
        p->image_source = "config";
    } else if (envimg && *envimg) {
        const char *why = image_check(envimg);
        if (why)
            return err_set(err, 0, "COCO_IMAGE: \"%s\": %s", envimg, why);
        p->image = xstrdup(envimg);
        p->image_source = "COCO_IMAGE";
    } else {
        p->image = xstrdup(COCO_DEFAULT_IMAGE);
        p->image_source = "default";
    }
    return 0;
}

/* Every mount opened (resolve_mount), parents first, then the checks
 * that need them all: nesting and the working directory. */
static int resolve_mounts(const struct config *cfg, const struct host_ctx *ctx,
                          const struct run_flags *flags, struct policy *p,
                          coco_err *err)
{
    p->mounts = xcalloc(cfg->n_mounts, sizeof *p->mounts);
    for (size_t i = 0; i < cfg->n_mounts; i++) {
        int r = resolve_mount(cfg, i, ctx, flags && flags->dry_run,
                              &p->mounts[i], err);
        p->n_mounts = i + 1; /* so policy_free sees what was allocated */
        if (r < 0)
            return -1;
    }
    sort_mounts(p->mounts, p->n_mounts);
    for (size_t i = 0; i < p->n_mounts; i++)
        if (check_nested(cfg, p, i, err) < 0)
            return -1;
    return check_workdir(cfg, p, err);
}

/* Host values first, then the config's explicit values, which win; the
 * terminal and locale variables apart (locale_env). */
static void resolve_env(const struct config *cfg, const struct host_ctx *ctx,
                        struct policy *p)
{
    for (size_t i = 0; i < cfg->env_passthrough.n; i++) {
        const char *v = env_lookup(ctx->environ, cfg->env_passthrough.v[i]);
        if (v)
            push_env(p, cfg->env_passthrough.v[i], v, true);
    }
    for (size_t i = 0; i < cfg->n_env; i++)
        push_env(p, cfg->env[i].name, cfg->env[i].value, false);
    for (char *const *e = ctx->environ; e && *e; e++)
        if (str_has_prefix(*e, "TERM=") || str_has_prefix(*e, "LANG=") ||
            str_has_prefix(*e, "LANGUAGE=") || str_has_prefix(*e, "LC_"))
            strvec_push(&p->locale_env, *e);
}

static int resolve_x11(const struct config *cfg, const struct host_ctx *ctx,
                       struct policy *p, coco_err *err)
{
    p->x11 = cfg->x11;
    if (!p->x11)
        return 0;
    const char *d = env_lookup(ctx->environ, "DISPLAY");
    if (!d || !*d)
        return err_set(err, 0, "%s: x11: DISPLAY is not set; start coco from a "
                               "graphical session or drop \"x11\"", cfg->path);
    p->x11_display = xstrdup(d);
    struct stat st;
    if (stat("/tmp/.X11-unix", &st) == 0 && S_ISDIR(st.st_mode))
        p->x11_socket_dir = xstrdup("/tmp/.X11-unix");
    const char *xa = env_lookup(ctx->environ, "XAUTHORITY");
    _cleanup_free_ char *def = path_join(ctx->home, ".Xauthority");
    const char *cand = xa && xa[0] == '/' ? xa : def;
    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode))
        p->x11_xauthority = xstrdup(cand);
    return 0;
}

/* Vetted against the allowlist by the config loader; what is left is
 * whether the chosen engine has each option (--tz is podman's). */
static int resolve_engine_args(const struct config *cfg, struct policy *p,
                               coco_err *err)
{
    for (size_t i = 0; i < cfg->podman_args.n; i++) {
        const char *arg = cfg->podman_args.v[i], *val;
        const struct engine_opt *eo = engine_opt_of(arg, &val);
        if (!eo)
            return err_set(err, 0, "%s: podman_args: \"%s\" is not an engine "
                                   "option coco allows", cfg->path, arg);
        if (!engine_opt_has(eo, p->runtime))
            return err_set(err, 0, "%s: podman_args: \"%s\": %s is a %s option "
                                   "and the runtime is %s (%s); drop it, or run "
                                   "the tool on %s", cfg->path, arg, eo->name,
                           engine_opt_engines(eo), runtime_name(p->runtime),
                           p->runtime_source, engine_opt_engines(eo));
        strvec_push(&p->extra_args, arg);
    }
    return 0;
}

static void resolve_limits(const struct config *cfg, struct policy *p)
{
    struct policy_limits *l = &p->limits;
    l->memory = cfg->limits.memory ? cfg->limits.memory : COCO_DEFAULT_MEMORY;
    l->memory_default = !cfg->limits.memory;
    l->pids = cfg->limits.pids ? cfg->limits.pids : COCO_DEFAULT_PIDS;
    l->pids_default = !cfg->limits.pids;
    l->cpus_milli = cfg->limits.cpus_milli;
    l->timeout_ms = cfg->limits.timeout_ms;
    l->output = cfg->limits.output;
    /* /tmp, the home and /dev/shm live in memory: each never more than a
     * quarter of the memory limit, so together they leave a quarter of it
     * to the processes.  Where the limit is an rlimit (per process, and
     * blind to tmpfs), these sizes are all that bounds the files. */
    l->tmp_size = COCO_DEFAULT_TMP_SIZE;
    if (l->tmp_size > l->memory / 4)
        l->tmp_size = l->memory / 4;
    l->home_size = COCO_DEFAULT_HOME_SIZE;
    if (l->home_size > l->memory / 4)
        l->home_size = l->memory / 4;
    l->shm_size = COCO_DEFAULT_SHM_SIZE;
    if (l->shm_size > l->memory / 4)
        l->shm_size = l->memory / 4;
}

/* The run's own identity: the cache volume, the terminal, the container
 * name (unique per run unless the caller fixed it). */
static void resolve_session(const struct config *cfg,
                            const struct host_ctx *ctx, struct policy *p)
{
    p->isolated = cfg->isolated != 0;
    /* root on a rootful engine: never host uid 0 (idmap.h) */
    p->idmap = (p->runtime == RT_PODMAN || p->runtime == RT_DOCKER) &&
               !p->rootless && p->uid == 0;
    if (!p->idmap)
        p->volume = cache_volume_name(p->isolated ? cfg->name : NULL);
    else
        p->cache_dir = policy_cache_dir(p);

    p->tty = ctx->stdin_tty && ctx->stdout_tty;
    p->interactive = true;
    if (ctx->container_name) {
        p->container_name = xstrdup(ctx->container_name);
    } else {
        _cleanup_free_ char *rnd = random_hex(4);
        _cleanup_free_ char *sfx = xasprintf("-%d-%s", (int)ctx->pid, rnd);
        p->container_name = oci_safe_name("coco-", cfg->name, sfx);
    }
}

int policy_resolve(const struct config *cfg, const struct host_ctx *ctx,
                   const struct run_flags *flags, char *const *args,
                   size_t n_args, struct policy *out, coco_err *err)
{
    struct policy *p = out;
    memset(p, 0, sizeof *p);
    p->tool = xstrdup(cfg->name);
    p->config_path = xstrdup(cfg->path);
    /* "tool": one spec, or a list tried in order: the first coco's
     * installer handles, else the first */
    const char *spec = install_pick(cfg->tool, &cfg->tools);
    p->spec = spec ? xstrdup(spec) : NULL;
    for (size_t i = 0; i < cfg->allow_scripts.n; i++)
        strvec_push(&p->allow_scripts, cfg->allow_scripts.v[i]);
    for (size_t i = 0; i < cfg->protect_allow.n; i++)
        strvec_push(&p->protect_allow, cfg->protect_allow.v[i]);
    for (size_t i = 0; i < cfg->install_hosts.n; i++)
        strvec_push(&p->install_hosts, cfg->install_hosts.v[i]);
    p->install_runtime = cfg->install_runtime ? xstrdup(cfg->install_runtime)
                                              : NULL;
    for (size_t i = 0; i < cfg->n_env; i++)
        strvec_pushf(&p->config_env, "%s=%s", cfg->env[i].name,
                     cfg->env[i].value);
    p->uid = ctx->uid;
    p->gid = ctx->gid;
    p->home = xstrdup(ctx->home);
    p->dry_run = flags && flags->dry_run;
    p->report = flags && flags->report;

    strvec_push(&p->argv, cfg->command ? cfg->command : cfg->name);
    for (size_t i = 0; i < n_args; i++)
        strvec_push(&p->argv, args[i]);
    p->workdir = xstrdup(cfg->workdir ? cfg->workdir : COCO_DEFAULT_WORKDIR);

    if (resolve_net(cfg, ctx, p, err) < 0 ||
        resolve_runtime(cfg, ctx, flags, p, err) < 0 ||
        resolve_image(cfg, ctx, p, err) < 0 ||
        resolve_mounts(cfg, ctx, flags, p, err) < 0)
        goto fail;
    resolve_env(cfg, ctx, p);
    if (resolve_x11(cfg, ctx, p, err) < 0 ||
        resolve_engine_args(cfg, p, err) < 0)
        goto fail;
    resolve_limits(cfg, p);
    resolve_session(cfg, ctx, p);
    return 0;

fail:
    policy_free(p);
    return -1;
}

char *policy_cache_dir(const struct policy *p)
{
    if (!p->isolated && p->runtime != RT_NATIVE)
        return paths_shared_cache_dir();
    _cleanup_free_ char *envs = paths_envs_dir();
    _cleanup_free_ char *tooldir = path_join(envs, p->tool);
    return path_join(tooldir, "cache/run");
}

int policy_add_mount(struct policy *p, const char *src, const char *dst,
                     bool ro, coco_err *err)
{
    int fd = open(src, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, errno, "%s: cannot open %s", p->tool, src);
    p->mounts = xrealloc(p->mounts, (p->n_mounts + 1) * sizeof *p->mounts);
    _cleanup_free_ char *real = fd_path(fd);
    p->mounts[p->n_mounts] = (struct policy_mount){
        .src = xstrdup(real ? real : src), .dst = xstrdup(dst), .fd = fd,
        .index = p->n_mounts, .ro = ro, .is_dir = true,
        .opts = ro ? MNT_RO : 0};
    p->n_mounts++;
    sort_mounts(p->mounts, p->n_mounts);
    return 0;
}

void policy_prepend_path(struct policy *p, const char *dir)
{
    for (size_t i = 0; i < p->n_env; i++)
        if (streq(p->env[i].name, "PATH")) {
            char *v = xasprintf("%s:%s", dir, p->env[i].value);
            free(p->env[i].value);
            p->env[i].value = v;
            return;
        }
    _cleanup_free_ char *v = xasprintf("%s:%s", dir, COCO_SANDBOX_PATH);
    push_env(p, "PATH", v, false);
}

void policy_prepend_env(struct policy *p, const char *name, const char *dir)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < p->config_env.n; i++)
        if (strncmp(p->config_env.v[i], name, nl) == 0 &&
            p->config_env.v[i][nl] == '=')
            return;  /* the config's own env wins */
    for (size_t i = 0; i < p->n_env; i++)
        if (streq(p->env[i].name, name)) {
            char *v = p->env[i].value[0]
                          ? xasprintf("%s:%s", dir, p->env[i].value)
                          : xstrdup(dir);
            free(p->env[i].value);
            p->env[i].value = v;
            return;
        }
    push_env(p, name, dir, false);
}

bool policy_has_env(const struct policy *p, const char *name)
{
    for (size_t i = 0; i < p->n_env; i++)
        if (streq(p->env[i].name, name))
            return true;
    return false;
}

void policy_free(struct policy *p)
{
    free(p->tool);
    free(p->config_path);
    free(p->spec);
    strvec_clear(&p->allow_scripts);
    strvec_clear(&p->protect_allow);
    protect_free(p);
    strvec_clear(&p->install_hosts);
    free(p->install_runtime);
    strvec_clear(&p->config_env);
    free(p->engine_bin);
    free(p->image);
    strvec_clear(&p->argv);
    free(p->workdir);
    for (size_t i = 0; i < p->n_mounts; i++) {
        free(p->mounts[i].src);
        free(p->mounts[i].dst);
        if (p->mounts[i].fd >= 0)
            close(p->mounts[i].fd);
    }
    free(p->mounts);
    for (size_t i = 0; i < p->n_env; i++) {
        free(p->env[i].name);
        free(p->env[i].value);
    }
    free(p->env);
    strvec_clear(&p->locale_env);
    strvec_clear(&p->net.allowed_hosts);
    strvec_clear(&p->net.private_ranges);
    strvec_clear(&p->net.ca_env);
    strvec_clear(&p->net.ports);
    free(p->x11_display);
    free(p->x11_socket_dir);
    free(p->x11_xauthority);
    strvec_clear(&p->extra_args);
    free(p->volume);
    free(p->cache_dir);
    free(p->container_name);
    free(p->home);
    memset(p, 0, sizeof *p);
}
