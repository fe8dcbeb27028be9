/* policy.c — resolve config + environment + flags into one struct.
 *
 * This is the only place that reads the environment for a run; the
 * backends see the finished struct.  Everything a user can express is
 * checked here, before any fork, so that `coco show` and `--dry-run`
 * describe exactly what a run would do.
 */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "native.h"
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

/* Find PROG in the PATH of ENV; newly allocated absolute path or NULL. */
static char *find_in_path(char *const *env, const char *prog)
{
    const char *path = env_lookup(env, "PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    _cleanup_free_ char *copy = xstrdup(path);
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (d[0] != '/')
            continue; /* a relative PATH entry is a planted-binary risk */
        char *cand = path_join(d, prog);
        if (access(cand, X_OK) == 0)
            return cand;
        free(cand);
    }
    return NULL;
}

/* The home directory of UID from /etc/passwd.  Read by hand rather than
 * with getpwuid(): coco links statically (launch time), and glibc's NSS
 * cannot be loaded into a static binary. */
static char *passwd_home(uid_t uid)
{
    _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
    if (!f)
        return NULL;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *fields[7], *s = line;
        int n = 0;
        /* strsep keeps empty fields (an empty password field is common). */
        while (n < 7 && (fields[n] = strsep(&s, ":\n")) != NULL)
            n++;
        uint64_t u;
        if (n >= 6 && parse_uint(fields[2], UINT32_MAX, &u) == 0 &&
            (uid_t)u == uid && fields[5][0] == '/')
            return xstrdup(fields[5]);
    }
    return NULL;
}

int host_ctx_from_process(struct host_ctx *ctx, coco_err *err)
{
    memset(ctx, 0, sizeof *ctx);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return err_set(err, errno, "cannot read the current directory");
    ctx->cwd = cwd;
    const char *home = getenv("HOME");
    _cleanup_free_ char *pwhome = NULL;
    if (!home || home[0] != '/')
        home = pwhome = passwd_home(getuid());
    if (!home) {
        free(cwd);
        ctx->cwd = NULL;
        return err_set(err, 0, "HOME is not set and the user has no home "
                               "directory; set HOME");
    }
    ctx->home = xstrdup(home);
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
    free((char *)ctx->cwd);
    free((char *)ctx->home);
    memset(ctx, 0, sizeof *ctx);
}

/* Host paths that hold credentials or control: binding them is allowed
 * (the user may mean it) but `coco show` marks it. Relative to $HOME when
 * they start with "~/". */
static const char *const sensitive_paths[] = {
    "~/.ssh", "~/.aws", "~/.gnupg", "~/.config/gcloud", "~/.kube",
    "~/.docker", "~/.netrc", "~/.npmrc", "~/.pypirc", "~/.git-credentials",
    "~/.config/gh", "~/.local/share/coco", "~/.config/coco", "~/.local/bin",
    "~/.bashrc", "~/.profile", "~/.zshrc",
    "/etc", "/root", "/var/run", "/run", "/proc", "/sys", "/dev", "/boot",
    "/usr", "/var/lib", NULL,
};

/* Engine sockets: a bind of one, or of a directory holding one, gives
 * root on the host. */
static const char *const engine_sockets[] = {
    "/run/docker.sock", "/var/run/docker.sock", "/run/podman/podman.sock",
    "/var/run/podman/podman.sock", "/run/containerd/containerd.sock",
    "/run/crio/crio.sock", "/run/buildkit/buildkitd.sock", NULL,
};

static bool is_engine_socket_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    return strcmp(b, "docker.sock") == 0 || strcmp(b, "podman.sock") == 0 ||
           strcmp(b, "containerd.sock") == 0 || strcmp(b, "crio.sock") == 0 ||
           strcmp(b, "buildkitd.sock") == 0;
}

/* Why binding the resolved host path SRC would hand over an engine
 * socket, or NULL. */
static const char *engine_socket_reason(const char *src, const struct stat *st,
                                        const struct host_ctx *ctx,
                                        char *buf, size_t len)
{
    if (S_ISSOCK(st->st_mode) && is_engine_socket_name(src))
        return "is a container-engine socket, which is root on the host";
    if (!S_ISDIR(st->st_mode))
        return NULL;
    for (const char *const *s = engine_sockets; *s; s++)
        if (path_is_within(*s, src)) {
            snprintf(buf, len, "holds the container-engine socket %s, which "
                               "is root on the host", *s);
            return buf;
        }
    /* Rootless engines keep their sockets under XDG_RUNTIME_DIR. */
    const char *rt = env_lookup(ctx->environ, "XDG_RUNTIME_DIR");
    if (rt && rt[0] == '/') {
        _cleanup_free_ char *a = path_join(rt, "podman/podman.sock");
        _cleanup_free_ char *b = path_join(rt, "docker.sock");
        if (path_is_within(a, src) || path_is_within(b, src)) {
            snprintf(buf, len, "holds a container-engine socket under %s", rt);
            return buf;
        }
    }
    return NULL;
}

static bool path_is_sensitive(const char *src, const char *home)
{
    if (strcmp(src, "/") == 0 || strcmp(src, home) == 0 ||
        path_is_within(home, src))
        return true;
    for (const char *const *s = sensitive_paths; *s; s++) {
        _cleanup_free_ char *p = str_has_prefix(*s, "~/")
                                     ? path_join(home, *s + 2)
                                     : xstrdup(*s);
        if (path_is_within(src, p) || path_is_within(p, src))
            return true;
    }
    return false;
}

static char *expand_src(const char *src, const struct host_ctx *ctx)
{
    _cleanup_free_ char *joined = NULL;
    if (strcmp(src, "~") == 0)
        joined = xstrdup(ctx->home);
    else if (str_has_prefix(src, "~/"))
        joined = path_join(ctx->home, src + 2);
    else if (src[0] == '/')
        joined = xstrdup(src);
    else
        joined = path_join(ctx->cwd, src);
    return path_normalize(joined);
}

static int resolve_mount(const struct config *cfg, size_t i,
                         const struct host_ctx *ctx, struct policy_mount *pm,
                         coco_err *err)
{
    const struct config_mount *cm = &cfg->mounts[i];
    _cleanup_free_ char *abs = expand_src(cm->src, ctx);
    if (!abs)
        return err_set(err, 0, "%s: mounts[%zu].src: \"%s\" cannot be resolved",
                       cfg->path, i, cm->src);
    struct stat st;
    if (stat(abs, &st) < 0) {
        if (errno != ENOENT)
            return err_set(err, errno, "%s: mounts[%zu].src: %s", cfg->path, i, abs);
        /* As the bash coco: a missing directory is created, private to
         * the user.  A missing file is never invented, nothing is created
         * outside the home or the current directory, and never at the
         * path of an engine socket (a directory squatting
         * /var/run/docker.sock would break the engine later). */
        if (is_engine_socket_name(abs))
            return err_set(err, 0, "%s: mounts[%zu].src: %s is a container-engine "
                                   "socket path, which is root on the host; "
                                   "refusing", cfg->path, i, abs);
        if (!path_is_within(abs, ctx->home) && !path_is_within(abs, ctx->cwd))
            return err_set(err, 0, "%s: mounts[%zu].src: %s does not exist (coco "
                                   "creates missing directories only below your "
                                   "home or the current directory)",
                           cfg->path, i, abs);
        if (mkdir_parents(abs, 0700, err) < 0)
            return err_prefix(err, "%s: mounts[%zu].src", cfg->path, i);
        if (stat(abs, &st) < 0)
            return err_set(err, errno, "%s: mounts[%zu].src: %s", cfg->path, i, abs);
    }
    char *real = realpath(abs, NULL);
    if (!real)
        return err_set(err, errno, "%s: mounts[%zu].src: %s", cfg->path, i, abs);
    pm->src = real;
    if (stat(real, &st) < 0)
        return err_set(err, errno, "%s: mounts[%zu].src: %s", cfg->path, i, real);
    char buf[256];
    const char *why = engine_socket_reason(real, &st, ctx, buf, sizeof buf);
    if (why)
        return err_set(err, 0, "%s: mounts[%zu].src: %s %s; refusing", cfg->path,
                       i, real, why);
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return err_set(err, 0, "%s: mounts[%zu].src: %s is neither a directory "
                               "nor a regular file", cfg->path, i, real);
    if (strcmp(cm->dst, "/tmp") == 0 || strcmp(cm->dst, COCO_CACHE_DIR) == 0)
        return err_set(err, 0, "%s: mounts[%zu].dst: %s is managed by coco; "
                               "choose another destination", cfg->path, i, cm->dst);
    pm->dst = xstrdup(cm->dst);
    pm->ro = (cm->opts & MNT_RO) != 0;
    pm->is_dir = S_ISDIR(st.st_mode);
    pm->opts = cm->opts;
    pm->risky = path_is_sensitive(real, ctx->home);
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

/* What a config asks for that the native sandbox cannot give (yet), or
 * NULL.  P->net is already resolved. */
static const char *native_unsupported(const struct config *cfg,
                                      const struct policy *p)
{
    if (p->net == NET_FULL)
        return strcmp(p->net_source, "COCO_ALLOW_NETWORK") == 0
                   ? "COCO_ALLOW_NETWORK: the native runtime gives full "
                     "network only through coco's egress proxy, which has not "
                     "landed"
                   : "network: \"full\" needs coco's egress proxy on the "
                     "native runtime, which has not landed";
    if (cfg->x11)
        return "x11: the native runtime does not share the X display";
    if (cfg->podman_args.n)
        return "podman_args: these options are for podman/docker, not the "
               "native runtime";
    if (cfg->ports.n)
        return "ports: the native runtime does not publish ports";
    return NULL;
}

static int resolve_runtime(const struct config *cfg, const struct host_ctx *ctx,
                           const struct run_flags *flags, struct policy *p,
                           coco_err *err)
{
    const char *envrt = env_lookup(ctx->environ, "COCO_RUNTIME");
    if (flags && flags->runtime != RT_UNSET) {
        p->runtime = flags->runtime;
        p->runtime_source = "--runtime";
    } else if (envrt && *envrt) {
        p->runtime = runtime_parse(envrt);
        if (p->runtime == RT_UNSET)
            return err_set(err, 0, "COCO_RUNTIME: \"%s\" is not a runtime (use "
                                   "podman, docker or native)", envrt);
        p->runtime_source = "COCO_RUNTIME";
    } else if (cfg->runtime != RT_UNSET) {
        p->runtime = cfg->runtime;
        p->runtime_source = "config";
    } else {
        /* The native sandbox needs no daemon and starts fastest; fall back
         * to the engines where the kernel does not allow it. */
        p->runtime_source = "default";
        /* A config that names an image means a container. */
        if (ctx->native_available && !cfg->image && !native_unsupported(cfg, p)) {
            p->runtime = RT_NATIVE;
        } else {
            _cleanup_free_ char *pod = ctx->podman_bin ? NULL
                                       : find_in_path(ctx->environ, "podman");
            _cleanup_free_ char *dock = ctx->docker_bin ? NULL
                                        : find_in_path(ctx->environ, "docker");
            bool have_podman = ctx->podman_bin || pod;
            bool have_docker = ctx->docker_bin || dock;
            p->runtime = have_podman || !have_docker ? RT_PODMAN : RT_DOCKER;
        }
    }
    if (p->runtime == RT_NATIVE) {
        const char *why = native_unsupported(cfg, p);
        if (why)
            return err_set(err, 0, "%s: %s; choose --runtime podman or docker",
                           cfg->path, why);
        return 0;
    }
    const char *given = p->runtime == RT_PODMAN ? ctx->podman_bin : ctx->docker_bin;
    const char *prog = runtime_name(p->runtime);
    p->engine_bin = given ? xstrdup(given) : find_in_path(ctx->environ, prog);
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

int policy_resolve(const struct config *cfg, const struct host_ctx *ctx,
                   const struct run_flags *flags, char *const *args,
                   size_t n_args, struct policy *out, coco_err *err)
{
    struct policy *p = out;
    memset(p, 0, sizeof *p);
    p->tool = xstrdup(cfg->name);
    p->config_path = xstrdup(cfg->path);
    p->spec = cfg->tool ? xstrdup(cfg->tool) : NULL;
    p->uid = ctx->uid;
    p->gid = ctx->gid;
    p->home = xstrdup(ctx->home);
    p->dry_run = flags && flags->dry_run;

    p->net = cfg->network == NET_UNSET ? NET_NONE : cfg->network;
    p->net_source = cfg->network == NET_UNSET ? "default" : "config";
    if (env_true(ctx->environ, "COCO_ALLOW_NETWORK") && p->net != NET_HOST) {
        p->net = NET_FULL;
        p->net_source = "COCO_ALLOW_NETWORK";
    }
    if (resolve_runtime(cfg, ctx, flags, p, err) < 0)
        goto fail;

    const char *envimg = env_lookup(ctx->environ, "COCO_IMAGE");
    if (cfg->image) {
        p->image = xstrdup(cfg->image);
        p->image_source = "config";
    } else if (envimg && *envimg) {
        const char *why = image_check(envimg);
        if (why) {
            err_set(err, 0, "COCO_IMAGE: \"%s\": %s", envimg, why);
            goto fail;
        }
        p->image = xstrdup(envimg);
        p->image_source = "COCO_IMAGE";
    } else {
        p->image = xstrdup(COCO_DEFAULT_IMAGE);
        p->image_source = "default";
    }

    strvec_push(&p->argv, cfg->command ? cfg->command : cfg->name);
    for (size_t i = 0; i < n_args; i++)
        strvec_push(&p->argv, args[i]);
    p->workdir = xstrdup(cfg->workdir ? cfg->workdir : COCO_DEFAULT_WORKDIR);

    p->mounts = xcalloc(cfg->n_mounts, sizeof *p->mounts);
    for (size_t i = 0; i < cfg->n_mounts; i++) {
        int r = resolve_mount(cfg, i, ctx, &p->mounts[i], err);
        p->n_mounts = i + 1; /* so policy_free sees what was allocated */
        if (r < 0)
            goto fail;
    }

    /* Host values first, then the config's explicit values, which win. */
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

    for (size_t i = 0; i < cfg->allowed_hosts.n; i++)
        strvec_push(&p->allowed_hosts, cfg->allowed_hosts.v[i]);
    if (p->net == NET_ALLOWED && !(flags && flags->show)) {
        err_set(err, 0, "%s: allowed_hosts: not enforced yet: coco's egress "
                        "proxy has not landed, and coco will not run %s with "
                        "unfiltered network instead; set \"network\": \"full\" "
                        "to accept unfiltered egress, or \"none\"",
                cfg->path, cfg->name);
        goto fail;
    }

    for (size_t i = 0; i < cfg->ports.n; i++)
        strvec_push(&p->ports, cfg->ports.v[i]);
    const char *extra = env_lookup(ctx->environ, "COCO_EXTRA_PORTS");
    if (extra && *extra) {
        _cleanup_free_ char *copy = xstrdup(extra);
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            const char *why = port_spec_check(t);
            if (why) {
                err_set(err, 0, "COCO_EXTRA_PORTS: \"%s\": %s", t, why);
                goto fail;
            }
            strvec_push(&p->ports, t);
        }
        if (p->net == NET_NONE || p->net == NET_HOST) {
            err_set(err, 0, "COCO_EXTRA_PORTS: %s has network \"%s\"; publishing "
                            "ports needs \"network\": \"full\"", cfg->name,
                    net_mode_name(p->net));
            goto fail;
        }
    }

    p->x11 = cfg->x11;
    if (p->x11) {
        const char *d = env_lookup(ctx->environ, "DISPLAY");
        if (!d || !*d) {
            err_set(err, 0, "%s: x11: DISPLAY is not set; start coco from a "
                            "graphical session or drop \"x11\"", cfg->path);
            goto fail;
        }
        p->x11_display = xstrdup(d);
        struct stat st;
        if (stat("/tmp/.X11-unix", &st) == 0 && S_ISDIR(st.st_mode))
            p->x11_socket_dir = xstrdup("/tmp/.X11-unix");
        const char *xa = env_lookup(ctx->environ, "XAUTHORITY");
        _cleanup_free_ char *def = path_join(ctx->home, ".Xauthority");
        const char *cand = xa && xa[0] == '/' ? xa : def;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode))
            p->x11_xauthority = xstrdup(cand);
    }

    strvec_pushv(&p->extra_args, cfg->podman_args.v);

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

    p->isolated = cfg->isolated != 0;
    p->volume = oci_safe_name("coco-cache-", p->isolated ? cfg->name : "shared", "");

    p->tty = ctx->stdin_tty && ctx->stdout_tty;
    p->interactive = true;
    if (ctx->container_name) {
        p->container_name = xstrdup(ctx->container_name);
    } else {
        _cleanup_free_ char *rnd = random_hex(4);
        _cleanup_free_ char *sfx = xasprintf("-%d-%s", (int)ctx->pid, rnd);
        p->container_name = oci_safe_name("coco-", cfg->name, sfx);
    }
    return 0;

fail:
    policy_free(p);
    return -1;
}

void policy_free(struct policy *p)
{
    free(p->tool);
    free(p->config_path);
    free(p->spec);
    free(p->engine_bin);
    free(p->image);
    strvec_clear(&p->argv);
    free(p->workdir);
    for (size_t i = 0; i < p->n_mounts; i++) {
        free(p->mounts[i].src);
        free(p->mounts[i].dst);
    }
    free(p->mounts);
    for (size_t i = 0; i < p->n_env; i++) {
        free(p->env[i].name);
        free(p->env[i].value);
    }
    free(p->env);
    strvec_clear(&p->locale_env);
    strvec_clear(&p->allowed_hosts);
    strvec_clear(&p->ports);
    free(p->x11_display);
    free(p->x11_socket_dir);
    free(p->x11_xauthority);
    strvec_clear(&p->extra_args);
    free(p->volume);
    free(p->container_name);
    free(p->home);
    memset(p, 0, sizeof *p);
}

/* ---- coco show ---- */

/* Names that usually carry secrets: show marks them. */
static bool env_name_secret(const char *name)
{
    static const char *const words[] = {"TOKEN", "SECRET", "PASSWORD", "PASSWD",
                                        "API_KEY", "APIKEY", "PRIVATE",
                                        "CREDENTIAL", "AUTH", NULL};
    for (const char *const *w = words; *w; w++)
        if (strcasestr(name, *w))
            return true;
    return str_has_prefix(name, "AWS_") || strcmp(name, "SSH_AUTH_SOCK") == 0 ||
           str_has_suffix(name, "_KEY");
}

static char *tilde(const char *path, const char *home, char *buf, size_t len)
{
    if (path_is_within(path, home) && strcmp(home, "/") != 0)
        snprintf(buf, len, "~%s", path + strlen(home));
    else
        snprintf(buf, len, "%s", path);
    return buf;
}

void policy_show(const struct policy *p, FILE *o)
{
    char b1[64], b2[PATH_MAX + 2];
    int risks = 0;
    fprintf(o, "tool       %s\n", p->tool);
    fprintf(o, "config     %s\n", p->config_path);
    if (p->spec)
        fprintf(o, "install    %s\n", p->spec);
    fprintf(o, "command   ");
    for (size_t i = 0; i < p->argv.n; i++)
        fprintf(o, " %s", p->argv.v[i]);
    fprintf(o, "\nruntime    %s (%s)", runtime_name(p->runtime), p->runtime_source);
    if (p->runtime != RT_NATIVE)
        fprintf(o, ", image %s (%s)%s", p->image, p->image_source,
                p->rootless ? ", rootless" : "");
    fprintf(o, "\nworkdir    %s\n", p->workdir);
    /* A tag can be moved to other code by whoever controls the registry;
     * a digest cannot.  Local images (localhost/) are built here. */
    if (p->runtime != RT_NATIVE && !image_pinned(p->image)) {
        fprintf(o, "  ! RISK: image %s is not pinned by digest; its tag can be "
                   "moved to other code (pin it as NAME@sha256:...)\n", p->image);
        risks++;
    }

    fprintf(o, "files      everything else of the host is invisible\n");
    for (size_t i = 0; i < p->n_mounts; i++) {
        const struct policy_mount *m = &p->mounts[i];
        fprintf(o, "  %s %-11s %s -> %s%s\n", m->risky ? "!" : " ",
                m->ro ? "read" : "read+write", tilde(m->src, p->home, b2, sizeof b2),
                m->dst, m->risky ? "   RISK: sensitive host path" : "");
        risks += m->risky;
    }
    if (p->runtime != RT_NATIVE)
        fprintf(o, "    read+write  volume %s -> %s (%s)\n", p->volume,
                COCO_CACHE_DIR, p->isolated ? "this tool only" : "shared with "
                "other non-isolated tools");
    if (!p->isolated) {
        fprintf(o, "  ! RISK: \"isolated\": false shares the cache volume with "
                   "other tools, which can tamper with each other\n");
        risks++;
    }

    fprintf(o, "network    ");
    switch (p->net) {
    case NET_NONE:
        fprintf(o, "none: loopback only");
        break;
    case NET_ALLOWED:
        fprintf(o, "only these hosts, through the egress proxy:");
        for (size_t i = 0; i < p->allowed_hosts.n; i++)
            fprintf(o, " %s", p->allowed_hosts.v[i]);
        fprintf(o, "\n  ! NOT ENFORCED YET: coco refuses to run this tool until "
                   "its egress proxy lands");
        risks++;
        break;
    case NET_FULL:
        fprintf(o, "full: any address\n  ! RISK: unfiltered egress; private "
                   "and link-local ranges (your LAN, cloud metadata) are "
                   "reachable until coco's egress proxy lands");
        risks++;
        break;
    case NET_HOST:
        fprintf(o, "host: the host's network, unfiltered\n  ! RISK: reaches "
                   "everything the host reaches, loopback services included");
        risks++;
        break;
    default:
        break;
    }
    fprintf(o, " (%s)\n", p->net_source);
    for (size_t i = 0; i < p->ports.n; i++)
        fprintf(o, "  ! publishes port %s (listens on the host)\n", p->ports.v[i]);
    risks += (int)p->ports.n;

    fprintf(o, "env        %s\n", p->n_env ? "only these variables of yours:"
                                           : "nothing from the host");
    for (size_t i = 0; i < p->n_env; i++) {
        bool secret = env_name_secret(p->env[i].name);
        fprintf(o, "  %s %s (%s)%s\n", secret ? "!" : " ", p->env[i].name,
                p->env[i].from_host ? "from the host" : "set by the config",
                secret ? "   RISK: looks like a secret" : "");
        risks += secret;
    }
    if (p->x11) {
        fprintf(o, "x11        ! RISK: display %s shared: the tool can read "
                   "keystrokes and screen contents of other windows\n",
                p->x11_display);
        risks++;
    }
    if (p->extra_args.n) {
        fprintf(o, "extra args ! RISK: passed to %s as they are:",
                runtime_name(p->runtime));
        for (size_t i = 0; i < p->extra_args.n; i++)
            fprintf(o, " %s", p->extra_args.v[i]);
        fputc('\n', o);
        risks++;
    }
    const struct policy_limits *l = &p->limits;
    fprintf(o, "limits     memory %s%s", fmt_size(l->memory, b1, sizeof b1),
            l->memory_default ? " (default)" : "");
    fprintf(o, ", pids %" PRIu64 "%s", l->pids, l->pids_default ? " (default)" : "");
    if (l->cpus_milli)
        fprintf(o, ", cpus %" PRIu64 ".%03" PRIu64, l->cpus_milli / 1000,
                l->cpus_milli % 1000);
    else
        fprintf(o, ", cpus unlimited");
    if (l->timeout_ms)
        fprintf(o, ", timeout %s", fmt_duration(l->timeout_ms, b1, sizeof b1));
    else
        fprintf(o, ", no timeout");
    if (l->output)
        fprintf(o, ", output %s", fmt_size(l->output, b1, sizeof b1));
    else
        fprintf(o, ", output unlimited");
    fprintf(o, ", /tmp %s\n", fmt_size(l->tmp_size, b1, sizeof b1));
    if (p->limits_note) {
        fprintf(o, "  ! %s\n", p->limits_note);
        risks++;
    }
    if (p->runtime == RT_NATIVE)
        native_describe(p, o);
    fprintf(o, "risks      %d%s\n", risks, risks ? " (marked with !)" : "");
}
