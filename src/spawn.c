/* spawn.c — see spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Child side: send errno through the report pipe and exit. */
static __attribute__((noreturn)) void spawn_child_fail(int epfd)
{
    int e = errno;
    ssize_t r = write(epfd, &e, sizeof(e));
    (void)r;
    _exit(127);
}

/* Read the child's exec report: 0 when exec succeeded (EOF: the pipe
 * was close-on-exec), else the errno it sent. */
static int read_exec_report(int rfd)
{
    int e = 0;
    ssize_t r;
    do
        r = read(rfd, &e, sizeof(e));
    while (r < 0 && errno == EINTR);
    return r == (ssize_t)sizeof(e) ? e : 0;
}

static int place_fds(const struct spawn_fd *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (fds[i].src == fds[i].dst) {
            int fl = fcntl(fds[i].src, F_GETFD);
            if (fl < 0 || fcntl(fds[i].src, F_SETFD, fl & ~FD_CLOEXEC) < 0)
                return -1;
        } else if (dup2(fds[i].src, fds[i].dst) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The lowest descriptor the exec-report pipe may use in the child: above
 * stdio and every FDS[].dst, which the child overwrites.  Not a fixed
 * "high" number: under a low RLIMIT_NOFILE (ulimit -n 16) there is none. */
static int report_fd_floor(const struct spawn_fd *fds, size_t n)
{
    int lo = STDERR_FILENO + 1;
    for (size_t i = 0; i < n; i++)
        if (fds[i].dst >= lo)
            lo = fds[i].dst + 1;
    return lo;
}

static int null_stdio(const struct spawn_opts *o)
{
    if (!o->null_stdin && !o->null_stdout && !o->null_stderr)
        return 0;
    int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nul < 0)
        return -1;
    if ((o->null_stdin && dup2(nul, STDIN_FILENO) < 0) ||
        (o->null_stdout && dup2(nul, STDOUT_FILENO) < 0) ||
        (o->null_stderr && dup2(nul, STDERR_FILENO) < 0))
        return -1;
    if (nul > STDERR_FILENO)
        close(nul);
    return 0;
}

static __attribute__((noreturn)) void spawn_child(char *const argv[],
                                                   const struct spawn_opts *o,
                                                   int epfd, pid_t parent)
{
    /* Keep the report pipe out of the way of fds[].dst and stdio. */
    int lo = report_fd_floor(o->fds, o->n_fds);
    if (epfd < lo) {
        int hi = fcntl(epfd, F_DUPFD_CLOEXEC, lo);
        if (hi < 0)
            spawn_child_fail(epfd);
        close(epfd);
        epfd = hi;
    }
    /* If coco dies, so does the child: nobody would enforce a limit or
     * forward a signal to it any more.  Checking the parent after the
     * prctl closes the window where coco died before it. */
    if (o->die_with_parent) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
            spawn_child_fail(epfd);
        if (getppid() != parent) {
            errno = ESRCH;
            spawn_child_fail(epfd);
        }
    }
    if ((o->setup && o->setup(o->setup_data) < 0) || null_stdio(o) < 0 ||
        place_fds(o->fds, o->n_fds) < 0)
        spawn_child_fail(epfd);
    execve(argv[0], argv, o->envp ? o->envp : environ);
    spawn_child_fail(epfd);
}

pid_t spawn_start(char *const argv[], const struct spawn_opts *o,
                  coco_err *err)
{
    static const struct spawn_opts none;
    int ep[2];

    if (!o)
        o = &none;
    if (!argv || !argv[0] || !argv[0][0])
        return err_set(err, 0, "cannot run an empty command");
    if (pipe2(ep, O_CLOEXEC) < 0)
        return err_set(err, errno, "cannot run %s: pipe", argv[0]);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(ep[0]);
        close(ep[1]);
        return err_set(err, e, "cannot run %s: fork", argv[0]);
    }
    if (pid == 0) {
        close(ep[0]);
        spawn_child(argv, o, ep[1], parent);
    }
    close(ep[1]);
    int e = read_exec_report(ep[0]);
    close(ep[0]);
    if (e) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        return err_set(err, e, "cannot run %s", argv[0]);
    }
    return pid;
}

char *spawn_find_program(char *const *env, const char *prog)
{
    if (!prog || !*prog || strchr(prog, '/'))
        return NULL;
    const char *path = NULL;
    size_t nl = strlen("PATH=");
    for (char *const *e = env ? env : environ; e && *e; e++)
        if (strncmp(*e, "PATH=", nl) == 0) {
            path = *e + nl;
            break;
        }
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *s = path; *s;) {
        const char *end = strchrnul(s, ':');
        if (end > s && s[0] == '/') {
            _cleanup_free_ char *dir = xstrndup(s, (size_t)(end - s));
            char *cand = path_join(dir, prog);
            struct stat st;
            if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
                access(cand, X_OK) == 0)
                return cand;
            free(cand);
        }
        s = *end ? end + 1 : end;
    }
    return NULL;
}

int spawn_capture(char *const argv[], char **out, size_t *len, size_t max,
                  coco_err *err)
{
    if (!argv || !argv[0] || !argv[0][0])
        return err_set(err, 0, "cannot run an empty command");
    _cleanup_free_ char *found = strchr(argv[0], '/')
                                     ? xstrdup(argv[0])
                                     : spawn_find_program(NULL, argv[0]);
    if (!found)
        return err_set(err, ENOENT, "cannot run %s: not found in PATH",
                       argv[0]);
    size_t argc = 0;
    while (argv[argc])
        argc++;
    _cleanup_free_ char **av = xcalloc(argc + 1, sizeof *av);
    memcpy(av, argv, argc * sizeof *av);
    av[0] = found;

    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return err_set(err, errno, "cannot run %s: pipe", argv[0]);
    struct spawn_fd to_pipe = {pfd[1], STDOUT_FILENO};
    struct spawn_opts o = {.null_stdin = true, .fds = &to_pipe, .n_fds = 1};
    pid_t pid = spawn_start(av, &o, err);
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    bool too_big = false;
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max) {
                too_big = true;
                break;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t g = read(pfd[0], buf + n, cap - n - 1);
        if (g < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (g == 0)
            break;
        n += (size_t)g;
    }
    close(pfd[0]);
    if (too_big || n > max)
        kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (too_big || n > max) {
        free(buf);
        err_set(err, 0, "%s: output larger than %zu bytes", argv[0], max);
        return SPAWN_TOO_BIG;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}
