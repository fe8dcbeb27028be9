/* userns.c — the user namespaces whose identities coco writes: the
 * sandbox's own in a user run (one uid and one gid mapped, setgroups
 * denied), and in a root run a throwaway one that only serves as the
 * idmapping of the config's binds (MOUNT_ATTR_IDMAP), kept alive by a
 * helper process until coco holds a descriptor of it.
 *
 * Apart from sandbox.c because this is where it is decided whose files
 * the tool's writes become on the host, and the idmapping helper is a
 * process of its own with rules of its own (it shares coco's memory, so
 * it only makes raw system calls).  clone3_fork(), the one way coco
 * clones itself into new namespaces, is here as well: native_run() uses
 * it for the sandbox, and the helper uses it under valgrind.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>

#include "native_int.h"
#include "sys.h"

int write_maps(pid_t pid, uid_t in_uid, uid_t out_uid, gid_t in_gid,
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

pid_t clone3_fork(uint64_t flags)
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
int make_idmap_userns(uid_t disk_uid, gid_t disk_gid, uid_t tool_uid,
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
