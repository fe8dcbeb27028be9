/* init.c — pid 1 of the sandbox: coco itself (a clone of it, no second
 * binary).  A process that is pid 1 of a pid namespace gets no default
 * signal actions and inherits every orphan, so the tool must not be it:
 * init forwards the signals a user or a terminal sends, reaps whatever
 * the tool leaves behind, and exits with the tool's status.  When init
 * exits the kernel kills everything left in the namespace; init itself
 * dies with coco (PR_SET_PDEATHSIG, set in child.c).
 */
#include <signal.h>
#include <sys/wait.h>

#include "native_int.h"

const int init_forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                              SIGUSR1, SIGUSR2, SIGWINCH};
const size_t init_n_forwarded =
    sizeof init_forwarded / sizeof init_forwarded[0];

int init_loop(pid_t tool, bool pty)
{
    sigset_t set;

    /* Signals stay blocked (they were since before clone) and are taken
     * synchronously: no handlers, no races with waitpid. */
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (size_t i = 0; i < init_n_forwarded; i++)
        sigaddset(&set, init_forwarded[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);

    for (;;) {
        int st;
        pid_t r;

        /* Reap everything that is ready; stop when the tool is done. */
        while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
            if (r != tool)
                continue;
            if (coco_debug)
                debug("native: %6llu us  init: tool exited",
                      (unsigned long long)(now_us() - t0_us));
            if (WIFEXITED(st))
                return WEXITSTATUS(st);
            if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        }
        if (r < 0 && errno == ECHILD)
            return EXIT_COCO;

        siginfo_t si;
        if (sigwaitinfo(&set, &si) < 0)
            continue;
        if (si.si_signo == SIGCHLD)
            continue;
        /* The tool is in a session of its own, so what the user's terminal
         * sends coco's process group (init is in it) is passed on -- but
         * a resize: coco copies it to the tool's pty, whose line
         * discipline signals the tool. */
        if (pty && si.si_signo == SIGWINCH && si.si_code == SI_KERNEL)
            continue;
        kill(tool, si.si_signo);
    }
}
