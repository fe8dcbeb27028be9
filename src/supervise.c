/* supervise.c — spawn a child, forward signals, enforce a wall-clock
 * timeout and an output cap, report how it ended.  See supervise.h.
 *
 * Signals: the forwarded set and SIGCHLD are blocked in coco and read
 * from a signalfd, so there are no asynchronous handlers and no races
 * between a signal and poll().  A signal the kernel sent to the whole
 * foreground process group (Ctrl-C, Ctrl-\, a terminal resize, a hangup)
 * has already reached a child that shares coco's process group; coco
 * forwards only signals that were aimed at coco alone (kill(1) from a
 * script, a service manager), so the child never sees Ctrl-C twice —
 * which matters to tools where a second Ctrl-C means "abort without
 * cleaning up" (npm, many REPLs).
 *
 * With a relayed terminal (tty.h) the child is in a session of its own
 * on its own pty: keys are bytes for that pty, a resize of the user's
 * terminal is copied to it (the kernel then signals the child's
 * foreground group; coco does not forward SIGWINCH), and after SIGCONT
 * the user's terminal is put back in raw mode.
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "idmap.h"
#include "supervise.h"

const int supervise_forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                                   SIGWINCH};
const size_t supervise_n_forwarded =
    sizeof(supervise_forwarded) / sizeof(supervise_forwarded[0]);

/* Default time the child gets to exit after the stop callback, before
 * SIGKILL: longer than the "stop -t 5" grace the OCI backend asks of the
 * engine, so the engine can stop the container cleanly first. */
#define SUP_DEFAULT_GRACE_MS 10000

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void blocked_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    /* Taken from the signalfd, never forwarded: coco was stopped and
     * continued (the stop and the continuing happen all the same). */
    sigaddset(set, SIGCONT);
    for (size_t i = 0; i < supervise_n_forwarded; i++)
        sigaddset(set, supervise_forwarded[i]);
}

int supervise_init(struct supervisor *s, bool capture, coco_err *err)
{
    return supervise_init_fds(s, capture, capture, err);
}

int supervise_init_fds(struct supervisor *s, bool cap_out, bool cap_err,
                       coco_err *err)
{
    sigset_t set;
    int p[2];
    bool capture = cap_out || cap_err;

    *s = (struct supervisor){.sigfd = -1, .out_r = -1, .err_r = -1,
                             .out_w = -1, .err_w = -1, .capture = capture};
    blocked_set(&set);
    if (sigprocmask(SIG_BLOCK, &set, &s->oldmask) < 0)
        return err_set(err, errno, "supervisor: block signals");
    s->have_oldmask = true;
    s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (s->sigfd < 0) {
        err_set(err, errno, "supervisor: signalfd");
        goto fail;
    }
    if (!capture)
        return 0;

    /* coco copies the child's output to its own stdout/stderr; when the
     * reader of those goes away (`coco run x | head`) a write must fail
     * with EPIPE, which coco passes on to the child by closing the pipe,
     * instead of killing coco before it can reap the child. */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGPIPE, &ign, &s->old_pipe) == 0)
        s->have_old_pipe = true;

    if (cap_out) {
        if (pipe2(p, O_CLOEXEC) < 0) {
            err_set(err, errno, "supervisor: pipe for stdout");
            goto fail;
        }
        s->out_r = p[0];
        s->out_w = p[1];
        /* Only coco's ends are non-blocking; the child writes normally. */
        fcntl(s->out_r, F_SETFL, O_NONBLOCK);
    }
    if (cap_err) {
        if (pipe2(p, O_CLOEXEC) < 0) {
            err_set(err, errno, "supervisor: pipe for stderr");
            goto fail;
        }
        s->err_r = p[0];
        s->err_w = p[1];
        fcntl(s->err_r, F_SETFL, O_NONBLOCK);
    }
    return 0;

fail:
    supervise_release(s);
    return -1;
}

int supervise_job_control(struct supervisor *s, coco_err *err)
{
    sigset_t set;

    blocked_set(&set);
    sigaddset(&set, SIGTSTP);
    /* supervise_init() saved the caller's mask, which the child gets and
     * supervise_release() restores: this block adds to it. */
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return err_set(err, errno, "supervisor: block SIGTSTP");
    if (signalfd(s->sigfd, &set, SFD_CLOEXEC | SFD_NONBLOCK) < 0)
        return err_set(err, errno, "supervisor: signalfd for SIGTSTP");
    s->job_control = true;
    return 0;
}

int supervise_child_setup(const struct supervisor *s)
{
    if ((s->out_w >= 0 && dup2(s->out_w, STDOUT_FILENO) < 0) ||
        (s->err_w >= 0 && dup2(s->err_w, STDERR_FILENO) < 0))
        return -1;
    if (s->have_old_pipe)
        signal(SIGPIPE, SIG_DFL);
    if (s->have_oldmask && sigprocmask(SIG_SETMASK, &s->oldmask, NULL) < 0)
        return -1;
    return 0;
}

void supervise_relay_tty(struct supervisor *s, struct tty_relay *t)
{
    s->tty = t && t->master >= 0 ? t : NULL;
}

void supervise_attach(struct supervisor *s, pid_t pid)
{
    s->pid = pid;
    /* The parent keeps only the read ends: the pipes reach EOF when the
     * child (and anything it passed them to) has exited. */
    close_fd(&s->out_w);
    close_fd(&s->err_w);
}

/* Child side of supervise_spawn(): the supervisor's pipes and mask. */
static int sup_child_setup(void *data)
{
    return supervise_child_setup(data);
}

int supervise_spawn(struct supervisor *s, char *const argv[],
                    char *const envp[], const struct spawn_fd *fds,
                    size_t n_fds, coco_err *err)
{
    struct spawn_opts o = {
        .envp = envp,
        .fds = fds,
        .n_fds = n_fds,
        .die_with_parent = true,
        .setup = sup_child_setup,
        .setup_data = s,
    };
    pid_t pid = spawn_start(argv, &o, err);
    if (pid < 0)
        return -1;
    supervise_attach(s, pid);
    return 0;
}

/* --- the event loop -------------------------------------------------- */

struct loop {
    struct supervisor *s;
    const struct sup_limits *lim;
    struct sup_result *res;
    bool exited;
    bool tripped;
    bool killed;
    uint64_t kill_at;  /* monotonic ms for SIGKILL after a trip */
    pid_t stopper;     /* the process running the stop callback, or 0 */
    size_t in_len, in_off;  /* keys read, not yet written to the pty */
};

static void trip(struct loop *l, enum sup_reason why)
{
    if (l->tripped)
        return;
    l->tripped = true;
    l->res->reason = why;
    if (!l->exited) {
        /* The stop callback runs in a process of its own: it can take
         * seconds ("docker stop -t 5"), and meanwhile this loop must keep
         * draining the child's output.  docker's daemon does not finish a
         * container whose output its client cannot write, and the client
         * writes to us: stopping in this process waited forever. */
        pid_t p = l->lim->stop ? fork() : 0;
        if (p == 0 && l->lim->stop) {
            l->lim->stop(l->lim->stop_data, why, l->s->pid);
            _exit(0);
        }
        if (p > 0)
            l->stopper = p;
        else if (l->lim->stop)
            l->lim->stop(l->lim->stop_data, why, l->s->pid);  /* no fork */
        else
            kill(l->s->pid, SIGTERM);
    }
    l->kill_at = now_ms() + (l->lim->grace_ms ? l->lim->grace_ms
                                              : SUP_DEFAULT_GRACE_MS);
}

/* Write all of BUF to FD.  Returns false when the reader is gone. */
static bool write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                /* Our stdout was left non-blocking by someone else. */
                struct pollfd pf = {.fd = fd, .events = POLLOUT};
                poll(&pf, 1, -1);
                continue;
            }
            return false;
        }
        buf += w;
        n -= (size_t)w;
    }
    return true;
}

/* Copy what is available on *RFD to SINK (-1: nowhere), counting against
 * the cap.  Closes *RFD at EOF (EIO from a pty master whose slave nobody
 * holds any more), or when SINK's reader is gone (the child then gets
 * EPIPE/SIGPIPE on its next write, or a hangup of its pty, as without
 * coco in between). */
static void pump(struct loop *l, int *rfd, int sink)
{
    static char buf[65536];

    /* Bounded: a child that writes faster than we read must not keep us
     * from the signalfd and the kill deadline. */
    for (int round = 0; round < 16; round++) {
        ssize_t r = read(*rfd, buf, sizeof(buf));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                close_fd(rfd);
            return;
        }
        if (r == 0) {
            close_fd(rfd);
            return;
        }
        size_t n = (size_t)r;
        uint64_t max = l->lim->output_max;
        if (l->res->reason == SUP_OUTPUT)
            continue;  /* over the cap: keep draining, show nothing */
        if (max && l->res->output_bytes + n > max) {
            size_t room = (size_t)(max - l->res->output_bytes);
            if (sink >= 0)
                write_all(sink, buf, room);
            l->res->output_bytes = max;
            trip(l, SUP_OUTPUT);
            continue;
        }
        l->res->output_bytes += n;
        if (sink >= 0 && !write_all(sink, buf, n)) {
            close_fd(rfd);
            return;
        }
    }
}

/* Keys the user typed, on their way to the pty: the loop reads the
 * user's terminal only when the previous read has been passed on, so
 * this is one buffer, never more. */
static char keys[65536];

/* At EOF of the user's terminal (it hung up), the tool's terminal reads
 * EOF too: its EOF character when it is in canonical mode. */
static void tty_pass_eof(struct loop *l, struct tty_relay *t)
{
    struct termios tm;
    t->in = -1;
    if (t->master >= 0 && tcgetattr(t->master, &tm) == 0 &&
        (tm.c_lflag & ICANON) && tm.c_cc[VEOF] != _POSIX_VDISABLE) {
        keys[0] = (char)tm.c_cc[VEOF];
        l->in_len = 1;
        l->in_off = 0;
    }
}

static void tty_read_keys(struct loop *l, struct tty_relay *t)
{
    ssize_t r = read(t->in, keys, sizeof keys);
    if (r > 0) {
        l->in_len = (size_t)r;
        l->in_off = 0;
    } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        tty_pass_eof(l, t);
    }
}

/* Pass pending keys to the pty without blocking: a tool that does not
 * read its terminal fills the pty's input queue, and coco must keep
 * serving its output, signals and limits meanwhile. */
static void tty_write_keys(struct loop *l, struct tty_relay *t)
{
    ssize_t w = write(t->master, keys + l->in_off, l->in_len - l->in_off);
    if (w > 0)
        l->in_off += (size_t)w;
    else if (w < 0 && errno != EAGAIN && errno != EINTR)
        l->in_off = l->in_len;  /* the pty is gone: drop them */
    if (l->in_off >= l->in_len)
        l->in_len = l->in_off = 0;
}

/* The child stopped (job control): stop coco as well, so the shell that
 * waits for coco sees the job stopped and takes the terminal back.  Run
 * on when continued (`fg` continues the whole group, `kill -CONT` only
 * coco), and continue the child, which may not have been. */
static void follow_stop(struct loop *l)
{
    kill(getpid(), SIGSTOP);
    kill(l->s->pid, SIGCONT);
}

static void reap(struct loop *l)
{
    int st;
    pid_t r;
    int flags = WNOHANG | (l->s->job_control ? WUNTRACED : 0);

    if (l->stopper > 0 && waitpid(l->stopper, NULL, WNOHANG) == l->stopper)
        l->stopper = 0;
    while ((r = waitpid(l->s->pid, &st, flags)) < 0 && errno == EINTR)
        ;
    if (r == l->s->pid && WIFSTOPPED(st)) {
        follow_stop(l);
    } else if (r == l->s->pid) {
        l->res->status = st;
        l->exited = true;
    } else if (r < 0 && errno == ECHILD) {
        /* Someone else reaped it (cannot happen inside coco); treat as a
         * plain failure rather than looping forever. */
        l->res->status = 125 << 8;
        l->exited = true;
    }
}

static void handle_signals(struct loop *l)
{
    struct signalfd_siginfo si[16];

    for (;;) {
        ssize_t r = read(l->s->sigfd, si, sizeof(si));
        if (r <= 0)
            break;
        for (size_t i = 0; i < (size_t)r / sizeof(si[0]); i++) {
            int sig = (int)si[i].ssi_signo;
            if (sig == SIGCHLD)
                continue;  /* reaped below */
            struct tty_relay *t = l->s->tty;
            if (t && sig == SIGWINCH) {
                /* The pty's new size makes the kernel signal the tool. */
                tty_relay_winsize(t);
                continue;
            }
            if (sig == SIGCONT) {
                /* The shell may have reset the terminal while coco was
                 * stopped; the window may have changed size too. */
                if (t) {
                    tty_relay_raw(t);
                    tty_relay_winsize(t);
                }
                continue;
            }
            if (l->exited)
                continue;
            /* The terminal sent it to the whole foreground group; a child
             * in our group already has it. */
            if (si[i].ssi_code == SI_KERNEL &&
                getpgid(l->s->pid) == getpgrp())
                continue;
            kill(l->s->pid, sig);
        }
    }
    reap(l);
}

int supervise_wait(struct supervisor *s, const struct sup_limits *lim,
                   struct sup_result *res, coco_err *err)
{
    struct loop l = {.s = s, .lim = lim, .res = res};
    uint64_t deadline = 0;

    *res = (struct sup_result){.reason = SUP_EXITED};
    if (s->pid <= 0)
        return err_set(err, 0, "supervisor: no child");
    if (lim->timeout_ms)
        deadline = now_ms() + lim->timeout_ms;

    struct tty_relay *t = s->tty;
    while (!l.exited) {
        struct pollfd pf[5];
        int *src[5] = {NULL, NULL, NULL, NULL, NULL};
        int sinks[5] = {-1, -1, -1, -1, -1};
        nfds_t n = 0, keys_at = 0;
        int timeout = -1;
        uint64_t now = now_ms();

        pf[n++] = (struct pollfd){.fd = s->sigfd, .events = POLLIN};
        if (s->out_r >= 0) {
            src[n] = &s->out_r;
            sinks[n] = STDOUT_FILENO;
            pf[n++] = (struct pollfd){.fd = s->out_r, .events = POLLIN};
        }
        if (s->err_r >= 0) {
            src[n] = &s->err_r;
            sinks[n] = STDERR_FILENO;
            pf[n++] = (struct pollfd){.fd = s->err_r, .events = POLLIN};
        }
        if (t && t->master >= 0) {
            /* the pty's output, and room for pending keys */
            src[n] = &t->master;
            sinks[n] = t->out;
            pf[n++] = (struct pollfd){
                .fd = t->master,
                .events = POLLIN | (l.in_len ? POLLOUT : 0)};
            if (t->in >= 0 && !l.in_len) {
                keys_at = n;
                pf[n++] = (struct pollfd){.fd = t->in, .events = POLLIN};
            }
        }
        if (!l.tripped && deadline)
            timeout = now >= deadline ? 0 : (int)(deadline - now);
        else if (l.tripped && !l.killed)
            timeout = now >= l.kill_at ? 0 : (int)(l.kill_at - now);

        int r = poll(pf, n, timeout);
        if (r < 0 && errno != EINTR) {
            err_set(err, errno, "supervisor: poll");
            kill(s->pid, SIGKILL);
            while (!l.exited)
                if (waitpid(s->pid, &res->status, 0) == s->pid ||
                    errno != EINTR)
                    l.exited = true;
            return -1;
        }
        for (nfds_t i = 1; i < n && r > 0; i++) {
            if (i == keys_at) {
                if (pf[i].revents)
                    tty_read_keys(&l, t);
                continue;
            }
            if (t && src[i] == &t->master && (pf[i].revents & POLLOUT) &&
                t->master >= 0)
                tty_write_keys(&l, t);
            if ((pf[i].revents & ~POLLOUT) && *src[i] >= 0)
                pump(&l, src[i], sinks[i]);
        }
        if (r > 0 && pf[0].revents)
            handle_signals(&l);

        now = now_ms();
        if (!l.exited && !l.tripped && deadline && now >= deadline)
            trip(&l, SUP_TIMEOUT);
        if (!l.exited && l.tripped && !l.killed && now_ms() >= l.kill_at) {
            kill(s->pid, SIGKILL);
            l.killed = true;
        }
        if (!l.exited)
            reap(&l);
    }

    /* The child is gone; copy what it left in the pipes without waiting
     * for EOF, which a grandchild holding the pipe could delay forever. */
    if (s->out_r >= 0)
        pump(&l, &s->out_r, STDOUT_FILENO);
    if (s->err_r >= 0)
        pump(&l, &s->err_r, STDERR_FILENO);
    if (t && t->master >= 0)
        pump(&l, &t->master, t->out);
    /* The user's terminal as it was, before the caller prints anything. */
    if (t)
        tty_relay_restore(t);
    /* The stop ends once the child has (the engine reports the container
     * stopped): wait for it, so that what it does is done when we return. */
    while (l.stopper > 0 && waitpid(l.stopper, NULL, 0) < 0 && errno == EINTR)
        ;
    res->exit_code = supervise_exit_code(res);
    return 0;
}

void supervise_release(struct supervisor *s)
{
    if (s->job_control) {
        /* A ^Z that came after the last read of the signalfd is still
         * pending: restoring the mask would stop coco now, after the
         * child it was meant for has gone. */
        sigset_t tstp;
        struct timespec zero = {0, 0};
        sigemptyset(&tstp);
        sigaddset(&tstp, SIGTSTP);
        while (sigtimedwait(&tstp, NULL, &zero) == SIGTSTP)
            ;
        s->job_control = false;
    }
    close_fd(&s->sigfd);
    close_fd(&s->out_r);
    close_fd(&s->out_w);
    close_fd(&s->err_r);
    close_fd(&s->err_w);
    if (s->have_old_pipe) {
        sigaction(SIGPIPE, &s->old_pipe, NULL);
        s->have_old_pipe = false;
    }
    if (s->have_oldmask) {
        sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
        s->have_oldmask = false;
    }
}

int status_exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return EXIT_COCO;
}

int supervise_exit_code(const struct sup_result *res)
{
    switch (res->reason) {
    case SUP_TIMEOUT:
        return EXIT_TIMEOUT;
    case SUP_OUTPUT:
        /* coco cut the tool off: its own exit code would describe a
         * process that was killed mid-write, so report a coco stop. */
        return EXIT_COCO;
    case SUP_EXITED:
        break;
    }
    return status_exit_code(res->status);
}

/* Child side of spawn_wait(): a helper run while a supervisor is active
 * must not inherit the blocked SIGCHLD/forwarded signals or an ignored
 * SIGPIPE. */
static int helper_child_setup(void *data)
{
    sigset_t set;
    (void)data;
    blocked_set(&set);
    if (sigprocmask(SIG_UNBLOCK, &set, NULL) < 0)
        return -1;
    signal(SIGPIPE, SIG_DFL);
    return 0;
}

int spawn_wait(char *const argv[], char *const envp[], bool quiet_out,
               bool quiet_err, coco_err *err)
{
    struct spawn_opts o = {
        .envp = envp,
        .null_stdout = quiet_out,
        .null_stderr = quiet_err,
        .setup = helper_child_setup,
    };
    int st;
    pid_t pid = spawn_start(argv, &o, err);
    if (pid < 0)
        return -1;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return err_set(err, errno, "wait for %s", argv[0]);
    }
    return st;
}

/* --- the guardian ---------------------------------------------------- */

/* The byte guard_release() sends: coco finished, nothing to clean up. */
#define GUARD_DONE 'D'
#define GUARD_DEFAULT_TIMEOUT_MS 20000
/* After the stop at the timeout, SIGKILL this much later. */
#define GUARD_GRACE_MS 2000

/* Run ARGV, supervised and bounded in time; its outcome does not matter
 * (nobody is left to tell). */
static void guard_run(const struct guard_spec *spec)
{
    struct supervisor s;
    struct sup_result res;
    coco_err e = {0};
    struct sup_limits lim = {
        .timeout_ms = spec->timeout_ms ? spec->timeout_ms
                                       : GUARD_DEFAULT_TIMEOUT_MS,
        .grace_ms = GUARD_GRACE_MS,
    };

    if (supervise_init(&s, false, &e) < 0)
        return;
    if (supervise_spawn(&s, spec->argv, spec->envp, NULL, 0, &e) == 0)
        supervise_wait(&s, &lim, &res, &e);
    supervise_release(&s);
}

static __attribute__((noreturn)) void guard_main(int fd,
                                                  const struct guard_spec *spec)
{
    sigset_t none;
    char c = 0;
    ssize_t r;

    /* Out of coco's session and process group: ^C, a hangup or a kill of
     * the group must not take the guardian along with coco. */
    setsid();
    prctl(PR_SET_NAME, "coco-guard");
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* Not to keep a directory (a mount point) busy; failing that is no
     * reason to leave the run unguarded. */
    if (chdir("/") < 0)
        debug("guardian: chdir /: %s", strerror(errno));
    /* Keep nothing of the caller's open: not its terminal, not the pipe
     * a `$(coco run ...)` reads until every writer is gone, not the
     * descriptors coco was handed.  Only the socket, moved above stdio
     * first so the dup2s below cannot land on it. */
    int keep = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (keep < 0)
        _exit(1);
    int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = STDIN_FILENO; i <= STDERR_FILENO; i++)
        if (nul < 0 || dup2(nul, i) < 0)
            close(i);
    syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U);
    syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U);
    fd = keep;

    do
        r = read(fd, &c, 1);
    while (r < 0 && errno == EINTR);
    if (r == 1 && c == GUARD_DONE)
        _exit(0);
    /* End of file: coco is gone without finishing. */
    guard_run(spec);
    if (spec->again_after_ms) {
        struct timespec ts = {
            .tv_sec = (time_t)(spec->again_after_ms / 1000),
            .tv_nsec = (long)(spec->again_after_ms % 1000) * 1000000L,
        };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        guard_run(spec);
    }
    if (spec->detach_dir)
        idmap_detach_all(spec->detach_dir, spec->detach_points);
    _exit(0);
}

int guard_start(struct guard *g, const struct guard_spec *spec,
                coco_err *err)
{
    int sv[2];
    pid_t pid;

    *g = (struct guard)GUARD_INIT;
    if (!spec->argv || !spec->argv[0])
        return err_set(err, 0, "guardian: empty command");
    /* A socket, not a pipe: coco's goodbye uses MSG_NOSIGNAL, so a
     * guardian someone killed cannot take coco down with SIGPIPE. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return err_set(err, errno, "guardian: socketpair");
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return err_set(err, e, "guardian: fork");
    }
    if (pid == 0) {
        close(sv[0]);
        guard_main(sv[1], spec);
    }
    close(sv[1]);
    g->pid = pid;
    g->fd = sv[0];
    return 0;
}

void guard_release(struct guard *g)
{
    if (g->fd >= 0) {
        char c = GUARD_DONE;
        while (send(g->fd, &c, 1, MSG_NOSIGNAL) < 0 && errno == EINTR)
            ;
        close_fd(&g->fd);
    }
    if (g->pid > 0) {
        while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        g->pid = 0;
    }
}
