/* child.c — the native sandbox from the inside: what init (pid 1, a clone
 * of coco in the new namespaces) does before the tool exists, and what
 * the tool's process does between its fork and execve.
 *
 * Apart from sandbox.c because none of it runs in coco's own process: it
 * runs after clone(), where there is nobody to return an error to (every
 * failure goes to the parent through child_fail() and ends the process),
 * and the tool's last steps run under its rlimits (no heap once RLIMIT_AS
 * is in force).  The order of the steps is the security argument, so it
 * is written once, here:
 *   init: wait for release -> wipe its environment -> mounts, pivot_root
 *         -> hostname, lo (and the egress listeners, handed to the
 *         proxy) -> wait for the cgroup placement, new cgroup
 *         namespace -> not dumpable -> vfork the tool -> drop every
 *         descriptor and capability -> init_loop() (init.c).
 *   tool: setsid, its own pty -> ids, capabilities, no_new_privs ->
 *         workdir -> Landlock -> close inherited descriptors -> seccomp
 *         -> rlimits -> execve, searching the sandbox's PATH (not coco's).
 */
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "native_int.h"
#include "net.h"
#include "supervise.h"
#include "tty.h"

extern char **environ;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

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

__attribute__((noreturn)) void init_main(struct run *r)
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
    if (r->newnet && net_lo_up(&err) < 0)
        child_fail_err(fd, &err);
    if (r->egress) {
        if (native_egress_listen(r->p, r->egsock[1], &err) < 0)
            child_fail_err(fd, &err);
        close(r->egsock[1]);
    }
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
