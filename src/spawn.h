/* spawn.h — the one way coco starts a program on the host: fork, place
 * descriptors, exec, and learn whether the exec worked before returning.
 *
 * Every helper coco starts (the engine, `podman rm`, curl for a store
 * URL, `volume ls`) comes through spawn_start(); the supervisor's
 * supervise_spawn() and spawn_wait() add their child-side setup as a
 * hook.  One PATH rule, spawn_find_program(), finds them.  (The native
 * sandbox's tool is exec'd inside the sandbox with the sandbox's PATH:
 * native/child.c.) */
#ifndef COCO_SPAWN_H
#define COCO_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

/* A descriptor to place in the child: dup2(src, dst), close-on-exec
 * cleared.  SRC may equal DST. */
struct spawn_fd {
    int src;
    int dst;
};

struct spawn_opts {
    char *const *envp;        /* the child's environment; NULL: coco's */
    bool null_stdin;          /* stdin, stdout, stderr from/to /dev/null */
    bool null_stdout;
    bool null_stderr;
    const struct spawn_fd *fds;  /* placed after the /dev/null redirections */
    size_t n_fds;
    /* SIGKILL the child when coco dies (PR_SET_PDEATHSIG), checked
     * against the race where coco died first. */
    bool die_with_parent;
    /* Child side, first thing after the fork: returns -1 with errno set
     * to fail the spawn with that errno. */
    int (*setup)(void *data);
    void *setup_data;
};

/* Start ARGV (ARGV[0] a path: no PATH search here) with O.  Returns the
 * child's pid once it has exec'd, or -1 with ERR ("cannot run ARGV[0]",
 * errnum the exec's or the setup's errno: ENOENT, EACCES, ENOEXEC tell
 * a caller which of 127/126 applies) after reaping it. */
pid_t spawn_start(char *const argv[], const struct spawn_opts *o,
                  coco_err *err);

/* PROG as found in the PATH of ENV (coco's environ for NULL; an unset or
 * empty PATH is /usr/local/bin:/usr/bin:/bin): newly allocated, or NULL.
 * Only absolute PATH entries count — an empty or relative entry means
 * the current directory, where an untrusted project could plant its own
 * "podman" — and only a regular executable file.  PROG holding a '/' is
 * not searched: NULL. */
char *spawn_find_program(char *const *env, const char *prog);

/* Run ARGV (ARGV[0] found with spawn_find_program() unless it holds a
 * '/') with coco's environment, stdin from /dev/null, and capture at
 * most MAX bytes of its stdout into *OUT (NUL-terminated).  stderr passes
 * through.  Returns the exit code (0..255, 128+N for a signal), -1 with
 * ERR when it could not run (errnum ENOENT when it is not installed), or
 * SPAWN_TOO_BIG with ERR when it wrote more than MAX (it is killed then). */
#define SPAWN_TOO_BIG (-2)
int spawn_capture(char *const argv[], char **out, size_t *len, size_t max,
                  coco_err *err);

#endif
