/* policy.h — config + environment + CLI flags resolved once, before any
 * fork, into one struct.  Backends read only this struct: never the JSON,
 * never the environment.
 */
#ifndef COCO_POLICY_H
#define COCO_POLICY_H

#include <sys/types.h>

#include "config.h"

#define COCO_DEFAULT_IMAGE "localhost/coco:latest"
#define COCO_DEFAULT_WORKDIR "/workspace"
#define COCO_CONTAINER_HOME "/home/coco"
#define COCO_CACHE_DIR "/coco/cache"
/* PATH in a sandbox whose config sets none. */
#define COCO_SANDBOX_PATH \
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Defaults applied when a config's limits leave a value unset. */
#define COCO_DEFAULT_MEMORY (4ULL << 30)   /* 4 GiB */
#define COCO_DEFAULT_PIDS 1024ULL
#define COCO_DEFAULT_TMP_SIZE (512ULL << 20) /* tmpfs /tmp */
#define COCO_DEFAULT_HOME_SIZE (256ULL << 20) /* tmpfs home */
#define COCO_DEFAULT_SHM_SIZE (64ULL << 20)   /* tmpfs /dev/shm (native) */

/* Everything policy_resolve() needs from the host, gathered once by
 * host_ctx_from_process() and fakeable in unit tests. */
struct host_ctx {
    const char *cwd;    /* absolute: the kernel's name for CWD_FD */
    /* The current directory itself (O_PATH), opened once: mount sources
     * below it are resolved from this descriptor, never from CWD looked
     * up again (a directory on that path could be swapped for a symlink
     * meanwhile).  Only when HAVE_CWD_FD (unit tests fake CWD alone). */
    int cwd_fd;
    bool have_cwd_fd;
    const char *home;   /* absolute */
    uid_t uid;
    gid_t gid;
    bool stdin_tty;
    bool stdout_tty;
    char **environ;     /* the host's environment (NAME=value) */
    pid_t pid;
    bool podman_rootless;  /* podman runs rootless (uid != 0) */
    /* Fixed container name for golden tests; NULL = "coco-TOOL-PID-RAND". */
    const char *container_name;
    /* Engine programs, for backends that exec one; NULL = look up PATH. */
    const char *podman_bin;
    const char *docker_bin;
    bool native_available;  /* can create the native sandbox here */
    bool cgroup2_controllers; /* unified cgroup hierarchy at /sys/fs/cgroup */
};

/* CLI flags of `coco run`. */
struct run_flags {
    enum runtime_kind runtime;  /* RT_UNSET unless --runtime */
    bool dry_run;
    bool show;  /* coco show: describe even what a run would refuse */
    bool report;  /* --report: summarise the run's egress at its end */
};

struct policy_mount {
    char *src;      /* absolute host path: the kernel's name for FD */
    char *dst;      /* absolute container path */
    int fd;         /* O_PATH descriptor of the source, opened beneath the
                       cwd or home without following any symlink; what
                       the native backend binds.  -1 only when MISSING. */
    size_t index;   /* position in the config's "mounts" (for messages;
                       mounts are sorted parents first) */
    bool ro;
    bool is_dir;
    bool missing;   /* describing only (show, --dry-run): the directory
                       does not exist yet; a run creates it */
    unsigned opts;  /* MNT_* from the config */
    bool risky;     /* grants something sensitive (home, /, /etc ...) */
};

struct policy_env {
    char *name;
    char *value;
    bool from_host;  /* env_passthrough, as opposed to the config's env */
};

/* A resolved limit: value and where it came from. */
struct policy_limits {
    uint64_t memory;      /* bytes, always > 0 */
    uint64_t pids;        /* always > 0 */
    uint64_t cpus_milli;  /* 0 = no CPU limit */
    uint64_t timeout_ms;  /* 0 = none */
    uint64_t output;      /* 0 = none */
    uint64_t tmp_size;    /* tmpfs /tmp size, bytes */
    uint64_t home_size;   /* tmpfs home size, bytes (native) */
    uint64_t shm_size;    /* tmpfs /dev/shm size, bytes (native) */
    bool memory_default, pids_default;
};

/* The resolved network: which mode, who chose it, what it reaches. */
struct policy_net {
    enum net_mode mode;
    const char *source;           /* "config", "default", "COCO_ALLOW_NETWORK" */
    struct strvec allowed_hosts;  /* for NET_ALLOWED */
    struct strvec private_ranges; /* opened to the egress proxy */
    /* With egress: the host's CA settings ("NAME=PATH", PATH resolved to
     * a regular file), so tools behind an intercepting proxy trust what
     * the host trusts (POLICY_CA_VARS). */
    struct strvec ca_env;
    struct strvec ports;          /* config ports + COCO_EXTRA_PORTS */
};

/* A protected host-executed path (protect.h) found in a writable mount
 * before the run: read-only for the tool (natively a read-only bind over
 * it, on podman and docker a read-only mount), unless ALLOWED. */
struct policy_protect {
    char *host;       /* absolute host path (the mount's source + REL) */
    char *ctr;        /* the same path in the sandbox */
    char *rel;        /* below the mount's source, no leading '/' */
    size_t root;      /* index in the policy's protect_roots */
    int kind;         /* protect_kind(), or -1 for an ANCHOR */
    bool anchor;      /* a directory above a protected path, bound onto
                         itself writable: a mount point cannot be
                         renamed or removed, so the protected path
                         cannot be moved away with it */
    bool is_dir;
    bool is_link;     /* a symlink: nothing to bind over; compared after
                         the run like the rest */
    bool allowed;     /* the config's protect.allow: stays writable */
    bool via_gitdir;  /* found through a .git file's gitdir: */
    bool link_target; /* what a protected symlink names inside the mount */
    dev_t dev;
    ino_t ino;
    uint64_t fp;      /* fingerprint of its content and metadata */
};

/* The CA variables a tool with egress gets from the host. */
#define POLICY_CA_VARS                                                     \
    "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE",          \
    "PIP_CERT", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "CARGO_HTTP_CAINFO"

struct policy {
    char *tool;          /* tool name */
    char *config_path;
    char *spec;          /* install spec (config "tool"), may be NULL */
    struct strvec allow_scripts; /* install.allow_scripts */
    struct strvec install_hosts; /* install.allowed_hosts */
    char *install_runtime;       /* install.runtime: "node@22", or NULL */
    /* The tool's own config env, for what of it an installer reads
     * (NPM_CONFIG_REGISTRY ...): "NAME=value". */
    struct strvec config_env;
    bool installed;      /* an install is mounted at INSTALL_MOUNT */

    enum runtime_kind runtime;
    const char *runtime_source;  /* "--runtime", "COCO_RUNTIME", "config",
                                    "default" */
    char *engine_bin;    /* podman/docker program path (not for native) */
    bool rootless;       /* podman rootless */
    /* Root invoked a rootful engine (podman as root, docker): the tool
     * runs as nobody and every bind is idmapped (idmap.h); the cache is
     * a directory of root's, not a volume (a volume's files would be
     * root's, unwritable to nobody). */
    bool idmap;

    char *image;
    const char *image_source;  /* "config", "COCO_IMAGE", "default" */

    struct strvec argv;  /* command + user args; argv.v[0] is the command */
    char *workdir;

    struct policy_mount *mounts;
    size_t n_mounts;

    struct policy_env *env;  /* final env list, in order, names unique */
    size_t n_env;
    /* The host's TERM, LANG, LANGUAGE and LC_* ("NAME=value"): the native
     * sandbox passes these besides env (terminal and locale; tools
     * misbehave without them), so it never reads the environment itself. */
    struct strvec locale_env;

    struct policy_net net;

    bool x11;
    char *x11_display;       /* DISPLAY value */
    char *x11_socket_dir;    /* /tmp/.X11-unix when it exists */
    char *x11_xauthority;    /* host Xauthority file, when it exists */

    struct strvec extra_args;  /* podman_args, already vetted */

    struct policy_limits limits;
    const char *limits_note; /* why limits are not enforced, or NULL */
    bool isolated;           /* per-tool volume (default true) */
    char *volume;            /* cache_volume_name(tool or NULL); NULL
                                when idmap */
    char *cache_dir;         /* idmap: policy_cache_dir(), bound at
                                /coco/cache instead of the volume */

    bool tty;                /* stdin and stdout are terminals */
    bool interactive;        /* pass stdin (-i) */
    char *container_name;

    uid_t uid;
    gid_t gid;
    char *home;              /* host home (for show) */
    bool dry_run;
    bool report;             /* --report (run_flags) */

    struct strvec protect_allow;      /* config protect.allow */
    struct strvec protect_roots;      /* sources of the writable mounts
                                         protect_scan() searched */
    struct policy_protect *protect;   /* protect_scan(), parents first */
    size_t n_protect;
    bool protect_truncated;           /* the scan hit its bounds */
};

/* Fill CTX from the running process (cwd, $HOME, ids, ttys, environ...).
 * Strings in CTX point into static/owned storage released by
 * host_ctx_release(). */
int host_ctx_from_process(struct host_ctx *ctx, coco_err *err);
void host_ctx_release(struct host_ctx *ctx);

/* Resolve CFG + CTX + FLAGS + user ARGS into OUT.  Opens every mount
 * source without following symlinks (OUT holds the descriptors until
 * policy_free).  For a run, creates a missing mount source directory
 * (0700) as the bash coco did; a dry run or show creates nothing and
 * marks it missing.  Refuses a missing
 * file, engine sockets, and anything the config validator could not know
 * (DISPLAY unset for x11, bad COCO_EXTRA_PORTS...).  Error messages name
 * the config file and key, or the environment variable. */
int policy_resolve(const struct config *cfg, const struct host_ctx *ctx,
                   const struct run_flags *flags, char *const *args,
                   size_t n_args, struct policy *out, coco_err *err);

void policy_free(struct policy *p);

/* The runtime COCO_RUNTIME names in the environment ENV, into OUT:
 * RT_UNSET when unset or empty.  The one place the variable is read
 * (resolution, `coco prune`, `coco rebuild`).  Returns 0, or -1 with an
 * error naming the variable for a value that is not a runtime. */
int policy_env_runtime(char *const *env, enum runtime_kind *out, coco_err *err);

/* Add a directory mount of SRC (an absolute path without symlinks, which
 * coco itself made) at DST to the resolved P: what a run gets besides
 * its config (the install, the tool's cache). */
int policy_add_mount(struct policy *p, const char *src, const char *dst,
                     bool ro, coco_err *err);
/* Put DIR first on P's PATH (COCO_SANDBOX_PATH when the config sets no
 * PATH). */
/* Prepend DIR to NAME ("DIR:old", or DIR when unset), unless the
 * config's own env sets NAME: it wins. */
void policy_prepend_env(struct policy *p, const char *name, const char *dir);
void policy_prepend_path(struct policy *p, const char *dir);

/* True when P's final env (the config's env and env_passthrough) sets
 * NAME: what coco's own defaults give way to. */
bool policy_has_env(const struct policy *p, const char *name);

/* Look NAME up in the NULL-terminated environment ENV; NULL if absent. */
const char *env_lookup(char *const *env, const char *name);

/* The cache volume of TOOL (a valid tool name), or the shared one of
 * "isolated": false tools for NULL: "coco-cache-t-" and TOOL with every
 * byte outside [a-z0-9.-] written as "_XX", or "coco-cache-shared".  No
 * two tools, and no tool and the shared volume, get the same name.
 * Newly allocated. */
char *cache_volume_name(const char *tool);
/* The tool whose volume VOLUME is (newly allocated), or NULL when
 * cache_volume_name() cannot return VOLUME for any tool. */
char *cache_volume_tool(const char *volume);
/* True when VOLUME is one cache_volume_name() returns: coco's to prune. */
bool cache_volume_is_ours(const char *volume);

/* The host directory a run binds at /coco/cache where it uses one
 * instead of an engine's volume (native runs; podman and docker runs
 * root invokes): envs/TOOL/cache/run, or for an engine run of an
 * "isolated": false tool paths_shared_cache_dir(). */
char *policy_cache_dir(const struct policy *p);

#endif
