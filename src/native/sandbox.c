/* sandbox.c — the native backend's run, the parent's side: clone() into
 * new namespaces, hold the child until the parent has written its uid/gid
 * maps and put it in its cgroup, let it build the filesystem and start
 * the tool, and supervise it.
 *
 * Parent (coco, outside, with the invoking user's rights; this file):
 *   cgroups -> clone3 -> uid/gid maps, cgroup.procs -> release -> wait.
 * init (pid 1 inside, full capabilities in its own namespaces only;
 * child.c, then init.c):
 *   wait for release -> mounts, pivot_root -> hostname, lo -> fork tool
 *   -> drop everything -> reap and forward signals.
 * tool (init's child; child.c): setsid, its own pty as controlling
 *   terminal -> ids, capabilities, no_new_privs -> workdir -> Landlock ->
 *   seccomp -> rlimits -> execve.
 * The user namespaces and their maps (the sandbox's, and the idmapping
 * one of a root run) are userns.c.
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
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "native.h"
#include "native_int.h"
#include "net.h"
#include "sys.h"
#include "supervise.h"
#include "tty.h"

/* With COCO_DEBUG=1, where the launch time goes (microseconds since
 * native_run() started; init and the tool share the clock). */
uint64_t t0_us;

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
    /* Under egress (egress_env(), shared with podman and docker),
     * clients that read proxy variables use the explicit proxy (it
     * reports refusals as 403 with a reason); the rest are caught by
     * transparent capture all the same.  A CA file under /etc or /usr is
     * seen where it is. */
    if (native_egress(p)) {
        uint16_t ports[NATIVE_MAX_TPORTS], pp;
        native_egress_ports(p, ports, NATIVE_MAX_TPORTS, &pp);
        egress_env(p, pp, native_ca_visible, out);
    }
    for (size_t i = 0; i < p->n_env; i++)
        strvec_pushf(out, "%s=%s", p->env[i].name, p->env[i].value);
}

/* ---- the run --------------------------------------------------------- */

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
        if (r->egsock[i] >= 0)
            close(r->egsock[i]);
        r->egsock[i] = -1;
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
        .proxy = EGRESS_PROC_INIT,
        .egsock = {-1, -1},
    };
    struct host_layout layout[NATIVE_N_TOPDIRS];
    int ret = -1;
    pid_t pid = -1;

    /* policy_resolve() refused it already; the backend does not trust
     * its input to have come that way. */
    if (net_mode_check(RT_NATIVE, p->net.mode, p->net.source,
                       p->config_path ? p->config_path : p->tool, p->tool,
                       err) < 0)
        return -1;

    t0_us = now_us();
    r.root = geteuid() == 0;
    r.newnet = p->net.mode != NET_HOST;
    r.egress = native_egress(p);
    r.tool_uid = r.root ? NATIVE_ROOT_TOOL_UID : getuid();
    r.tool_gid = r.root ? NATIVE_ROOT_TOOL_GID : getgid();

    host_layout_probe(layout);
    mount_plan_build(p, layout, r.root, &r.plan);
    native_egress_plan(p, &r.plan);
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

    if (r.egress &&
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r.egsock) < 0) {
        err_set(err, errno, "egress: socketpair");
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
    if (r.egsock[1] >= 0) {
        close(r.egsock[1]);
        r.egsock[1] = -1;
    }
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
    /* The proxy is forked now, while init builds the filesystem: its
     * setup runs in parallel, and clone() above did not have to copy an
     * address space that fork() had just marked copy-on-write. */
    if (r.egress) {
        if (native_egress_start(&r, err) < 0)
            goto kill_child;
        STAMP("egress proxy forked");
    }
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
    /* The tool is gone: the proxy can stop now, in parallel with what
     * follows (it is waited for after the cgroups are removed). */
    egress_stop_begin(&r.proxy);
    STAMP("sandbox exited");
    sigaction(SIGUSR1, &old1, NULL);
    sigaction(SIGUSR2, &old2, NULL);
    if (w < 0)
        goto out_sup;

    struct child_msg m;
    ssize_t n = recv(r.errsock[0], &m, sizeof m, MSG_DONTWAIT);
    if (n == (ssize_t)sizeof m) {
        m.msg[sizeof m.msg - 1] = '\0';
        if (m.kind == MSG_NOTFOUND || m.kind == MSG_NOEXEC)
            err_set_exit(err, m.kind, m.errnum, "%s", m.msg);
        else
            err_set(err, m.errnum, "native sandbox: %s", m.msg);
        goto out_sup;
    }
    if (res.reason == SUP_TIMEOUT)
        err_set_exit(err, res.exit_code, 0, "%s: timed out after %llu ms; "
                     "stopped", p->tool,
                     (unsigned long long)p->limits.timeout_ms);
    else if (res.reason == SUP_OUTPUT)
        err_set_exit(err, res.exit_code, 0, "%s: output limit of %llu bytes "
                     "reached; stopped", p->tool,
                     (unsigned long long)p->limits.output);
    else
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
    egress_stop_begin(&r.proxy);
    cgroup_cleanup(&r.cg);
    STAMP("cgroups removed");
    egress_stop(&r.proxy);
    STAMP("egress proxy stopped");
    if (r.helper > 0)
        while (waitpid(r.helper, NULL, 0) < 0 && errno == EINTR)
            ;
    run_release(&r);
    STAMP("done");
    return ret;
}
