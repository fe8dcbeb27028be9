/* sandbox.c — the native backend's run: clone() into new namespaces,
 * hold the child until the parent has written its uid/gid maps and put
 * it in its cgroup, let it build the filesystem and start the tool, and
 * supervise it.
 *
 * Parent (coco, outside, with the invoking user's rights):
 *   cgroups -> clone3 -> uid/gid maps, cgroup.procs -> release -> wait.
 * init (pid 1 inside, full capabilities in its own namespaces only):
 *   wait for release -> mounts, pivot_root -> hostname, lo -> fork tool
 *   -> drop everything -> reap and forward signals.
 * tool (init's child): setsid, its own pty as controlling terminal ->
 *   ids, capabilities, no_new_privs -> workdir -> Landlock -> seccomp ->
 *   rlimits -> execve.
 *
 * Terminal.  The tool never gets the user's terminal: when coco runs on
 * one, the tool gets a pty of its own and coco relays (tty.h), so nothing
 * it does to a terminal (modes, line discipline, exclusive mode, size)
 * outlives the run, and everything it writes there passes the output cap.
 * Without one, the tool is in a new session with no controlling terminal
 * at all (/dev/tty fails with ENXIO).
 *
 * Every failure after clone() is sent to the parent over a SOCK_SEQPACKET
 * socket as {kind, errno, message} (after crun), so coco prints one line
 * and exits 125 (126/127 for a command that cannot be run).
 *
 * Identity.  Invoked by a normal user, a new user namespace maps that
 * user to itself: files the tool writes are the user's.  Invoked by root,
 * coco needs no user namespace to mount, and the tool runs as the
 * unprivileged "nobody" (never host uid 0); the config's binds are
 * idmapped (MOUNT_ATTR_IDMAP) so that nobody's writes land on disk as the
 * invoking user and the user's files look like nobody's own inside.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "native.h"
#include "native_int.h"
#include "sys.h"
#include "supervise.h"
#include "tty.h"

extern char **environ;

/* valgrind cannot run a CLONE_VM child that is not a thread, nor let us
 * wipe the launcher's environment block: see the two users below. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* With COCO_DEBUG=1, where the launch time goes (microseconds since
 * native_run() started; init and the tool share the clock). */
uint64_t t0_us;
uint64_t now_us(void)
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

/* ---- availability ---------------------------------------------------- */

static long read_long(const char *path, long dflt)
{
    char buf[32];
    return read_small(path, buf, sizeof buf) > 0 ? strtol(buf, NULL, 10) : dflt;
}

bool native_available(void)
{
    /* The new mount API (5.2) and pidfd-era clone3 (5.3); idmapped mounts
     * are checked when a root run needs them. */
    if (syscall(SYS_open_tree, -1, "", 0) < 0 && errno == ENOSYS)
        return false;
    if (geteuid() == 0)
        return true;
    /* A normal user needs unprivileged user namespaces. */
    if (read_long("/proc/sys/user/max_user_namespaces", 1) <= 0)
        return false;
    if (read_long("/proc/sys/kernel/unprivileged_userns_clone", 1) == 0)
        return false;
    if (read_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
                  0) != 0)
        return false;
    return true;
}

/* ---- environment ----------------------------------------------------- */

static bool policy_has_env(const struct policy *p, const char *name)
{
    for (size_t i = 0; i < p->n_env; i++)
        if (strcmp(p->env[i].name, name) == 0)
            return true;
    return false;
}

void native_build_env(const struct policy *p, char *const *host_env,
                      struct strvec *out)
{
    if (!policy_has_env(p, "PATH"))
        strvec_push(out, "PATH=" NATIVE_PATH);
    if (!policy_has_env(p, "HOME"))
        strvec_push(out, "HOME=" COCO_CONTAINER_HOME);
    /* Terminal type and locale: harmless, and tools misbehave without
     * them.  Nothing else of the host's environment comes in. */
    for (char *const *e = host_env; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        _cleanup_free_ char *name = xstrndup(*e, (size_t)(eq - *e));
        bool wanted = strcmp(name, "TERM") == 0 ||
                      strcmp(name, "LANG") == 0 ||
                      strcmp(name, "LANGUAGE") == 0 ||
                      str_has_prefix(name, "LC_");
        if (wanted && env_name_valid(name) && !policy_has_env(p, name) &&
            !strvec_contains(out, *e))
            strvec_push(out, *e);
    }
    for (size_t i = 0; i < p->n_env; i++)
        strvec_pushf(out, "%s=%s", p->env[i].name, p->env[i].value);
}

/* ---- error channel --------------------------------------------------- */

void child_fail(int errfd, int kind, int errnum, const char *fmt, ...)
{
    struct child_msg m = {.kind = kind, .errnum = errnum};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m.msg, sizeof m.msg, fmt, ap);
    va_end(ap);
    ssize_t r = send(errfd, &m, sizeof m, MSG_NOSIGNAL);
    (void)r;
    _exit(kind);
}

static __attribute__((noreturn)) void child_fail_err(int errfd,
                                                     const coco_err *e)
{
    child_fail(errfd, MSG_SETUP, e->errnum, "%s", e->msg);
}

/* ---- init and tool --------------------------------------------------- */

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
};

/* Second release message, parent -> init: the cgroup placement is done
 * and which mechanism enforces each limit (init needs it for the cgroup
 * namespace and the rlimit fallback). */
struct release2 {
    uint8_t memory, pids, cpus;
    uint8_t placed;  /* init is in the run's cgroups */
};

/* /proc/1/environ shows the environment init started with: coco's, which
 * holds the host's secrets.  Wipe that memory before the tool exists. */
static void wipe_own_environ(void)
{
    char buf[2048];
    /* Under valgrind that memory is the launcher's, not ours. */
    if (RUNNING_ON_VALGRIND)
        return;
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    /* Fields after "(comm)": env_start and env_end are fields 50 and 51. */
    char *s = strrchr(buf, ')');
    if (!s)
        return;
    unsigned long long v[52] = {0};
    int field = 2;  /* the next token is field 3 */
    char *save = NULL;
    for (char *t = strtok_r(s + 1, " ", &save); t && field < 51;
         t = strtok_r(NULL, " ", &save))
        v[++field] = strtoull(t, NULL, 10);
    if (field < 51 || v[51] <= v[50] || v[51] - v[50] > (64u << 20))
        return;
    memset((void *)(uintptr_t)v[50], 0, (size_t)(v[51] - v[50]));
    environ = NULL;
}

static int loopback_up(coco_err *err)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    if (s < 0)
        return err_set(err, errno, "socket for loopback");
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(s);
    return r < 0 ? err_set(err, e, "bring up loopback") : 0;
}

/* execve() said ENOENT for PATH, which exists: what is missing is the
 * program that runs it.  For a script, its #! line names it: copied to
 * INTERP (control characters and non-ASCII bytes as \xHH, since the
 * file is the tool's to write and the message goes to the user's
 * terminal), else INTERP is "".  No heap use (RLIMIT_AS is in force).
 * False when PATH does not exist after all. */
static bool missing_interpreter(const char *path, char *interp, size_t len)
{
    struct stat st;
    char line[256];

    interp[0] = '\0';
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return false;
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    ssize_t n = f < 0 ? -1 : read(f, line, sizeof line - 1);
    if (f >= 0)
        close(f);
    if (n < 3 || line[0] != '#' || line[1] != '!')
        return true;
    line[n] = '\0';
    const char *p = line + 2;
    p += strspn(p, " \t");
    size_t k = strcspn(p, " \t\n");
    size_t o = 0;
    for (size_t i = 0; i < k && o + 5 < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(interp + o, len - o, "\\x%02x", c);
        else
            interp[o++] = (char)c;
    }
    interp[o] = '\0';
    return true;
}

static __attribute__((noreturn)) void fail_interpreter(struct run *r,
                                                       const char *prog,
                                                       const char *interp)
{
    if (interp[0])
        child_fail(r->errsock[1], MSG_NOTFOUND, 0, "%s: %s: interpreter %s "
                   "(from its #! line) not found in the sandbox; install it "
                   "on the host or mount it", r->p->tool, prog, interp);
    child_fail(r->errsock[1], MSG_NOTFOUND, 0, "%s: %s: its program "
               "interpreter (the dynamic loader it names) is not in the "
               "sandbox", r->p->tool, prog);
}

/* The next absolute PATH entry from *D joined with PROG into CAND; a
 * relative entry (it would follow the workdir) is skipped.  False at the
 * end of PATH. */
static bool next_candidate(const char **d, const char *prog, char *cand,
                           size_t len)
{
    while (**d) {
        const char *end = strchrnul(*d, ':');
        size_t n = (size_t)(end - *d);
        const char *dir = *d;
        *d = *end ? end + 1 : end;
        if (n > 0 && dir[0] == '/' && n + 1 + strlen(prog) < len) {
            memcpy(cand, dir, n);
            cand[n] = '/';
            strcpy(cand + n + 1, prog);
            return true;
        }
    }
    return false;
}

/* execvpe() with the sandbox's PATH (glibc's would search coco's).  No
 * heap use: the rlimits (RLIMIT_AS) are already in force. */
static __attribute__((noreturn)) void exec_tool(struct run *r)
{
    char **argv = r->p->argv.v;
    char **envp = r->env.v;
    const char *path = NATIVE_PATH;
    int fd = r->errsock[1];
    bool eacces = false;
    char cand[4096], interp[256];

    if (!argv || !argv[0] || !argv[0][0])
        child_fail(fd, MSG_NOTFOUND, 0, "%s: no command to run", r->p->tool);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            path = *e + 5;
    if (strchr(argv[0], '/')) {
        execve(argv[0], argv, envp);
        int e = errno;
        if (e == ENOENT && missing_interpreter(argv[0], interp, sizeof interp))
            fail_interpreter(r, argv[0], interp);
        child_fail(fd, e == ENOENT ? MSG_NOTFOUND : MSG_NOEXEC, e,
                   "%s: cannot run %s in the sandbox", r->p->tool, argv[0]);
    }
    for (const char *d = path; next_candidate(&d, argv[0], cand, sizeof cand);) {
        execve(cand, argv, envp);
        if (errno == EACCES || errno == ENOEXEC)
            eacces = true;
    }
    if (eacces)
        child_fail(fd, MSG_NOEXEC, EACCES, "%s: %s is not executable in the "
                   "sandbox", r->p->tool, argv[0]);
    /* Not run: is one there whose interpreter is what is missing?  Asked
     * only now, so a run that finds its program pays nothing for it. */
    for (const char *d = path; next_candidate(&d, argv[0], cand, sizeof cand);)
        if (missing_interpreter(cand, interp, sizeof interp))
            fail_interpreter(r, cand, interp);
    child_fail(fd, MSG_NOTFOUND, 0, "%s: command \"%s\" not found in the "
               "sandbox's PATH (%s); install it on the host or mount it",
               r->p->tool, argv[0], path);
}

static __attribute__((noreturn)) void tool_main(struct run *r)
{
    coco_err err = {0};
    int fd = r->errsock[1];

    /* A new session: the caller's terminal is not the tool's controlling
     * terminal; its own pty is, when coco has a terminal. */
    if (tty_relay_child(&r->tty) < 0)
        child_fail(fd, MSG_SETUP, errno, "give the tool its terminal");
    if (supervise_child_setup(&r->sup) < 0)
        child_fail(fd, MSG_SETUP, errno, "set up the tool's stdout/stderr");
    {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
    }
    STAMP("tool: forked");
    if (caps_drop_all(r->root, r->tool_uid, r->tool_gid, &err) < 0)
        child_fail_err(fd, &err);
    const char *wd = r->p->workdir ? r->p->workdir : COCO_DEFAULT_WORKDIR;
    if (chdir(wd) < 0)
        child_fail(fd, MSG_SETUP, errno, "%s: workdir %s does not exist in "
                   "the sandbox; mount it or change \"workdir\"",
                   r->p->tool, wd);
    STAMP("tool: capabilities dropped");
    if (landlock_apply(&r->plan, r->p, &err) < 0)
        child_fail_err(fd, &err);
    STAMP("tool: landlock");
    /* Nothing the tool inherits from coco's caller beyond stdio. */
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    if (seccomp_load_compiled(&err) < 0)
        child_fail_err(fd, &err);
    /* Last, so nothing of coco's own setup runs under RLIMIT_AS. */
    if (rlimits_apply(&r->p->limits, &r->cg, &err) < 0)
        child_fail_err(fd, &err);
    STAMP("tool: seccomp loaded, exec");
    exec_tool(r);
}

static __attribute__((noreturn)) void init_main(struct run *r)
{
    coco_err err = {0};
    int fd = r->errsock[1];
    char c;

    STAMP("init: started");
    close(r->errsock[0]);
    close(r->syncsock[1]);
    /* If coco dies, init dies, and with it the whole pid namespace. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        child_fail(fd, MSG_SETUP, errno, "PR_SET_PDEATHSIG");
    if (!r->root) {
        /* Held here until the parent wrote our uid/gid maps; EOF means
         * the parent died or gave up before that. */
        if (read(r->syncsock[0], &c, 1) != 1)
            child_fail(fd, MSG_SETUP, 0, "coco went away before the "
                       "sandbox was released");
    } else {
        /* A root run has no maps to wait for: build the filesystem now,
         * while the parent sets up cgroups.  If the parent died before
         * PR_SET_PDEATHSIG took effect, its end of the socket is closed:
         * EOF with no message queued (a queued one means the parent
         * already released us and closed). */
        if (recv(r->syncsock[0], &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
            child_fail(fd, MSG_SETUP, 0, "coco went away before the "
                       "sandbox was released");
    }
    STAMP("init: released");
    wipe_own_environ();

    int *srcfds = xcalloc(r->plan.n ? r->plan.n : 1, sizeof *srcfds);
    if (mount_sources_open(&r->plan, srcfds, &err) < 0 ||
        mount_plan_apply(&r->plan, srcfds, r->idmap_fd, r->tool_uid,
                         r->tool_gid, r->root, &err) < 0)
        child_fail_err(fd, &err);
    STAMP("init: mounts done, pivoted");
    for (size_t i = 0; i < r->plan.n; i++)
        if (srcfds[i] >= 0)
            close(srcfds[i]);
    free(srcfds);
    if (r->idmap_fd >= 0)
        close(r->idmap_fd);

    if (sethostname(NATIVE_HOSTNAME, strlen(NATIVE_HOSTNAME)) < 0)
        child_fail(fd, MSG_SETUP, errno, "sethostname");
    if (r->newnet && loopback_up(&err) < 0)
        child_fail_err(fd, &err);
    STAMP("init: network up");

    /* The tool is not started before the parent has put init (and so
     * every process of the sandbox) in the run's cgroups: the setup above
     * ran meanwhile, in parallel with the parent's cgroup work. */
    struct release2 rel;
    if (read(r->syncsock[0], &rel, sizeof rel) != (ssize_t)sizeof rel)
        child_fail(fd, MSG_SETUP, 0, "coco went away before placing the "
                   "sandbox in its cgroups");
    close(r->syncsock[0]);
    r->cg.memory = rel.memory;
    r->cg.pids = rel.pids;
    r->cg.cpus = rel.cpus;
    /* The cgroup namespace is made now, after the move, so the run's
     * cgroup is the sandbox's root. */
    if (rel.placed && unshare(CLONE_NEWCGROUP) < 0)
        child_fail(fd, MSG_SETUP, errno, "new cgroup namespace");
    STAMP("init: cgroups placed");

    /* Not dumpable from here on: /proc/1 is neither readable nor
     * traceable by the tool (the flag is per memory image, so the tool
     * gets its own at execve). */
    prctl(PR_SET_DUMPABLE, 0);
    /* vfork: the tool shares init's memory until execve, so starting it
     * copies no page tables; init has nothing to do meanwhile. */
    pid_t tool = vfork();
    if (tool < 0)
        child_fail(fd, MSG_SETUP, errno, "fork the tool");
    if (tool == 0)
        tool_main(r);

    /* init keeps nothing the tool could use: no descriptors (the output
     * pipes must reach EOF when the tool is done), no capabilities. */
    int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nul >= 0) {
        dup2(nul, 0);
        dup2(nul, 1);
        if (!coco_debug)  /* COCO_DEBUG: init's timings go on stderr */
            dup2(nul, 2);
    }
    syscall(SYS_close_range, 3U, ~0U, 0U);
    /* Only CAP_KILL stays (a root run's tool is another uid); nothing at
     * all in a user run. */
    caps_drop_init(r->root, &err);
    _exit(init_loop(tool, r->tty.master >= 0));
}

/* ---- parent ---------------------------------------------------------- */


static int write_maps(pid_t pid, uid_t in_uid, uid_t out_uid, gid_t in_gid,
                      gid_t out_gid, bool deny_setgroups, coco_err *err)
{
    char path[64], line[64];

    if (deny_setgroups) {
        /* Required before an unprivileged gid_map; also keeps the tool
         * from dropping groups that deny it access to host files. */
        snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
        if (write_string(path, "deny") < 0)
            return err_set(err, errno, "write %s", path);
    }
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
    snprintf(line, sizeof line, "%u %u 1\n", (unsigned)in_uid,
             (unsigned)out_uid);
    if (write_string(path, line) < 0)
        return err_set(err, errno, "write %s", path);
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
    snprintf(line, sizeof line, "%u %u 1\n", (unsigned)in_gid,
             (unsigned)out_gid);
    if (write_string(path, line) < 0)
        return err_set(err, errno, "write %s", path);
    return 0;
}

static pid_t clone3_fork(uint64_t flags)
{
    struct clone_args ca = {.flags = flags, .exit_signal = SIGCHLD};
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
    if (pid < 0 && errno == ENOSYS)  /* old kernels, valgrind */
        pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0,
                             0, 0, 0);
    return pid;
}



/* The idmapping helper: exists (blocked on a pipe) only until the parent
 * has opened its user namespace.  It shares coco's memory (CLONE_VM), so
 * creating it copies no page tables: it only makes raw system calls. */
static int idmap_helper(void *arg)
{
    const int *pfd = arg;
    char c;
    /* Our copy of the write end must go, or the read never sees EOF. */
    syscall(SYS_close, pfd[1]);
    syscall(SYS_read, pfd[0], &c, 1);
    return 0;
}

/* A user namespace whose only mapping is ON_DISK -> TOOL (uid and gid):
 * used as the idmapping of the config's binds in a root run, so a file
 * the invoking user owns appears owned by the tool's uid, and the tool's
 * writes are stored as the invoking user. */
static int make_idmap_userns(uid_t disk_uid, gid_t disk_gid, uid_t tool_uid,
                             gid_t tool_gid, pid_t *helper, coco_err *err)
{
    static char stack[16384] __attribute__((aligned(16)));
    /* Static: the helper shares our memory and may read it after this
     * function has returned. */
    static int pfd[2];
    char path[64];

    if (pipe2(pfd, O_CLOEXEC) < 0)
        return err_set(err, errno, "pipe");
    pid_t pid;
    if (RUNNING_ON_VALGRIND) {
        pid = clone3_fork(CLONE_NEWUSER);
        if (pid == 0)
            _exit(idmap_helper(pfd));
    } else {
        pid = clone(idmap_helper, stack + sizeof stack,
                    CLONE_VM | CLONE_NEWUSER | SIGCHLD, pfd);
    }
    if (pid < 0) {
        int e = errno;
        close(pfd[0]);
        close(pfd[1]);
        return err_set(err, e, "create the idmapping user namespace");
    }
    int fd = -1;
    if (write_maps(pid, disk_uid, tool_uid, disk_gid, tool_gid, false,
                   err) == 0) {
        snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            err_set(err, errno, "open %s", path);
    }
    /* Closing the pipe ends the helper; it is reaped after the run, so
     * its exit (user namespace teardown) is not waited for here. */
    close(pfd[1]);
    close(pfd[0]);
    *helper = pid;
    return fd;
}

/* The parent only waits once the tool runs (poll, read, waitpid, kill):
 * the program text it ran to parse the config and set up the sandbox
 * (jansson, libseccomp, libcap, most of libc) stays mapped but need not
 * stay resident while a long tool runs.  Dropping our page-table entries
 * for read-only executable file mappings is safe -- they are clean and
 * refault from the page cache -- while writable or relocated (RELRO)
 * mappings are left alone: their pages may differ from the file.  Done
 * from a one-shot timer, so a short run does not pay for the refaults;
 * everything here is async-signal-safe. */
#define DROP_TEXT_AFTER_US 200000

static unsigned long parse_hex(const char **p)
{
    unsigned long v = 0;
    for (;; (*p)++) {
        char c = **p;
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return v;
        v = v * 16 + (unsigned long)d;
    }
}

static void drop_setup_text(int sig)
{
    static char buf[16384];
    int saved = errno;
    (void)sig;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    if (n > 0) {
        buf[n] = '\0';
        for (const char *l = buf; *l;) {
            const char *eol = strchr(l, '\n');
            const char *p = l;
            unsigned long lo = parse_hex(&p), hi = 0;
            if (*p == '-') {
                p++;
                hi = parse_hex(&p);
            }
            bool file = memchr(l, '/', eol ? (size_t)(eol - l) : strlen(l));
            if (*p == ' ' && strncmp(p + 1, "r-xp", 4) == 0 && file && hi > lo)
                madvise((void *)lo, hi - lo, MADV_DONTNEED);
            if (!eol)
                break;
            l = eol + 1;
        }
    }
    errno = saved;
}

static volatile pid_t forward_pid;

/* The supervisor forwards INT TERM HUP QUIT WINCH; USR1/USR2 go to init
 * from here (kill is async-signal-safe), which hands them to the tool. */
static void forward_handler(int sig)
{
    if (forward_pid > 0)
        kill(forward_pid, sig);
}

static void run_release(struct run *r)
{
    mount_plan_free(&r->plan);
    strvec_clear(&r->env);
    if (r->idmap_fd >= 0)
        close(r->idmap_fd);
    r->idmap_fd = -1;
    tty_relay_close(&r->tty);
    for (int i = 0; i < 2; i++) {
        if (r->errsock[i] >= 0)
            close(r->errsock[i]);
        if (r->syncsock[i] >= 0)
            close(r->syncsock[i]);
        r->errsock[i] = r->syncsock[i] = -1;
    }
}

int native_run(const struct policy *p, coco_err *err)
{
    struct run r = {
        .p = p,
        .tty = TTY_RELAY_INIT,
        .idmap_fd = -1,
        .errsock = {-1, -1},
        .syncsock = {-1, -1},
    };
    struct host_layout layout[NATIVE_N_TOPDIRS];
    int ret = -1;
    pid_t pid = -1;

    if (p->net == NET_ALLOWED || p->net == NET_FULL)
        return err_set(err, 0, "%s: network \"%s\" needs coco's egress proxy, "
                       "which the native backend does not have yet; use "
                       "\"network\": \"none\" or \"host\", or --runtime podman",
                       p->config_path ? p->config_path : p->tool,
                       net_mode_name(p->net));

    t0_us = now_us();
    r.root = geteuid() == 0;
    r.newnet = p->net != NET_HOST;
    r.tool_uid = r.root ? NATIVE_ROOT_TOOL_UID : getuid();
    r.tool_gid = r.root ? NATIVE_ROOT_TOOL_GID : getgid();

    host_layout_probe(layout);
    mount_plan_build(p, layout, r.root, &r.plan);
    host_layout_free(layout);
    native_build_env(p, p->locale_env.v, &r.env);
    STAMP("plan built");

    if (r.root && p->n_mounts) {
        r.idmap_fd = make_idmap_userns(p->uid, p->gid, r.tool_uid, r.tool_gid,
                                       &r.helper, err);
        if (r.idmap_fd < 0)
            goto out;
    }
    STAMP("idmap user namespace");
    if (tty_relay_open(&r.tty, err) < 0)
        goto out;
    if (r.tty.master >= 0)
        /* ttyname() works for the tool: its pty is /dev/console */
        mount_plan_add_console(&r.plan, r.tty.slave_path);
    /* Pipes for what coco must count (the output cap) and for a terminal
     * that is not the one relayed; the relayed pty is counted as well. */
    bool cap = p->limits.output > 0;
    if (supervise_init_fds(&r.sup,
                           (cap && !r.tty.std[1]) || r.tty.other_tty[1],
                           (cap && !r.tty.std[2]) || r.tty.other_tty[2],
                           err) < 0)
        goto out;
    /* Raw only now: the signals coco handles are blocked, so every way
     * out of here passes the restore in tty_relay_close(). */
    tty_relay_raw(&r.tty);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r.errsock) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
                   r.syncsock) < 0) {
        err_set(err, errno, "socketpair");
        goto out_sup;
    }

    uint64_t flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    if (!r.root)
        flags |= CLONE_NEWUSER;
    if (r.newnet)
        flags |= CLONE_NEWNET;
    pid = clone3_fork(flags);
    if (pid < 0) {
        err_set(err, errno, "clone into new namespaces (user namespaces "
                "may be disabled; try --runtime podman)");
        goto out_sup;
    }
    if (pid == 0)
        init_main(&r);
    STAMP("cloned");

    close(r.syncsock[0]);
    r.syncsock[0] = -1;
    close(r.errsock[1]);
    r.errsock[1] = -1;
    if (!r.root) {
        if (write_maps(pid, r.tool_uid, getuid(), r.tool_gid, getgid(), true,
                       err) < 0)
            goto kill_child;
        if (send(r.syncsock[1], "1", 1, MSG_NOSIGNAL) != 1) {
            err_set(err, errno, "release the sandbox");
            goto kill_child;
        }
    }
    STAMP("released init");
    /* While init builds the filesystem: cgroups, limits, placement. */
    if (cgroup_setup(&p->limits, &r.cg, err) < 0 ||
        cgroup_enter(&r.cg, pid, err) < 0)
        goto kill_child;
    struct release2 rel = {.memory = (uint8_t)r.cg.memory,
                           .pids = (uint8_t)r.cg.pids,
                           .cpus = (uint8_t)r.cg.cpus,
                           .placed = r.cg.n > 0};
    if (send(r.syncsock[1], &rel, sizeof rel, MSG_NOSIGNAL) !=
        (ssize_t)sizeof rel) {
        err_set(err, errno, "release the sandbox");
        goto kill_child;
    }
    close(r.syncsock[1]);
    r.syncsock[1] = -1;
    STAMP("cgroups placed, released the tool");

    supervise_attach(&r.sup, pid);
    supervise_relay_tty(&r.sup, &r.tty);
    forward_pid = pid;
    struct sigaction sa = {.sa_handler = forward_handler,
                           .sa_flags = SA_RESTART}, old1, old2;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, &old1);
    sigaction(SIGUSR2, &sa, &old2);

    struct sup_limits lim = {
        .timeout_ms = p->limits.timeout_ms,
        .output_max = p->limits.output,
        .grace_ms = NATIVE_GRACE_MS,
    };
    struct sup_result res;
    struct sigaction sa_alrm = {.sa_handler = drop_setup_text,
                                .sa_flags = SA_RESTART}, old_alrm;
    sigemptyset(&sa_alrm.sa_mask);
    sigaction(SIGALRM, &sa_alrm, &old_alrm);
    setitimer(ITIMER_REAL, &(struct itimerval){
                  .it_value = {0, DROP_TEXT_AFTER_US}}, NULL);
    int w = supervise_wait(&r.sup, &lim, &res, err);
    setitimer(ITIMER_REAL, &(struct itimerval){0}, NULL);
    sigaction(SIGALRM, &old_alrm, NULL);
    forward_pid = 0;
    STAMP("sandbox exited");
    sigaction(SIGUSR1, &old1, NULL);
    sigaction(SIGUSR2, &old2, NULL);
    if (w < 0)
        goto out_sup;

    struct child_msg m;
    ssize_t n = recv(r.errsock[0], &m, sizeof m, MSG_DONTWAIT);
    if (n == (ssize_t)sizeof m) {
        m.msg[sizeof m.msg - 1] = '\0';
        if (m.kind == MSG_NOTFOUND || m.kind == MSG_NOEXEC) {
            coco_err e2 = {.errnum = m.errnum};
            snprintf(e2.msg, sizeof e2.msg, "%s", m.msg);
            err_print(&e2);
            ret = m.kind;
        } else {
            err_set(err, m.errnum, "native sandbox: %s", m.msg);
        }
        goto out_sup;
    }
    if (res.reason == SUP_TIMEOUT)
        fprintf(stderr, "coco: %s: timed out after %llu ms; stopped\n",
                p->tool, (unsigned long long)p->limits.timeout_ms);
    else if (res.reason == SUP_OUTPUT)
        fprintf(stderr, "coco: %s: output limit of %llu bytes reached; "
                "stopped\n", p->tool, (unsigned long long)p->limits.output);
    ret = res.exit_code;

    goto out_sup;

kill_child:
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    /* A failure init reported is the better message. */
    {
        struct child_msg cm;
        if (recv(r.errsock[0], &cm, sizeof cm, MSG_DONTWAIT) ==
            (ssize_t)sizeof cm) {
            cm.msg[sizeof cm.msg - 1] = '\0';
            err_set(err, cm.errnum, "native sandbox: %s", cm.msg);
        }
    }
out_sup:
    supervise_release(&r.sup);
out:
    cgroup_cleanup(&r.cg);
    STAMP("cgroups removed");
    if (r.helper > 0)
        while (waitpid(r.helper, NULL, 0) < 0 && errno == EINTR)
            ;
    run_release(&r);
    STAMP("done");
    return ret;
}
