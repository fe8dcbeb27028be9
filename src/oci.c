/* oci.c — the podman and docker backends: a pure argument-vector builder
 * (golden-tested) and a runner that supervises the engine and, with a
 * guardian process, removes the container even when coco is killed.
 *
 * Environment values and the engine
 * ---------------------------------
 * A value on the command line shows up in `ps` for every user on the
 * machine, so the argv only ever carries "-e NAME".  The engine client
 * resolves "-e NAME" from its own environment, so the runner gives the
 * engine coco's environment (the engine needs it anyway: CONTAINERS_CONF,
 * XDG_RUNTIME_DIR, DOCKER_HOST ...) with the policy's values laid over it.
 * Passthrough variables therefore need no special case: their policy value
 * is the host value captured by policy_resolve(), and setting it again
 * changes nothing — the policy stays the single source of truth for what
 * the tool sees (which is what `--dry-run` and `coco show` print).
 *
 * Laying a value over the engine's own environment is only safe for names
 * the engine does not read itself.  A config that sets LD_PRELOAD,
 * DOCKER_HOST or CONTAINERS_CONF for the tool must not reconfigure (or run
 * code inside) the podman/docker client.  Those names (table below) go to
 * an env file instead, passed as "--env-file=/dev/fd/3" on an anonymous
 * memfd: never on disk, readable only through our own descriptor, and gone
 * when the engine exits.  An env file cannot carry a newline, so a value
 * with one in such a name is an error; every other value goes through the
 * environment and can hold anything.
 *
 * The container's home
 * --------------------
 * COCO_CONTAINER_HOME is a tmpfs owned by the user the tool runs as, mode
 * 0700: podman's "U" tmpfs option chowns it to the container user (the
 * invoking uid under rootless keep-id and under --user), docker passes
 * "uid=,gid=" to the kernel.  A 1777 home would work too, but ssh, gpg
 * and others refuse or warn about a home directory other users can write,
 * and a home owned by the user is what tools expect.  Note: runc (podman
 * and docker alike) chmods a tmpfs to the mode of the image's mount point
 * when that exists, so the image should not ship /home/coco (or ship it
 * 0700); /tmp keeps the image's 1777.
 */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "engine_args.h"
#include "hostpath.h"
#include "idmap.h"
#include "net.h"
#include "oci.h"
#include "seccomp_profile.h"
#include "supervise.h"

extern char **environ;

/* Where the X authority file is mounted; /tmp is a tmpfs any uid can
 * hold a mount point in, unlike a home owned by one uid. */
#define OCI_XAUTH_PATH "/tmp/.coco-Xauthority"
#define OCI_X11_SOCKET_DIR "/tmp/.X11-unix"

/* --- environment names the engine reads -------------------------------- */

struct engine_env {
    const char *name;
    bool prefix;  /* NAME is a prefix */
    bool nocase;  /* match regardless of case (proxy variables) */
    const char *why;
};

static const struct engine_env engine_env[] = {
    {"LD_", true, false,
     "the dynamic loader of the podman client reads LD_PRELOAD, "
     "LD_LIBRARY_PATH ...: code would run in the engine, outside the "
     "sandbox"},
    {"GLIBC_TUNABLES", false, false, "glibc in the engine client reads it"},
    {"MALLOC_", true, false, "glibc malloc settings of the engine client"},
    {"GO", true, false,
     "both engines are Go programs: GODEBUG, GOGC, GOMAXPROCS, GOTRACEBACK "
     "change how the client runs"},
    {"DOCKER_", true, false,
     "docker client settings: DOCKER_HOST would send the run to another "
     "daemon, DOCKER_CONFIG to other credentials"},
    {"CONTAINERS_", true, false,
     "podman's config files: CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, "
     "CONTAINERS_REGISTRIES_CONF"},
    {"CONTAINER_", true, false,
     "podman-remote: CONTAINER_HOST, CONTAINER_CONNECTION, "
     "CONTAINER_SSHKEY would send the run elsewhere"},
    {"_", true, false,
     "by convention internal handshakes between programs: podman's "
     "_CONTAINERS_* rootless re-exec state, conmon's _OCI_* pipes, runc's "
     "_LIBCONTAINER_*"},
    {"NETAVARK_", true, false,
     "netavark inherits podman's environment and reads these"},
    {"CNI_", true, false, "CNI network plugins run with podman's environment"},
    {"SSH_AUTH_SOCK", false, false,
     "podman-remote authenticates with the agent it names"},
    {"PODMAN_", true, false, "podman settings (PODMAN_USERNS ...)"},
    {"BUILDAH_", true, false, "buildah settings podman reads when building"},
    {"STORAGE_", true, false,
     "containers/storage: STORAGE_DRIVER, STORAGE_OPTS"},
    {"REGISTRY_", true, false, "REGISTRY_AUTH_FILE: which credentials"},
    {"REGISTRIES_CONFIG_PATH", false, false, "which registries to trust"},
    {"XDG_", true, false,
     "XDG_RUNTIME_DIR, XDG_CONFIG_HOME, XDG_DATA_HOME locate podman's "
     "storage, config and sockets"},
    {"HOME", false, false,
     "the engines find their config (~/.config/containers, ~/.docker) "
     "through it"},
    {"PATH", false, false,
     "the engine finds conmon, the OCI runtime and credential helpers "
     "through it"},
    {"TMPDIR", false, false, "where the engine puts temporary image data"},
    {"TMP", false, false, "temporary files of the engine"},
    {"TEMP", false, false, "temporary files of the engine"},
    {"USER", false, false, "user lookup fallback in the engine"},
    {"LOGNAME", false, false, "user lookup fallback in the engine"},
    {"SHELL", false, false, "shell the engine would use for helpers"},
    {"PWD", false, false, "Go's os.Getwd trusts $PWD"},
    {"HTTP_PROXY", false, true,
     "the engine's own registry traffic; podman would also copy it into "
     "every container"},
    {"HTTPS_PROXY", false, true, "the engine's own registry traffic"},
    {"NO_PROXY", false, true, "the engine's own registry traffic"},
    {"ALL_PROXY", false, true, "the engine's own registry traffic"},
    {"FTP_PROXY", false, true, "the engine's own network traffic"},
    {"SSL_", true, false,
     "SSL_CERT_FILE/SSL_CERT_DIR: which CAs the engine trusts for pulls"},
    {"SSLKEYLOGFILE", false, false, "would log the engine's TLS keys"},
    {"TZ", false, false, "time zone of the engine's timestamps"},
    {"ZONEINFO", false, false, "Go's time zone database path"},
    {"NOTIFY_SOCKET", false, false,
     "podman sends systemd readiness notifications to it"},
    {"LISTEN_", true, false,
     "socket activation (LISTEN_FDS, LISTEN_PID) would hand the engine "
     "descriptors"},
    {"DBUS_SESSION_BUS_ADDRESS", false, false,
     "podman talks to systemd over it"},
};

/* The proxy variables docker's client fills in from the "proxies" of
 * ~/.docker/config.json (both cases of each). */
static const char *const docker_proxy_vars[] = {
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY",
    "no_proxy", "FTP_PROXY", "ftp_proxy", "ALL_PROXY", "all_proxy", NULL,
};

/* Why NAME must stay out of the engine's environment, or NULL. */
static const char *engine_reads(const char *name)
{
    for (size_t i = 0; i < sizeof(engine_env) / sizeof(engine_env[0]); i++) {
        const struct engine_env *e = &engine_env[i];
        size_t n = strlen(e->name);
        int c = e->nocase ? strncasecmp(name, e->name, n)
                          : strncmp(name, e->name, n);
        if (c == 0 && (e->prefix || name[n] == '\0'))
            return e->why;
    }
    return NULL;
}

/* --- checks ------------------------------------------------------------ */

/* Characters that would change the meaning of a --mount value: ',' ends
 * the field, docker reads the value as CSV (so '"' quotes), and a line
 * break or other control character has no business in a path we hand to
 * another parser.  With the -v form (docker relabel only) ':' separates
 * fields too.  Returns the offending character or 0. */
static char bad_mount_char(const char *path, bool colon_too)
{
    for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
        if (*c == ',' || *c == '"' || *c < 0x20 || *c == 0x7f ||
            (colon_too && *c == ':'))
            return (char)*c;
    }
    return 0;
}

static const char *src_name(const struct policy *p)
{
    return p->config_path ? p->config_path : p->tool ? p->tool : "coco";
}

static int check_mount_path(const struct policy *p, const char *what,
                            const char *path, bool colon_too, coco_err *err)
{
    char c = bad_mount_char(path, colon_too);
    if (!c)
        return 0;
    if (c == ',' || c == '"' || c == ':')
        return err_set(err, 0,
                       "%s: mounts: %s \"%s\" contains '%c', which the "
                       "engine's mount syntax cannot carry; rename it or "
                       "mount a directory above it",
                       src_name(p), what, path, c);
    return err_set(err, 0,
                   "%s: mounts: %s contains a control character (0x%02x); "
                   "rename it",
                   src_name(p), what, (unsigned)(unsigned char)c);
}

/* Container names, volume names: what both engines accept. */
static bool engine_name_valid(const char *s)
{
    if (!s || !*s)
        return false;
    for (const char *c = s; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') ||
                  (c != s && (*c == '_' || *c == '.' || *c == '-'));
        if (!ok)
            return false;
    }
    return true;
}

/* --- the builder ------------------------------------------------------- */

struct env_item {
    const char *name;
    const char *value;
};

/* Route one variable: engine-read names to the env file, all others to
 * "-e NAME" plus ENV_OUT. */
static int route_env(const struct policy *p, const char *name,
                     const char *value, struct strvec *eargs,
                     struct strvec *env_out, struct strvec *envfile_out,
                     coco_err *err)
{
    if (!env_name_valid(name))
        return err_set(err, 0, "%s: env: \"%s\" is not a valid variable name",
                       src_name(p), name);
    if (engine_reads(name)) {
        if (strpbrk(value, "\n\r"))
            return err_set(err, 0,
                           "%s: env: %s: the value contains a line break; "
                           "%s is passed through an env file (the engine "
                           "reads that name itself), which holds one line "
                           "per variable",
                           src_name(p), name, name);
        strvec_pushf(envfile_out, "%s=%s\n", name, value);
        return 0;
    }
    strvec_push(eargs, "-e");
    strvec_push(eargs, name);
    strvec_pushf(env_out, "%s=%s", name, value);
    return 0;
}

static int add_env(const struct policy *p, const struct egress *eg,
                   struct strvec *argv, struct strvec *env_out,
                   struct strvec *envfile_out, coco_err *err)
{
    _cleanup_strvec_ struct strvec eargs = STRVEC_INIT;
    _cleanup_free_ char *xauth_env = NULL;
    /* coco's own settings for the container; a config's env may override
     * them (it names the variable explicitly, and `coco show` prints it). */
    struct env_item defaults[4];
    size_t nd = 0;

    defaults[nd++] = (struct env_item){"HOME", COCO_CONTAINER_HOME};
    if (p->volume)
        defaults[nd++] = (struct env_item){"XDG_CACHE_HOME", COCO_CACHE_DIR};
    if (p->x11) {
        defaults[nd++] = (struct env_item){"DISPLAY", p->x11_display};
        if (p->x11_xauthority)
            defaults[nd++] = (struct env_item){"XAUTHORITY", OCI_XAUTH_PATH};
    }
    for (size_t i = 0; i < nd; i++) {
        if (policy_has_env(p, defaults[i].name))
            continue;
        if (route_env(p, defaults[i].name, defaults[i].value, &eargs,
                      env_out, envfile_out, err) < 0)
            return -1;
    }
    /* Under egress, the variables the native sandbox sets too (one
     * function: egress_env()), pointing at the relay; the image has its
     * own /etc, so the host's CA files are always at EGRESS_CA_DIR. */
    if (eg) {
        _cleanup_strvec_ struct strvec ev = STRVEC_INIT;
        egress_env(p, EGRESS_CT_PORT, NULL, &ev);
        for (size_t i = 0; i < ev.n; i++) {
            char *eq = strchr(ev.v[i], '=');
            *eq = '\0';
            int r = route_env(p, ev.v[i], eq + 1, &eargs, env_out,
                              envfile_out, err);
            *eq = '=';
            if (r < 0)
                return -1;
        }
    }
    for (size_t i = 0; i < p->n_env; i++) {
        if (route_env(p, p->env[i].name,
                      p->env[i].value ? p->env[i].value : "", &eargs,
                      env_out, envfile_out, err) < 0)
            return -1;
    }
    /* docker's client copies the "proxies" of the user's
     * ~/.docker/config.json into every container, for each of these
     * names not set with -e (docker-cli ParseProxyConfig; a value from
     * the env file does not count: docker 28 overrides it).  "-e NAME"
     * alone counts as set, and the client's environment has none of
     * them (engine_envp() leaves them out for docker), so the container
     * gets the value the env file gives (the config's, egress's) or none
     * at all: never the config's proxies, never the host's. */
    if (p->runtime == RT_DOCKER) {
        for (size_t i = 0; docker_proxy_vars[i]; i++) {
            const char *n = docker_proxy_vars[i];
            size_t nl = strlen(n);
            bool set = false;
            for (size_t j = 0; j < env_out->n && !set; j++)
                set = strncmp(env_out->v[j], n, nl) == 0 &&
                      env_out->v[j][nl] == '=';
            if (!set) {
                strvec_push(&eargs, "-e");
                strvec_push(&eargs, n);
            }
        }
    }
    if (envfile_out->n > 0) {
        /* A comment first: docker strips a byte-order mark from the
         * start of the file, which must never be part of a value. */
        char *hdr = xstrdup("# coco env file\n");
        strvec_push_nodup(envfile_out, hdr);
        /* keep the header first */
        memmove(envfile_out->v + 1, envfile_out->v,
                (envfile_out->n - 1) * sizeof(char *));
        envfile_out->v[0] = hdr;
        strvec_pushf(argv, "--env-file=/dev/fd/%d", OCI_ENVFILE_FD);
    }
    strvec_pushv(argv, eargs.v ? eargs.v : (char *[]){NULL});
    return 0;
}

/* Where the engine binds a host path from.  Normally the path itself;
 * when root runs a rootful engine (P->idmap, idmap.h) the tool is nobody
 * and every bind comes from an idmapped attachment of the source: made
 * here for a run (IM: IDMAP_DIR/N), shown by a dry run as
 * IDMAP_DIR_SHOWN/SOURCE. */
struct srcs {
    const struct policy *p;
    struct idmap_set *im;   /* NULL: a dry run, the goldens */
    struct strvec keep;     /* the shown names */
};

/* The source to give the engine for PATH (or the O_PATH descriptor FD
 * when >= 0; DEV/INO when non-zero: the inode it must still be), WHAT
 * it is for the error; NULL with ERR. */
static const char *bind_src(struct srcs *s, int fd, const char *path,
                            dev_t dev, ino_t ino, const char *what,
                            coco_err *err)
{
    if (!s->p->idmap)
        return path;
    if (s->im)
        return idmap_attach(s->im, fd, path, dev, ino, what, err);
    /* shown as the source below the directory, to say which it is */
    strvec_pushf(&s->keep, IDMAP_DIR_SHOWN "%s%s", path[0] == '/' ? "" : "/",
                 path);
    return s->keep.v[s->keep.n - 1];
}

/* One configured bind mount. */
static int add_bind(struct srcs *sm, const struct policy_mount *m,
                    struct strvec *argv, coco_err *err)
{
    const struct policy *p = sm->p;
    bool docker = p->runtime == RT_DOCKER;
    bool relabel = m->opts & (MNT_Z_SHARED | MNT_Z_PRIVATE);
    bool ro = m->ro || (m->opts & MNT_RO);
    /* docker's --mount has no relabel option; only -v knows z/Z. */
    bool vform = docker && relabel;

    if (!m->src || m->src[0] != '/' || !m->dst || m->dst[0] != '/')
        return err_set(err, 0, "%s: mounts: source and destination must be "
                       "absolute paths", src_name(p));
    if (check_mount_path(p, "source", m->src, vform, err) < 0 ||
        check_mount_path(p, "destination", m->dst, vform, err) < 0)
        return -1;
    /* policy_resolve() refused these already; the argv builder does not
     * trust its input to have come that way. */
    char buf[PATH_MAX + 96];
    const char *why = hostpath_engine(m->src, p->home, NULL, buf, sizeof buf);
    if (why)
        return err_set(err, 0, "%s: mounts: \"%s\" %s; remove that mount",
                       src_name(p), m->src, why);
    if (docker && (m->opts & MNT_NOEXEC))
        return err_set(err, 0,
                       "%s: mounts: \"%s\": docker cannot mount a directory "
                       "noexec; drop \"noexec\" or use podman",
                       src_name(p), m->dst);

    const char *src = bind_src(sm, m->fd, m->src, 0, 0, "mount source",
                               err);
    if (!src)
        return -1;
    if (vform) {
        strvec_push(argv, "-v");
        strvec_pushf(argv, "%s:%s:%s,%s", src, m->dst, ro ? "ro" : "rw",
                     (m->opts & MNT_Z_PRIVATE) ? "Z" : "z");
        return 0;
    }
    /* nosuid,nodev: podman leaves them off bind mounts unless asked;
     * docker's --mount cannot say them (there no-new-privileges and the
     * device cgroup cover setuid files and device nodes). */
    strvec_pushf(argv, "--mount=type=bind,src=%s,dst=%s%s%s%s%s", src,
                 m->dst, ro ? ",ro" : "", docker ? "" : ",nosuid,nodev",
                 !relabel ? ""
                 : (m->opts & MNT_Z_PRIVATE) ? ",relabel=private"
                                             : ",relabel=shared",
                 (m->opts & MNT_NOEXEC) ? ",noexec" : "");
    return 0;
}

/* The host-executed files protect_scan() found in writable mounts
 * (parents first): each directory above one bound onto itself (a mount
 * point cannot be renamed away), then the path itself read-only.  Both
 * engines mount in destination order, parents first.  A symlink has
 * nothing to bind over (compared after the run); an allowed path stays
 * writable. */
static int add_protect(struct srcs *sm, struct strvec *argv, coco_err *err)
{
    const struct policy *p = sm->p;
    bool docker = p->runtime == RT_DOCKER;
    for (size_t i = 0; i < p->n_protect; i++) {
        const struct policy_protect *e = &p->protect[i];
        if (e->is_link || e->allowed)
            continue;
        if (check_mount_path(p, "protected path", e->host, false, err) < 0 ||
            check_mount_path(p, "protected path", e->ctr, false, err) < 0)
            return -1;
        /* the scan's inode: the workspace is the tool's to rearrange */
        const char *src = bind_src(sm, -1, e->host, e->dev, e->ino,
                                   "protected path", err);
        if (!src)
            return -1;
        strvec_pushf(argv, "--mount=type=bind,src=%s,dst=%s%s%s", src,
                     e->ctr, e->anchor ? "" : ",ro",
                     docker ? "" : ",nosuid,nodev");
    }
    return 0;
}

static int add_x11(struct srcs *sm, struct strvec *argv, coco_err *err)
{
    const struct policy *p = sm->p;
    const char *src;
    if (!p->x11)
        return 0;
    if (!p->x11_display || !*p->x11_display)
        return err_set(err, 0, "%s: x11: DISPLAY is not set", src_name(p));
    /* Read-only: connecting to a socket needs no write access to the
     * mount, and the tool must not plant its own sockets there. */
    if (p->x11_socket_dir) {
        if (check_mount_path(p, "X11 socket directory", p->x11_socket_dir,
                             false, err) < 0)
            return -1;
        if (!(src = bind_src(sm, -1, p->x11_socket_dir, 0, 0,
                             "X11 socket directory", err)))
            return -1;
        strvec_pushf(argv, "--mount=type=bind,src=%s,dst=%s,ro", src,
                     OCI_X11_SOCKET_DIR);
    }
    if (p->x11_xauthority) {
        if (check_mount_path(p, "Xauthority file", p->x11_xauthority, false,
                             err) < 0)
            return -1;
        if (!(src = bind_src(sm, -1, p->x11_xauthority, 0, 0,
                             "Xauthority file", err)))
            return -1;
        strvec_pushf(argv, "--mount=type=bind,src=%s,dst=%s,ro", src,
                     OCI_XAUTH_PATH);
    }
    return 0;
}

/* What the container of a run with egress gets: coco's binary (the
 * relay, net/forward.c, as the entrypoint), the directory holding the
 * proxy's sockets, coco's resolv.conf (the relay's DNS on 127.0.0.1,
 * nothing else: the engine's would name the host's resolver) and hosts
 * (loopback only: podman's copies the host's names), and the host's CA
 * files, all read-only.  connect() on a socket needs no write access to
 * the mount it is on.  The relay, as the container's user, binds UDP
 * port 53: the container's own network namespace lets unprivileged
 * users bind from 53 up (a sysctl of that namespace only, no
 * capability). */
static int add_egress(struct srcs *sm, const struct egress *eg,
                      struct strvec *argv, coco_err *err)
{
    const struct policy *p = sm->p;
    const char *nsd = p->runtime == RT_PODMAN ? ",nosuid,nodev" : "";
    if (check_mount_path(p, "coco's own binary", eg->self_exe, false,
                         err) < 0 ||
        check_mount_path(p, "the egress directory", eg->dir, false, err) < 0)
        return -1;
    _cleanup_free_ char *resolv = path_join(eg->dir, EGRESS_RESOLV_NAME);
    _cleanup_free_ char *hosts = path_join(eg->dir, EGRESS_HOSTS_NAME);
    const char *src[4] = {
        bind_src(sm, -1, eg->self_exe, 0, 0, "coco's own binary", err),
        NULL, NULL, NULL};
    if (src[0])
        src[1] = bind_src(sm, -1, eg->dir, 0, 0, "the egress directory", err);
    if (src[1])
        src[2] = bind_src(sm, -1, resolv, 0, 0, "the egress directory", err);
    if (src[2])
        src[3] = bind_src(sm, -1, hosts, 0, 0, "the egress directory", err);
    if (!src[3])
        return -1;
    strvec_pushf(argv, "--mount=type=bind,src=%s,dst=%s,ro%s", src[0],
                 EGRESS_CT_COCO, nsd);
    strvec_pushf(argv, "--mount=type=bind,src=%s,dst=%s,ro%s", src[1],
                 EGRESS_CT_DIR, nsd);
    strvec_pushf(argv, "--mount=type=bind,src=%s,dst=/etc/resolv.conf,ro%s",
                 src[2], nsd);
    strvec_pushf(argv, "--mount=type=bind,src=%s,dst=/etc/hosts,ro%s",
                 src[3], nsd);
    strvec_push(argv, "--sysctl=net.ipv4.ip_unprivileged_port_start=53");
    for (size_t i = 0; i < p->net.ca_env.n; i++) {
        const char *e = p->net.ca_env.v[i], *path = strchr(e, '=') + 1;
        if (check_mount_path(p, "a CA file of your environment", path, false,
                             err) < 0)
            return -1;
        const char *ca = bind_src(sm, -1, path, 0, 0,
                                  "a CA file of your environment", err);
        if (!ca)
            return -1;
        strvec_pushf(argv, "--mount=type=bind,src=%s,dst=" EGRESS_CA_DIR
                     "/%.*s,ro%s", ca, (int)(path - 1 - e), e, nsd);
    }
    return 0;
}

/* oci_build_argv(), and for a run IM (when P->idmap) to attach the
 * idmapped sources in. */
static int build_argv(const struct policy *p, const struct egress *eg,
                      struct idmap_set *im, struct strvec *argv,
                      struct strvec *env_out, struct strvec *envfile_out,
                      coco_err *err)
{
    _cleanup_strvec_ struct strvec keep = STRVEC_INIT;
    _cleanup_strvec_ struct strvec a = STRVEC_INIT;
    _cleanup_strvec_ struct strvec eo = STRVEC_INIT;
    _cleanup_strvec_ struct strvec ef = STRVEC_INIT;
    bool podman = p->runtime == RT_PODMAN;
    /* the container's user: the caller, or nobody for root (idmap.h) */
    uid_t ct_uid = p->idmap ? COCO_ROOT_TOOL_UID : p->uid;
    gid_t ct_gid = p->idmap ? COCO_ROOT_TOOL_GID : p->gid;
    uint64_t mem = p->limits.memory ? p->limits.memory : COCO_DEFAULT_MEMORY;
    uint64_t pids = p->limits.pids ? p->limits.pids : COCO_DEFAULT_PIDS;
    uint64_t tmp = p->limits.tmp_size ? p->limits.tmp_size
                                      : COCO_DEFAULT_TMP_SIZE;

    if (p->runtime != RT_PODMAN && p->runtime != RT_DOCKER)
        return err_set(err, 0, "%s: runtime %s is not podman or docker",
                       src_name(p), runtime_name(p->runtime));
    if (!p->engine_bin || !*p->engine_bin)
        return err_set(err, 0, "%s: %s was not found on PATH; install it or "
                       "pick another runtime with --runtime",
                       src_name(p), runtime_name(p->runtime));
    if (!engine_name_valid(p->container_name))
        return err_set(err, 0, "container name \"%s\" is not valid",
                       p->container_name ? p->container_name : "");
    if (!p->image || !*p->image || p->image[0] == '-')
        return err_set(err, 0, "%s: image: \"%s\" is not an image name",
                       src_name(p), p->image ? p->image : "");
    if (p->volume && !engine_name_valid(p->volume))
        return err_set(err, 0, "volume name \"%s\" is not valid", p->volume);
    /* Never run unfiltered when the config asked for a filter. */
    if (net_mode_check(p->runtime, p->net.mode, p->net.source, src_name(p), p->tool,
                       err) < 0)
        return -1;
    /* Under egress the container has no network of its own: what the
     * dry run and the goldens show stands in for the run's own. */
    bool proxied = net_policy_proxied(p);
    struct egress shown = {.dir = (char *)OCI_EGRESS_DIR_SHOWN,
                           .self_exe = (char *)OCI_COCO_SHOWN};
    if (!proxied)
        eg = NULL;
    else if (!eg)
        eg = &shown;
    if (p->net.mode == NET_ALLOWED && p->net.ports.n > 0)
        return err_set(err, 0,
                       "%s: ports: publishing \"%s\" needs the engine's "
                       "network, and under allowed_hosts a %s container "
                       "has none (it reaches out only through coco's egress "
                       "proxy); drop the ports, or set \"network\": "
                       "\"full\" (then unfiltered)",
                       src_name(p), p->net.ports.v[0], runtime_name(p->runtime));
    if ((p->net.mode == NET_NONE || p->net.mode == NET_UNSET) && p->net.ports.n > 0)
        return err_set(err, 0,
                       "%s: ports: the tool has no network (network "
                       "\"none\"), so \"%s\" cannot be published; set "
                       "\"network\"",
                       src_name(p), p->net.ports.v[0]);

    strvec_push(&a, p->engine_bin);
    strvec_push(&a, "run");
    /* --rm: nothing of a run survives it but the named volume.
     * --init: a real pid 1 reaps zombies and forwards signals, so the
     * stop at a timeout reaches the tool. */
    strvec_push(&a, "--rm");
    strvec_push(&a, "--init");
    /* Never fetch code as a side effect of running a tool: an image that
     * is not here is an error, and getting it is the user's explicit
     * `podman pull` (ideally by digest) or `coco rebuild`. */
    strvec_push(&a, "--pull=never");
    strvec_pushf(&a, "--name=%s", p->container_name);
    if (p->interactive)
        strvec_push(&a, "-i");
    if (p->tty)
        strvec_push(&a, "-t");

    /* The hardened set: no capabilities, no setuid gains, an immutable
     * image, writable space only in size-limited tmpfs. */
    strvec_push(&a, "--cap-drop=ALL");
    strvec_push(&a, "--security-opt=no-new-privileges");
    /* coco's seccomp table (the native sandbox's), as a profile the
     * runner hands over on a descriptor; see seccomp_profile.h. */
    strvec_pushf(&a, "--security-opt=seccomp=/dev/fd/%d", OCI_SECCOMP_FD);
    strvec_push(&a, "--read-only");
    /* docker adds noexec to a tmpfs unless told "exec", podman does not:
     * say it, so a tool behaves the same under both (build tools run
     * what they compile in /tmp; noexec there stops nothing that
     * "ld.so /tmp/x" would not get past anyway). */
    strvec_pushf(&a, "--tmpfs=/tmp:rw,nosuid,nodev,size=%llu,mode=1777%s",
                 (unsigned long long)tmp, podman ? "" : ",exec");
    /* The home: see the top of this file.  podman refuses the kernel's
     * uid=/gid= tmpfs options but has "U" (chown to the container user);
     * docker hands the options to the kernel.  notmpcopyup: podman would
     * otherwise copy the image's /home/coco into it, docker never does. */
    if (podman)
        strvec_pushf(&a,
                     "--tmpfs=%s:rw,nosuid,nodev,size=%llu,mode=0700,U,"
                     "notmpcopyup",
                     COCO_CONTAINER_HOME,
                     (unsigned long long)COCO_DEFAULT_HOME_SIZE);
    else
        strvec_pushf(&a,
                     "--tmpfs=%s:rw,nosuid,nodev,size=%llu,mode=0700,uid=%u,"
                     "gid=%u,exec",
                     COCO_CONTAINER_HOME,
                     (unsigned long long)COCO_DEFAULT_HOME_SIZE,
                     (unsigned)ct_uid, (unsigned)ct_gid);
    strvec_pushf(&a, "--pids-limit=%llu", (unsigned long long)pids);
    strvec_pushf(&a, "--memory=%llu", (unsigned long long)mem);
    if (p->limits.cpus_milli)
        strvec_pushf(&a, "--cpus=%llu.%03llu",
                     (unsigned long long)(p->limits.cpus_milli / 1000),
                     (unsigned long long)(p->limits.cpus_milli % 1000));

    switch (p->net.mode) {
    case NET_UNSET:
    case NET_NONE:
        strvec_push(&a, "--network=none");
        break;
    case NET_HOST:
        strvec_push(&a, "--network=host");
        break;
    case NET_FULL:
    case NET_ALLOWED:
        /* Through coco's egress proxy: no network but lo, the relay on
         * it.  "full" with published ports keeps the engine's default
         * network (unfiltered: `coco show` says so). */
        if (eg)
            strvec_push(&a, "--network=none");
        break;
    }
    /* podman copies the host's *_proxy variables into every container by
     * default: the tool would learn (and could use) the host's proxy. */
    if (podman)
        strvec_push(&a, "--http-proxy=false");

    /* Files the tool writes in the workspace stay the user's: rootless
     * podman maps the user's uid in; run by root the tool is nobody and
     * its binds are idmapped (idmap.h); else the user itself. */
    if (podman && p->rootless)
        strvec_push(&a, "--userns=keep-id");
    else
        strvec_pushf(&a, "--user=%u:%u", (unsigned)ct_uid, (unsigned)ct_gid);
    struct srcs sm = {.p = p, .im = im, .keep = STRVEC_INIT};

    if (add_env(p, eg, &a, &eo, &ef, err) < 0)
        return -1;

    for (size_t i = 0; i < p->n_mounts; i++)
        if (add_bind(&sm, &p->mounts[i], &a, err) < 0)
            goto fail;
    if (add_protect(&sm, &a, err) < 0)
        goto fail;
    /* The tool's cache volume: per tool unless "isolated": false, so one
     * tool cannot plant files another tool will run. */
    if (p->volume) {
        strvec_pushf(&a, "--mount=type=volume,src=%s,dst=%s", p->volume,
                     COCO_CACHE_DIR);
    } else if (p->cache_dir) {
        /* root's run: a directory of root's instead (idmap.h) */
        const char *src = bind_src(&sm, -1, p->cache_dir, 0, 0,
                                   "the cache directory", err);
        if (!src)
            goto fail;
        strvec_pushf(&a, "--mount=type=bind,src=%s,dst=%s%s", src,
                     COCO_CACHE_DIR, podman ? ",nosuid,nodev" : "");
    }
    if (add_x11(&sm, &a, err) < 0 || (eg && add_egress(&sm, eg, &a, err) < 0))
        goto fail;
    /* the shown names were copied into the argv */
    keep = sm.keep;
    sm.keep = (struct strvec)STRVEC_INIT;
    for (size_t i = 0; i < p->net.ports.n; i++) {
        strvec_push(&a, "-p");
        strvec_push(&a, p->net.ports.v[i]);
    }
    if (p->workdir)
        strvec_pushf(&a, "--workdir=%s", p->workdir);
    /* The config's podman_args, vetted by the config loader and the
     * policy; checked against the allowlist once more here, the last
     * step before the engine, whoever built the policy. */
    for (size_t i = 0; i < p->extra_args.n; i++) {
        const char *val;
        const struct engine_opt *opt = engine_opt_of(p->extra_args.v[i], &val);
        if (!opt || !engine_opt_has(opt, p->runtime))
            return err_set(err, 0, "%s: podman_args: \"%s\" is not an "
                           "engine option coco allows on %s", src_name(p),
                           p->extra_args.v[i], runtime_name(p->runtime));
        strvec_push(&a, p->extra_args.v[i]);
    }
    /* The relay starts the tool (after --init's pid 1): its own
     * entrypoint, so the image's cannot run first. */
    if (eg)
        strvec_pushf(&a, "--entrypoint=%s", EGRESS_CT_COCO);
    strvec_push(&a, p->image);
    if (eg) {
        strvec_push(&a, "_egress-forward");
        strvec_push(&a, EGRESS_CT_SOCK);
        strvec_pushf(&a, "%u", EGRESS_CT_PORT);
        strvec_push(&a, EGRESS_CT_DNS_SOCK);
        strvec_push(&a, "--");
    }
    for (size_t i = 0; i < p->argv.n; i++)
        strvec_push(&a, p->argv.v[i]);

    *argv = a;
    *env_out = eo;
    *envfile_out = ef;
    a = (struct strvec)STRVEC_INIT;
    eo = (struct strvec)STRVEC_INIT;
    ef = (struct strvec)STRVEC_INIT;
    return 0;
fail:
    strvec_clear(&sm.keep);
    return -1;
}

int oci_build_argv(const struct policy *p, const struct egress *eg,
                   struct strvec *argv, struct strvec *env_out,
                   struct strvec *envfile_out, coco_err *err)
{
    return build_argv(p, eg, NULL, argv, env_out, envfile_out, err);
}

/* --- the runner -------------------------------------------------------- */

/* The engine's environment: coco's own, with ENV_OUT laid over it; for
 * DOCKER without the proxy variables (docker_proxy_vars: see add_env). */
static char **engine_envp(const struct strvec *env_out, bool docker)
{
    struct strvec e = STRVEC_INIT;

    for (char **h = environ; h && *h; h++) {
        const char *eq = strchr(*h, '=');
        size_t n = eq ? (size_t)(eq - *h) : strlen(*h);
        bool replaced = false;
        /* docker: "-e HTTP_PROXY" ... (add_env) must find none of the
         * host's proxy settings to copy */
        for (size_t i = 0; docker && docker_proxy_vars[i] && !replaced; i++)
            replaced = strlen(docker_proxy_vars[i]) == n &&
                       strncmp(docker_proxy_vars[i], *h, n) == 0;
        for (size_t i = 0; i < env_out->n && !replaced; i++)
            replaced = strncmp(env_out->v[i], *h, n) == 0 &&
                       env_out->v[i][n] == '=';
        if (!replaced)
            strvec_push(&e, *h);
    }
    for (size_t i = 0; i < env_out->n; i++)
        strvec_push(&e, env_out->v[i]);
    return strvec_detach(&e);
}

/* An anonymous, sealed file holding the N strings of PARTS, one after the
 * other (WHAT names it in errors); -1 with ERR.  Never on disk, readable
 * only through the descriptor coco hands the engine. */
static int sealed_memfd(const char *what, const char *const *parts, size_t n,
                        coco_err *err)
{
    _cleanup_close_ int fd = memfd_create("coco", MFD_CLOEXEC |
                                                      MFD_ALLOW_SEALING);
    if (fd < 0)
        return err_set(err, errno, "memfd_create for the %s", what);
    for (size_t i = 0; i < n; i++) {
        const char *s = parts[i];
        size_t len = strlen(s);
        while (len > 0) {
            ssize_t w = write(fd, s, len);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return err_set(err, errno, "write the %s", what);
            s += w;
            len -= (size_t)w;
        }
    }
    /* Nobody, including the engine, changes it after this. */
    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
                               F_SEAL_SEAL);
    if (lseek(fd, 0, SEEK_SET) < 0)
        return err_set(err, errno, "rewind the %s", what);
    return steal_fd(&fd);
}

struct stop_ctx {
    const struct policy *p;
    char **envp;
};

/* Run ARGV (ARGV[0] the engine) quietly; 0 when it exited 0. */
static int run_quiet(const struct stop_ctx *c, char *const *argv)
{
    coco_err e = {0};
    int st = spawn_wait(argv, c->envp, true, true, &e);

    if (st < 0)
        debug("%s: %s", argv[1], e.msg);
    else if (st != 0)
        debug("%s %s %s: exit status %d", argv[0], argv[1],
              c->p->container_name, status_exit_code(st));
    return st == 0 ? 0 : -1;
}

/* Run "ENGINE ARGS..." quietly; 0 when it exited 0. */
static int run_engine_cmd(const struct stop_ctx *c, const char *const *args)
{
    _cleanup_strvec_ struct strvec a = STRVEC_INIT;

    strvec_push(&a, c->p->engine_bin);
    for (; *args; args++)
        strvec_push(&a, *args);
    return run_quiet(c, a.v);
}

/* The command that removes this run's container in whatever state it is
 * in: -f kills a running one (podman: -t 0, no grace period: the run is
 * already over), -v takes the anonymous volumes --rm would have taken.
 * The named cache volume stays, as after any run. */
static void engine_rm_argv(const struct policy *p, struct strvec *a)
{
    strvec_push(a, p->engine_bin);
    strvec_push(a, "rm");
    strvec_push(a, "-f");
    strvec_push(a, "-v");
    if (p->runtime == RT_PODMAN) {
        strvec_push(a, "-t");
        strvec_push(a, "0");
    }
    strvec_push(a, p->container_name);
}

/* A limit tripped: ask the engine to stop the container (SIGTERM to the
 * tool through --init, SIGKILL after 5 s).  Killing only the podman
 * client would leave the container running. */
static void oci_stop(void *data, enum sup_reason why, pid_t child)
{
    const struct stop_ctx *c = data;
    (void)why;
    if (run_engine_cmd(c, (const char *[]){"stop", "-t", "5",
                                           c->p->container_name, NULL}) != 0)
        /* No container to stop (the limit tripped before the engine had
         * created it, or the engine failed): end the client instead. */
        kill(child, SIGTERM);
}

/* The tool's exit status, or -1 with ERR (and its exit status) when a
 * limit stopped it. */
static int limit_result(const struct policy *p, const struct sup_result *r,
                        coco_err *err)
{
    char buf[64];

    if (r->reason == SUP_TIMEOUT)
        return err_set_exit(err, r->exit_code, 0, "%s: time limit of %s "
                            "reached, stopped", p->tool,
                            fmt_duration(p->limits.timeout_ms, buf,
                                         sizeof(buf)));
    if (r->reason == SUP_OUTPUT)
        return err_set_exit(err, r->exit_code, 0, "%s: output limit of %llu "
                            "bytes reached, stopped", p->tool,
                            (unsigned long long)p->limits.output);
    return r->exit_code;
}

/* docker's daemon finishes a create request even when the client that
 * sent it is gone, so a container can appear after the guardian's first
 * "rm -f" found nothing; podman has no daemon, and what its dead client
 * had not created nobody will. */
#define OCI_GUARD_AGAIN_MS 1000

/* Every run is supervised, limits or not: coco stays the engine client's
 * parent, so that whatever way the run ends, coco (or, if coco itself is
 * killed, its guardian) removes the container.  An exec'd client killed
 * by SIGKILL leaves its container running: conmon (podman) or the daemon
 * (docker) holds it, not the client.  The cost is one fork and a
 * sleeping coco beside the client; the client stays in coco's process
 * group, so it keeps the terminal's foreground and gets ^C, ^\ and
 * window changes from the terminal itself. */
static int run_engine(const struct policy *p, const struct egress *eg,
                      struct idmap_set *im, coco_err *err)
{
    _cleanup_strvec_ struct strvec argv = STRVEC_INIT;
    _cleanup_strvec_ struct strvec env_out = STRVEC_INIT;
    _cleanup_strvec_ struct strvec envfile = STRVEC_INIT;
    _cleanup_strvec_ struct strvec rm = STRVEC_INIT;
    _cleanup_close_ int memfd = -1;
    _cleanup_close_ int profile_fd = -1;
    const char *profile = seccomp_oci_profile();
    char **envp;

    /* Never a placeholder, never unfiltered: a run under egress has its
     * proxy standing (run.c). */
    if (net_policy_proxied(p) && !eg)
        return err_set(err, 0, "%s: the egress proxy is not running",
                       p->tool);
    if (build_argv(p, eg, im, &argv, &env_out, &envfile, err) < 0)
        return -1;
    if (im)
        idmap_attached(im);
    if (envfile.n > 0 && (memfd = sealed_memfd("env file",
                                                (const char *const *)envfile.v,
                                                envfile.n, err)) < 0)
        return -1;
    /* coco's seccomp table, which the engine loads before the container's
     * first program: nothing in the image can skip it. */
    if ((profile_fd = sealed_memfd("seccomp profile", &profile, 1, err)) < 0)
        return -1;
    envp = engine_envp(&env_out, p->runtime == RT_DOCKER);
    engine_rm_argv(p, &rm);

    struct guard g = GUARD_INIT;
    /* coco's own environment is all "rm" needs (CONTAINERS_CONF,
     * DOCKER_HOST ...), without the tool's values. */
    struct guard_spec gs = {
        .argv = rm.v,
        .envp = environ,
        .again_after_ms = p->runtime == RT_DOCKER ? OCI_GUARD_AGAIN_MS : 0,
        /* and then the idmapped attachments */
        .detach_dir = im ? im->dir : NULL,
        .detach_points = im ? im->points.v : NULL,
    };
    struct supervisor s;
    struct spawn_fd fds[2] = {{profile_fd, OCI_SECCOMP_FD},
                            {memfd, OCI_ENVFILE_FD}};
    struct stop_ctx sc = {p, envp};
    struct sup_limits lim = {
        .timeout_ms = p->limits.timeout_ms,
        .output_max = p->limits.output,
        .stop = oci_stop,
        .stop_data = &sc,
        /* stop -t 5 plus the engine's own teardown */
        .grace_ms = 15000,
    };
    struct sup_result res;
    int rc = -1;

    /* Before the engine starts: no window where a container exists and
     * nobody would remove it. */
    if (guard_start(&g, &gs, err) < 0) {
        err_prefix(err, "%s", p->tool);
        strv_free(envp);
        return -1;
    }
    if (supervise_init(&s, p->limits.output > 0, err) < 0)
        goto out;
    if (supervise_job_control(&s, err) < 0)
        goto out_sup;
    if (supervise_spawn(&s, argv.v, envp, fds, memfd >= 0 ? 2 : 1, err) < 0) {
        err_prefix(err, "%s", p->tool);
        goto out_sup;
    }
    if (supervise_wait(&s, &lim, &res, err) < 0) {
        run_quiet(&sc, rm.v);
        goto out_sup;
    }
    /* --rm normally removes it; after a limit, or a client that died of
     * a signal (SIGKILL from the OOM killer, or from us after the grace
     * period), the container may still exist. */
    if (res.reason != SUP_EXITED || WIFSIGNALED(res.status))
        run_quiet(&sc, rm.v);
    rc = limit_result(p, &res, err);
out_sup:
    supervise_release(&s);
out:
    guard_release(&g);
    strv_free(envp);
    return rc;
}

/* docker's daemon binds what it sees at a path in its own mount
 * namespace; an idmapped attachment coco made in another one (coco run
 * inside `unshare -m`, a snap's dockerd) is not there, and the daemon
 * would bind the empty placeholder under it instead.  When the daemon is
 * local (a unix socket) and the kernel names its pid, refuse that
 * plainly.  0, or -1 with ERR. */
static int docker_same_mount_ns(coco_err *err)
{
    const char *host = getenv("DOCKER_HOST");
    const char *path = "/var/run/docker.sock";
    if (host && *host) {
        if (!str_has_prefix(host, "unix://"))
            return 0;  /* a remote daemon: its own host's paths anyway */
        path = host + strlen("unix://");
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return 0;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct ucred uc;
    socklen_t len = sizeof uc;
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 || uc.pid <= 0)
        return 0;  /* docker itself says what is wrong, or no pid to see */
    char ns[64];
    struct stat a, b;
    snprintf(ns, sizeof ns, "/proc/%d/ns/mnt", (int)uc.pid);
    if (stat(ns, &a) < 0 || stat("/proc/self/ns/mnt", &b) < 0)
        return 0;
    if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return 0;
    return err_set(err, 0, "docker's daemon (pid %d) runs in another mount "
                   "namespace than coco, so it cannot see the idmapped "
                   "mounts that keep root's run from running as host root; "
                   "run coco where the daemon runs (not inside `unshare "
                   "-m`), or as a normal user", (int)uc.pid);
}

int oci_run(const struct policy *p, const struct egress *eg, coco_err *err)
{
    if (p->idmap && p->runtime == RT_DOCKER && docker_same_mount_ns(err) < 0)
        return -1;
    /* run by root: the tool is nobody, its binds idmapped (idmap.h);
     * detached when the engine is done, whatever way the run ended */
    struct idmap_set im = IDMAP_SET_INIT;
    int rc = p->idmap && idmap_open(&im, err) < 0
                 ? -1
                 : run_engine(p, eg, p->idmap ? &im : NULL, err);
    idmap_close(&im);
    return rc;
}

char *oci_find_engine(enum runtime_kind kind)
{
    if (kind != RT_PODMAN && kind != RT_DOCKER)
        return NULL;
    return spawn_find_program(NULL, runtime_name(kind));
}

int oci_run_egress(const struct policy *p, coco_err *err)
{
    bool proxied = net_policy_proxied(p);
    struct egress eg = EGRESS_INIT;
    int code = proxied && egress_engine_start(p, runtime_name(p->runtime), &eg,
                                              err) < 0
                   ? -1
                   : oci_run(p, proxied ? &eg : NULL, err);
    egress_engine_stop(&eg);
    return code;
}
