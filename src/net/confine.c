/* confine.c — the egress proxy's own seccomp filter, as a table: an
 * allowlist, everything else kills the process.  tools/gen_seccomp
 * compiles it at build time (egress_confine_export_fd()), so a run's
 * proxy only loads it (confine_bpf.c): building it with libseccomp cost
 * the proxy about a millisecond at every start.  test_net_proxy checks
 * the compiled program against a fresh export, byte for byte. */
#include "net.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>

/* What the proxy may ask of the kernel once it serves: its descriptors,
 * memory, time, randomness, and new IPv4/IPv6 sockets to dial and to
 * resolve.  No open, no exec, no other socket family, no new process:
 * a parser bug that became code execution in here reaches no file and
 * no unix socket of the host.  Anything else kills the process (the
 * tool then loses connectivity, never gains it). */
static const int confine_allowed[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
    SCMP_SYS(close), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_ctl), SCMP_SYS(accept4), SCMP_SYS(connect),
    SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
    SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(shutdown),
    SCMP_SYS(splice), SCMP_SYS(pipe2), SCMP_SYS(fcntl),
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(getrandom),
    SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
    SCMP_SYS(futex), SCMP_SYS(restart_syscall), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask), SCMP_SYS(exit), SCMP_SYS(exit_group),
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill),
    SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
};

/* The filter, built with libseccomp (NULL with ERR). */
static scmp_filter_ctx confine_build(coco_err *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) {
        err_set(err, ENOMEM, "egress proxy: seccomp_init");
        return NULL;
    }
    int r = 0;
    for (size_t i = 0; r == 0 && i < sizeof confine_allowed / sizeof *confine_allowed; i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, confine_allowed[i], 0);
    /* Sockets: IPv4 and IPv6 only. */
    if (r == 0)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                             SCMP_A0(SCMP_CMP_EQ, AF_INET));
    if (r == 0)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                             SCMP_A0(SCMP_CMP_EQ, AF_INET6));
    /* Memory, never executable. */
    if (r == 0)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    if (r == 0)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    if (r < 0) {
        seccomp_release(ctx);
        err_set(err, -r, "egress proxy: build its seccomp filter");
        return NULL;
    }
    return ctx;
}

int egress_confine_export_fd(int fd, coco_err *err)
{
    scmp_filter_ctx ctx = confine_build(err);
    if (!ctx)
        return -1;
    int r = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    if (r < 0)
        return err_set(err, -r, "egress proxy: export its seccomp filter");
    return 0;
}
