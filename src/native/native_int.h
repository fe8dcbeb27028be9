/* native_int.h — pieces of the native sandbox, shared between
 * src/native/ (one file per concern).  Nothing here is public: coco.c sees only native.h.
 *
 * Who runs what:
 *   parent   coco itself, outside: cgroups, uid/gid maps, supervision
 *            (sandbox.c, userns.c).
 *   init     pid 1 of the new pid namespace (a clone of coco): mounts,
 *            pivot_root, network, then forks the tool and reaps
 *            (child.c, init.c).
 *   tool     the child of init: drops credentials and capabilities,
 *            Landlock, seccomp, execve (child.c).
 */
#ifndef COCO_NATIVE_INT_H
#define COCO_NATIVE_INT_H

#include <linux/filter.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "net.h"
#include "policy.h"
#include "supervise.h"
#include "idmap.h"
#include "tty.h"

/* valgrind cannot run a CLONE_VM child that is not a thread, nor let
 * init wipe the launcher's environment block: see the users in userns.c
 * and child.c. */
#include "valgrind_shim.h"

/* Host ids the tool runs as when coco is invoked by root: "nobody", so the
 * tool never holds host uid 0; idmapped mounts make its writes in
 * read-write binds land as the invoking user. */
#define NATIVE_ROOT_TOOL_UID COCO_ROOT_TOOL_UID
#define NATIVE_ROOT_TOOL_GID COCO_ROOT_TOOL_GID

/* The sandbox's PATH, unless the policy's env sets one. */
#define NATIVE_PATH COCO_SANDBOX_PATH
#define NATIVE_HOSTNAME "coco"

/* Size of the tmpfs holding the new root (only directories and mount
 * points live there) and of /dev (nodes and links).  /tmp, the home and
 * /dev/shm are sized by the policy (struct policy_limits). */
#define NATIVE_ROOT_SIZE (1ULL << 20)
#define NATIVE_DEV_SIZE (64ULL << 10)

/* Network through coco's egress proxy (allowed_hosts, "full"). */
static inline bool native_egress(const struct policy *p)
{
    return p->net.mode == NET_ALLOWED || p->net.mode == NET_FULL;
}

/* The sandbox's own /etc/hosts and /etc/resolv.conf under egress: every
 * name but localhost goes to the DNS stub, over UDP (any address is the
 * stub: the namespace's `local default` route makes every address
 * local; 127.0.0.53 is only the one written down). */
#define NATIVE_HOSTS                                                       \
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"   \
    "127.0.1.1\t" NATIVE_HOSTNAME "\n"
#define NATIVE_RESOLV_CONF "nameserver 127.0.0.53\noptions edns0\n"

/* Where a CA file from the host's environment (policy ca_env entry
 * "NAME=PATH") is in the sandbox: PATH itself under /etc or /usr (bound
 * read-only already), else a read-only copy at NATIVE_CA_DIR/NAME. */
#define NATIVE_CA_DIR EGRESS_CA_DIR
static inline bool native_ca_visible(const char *path)
{
    return strncmp(path, "/etc/", 5) == 0 || strncmp(path, "/usr/", 5) == 0;
}

/* The explicit proxy (HTTP CONNECT, plain HTTP, SOCKS5 on one port) in
 * the sandbox: 127.0.0.1:NATIVE_PROXY_PORT, the next free port when the
 * allowlist names this one. */
#define NATIVE_PROXY_PORT 3128
/* Most transparent ports one run listens on (80, 443 and the ports the
 * allowlist names); beyond them, only the explicit proxy. */
#define NATIVE_MAX_TPORTS 32

/* SIGTERM -> SIGKILL grace after a timeout. */
#define NATIVE_GRACE_MS 3000

/* COCO_DEBUG timing: microseconds on CLOCK_MONOTONIC, and the start of
 * native_run() (sandbox.c; init and the tool inherit it). */
extern uint64_t t0_us;
static inline uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
#define STAMP(what)                                                        \
    do {                                                                   \
        if (coco_debug)                                                    \
            debug("native: %6llu us  %s",                                  \
                  (unsigned long long)(now_us() - t0_us), what);           \
    } while (0)

/* ---- child -> parent error channel (child.c) ------------------------- */

/* What a message on the error socket means to the parent. */
enum child_msg_kind {
    MSG_SETUP = 125,    /* sandbox setup failed */
    MSG_NOEXEC = 126,   /* command found but not executable */
    MSG_NOTFOUND = 127, /* command not found */
};

struct child_msg {
    int kind;
    int errnum;
    char msg[1024];
};

/* In init or the tool: send {kind, errno, message} to the parent and
 * _exit(kind).  Never returns. */
__attribute__((noreturn, format(printf, 4, 5))) void
child_fail(int errfd, int kind, int errnum, const char *fmt, ...);

/* ---- mount plan (mounts.c) ------------------------------------------- */

enum mop_kind {
    MOP_BIND,     /* bind SRC (host path) at DST, recursively */
    MOP_DEV,      /* bind host device node SRC at DST (a file) */
    MOP_SYMLINK,  /* symlink DST -> SRC (SRC is the link text) */
    MOP_TMPFS,    /* new tmpfs at DST, SIZE bytes, MODE */
    MOP_PROC,     /* new proc for the pid namespace at DST */
    MOP_DEVPTS,   /* new devpts instance at DST */
    MOP_RO,       /* make DST (already in the new root) read-only */
    MOP_MASK,     /* hide DST: /dev/null over a file, empty ro tmpfs
                     over a directory; skipped when DST is absent */
    MOP_DIR,      /* an empty directory DST (the workdir when no mount
                     provides it) */
    MOP_FILE,     /* a read-only file holding the text SRC over the
                     existing file DST (skipped when DST is absent or a
                     symlink): coco's own /etc/hosts, /etc/resolv.conf;
                     with MOPF_CREATE, DST is made (the CA copies) */
    MOP_PROTECT,  /* DST (an existing path inside a config bind, never
                     created) bound onto itself: read-only with MOPF_RO
                     (a protected host-executed file), else as it is (an
                     anchor: a mount point cannot be renamed away) */
};

enum {
    MOPF_RO = 1u << 0,       /* read-only */
    MOPF_NOEXEC = 1u << 1,   /* noexec */
    MOPF_IDMAP = 1u << 2,    /* idmapped to the invoking user (root run) */
    MOPF_DIR = 1u << 3,      /* the bind source is a directory */
    MOPF_CONFIG = 1u << 4,   /* from the config: the source is the
                                policy's descriptor (opened without
                                following symlinks), target resolved
                                beneath the new root */
    MOPF_OPTIONAL = 1u << 5, /* skip when the source/target is absent */
    MOPF_OWNED = 1u << 6,    /* tmpfs owned by the tool's uid/gid */
    MOPF_DEVNODES = 1u << 7, /* the /dev tmpfs: in a root run device nodes
                                are made here with mknod (no nodev) */
    MOPF_ALWAYSBIND = 1u << 8, /* a device that must be bound, never
                                  recreated with mknod (a pty) */
    MOPF_NESTED = 1u << 9,   /* the target lies inside an earlier config
                                bind: it must exist there (the policy
                                checked), never created in the user's
                                files */
    MOPF_CREATE = 1u << 10,  /* MOP_FILE: create DST (in the root
                                tmpfs) rather than cover an existing
                                file */
};

struct mop {
    enum mop_kind kind;
    int srcfd;  /* MOPF_CONFIG: the policy's O_PATH descriptor of SRC
                   (borrowed), else -1 */
    char *src;
    char *dst;  /* absolute path inside the sandbox */
    unsigned flags;
    uint64_t size;
    unsigned mode;
    const char *why;  /* shown by native_describe() */
};

struct mount_plan {
    struct mop *ops;
    size_t n;
};

/* What the plan needs to know about the host: is /bin, /lib ... a
 * directory or a usr-merged symlink (its target), or absent. */
struct host_layout {
    const char *name;  /* "bin", "sbin", "lib", "lib64", "lib32", "libx32" */
    char *link;        /* symlink text, NULL when a directory */
    bool present;
};
#define NATIVE_N_TOPDIRS 6
void host_layout_probe(struct host_layout out[NATIVE_N_TOPDIRS]);
void host_layout_free(struct host_layout l[NATIVE_N_TOPDIRS]);

/* Build the ordered list of mount operations for P (pure: the host facts
 * come in LAYOUT).  IDMAP marks the config's binds as idmapped (coco run
 * by root).  TOOL_UID/GID own the home tmpfs. */
void mount_plan_build(const struct policy *p,
                      const struct host_layout layout[NATIVE_N_TOPDIRS],
                      bool idmap, struct mount_plan *plan);
void mount_plan_free(struct mount_plan *plan);
/* A read-only file holding TEXT at DST (created in the root tmpfs). */
void mount_plan_add_file(struct mount_plan *plan, const char *text,
                         const char *dst, const char *why);
/* The tool's terminal TTY (its own pty's slave, e.g. /dev/pts/3) as
 * /dev/console, so ttyname() works for the tool that holds it as stdin. */
void mount_plan_add_console(struct mount_plan *plan, const char *tty);
const char *mop_kind_name(enum mop_kind k);

/* In init: carry out PLAN on a new tmpfs root and pivot_root into it.
 * SRCFDS[i] is an O_PATH descriptor for each MOPF_CONFIG op's source
 * (indexed by op), opened before any mount.  IDMAP_FD is a user
 * namespace for MOPF_IDMAP binds, or -1.  MKNOD: init is real root (a
 * root run), so device nodes are created rather than bound.  Returns 0,
 * or -1 with ERR. */
int mount_plan_apply(const struct mount_plan *plan, const int *srcfds,
                     int idmap_fd, uid_t tool_uid, gid_t tool_gid,
                     bool mknod, coco_err *err);

/* In init: open each MOPF_CONFIG source again in the sandbox's mount
 * namespace, by the kernel's name for the policy's descriptor, without
 * following any symlink, and refuse it unless it is the same inode (and
 * type) the policy checked; fills SRCFDS (n ops, -1 elsewhere). */
int mount_sources_open(const struct mount_plan *plan, int *srcfds,
                       coco_err *err);

/* ---- seccomp (seccomp.c) ---------------------------------------------- */

enum sc_rule {
    SC_ALL,        /* deny every call */
    SC_NSFLAGS0,   /* deny when arg0 holds a CLONE_NEW* flag */
    SC_IOCTL1,     /* deny when arg1 (low 32 bits) is ARG */
    SC_PERSONA0,   /* deny unless arg0 is PER_LINUX or the 0xffffffff query */
    SC_MODE,       /* deny when the mode argument (index ARG) holds S_ISUID
                      or S_ISGID */
    SC_SOCKFAM0,   /* deny when arg0 (a socket family) is not one of
                      seccomp_socket_families */
};

/* The socket families a tool may open (ascending): local, IPv4, IPv6 and
 * netlink (interface lists, getaddrinfo's address checks). */
extern const int seccomp_socket_families[];
extern const size_t seccomp_socket_families_len;

struct sc_deny {
    const char *name;
    int errnum;
    enum sc_rule rule;
    unsigned long arg;
    const char *why;
    int nr;  /* the call's number where libseccomp may not know its name
                (newer than the library), else 0 */
};

extern const struct sc_deny seccomp_table[];
extern const size_t seccomp_table_len;

/* Build the filter without loading it; returns the number of rules added
 * (for tests and describe), or -1 with ERR. */
int seccomp_check(coco_err *err);
/* Write the filter as raw BPF (struct sock_filter[]) to FD: what
 * tools/gen_seccomp compiles into coco at build time. */
int seccomp_export_fd(int fd, coco_err *err);

/* The same filter compiled at build time from the table (seccomp_bpf.c,
 * generated header): loading it costs one system call, where building it
 * with libseccomp in every sandbox cost most of a millisecond. */
const struct sock_filter *seccomp_compiled(size_t *len);
/* Load the compiled filter into the calling process (no_new_privs must be
 * set).  0 or -1/ERR. */
int seccomp_load_compiled(coco_err *err);

/* ---- capabilities (caps.c) -------------------------------------------- */

/* Drop the bounding set; when SET_IDS switch to UID/GID with no
 * supplementary groups; clear the ambient set, then effective, permitted
 * and inheritable; set no_new_privs.  0 or -1/ERR. */
int caps_drop_all(bool set_ids, uid_t uid, gid_t gid, coco_err *err);
/* For init, which never calls execve (so the bounding set is moot):
 * clear ambient, effective, permitted and inheritable, keeping CAP_KILL
 * when KEEP_KILL (in a root run the tool is another uid, and init must
 * forward signals to it); set no_new_privs. */
int caps_drop_init(bool keep_kill, coco_err *err);

/* ---- limits (cgroup.c) ------------------------------------------------ */

enum limit_how {
    LIM_NONE = 0,
    LIM_CGROUP2,
    LIM_CGROUP1,
    LIM_RLIMIT,
};
const char *limit_how_name(enum limit_how h);

struct cgroup_run {
    char *paths[3];  /* created cgroup dirs (v1: memory, pids, cpu; v2: one) */
    size_t n;
    enum limit_how memory, pids, cpus;
};

/* Which mechanism would apply to each limit on this host (no changes). */
void cgroup_probe(const struct policy_limits *l, struct cgroup_run *cg);
/* Parent: create cgroups and write limits (what cannot be done is left
 * to rlimits: cg->* says which applied). */
int cgroup_setup(const struct policy_limits *l, struct cgroup_run *cg,
                 coco_err *err);
/* Parent: move PID into the created cgroups. */
int cgroup_enter(struct cgroup_run *cg, pid_t pid, coco_err *err);
/* Parent: remove the cgroups after the run. */
void cgroup_cleanup(struct cgroup_run *cg);
/* Tool: rlimits for what cgroups did not cover. */
int rlimits_apply(const struct policy_limits *l, const struct cgroup_run *cg,
                  coco_err *err);

/* ---- init (init.c) ---------------------------------------------------- */

/* Signals init forwards to the tool. */
extern const int init_forwarded[];
extern const size_t init_n_forwarded;
/* Run as pid 1 until TOOL exits; returns the exit code to use.  When
 * PTY (the tool has a pty of its own), a resize of the user's terminal
 * is not forwarded: coco resizes the pty instead. */
int init_loop(pid_t tool, bool pty);

/* ---- landlock (landlock.c) -------------------------------------------- */

/* ABI version, 0 when unavailable. */
int landlock_abi(void);
/* Restrict the calling process to PLAN's mounts; silently does nothing
 * when Landlock is absent.  0 or -1/ERR. */
int landlock_apply(const struct mount_plan *plan, const struct policy *p,
                   coco_err *err);

/* ---- one run: the parent and its child (sandbox.c, child.c) ----------- */

/* Everything a run holds.  The parent fills it before clone(); init and
 * the tool read their copy of it (init_main() below). */
struct run {
    const struct policy *p;
    struct mount_plan plan;
    struct strvec env;
    struct supervisor sup;
    struct cgroup_run cg;
    struct tty_relay tty;  /* the tool's own pty, when coco has a terminal */
    bool root;        /* coco invoked by root: no user namespace */
    bool newnet;
    uid_t tool_uid;
    gid_t tool_gid;
    int idmap_fd;     /* user namespace for idmapped binds, or -1 */
    int errsock[2];
    /* parent -> init releases: a socket, not a pipe, so a send to an init
     * that already died fails with EPIPE (MSG_NOSIGNAL) instead of
     * killing coco with SIGPIPE before it can report why */
    int syncsock[2];
    pid_t helper;     /* idmapping helper, reaped after the run */
    bool egress;      /* network through coco's egress proxy */
    struct egress_proc proxy;  /* its process (net.h) */
    int egsock[2];    /* proxy [0] <- init [1]: the listeners */
};

/* Second release message, parent -> init: the cgroup placement is done
 * and which mechanism enforces each limit (init needs it for the cgroup
 * namespace and the rlimit fallback). */
struct release2 {
    uint8_t memory, pids, cpus;
    uint8_t placed;  /* init is in the run's cgroups */
};

/* In the child of clone(): be init for R (child.c), start the tool, and
 * _exit with its status; every failure goes to the parent on
 * R->errsock[1] (child_fail).  Never returns. */
__attribute__((noreturn)) void init_main(struct run *r);

/* ---- egress (egress.c) ------------------------------------------------ */

/* The transparent ports for P into PORTS[0..MAX): 80, 443, then each
 * port the allowlist names; *PROXY_PORT gets the explicit proxy's port
 * (NATIVE_PROXY_PORT unless that is taken).  Returns how many. */
size_t native_egress_ports(const struct policy *p, uint16_t *ports,
                           size_t max, uint16_t *proxy_port);

/* Add to PLAN what egress needs in the filesystem: a copy of each CA
 * file the host's environment names outside /etc and /usr (read now, so
 * nothing of the host's path is bound). */
void native_egress_plan(const struct policy *p, struct mount_plan *plan);

/* In init, in the sandbox's new network namespace (lo up): routes, an
 * address on lo, the listeners, sent to the proxy over SOCK.  0 or
 * -1/ERR. */
int native_egress_listen(const struct policy *p, int sock, coco_err *err);

/* Parent, once init runs: fork the proxy (R->proxy; egress_stop() after
 * the run), which receives init's listeners over R->egsock[0] (init
 * sends on [1]; the parent closed its copy of [1]).  0 or -1/ERR. */
int native_egress_start(struct run *r, coco_err *err);

/* ---- user namespaces (userns.c) --------------------------------------- */

/* clone3() with FLAGS (clone() where the kernel or valgrind lacks it);
 * the child gets SIGCHLD's exit signal and returns 0, as from fork(). */
pid_t clone3_fork(uint64_t flags);

/* Write PID's uid_map and gid_map, one line each: IN_UID inside is
 * OUT_UID outside (the same for gids).  DENY_SETGROUPS: write "deny" to
 * its setgroups first (an unprivileged gid_map needs it).  0 or -1/ERR. */
int write_maps(pid_t pid, uid_t in_uid, uid_t out_uid, gid_t in_gid,
               gid_t out_gid, bool deny_setgroups, coco_err *err);

/* make_idmap_userns(): idmap.h */

/* ---- environment (sandbox.c) ------------------------------------------ */

/* The tool's environment: PATH, HOME, TERM, LANG/LC_* then the policy's
 * env.  HOST_ENV supplies TERM/LANG/LC_* when the policy has none. */
void native_build_env(const struct policy *p, char *const *host_env,
                      struct strvec *out);

#endif
