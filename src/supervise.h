/* supervise.h — spawn a child and watch it: signal forwarding, a
 * wall-clock timeout, a cap on stdout+stderr bytes, the exit status.
 *
 * Used by the podman/docker backend for every run (the engine client is
 * coco's child, so coco can stop it at a limit and clean up after it),
 * and by the native backend, which starts its own child with clone() and
 * then hands the pid over (supervise_attach()).
 *
 * One event loop on poll(2): a signalfd for the forwarded signals and
 * SIGCHLD, (with an output cap) the read ends of the child's stdout
 * and stderr pipes, and (with a terminal) the user's terminal and the
 * master of the child's own pty (tty.h).  No busy loops, no timers besides poll's timeout, and
 * coco copies output through one fixed 64 KiB buffer.
 *
 * Usage:
 *     struct supervisor s;
 *     supervise_init(&s, capture_output, err);     blocks signals, pipes
 *     supervise_spawn(&s, argv, envp, fds, n, err); or clone + attach
 *     supervise_wait(&s, &limits, &result, err);
 *     supervise_release(&s);                        restores signal state
 *
 * What if coco itself dies (SIGKILL, the OOM killer, a CI runner killing
 * the process group)?  A child started with supervise_spawn() gets
 * SIGKILL from the kernel then (PR_SET_PDEATHSIG), but what that child
 * started elsewhere (a container, which the engine's daemon or conmon
 * holds) lives on.  For that there is the guardian (guard_start() below):
 * a small process of its own that runs a cleanup command when coco dies.
 */
#ifndef COCO_SUPERVISE_H
#define COCO_SUPERVISE_H

#include <signal.h>
#include <sys/types.h>

#include "spawn.h"
#include "tty.h"
#include "util.h"

enum sup_reason {
    SUP_EXITED = 0,  /* the child ended on its own (or by a signal) */
    SUP_TIMEOUT,     /* limits.timeout reached; stop callback ran */
    SUP_OUTPUT,      /* limits.output reached; stop callback ran */
};

/* Called once when a limit trips, from the supervising process, with the
 * child still running.  It should make the child end (stop a container,
 * kill a process group); the supervisor then waits grace_ms for the child
 * to exit and sends SIGKILL to it after that. */
typedef void (*sup_stop_fn)(void *data, enum sup_reason why, pid_t child);

struct sup_limits {
    uint64_t timeout_ms;  /* 0 = none */
    uint64_t output_max;  /* bytes of stdout+stderr and of the relayed
                             terminal; 0 = none (only honoured for what
                             passes coco: captured pipes, a relayed pty) */
    sup_stop_fn stop;     /* NULL: SIGTERM the child */
    void *stop_data;
    uint64_t grace_ms;    /* after stop: wait this long, then SIGKILL;
                             0 = 10 s */
};

struct sup_result {
    int status;             /* waitpid() status of the child */
    enum sup_reason reason;
    uint64_t output_bytes;  /* bytes copied to stdout+stderr */
    int exit_code;          /* coco's exit code (see supervise_exit_code) */
};

struct supervisor {
    pid_t pid;           /* child, 0 before spawn/attach */
    int sigfd;           /* signalfd for SIGCHLD and forwarded signals */
    int out_r, err_r;    /* read ends of the child's stdout/stderr, or -1 */
    int out_w, err_w;    /* write ends, closed in the parent after spawn */
    bool capture;
    sigset_t oldmask;    /* the mask to restore (parent and child) */
    bool have_oldmask;
    struct sigaction old_pipe;  /* SIGPIPE disposition to restore */
    bool have_old_pipe;
    struct tty_relay *tty;  /* the tool's own terminal to relay, or NULL
                               (not owned: see supervise_relay_tty) */
    bool job_control;    /* see supervise_job_control() */
};

/* The signals coco forwards to the child (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT, SIGWINCH); NULL-free array of N entries. */
extern const int supervise_forwarded[];
extern const size_t supervise_n_forwarded;

/* Block the forwarded signals, SIGCHLD and SIGCONT, open the signalfd,
 * and when CAPTURE create the stdout/stderr pipes (close-on-exec). */
int supervise_init(struct supervisor *s, bool capture, coco_err *err);
/* The same with a pipe for stdout only when CAP_OUT and for stderr only
 * when CAP_ERR; the other stays as the child inherits it. */
int supervise_init_fds(struct supervisor *s, bool cap_out, bool cap_err,
                       coco_err *err);

/* Relay T (opened with tty_relay_open, T->master >= 0) in the event loop:
 * keys from T->in to the pty, the pty's output to T->out counted against
 * the output cap, the window size on SIGWINCH, raw mode again after
 * SIGCONT.  supervise_wait() gives the user's terminal its modes back
 * before it returns; the caller still closes T. */
void supervise_relay_tty(struct supervisor *s, struct tty_relay *t);

/* Job control as if coco were not there, for a child that shares coco's
 * process group and decides itself whether to stop (podman and docker
 * catch ^Z and pass it to the container): a SIGTSTP the terminal sent
 * to the group is left to the child, which has it already, instead of
 * stopping coco while the child runs on; one aimed at coco alone is
 * forwarded.  When the child stops, coco stops too (the shell sees the
 * job stopped), and when coco is continued it continues the child.  Call
 * after supervise_init(). */
int supervise_job_control(struct supervisor *s, coco_err *err);

/* spawn_start() (spawn.h) of ARGV[0] with ENVP: no PATH search, ARGV[0]
 * must be a path.  FDS are placed in the child; all other descriptors coco opened
 * are close-on-exec.  The child gets SIGKILL when coco dies
 * (PR_SET_PDEATHSIG), so it never runs on unsupervised.  An exec failure
 * is reported through a pipe and returned here as an error: errnum
 * ENOENT/EACCES/ENOEXEC tells the caller which of 127/126 applies. */
int supervise_spawn(struct supervisor *s, char *const argv[],
                    char *const envp[], const struct spawn_fd *fds,
                    size_t n_fds, coco_err *err);

/* For a child started some other way (clone() in the native backend):
 * call supervise_child_setup() in the child before exec, and
 * supervise_attach() in the parent with its pid.  child_setup returns -1
 * with errno set on failure. */
int supervise_child_setup(const struct supervisor *s);
void supervise_attach(struct supervisor *s, pid_t pid);

/* Run the event loop until the child has exited; fills RES.  Returns 0,
 * or -1 with ERR when the loop itself failed (the child is then killed
 * and reaped before returning). */
int supervise_wait(struct supervisor *s, const struct sup_limits *lim,
                   struct sup_result *res, coco_err *err);

/* Close descriptors, restore the signal mask and SIGPIPE disposition. */
void supervise_release(struct supervisor *s);

/* Exit code coco should use for RES: 124 for a timeout, 125 for the
 * output cap, the child's code, 128+N when it died of signal N. */
int supervise_exit_code(const struct sup_result *res);

/* Exit code for a waitpid() status: the code, or 128+N for signal N. */
int status_exit_code(int status);

/* Run ARGV (ARGV[0] a path) with ENVP and wait for it, the forwarded
 * signals' mask restored in the child.  stdout/stderr go to /dev/null
 * when QUIET_OUT/QUIET_ERR.  Returns the waitpid status, or -1 with ERR
 * when it could not be started. */
int spawn_wait(char *const argv[], char *const envp[], bool quiet_out,
               bool quiet_err, coco_err *err);

/* --- the guardian --------------------------------------------------------
 *
 * A process forked before the engine starts that outlives coco only when
 * coco dies without saying goodbye:
 *   - it runs in a session of its own (setsid), so a signal to coco's
 *     process group or a terminal hangup does not reach it;
 *   - it holds nothing of coco's but the reading end of a socket whose
 *     other end only coco holds (close-on-exec: the engine never inherits
 *     it), with stdio on /dev/null (it keeps no pipe or terminal of the
 *     caller open) and / as its working directory;
 *   - guard_release() sends one byte and waits for it to exit, so a
 *     normal run leaves nothing behind;
 *   - end of file without that byte means coco is gone: it runs ARGV
 *     (supervised, at most TIMEOUT_MS, then SIGTERM and SIGKILL), once
 *     more after AGAIN_AFTER_MS when that is set, detaches the run's
 *     idmapped mounts (idmap.h) when it has any, and exits.
 * ARGV[0] is a path (no PATH search); its output goes to /dev/null. */
struct guard_spec {
    char *const *argv;
    char *const *envp;
    uint64_t timeout_ms;      /* per attempt; 0 = 20 s */
    uint64_t again_after_ms;  /* 0 = run ARGV once */
    /* then, when set: idmap_detach_all(DETACH_DIR, DETACH_POINTS) */
    const char *detach_dir;
    char *const *detach_points;
};

struct guard {
    pid_t pid;  /* the guardian, 0 when none */
    int fd;     /* coco's end of the socket, -1 when none */
};

#define GUARD_INIT {0, -1}

/* Start the guardian for SPEC (which it copies with coco's memory at
 * fork).  Returns 0, or -1 with ERR. */
int guard_start(struct guard *g, const struct guard_spec *spec,
                coco_err *err);

/* coco is done with the run: tell the guardian and reap it.  Safe on a
 * guard that was never started or already released. */
void guard_release(struct guard *g);

#endif
