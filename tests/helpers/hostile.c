/* hostile.c — a small static program that behaves like a hostile tool:
 * each subcommand tries ONE attack and reports what happened, like
 * bubblewrap's tests/try-syscall.c.  The escape tests run it both outside
 * the sandbox (to show the attack works there, so the test can fail) and
 * inside it (to show it is blocked).
 *
 * Output: one line "hostile: ATTACK: ok[ DETAIL]" or
 * "hostile: ATTACK: blocked: ERRNO-NAME (message)".
 * Exit status: 0 when the attack succeeded, 1 when it was blocked,
 * 2 for a usage error.  Resource attacks are bounded by their argument;
 * listeners exit on their own after 60 s.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/openat2.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

static const char *attack = "?";

static int ok(const char *fmt, ...)
{
    va_list ap;
    printf("hostile: %s: ok", attack);
    if (fmt) {
        putchar(' ');
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
    }
    putchar('\n');
    fflush(stdout);
    return 0;
}

static int blocked(int e)
{
    printf("hostile: %s: blocked: %s (%s)\n", attack,
           strerrorname_np(e) ? strerrorname_np(e) : "?", strerror(e));
    fflush(stdout);
    return 1;
}

/* 0 -> ok, -1 -> blocked(errno) */
static int report(long r)
{
    return r < 0 ? blocked(errno) : ok(NULL);
}

static int do_read(const char *path)
{
    char buf[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return blocked(errno);
    ssize_t n = read(fd, buf, sizeof buf);
    int e = errno;
    close(fd);
    if (n < 0)
        return blocked(e);
    return ok("%zd bytes", n);
}

static int do_write(const char *path, const char *data)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return blocked(errno);
    ssize_t n = write(fd, data, strlen(data));
    int e = errno;
    if (close(fd) < 0 && n >= 0) {
        n = -1;
        e = errno;
    }
    return n < 0 ? blocked(e) : ok(NULL);
}

static int connect_addr(struct sockaddr *sa, socklen_t len, int family)
{
    int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return blocked(errno);
    int r = connect(s, sa, len);
    int e = errno;
    close(s);
    return r < 0 ? blocked(e) : ok(NULL);
}

static int do_connect_tcp(const char *port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)atoi(port)),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return connect_addr((struct sockaddr *)&sin, sizeof sin, AF_INET);
}

static socklen_t unix_addr(struct sockaddr_un *sun, const char *name,
                           bool abstract)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    size_t n = strlen(name);
    if (n > sizeof sun->sun_path - 2)
        n = sizeof sun->sun_path - 2;
    memcpy(sun->sun_path + (abstract ? 1 : 0), name, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
                       (abstract ? 1 : 0));
}

static int do_connect_unix(const char *name, bool abstract)
{
    struct sockaddr_un sun;
    socklen_t len = unix_addr(&sun, name, abstract);
    return connect_addr((struct sockaddr *)&sun, len, AF_UNIX);
}

/* Listeners for the "outside" half of the network tests: print "ready",
 * accept connections until 60 s have passed. */
static int do_listen(struct sockaddr *sa, socklen_t len, int family)
{
    int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s < 0)
        return blocked(errno);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, sa, len) < 0 || listen(s, 16) < 0)
        return blocked(errno);
    ok("ready");
    alarm(60);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c >= 0)
            close(c);
    }
}

static int do_tiocsti(bool high_bits)
{
    char c = ' ';
    unsigned long req = TIOCSTI;
    if (high_bits)
        req |= 1UL << 32;  /* the kernel truncates; a filter must not */
    return report(syscall(SYS_ioctl, 0, req, &c));
}

static int do_tioclinux(void)
{
    char sub = 0;  /* TIOCL_GETSHIFTSTATE-ish probe */
    return report(ioctl(0, TIOCLINUX, &sub));
}

static int do_ptrace_pid(const char *pid)
{
    pid_t p = atoi(pid);
    if (ptrace(PTRACE_ATTACH, p, NULL, NULL) < 0)
        return blocked(errno);
    waitpid(p, NULL, __WALL);
    ptrace(PTRACE_DETACH, p, NULL, NULL);
    return ok(NULL);
}

static int do_kill(const char *pid, const char *sig)
{
    return report(kill(atoi(pid), sig ? atoi(sig) : 0));
}

/* Is some process's environment holding MARKER readable? */
static int do_environ_scan(const char *marker)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int seen = 0;
    if (!d)
        return blocked(errno);
    while ((e = readdir(d))) {
        char path[300], buf[65536];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            continue;
        seen++;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] == '\0')
                buf[i] = '\n';
        buf[n] = '\0';
        if (strstr(buf, marker)) {
            closedir(d);
            return ok("found in %s", path);
        }
    }
    closedir(d);
    printf("hostile: %s: blocked: not found (%d environments readable)\n",
           attack, seen);
    return 1;
}

/* Can we see process PID (in our /proc)? */
static int do_see_pid(const char *pid)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%s", pid);
    return report(stat(path, &st));
}

static int do_syscall(const char *name)
{
    long r;
    errno = 0;
    if (!strcmp(name, "mount"))
        r = mount("none", "/nonexistent-coco", "tmpfs", 0, NULL);
    else if (!strcmp(name, "umount2"))
        r = umount2("/nonexistent-coco", 0);
    else if (!strcmp(name, "pivot_root"))
        r = syscall(SYS_pivot_root, "/nonexistent-coco", "/nonexistent-coco");
    else if (!strcmp(name, "chroot"))
        r = chroot("/nonexistent-coco");
    else if (!strcmp(name, "open_tree"))
        r = syscall(SYS_open_tree, AT_FDCWD, "/nonexistent-coco", 0);
    else if (!strcmp(name, "move_mount"))
        r = syscall(SYS_move_mount, -1, "/nonexistent-coco", -1,
                    "/nonexistent-coco", 0);
    else if (!strcmp(name, "fsopen"))
        r = syscall(SYS_fsopen, "nonexistent-fs", 0);
    else if (!strcmp(name, "fsmount"))
        r = syscall(SYS_fsmount, -1, 0, 0);
    else if (!strcmp(name, "mount_setattr"))
        r = syscall(SYS_mount_setattr, -1, "", 0, NULL, 0);
    else if (!strcmp(name, "unshare-user"))
        r = unshare(CLONE_NEWUSER);
    else if (!strcmp(name, "unshare-mount"))
        r = unshare(CLONE_NEWNS);
    else if (!strcmp(name, "unshare-net"))
        r = unshare(CLONE_NEWNET);
    else if (!strcmp(name, "clone-newuser") || !strcmp(name, "clone3")) {
        if (!strcmp(name, "clone3")) {
            struct clone_args ca = {.flags = CLONE_NEWUSER,
                                    .exit_signal = SIGCHLD};
            r = syscall(SYS_clone3, &ca, sizeof ca);
        } else {
            r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        }
        if (r == 0)
            _exit(0);
        if (r > 0)
            waitpid((pid_t)r, NULL, 0);
    } else if (!strcmp(name, "setns")) {
        int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
        r = fd < 0 ? -1 : setns(fd, 0);
    } else if (!strcmp(name, "keyctl"))
        r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
                    KEY_SPEC_SESSION_KEYRING, 0);
    else if (!strcmp(name, "add_key"))
        r = syscall(SYS_add_key, "user", "coco-hostile", "x", 1,
                    KEY_SPEC_PROCESS_KEYRING);
    else if (!strcmp(name, "request_key"))
        r = syscall(SYS_request_key, "user", "coco-none", NULL,
                    KEY_SPEC_PROCESS_KEYRING);
    else if (!strcmp(name, "bpf")) {
        union bpf_attr a;
        memset(&a, 0, sizeof a);
        r = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
    } else if (!strcmp(name, "perf_event_open")) {
        struct perf_event_attr a = {.type = PERF_TYPE_SOFTWARE,
                                    .size = sizeof a,
                                    .config = PERF_COUNT_SW_TASK_CLOCK,
                                    .disabled = 1, .exclude_kernel = 1,
                                    .exclude_hv = 1};
        r = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
    } else if (!strcmp(name, "userfaultfd"))
        r = syscall(SYS_userfaultfd, UFFD_USER_MODE_ONLY);
    else if (!strcmp(name, "io_uring_setup")) {
        struct io_uring_params pr;
        memset(&pr, 0, sizeof pr);
        r = syscall(SYS_io_uring_setup, 1, &pr);
    } else if (!strcmp(name, "ptrace"))
        r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    else if (!strcmp(name, "process_vm_readv")) {
        char src[8] = "secret", dst[8];
        struct iovec l = {dst, sizeof dst}, rm = {src, sizeof src};
        r = process_vm_readv(getpid(), &l, 1, &rm, 1, 0);
    } else if (!strcmp(name, "init_module"))
        r = syscall(SYS_init_module, NULL, 0, "");
    else if (!strcmp(name, "finit_module"))
        r = syscall(SYS_finit_module, -1, "", 0);
    else if (!strcmp(name, "delete_module"))
        r = syscall(SYS_delete_module, "coco_none", O_NONBLOCK);
    else if (!strcmp(name, "kexec_load"))
        r = syscall(SYS_kexec_load, 0, 0, NULL, 0xffffffffUL);
    else if (!strcmp(name, "reboot"))
        r = syscall(SYS_reboot, 0, 0, 0, NULL);  /* bad magic */
    else if (!strcmp(name, "swapon"))
        r = syscall(SYS_swapon, "/nonexistent-coco", 0);
    else if (!strcmp(name, "acct"))
        r = syscall(SYS_acct, "/nonexistent-coco");
    else if (!strcmp(name, "syslog"))
        r = syscall(SYS_syslog, 10 /* SIZE_BUFFER */, NULL, 0);
    else if (!strcmp(name, "open_by_handle_at"))
        r = syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0);
    else if (!strcmp(name, "personality"))
        r = personality(ADDR_NO_RANDOMIZE);
    else if (!strcmp(name, "personality-query"))
        r = personality(0xffffffff);
    else {
        fprintf(stderr, "hostile: unknown syscall test %s\n", name);
        return 2;
    }
    /* "ok" means the kernel itself handled the call (any result but the
     * filter's EPERM/ENOSYS): the filter did not stop it. */
    if (r < 0 && (errno == EPERM ||
                  (errno == ENOSYS && !strcmp(name, "clone3"))))
        return blocked(errno);
    return ok("(kernel said %s)", r < 0 ? strerrorname_np(errno) : "success");
}

static int do_forkbomb(long n)
{
    long made = 0;
    pid_t *kids = calloc((size_t)n, sizeof *kids);
    if (!kids)
        return blocked(ENOMEM);
    for (; made < n; made++) {
        pid_t p = fork();
        if (p < 0)
            break;
        if (p == 0) {
            alarm(30);
            pause();
            _exit(0);
        }
        kids[made] = p;
    }
    int e = errno;
    for (long i = 0; i < made; i++)
        kill(kids[i], SIGKILL);
    for (long i = 0; i < made; i++)
        waitpid(kids[i], NULL, 0);
    free(kids);
    if (made < n) {
        printf("hostile: %s: blocked: %s after %ld processes\n", attack,
               strerrorname_np(e), made);
        return 1;
    }
    return ok("%ld processes", made);
}

static int do_memhog(long mb)
{
    for (long i = 0; i < mb; i++) {
        char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return blocked(errno);
        memset(p, 1, 1 << 20);
    }
    return ok("%ld MiB", mb);
}

static int do_filltmp(const char *path, long mb)
{
    static char buf[1 << 20];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return blocked(errno);
    memset(buf, 'x', sizeof buf);
    for (long i = 0; i < mb; i++) {
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
            int e = errno;
            close(fd);
            unlink(path);
            return blocked(e ? e : ENOSPC);
        }
    }
    close(fd);
    unlink(path);
    return ok("%ld MiB", mb);
}

static int do_flood(long bytes)
{
    static char buf[65536];
    memset(buf, 'y', sizeof buf);
    for (long done = 0; done < bytes;) {
        size_t n = (size_t)(bytes - done) < sizeof buf ? (size_t)(bytes - done)
                                                       : sizeof buf;
        ssize_t w = write(1, buf, n);
        if (w <= 0)
            return 1;
        done += w;
    }
    return 0;
}

static volatile sig_atomic_t got;
static void on_sig(int s) { got = s; }

/* Print "ready", wait (bounded, 60 s) for a signal, print it, exit
 * 64+N. */
static int do_waitsig(void)
{
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                        SIGWINCH};
    struct sigaction sa = {.sa_handler = on_sig};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < 600 && !got; i++)
        usleep(100000);
    if (!got)
        return 2;
    printf("got %s\n", sigabbrev_np(got));
    fflush(stdout);
    return 64 + got;
}

/* Leave a grandchild behind (new session, sleeping), print its pid. */
static int do_orphan(void)
{
    pid_t p = fork();
    if (p == 0) {
        setsid();
        if (fork() == 0) {
            printf("orphan %d\n", (int)getpid());
            fflush(stdout);
            close(1);
            close(2);
            for (int i = 0; i < 600; i++)
                sleep(1);
            _exit(0);
        }
        _exit(0);
    }
    waitpid(p, NULL, 0);
    usleep(100000);
    return 0;
}

static int do_ids(void)
{
    printf("uid=%d euid=%d gid=%d egid=%d\n", (int)getuid(), (int)geteuid(),
           (int)getgid(), (int)getegid());
    return 0;
}

static int do_euid_root(void)
{
    return geteuid() == 0 ? ok("euid 0") : blocked(EPERM);
}

/* facts: what the conformance suite asks of every backend in one run:
 * the ids, the capability, no_new_privs and seccomp lines of
 * /proc/self/status, and the network interfaces (one "if=NAME" line
 * each, from /proc/net/dev). */
static int do_facts(void)
{
    char line[512];
    FILE *f = fopen("/proc/self/status", "re");
    printf("uid=%d euid=%d gid=%d egid=%d\n", (int)getuid(), (int)geteuid(),
           (int)getgid(), (int)getegid());
    if (f) {
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs:", 11) ||
                !strncmp(line, "Seccomp:", 8))
                fputs(line, stdout);
        fclose(f);
    }
    f = fopen("/proc/net/dev", "re");
    for (int n = 0; f && fgets(line, sizeof line, f); n++) {
        char *colon = strchr(line, ':'), *p = line;
        if (n < 2 || !colon)
            continue;  /* two header lines */
        *colon = '\0';
        while (*p == ' ')
            p++;
        printf("if=%s\n", p);
    }
    if (f)
        fclose(f);
    fflush(stdout);
    return 0;
}

/* socket FAMILY: open a socket of a family a tool has no use for (each a
 * source of kernel bugs reachable without privileges); "ok" when the
 * kernel made it. */
static int do_socket(const char *fam)
{
    static const struct {
        const char *name;
        int family, type, proto;
    } fams[] = {
        {"unix", AF_UNIX, SOCK_STREAM, 0},
        {"inet", AF_INET, SOCK_STREAM, 0},
        {"inet6", AF_INET6, SOCK_STREAM, 0},
        {"netlink", AF_NETLINK, SOCK_RAW, 0 /* NETLINK_ROUTE */},
        {"alg", AF_ALG, SOCK_SEQPACKET, 0},
        {"vsock", AF_VSOCK, SOCK_STREAM, 0},
        {"packet", AF_PACKET, SOCK_DGRAM, 0},
        {"key", AF_KEY, SOCK_RAW, 2 /* PF_KEY_V2 */},
        {"xdp", AF_XDP, SOCK_RAW, 0},
        {"tipc", AF_TIPC, SOCK_RDM, 0},
        {"rds", AF_RDS, SOCK_SEQPACKET, 0},
        {"appletalk", AF_APPLETALK, SOCK_DGRAM, 0},
        {"x25", AF_X25, SOCK_SEQPACKET, 0},
        {"bluetooth", AF_BLUETOOTH, SOCK_RAW, 0},
        {"can", AF_CAN, SOCK_RAW, 1 /* CAN_RAW */},
    };
    /* NAME-high: the family with bit 32 set, which the kernel drops (it
     * reads an int); a filter that compared all 64 bits for equality
     * with a denied family would miss it. */
    size_t len = strlen(fam);
    bool high = len > 5 && !strcmp(fam + len - 5, "-high");
    if (high)
        len -= 5;
    for (size_t i = 0; i < sizeof fams / sizeof fams[0]; i++) {
        if (strlen(fams[i].name) != len || strncmp(fams[i].name, fam, len))
            continue;
        long s = syscall(SYS_socket,
                         (unsigned long)fams[i].family | (high ? 1UL << 32 : 0),
                         fams[i].type | SOCK_CLOEXEC, fams[i].proto);
        if (s < 0)
            return blocked(errno);
        close(s);
        return ok(NULL);
    }
    fprintf(stderr, "hostile: unknown socket family %s\n", fam);
    exit(2);
}

static int do_bind_low(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return blocked(errno);
    int r = bind(s, (struct sockaddr *)&sin, sizeof sin);
    int e = errno;
    close(s);
    return r < 0 ? blocked(e) : ok(NULL);
}

/* ---- issue 6 item 1: files the host will run ------------------------- */

/* suid METHOD PATH: leave PATH carrying S_ISUID|S_ISGID (mode 06755) by
 * METHOD.  ok only when the file really has either bit afterwards. */
static int do_suid(const char *method, const char *path)
{
    const mode_t mode = 06755;
    long r = 0;
    int fd;
    struct stat st;

    errno = 0;
    unlink(path);
    rmdir(path);
    if (!strcmp(method, "creat")) {
        fd = (int)syscall(SYS_creat, path, mode);
        r = fd < 0 ? -1 : close(fd);
    } else if (!strcmp(method, "open")) {
        fd = (int)syscall(SYS_open, path, O_CREAT | O_WRONLY, mode);
        r = fd < 0 ? -1 : close(fd);
    } else if (!strcmp(method, "openat")) {
        fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY, mode);
        r = fd < 0 ? -1 : close(fd);
    } else if (!strcmp(method, "openat2")) {
        struct open_how how = {.flags = O_CREAT | O_WRONLY, .mode = mode};
        fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
        r = fd < 0 ? -1 : close(fd);
    } else if (!strcmp(method, "mknod")) {
        r = syscall(SYS_mknod, path, S_IFREG | mode, 0);
    } else if (!strcmp(method, "mknodat")) {
        r = syscall(SYS_mknodat, AT_FDCWD, path, S_IFREG | mode, 0);
    } else {
        /* the chmod family: a plain file first, then the bits */
        fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
        if (fd < 0)
            return report(-1);
        if (!strcmp(method, "chmod"))
            r = syscall(SYS_chmod, path, mode);
        else if (!strcmp(method, "fchmod"))
            r = syscall(SYS_fchmod, fd, mode);
        else if (!strcmp(method, "fchmodat"))
            r = syscall(SYS_fchmodat, AT_FDCWD, path, mode);
        else if (!strcmp(method, "fchmodat2"))
            r = syscall(452 /* fchmodat2 */, AT_FDCWD, path, mode, 0);
        else if (!strcmp(method, "chmod-dir")) {
            /* a setgid directory: what the tool creates in it inherits
             * the group */
            unlink(path);
            r = mkdir(path, 0755);
            if (r == 0)
                r = syscall(SYS_chmod, path, mode);
        } else if (!strcmp(method, "chmod-high"))
            /* high bits set in the 64-bit register, mode in the low ones */
            r = syscall(SYS_chmod, path, 0xffffffff00000000UL | mode);
        else {
            close(fd);
            fprintf(stderr, "hostile: unknown suid method %s\n", method);
            exit(2);
        }
        close(fd);
    }
    if (r < 0)
        return report(-1);
    if (stat(path, &st) < 0)
        return report(-1);
    if (st.st_mode & (S_ISUID | S_ISGID))
        return ok("mode %04o uid %u", (unsigned)(st.st_mode & 07777),
                  (unsigned)st.st_uid);
    return blocked(EPERM);
}

/* setcap PATH: give PATH the file capability cap_setuid+ep (as good as
 * setuid root). */
static int do_setcap(const char *path)
{
    /* struct vfs_cap_data, revision 2: CAP_SETUID (7) permitted, effective */
    uint32_t cap[5] = {0x02000000 | 0x000001 /* VFS_CAP_REVISION_2 | EFFECTIVE */,
                       1u << 7, 0, 0, 0};
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
    if (fd < 0)
        return report(-1);
    close(fd);
    return report(setxattr(path, "security.capability", cap, sizeof cap, 0));
}

/* ---- issue 6 item 2: mount sources swapped for symlinks -------------- */

/* flip PATH TARGET SECONDS: swap the directory PATH with a symlink to
 * TARGET, atomically and over and over (renameat2 RENAME_EXCHANGE), for
 * SECONDS: a concurrent coco run that resolves PATH may see either. */
static int do_flip(const char *path, const char *target, long seconds)
{
    char alt[4096];
    snprintf(alt, sizeof alt, "%s.flip", path);
    unlink(alt);
    if (symlink(target, alt) < 0)
        return report(-1);
    time_t end = time(NULL) + (seconds > 0 && seconds < 120 ? seconds : 5);
    long n = 0;
    while (time(NULL) < end) {
        if (syscall(SYS_renameat2, AT_FDCWD, path, AT_FDCWD, alt,
                    2 /* RENAME_EXCHANGE */) < 0)
            return report(-1);
        n++;
    }
    /* leave the real directory in place */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        syscall(SYS_renameat2, AT_FDCWD, path, AT_FDCWD, alt, 2);
    unlink(alt);
    return ok("%ld swaps", n);
}

/* ---- issue 6 items 9 and 17: the terminal ------------------------------
 * TARGET is "stdin", "stdout" or a path opened read-write (e.g. /dev/tty,
 * the controlling terminal, whatever it is). */
static int tty_open_target(const char *t)
{
    if (!strcmp(t, "stdin"))
        return 0;
    if (!strcmp(t, "stdout"))
        return 1;
    return open(t, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

/* Everything a tool could do to leave a terminal unusable or changed:
 * window size, raw mode without echo, exclusive mode (new opens fail with
 * EBUSY), and another line discipline (N_NULL discards all output).
 * "ok" lists what the kernel accepted, on whatever terminal TARGET is. */
static int do_tty_mess(const char *target)
{
    int fd = tty_open_target(target);
    char done[64] = "";
    if (fd < 0)
        return blocked(errno);
    struct winsize ws = {.ws_row = 11, .ws_col = 22};
    if (ioctl(fd, TIOCSWINSZ, &ws) == 0)
        strcat(done, " winsz");
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        t.c_lflag &= ~(tcflag_t)ECHO;
        if (tcsetattr(fd, TCSANOW, &t) == 0)
            strcat(done, " raw");
    }
    if (ioctl(fd, TIOCEXCL) == 0)
        strcat(done, " excl");
    int ld = 27;  /* N_NULL */
    if (ioctl(fd, TIOCSETD, &ld) == 0) {
        strcat(done, " setd");
    } else {
        ld = 1;   /* N_SLIP, or any other that is registered */
        if (ioctl(fd, TIOCSETD, &ld) == 0)
            strcat(done, " setd");
    }
    int e = errno;
    if (!done[0])
        return blocked(e);
    /* stdout may be that terminal, now discarding: report on stderr */
    fprintf(stderr, "hostile: %s: ok%s\n", attack, done);
    return 0;
}

/* Write N bytes to /dev/tty (the controlling terminal), past any pipe an
 * output cap reads. */
static int do_tty_write(long n)
{
    static char buf[65536];
    int fd = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return blocked(errno);
    memset(buf, 'z', sizeof buf);
    long done = 0;
    while (done < n) {
        size_t k = (size_t)(n - done) < sizeof buf ? (size_t)(n - done)
                                                   : sizeof buf;
        ssize_t w = write(fd, buf, k);
        if (w <= 0)
            return blocked(errno);
        done += w;
    }
    close(fd);
    return ok("%ld bytes", done);
}

/* What the tool sees of its terminal. */
static int do_tty_name(void)
{
    char name[256];
    struct winsize ws = {0};
    ioctl(0, TIOCGWINSZ, &ws);
    printf("hostile: tty-name: stdin %s stdout %s stderr %s name %s "
           "size %ux%u\n",
           isatty(0) ? "tty" : "not-a-tty", isatty(1) ? "tty" : "not-a-tty",
           isatty(2) ? "tty" : "not-a-tty",
           ttyname_r(0, name, sizeof name) == 0 ? name : "none",
           ws.ws_row, ws.ws_col);
    fflush(stdout);
    return 0;
}

/* Print "ready", read one line from stdin, print it back. */
static int do_tty_readline(void)
{
    char line[256];
    printf("ready\n");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin))
        return blocked(errno ? errno : ENODATA);
    line[strcspn(line, "\r\n")] = '\0';
    printf("line: <%s>\n", line);
    fflush(stdout);
    return 0;
}
/* ---- end of items 9 and 17 ---------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hostile ATTACK [ARGS]\n");
        return 2;
    }
    attack = argv[1];
    static char label[128];
    if (argc > 2) {
        snprintf(label, sizeof label, "%s %s", argv[1], argv[2]);
        attack = label;
    }
    const char *a = argc > 2 ? argv[2] : NULL;
    const char *b = argc > 3 ? argv[3] : NULL;
#define NEED(n)                                                            \
    do {                                                                   \
        if (argc < 2 + (n)) {                                              \
            fprintf(stderr, "hostile %s: needs %d argument(s)\n", attack,  \
                    n);                                                    \
            return 2;                                                      \
        }                                                                  \
    } while (0)

    if (!strcmp(argv[1], "read")) { NEED(1); return do_read(a); }
    if (!strcmp(argv[1], "write")) { NEED(1); return do_write(a, b ? b : "x\n"); }
    if (!strcmp(argv[1], "exists")) {
        struct stat st;
        NEED(1);
        return report(lstat(a, &st));
    }
    if (!strcmp(argv[1], "symlink")) { NEED(2); return report(symlink(a, b)); }
    if (!strcmp(argv[1], "hardlink")) { NEED(2); return report(link(a, b)); }
    if (!strcmp(argv[1], "chown")) { NEED(1); return report(chown(a, 4242, 4242)); }
    if (!strcmp(argv[1], "bind-low")) return do_bind_low();
    if (!strcmp(argv[1], "sethostname"))
        return report(sethostname("pwned", 5));
    if (!strcmp(argv[1], "connect-tcp")) { NEED(1); return do_connect_tcp(a); }
    if (!strcmp(argv[1], "connect-abstract")) { NEED(1); return do_connect_unix(a, true); }
    if (!strcmp(argv[1], "connect-unix")) { NEED(1); return do_connect_unix(a, false); }
    if (!strcmp(argv[1], "listen-tcp")) {
        NEED(1);
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)atoi(a)),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        return do_listen((struct sockaddr *)&sin, sizeof sin, AF_INET);
    }
    if (!strcmp(argv[1], "listen-abstract") || !strcmp(argv[1], "listen-unix")) {
        struct sockaddr_un sun;
        NEED(1);
        socklen_t len = unix_addr(&sun, a, argv[1][7] == 'a');
        return do_listen((struct sockaddr *)&sun, len, AF_UNIX);
    }
    if (!strcmp(argv[1], "rmdir")) { NEED(1); return report(rmdir(a)); }
    if (!strcmp(argv[1], "cat")) {
        /* read PATH and print what it holds (first line, 200 bytes) */
        char buf[201];
        NEED(1);
        int fd = open(a, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return blocked(errno);
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n < 0)
            return blocked(errno);
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return ok("content=%s", buf);
    }
    if (!strcmp(argv[1], "flip")) {
        NEED(2);
        return do_flip(a, b, argc > 4 ? atol(argv[4]) : 5);
    }
    if (!strcmp(argv[1], "suid")) { NEED(2); return do_suid(a, b); }
    if (!strcmp(argv[1], "setcap")) { NEED(1); return do_setcap(a); }
    if (!strcmp(argv[1], "chmod")) {
        NEED(2);
        return report(chmod(a, (mode_t)strtol(b, NULL, 8)));
    }
    if (!strcmp(argv[1], "tiocsti")) return do_tiocsti(false);
    if (!strcmp(argv[1], "tiocsti-high")) return do_tiocsti(true);
    if (!strcmp(argv[1], "tioclinux")) return do_tioclinux();
    /* issue 6 items 9 and 17: the terminal */
    if (!strcmp(argv[1], "tty-mess")) { NEED(1); return do_tty_mess(a); }
    if (!strcmp(argv[1], "tty-write")) { NEED(1); return do_tty_write(atol(a)); }
    if (!strcmp(argv[1], "tty-name")) return do_tty_name();
    if (!strcmp(argv[1], "tty-readline")) return do_tty_readline();
    if (!strcmp(argv[1], "syscall")) { NEED(1); return do_syscall(a); }
    if (!strcmp(argv[1], "ptrace-pid")) { NEED(1); return do_ptrace_pid(a); }
    if (!strcmp(argv[1], "kill")) { NEED(1); return do_kill(a, b); }
    if (!strcmp(argv[1], "see-pid")) { NEED(1); return do_see_pid(a); }
    if (!strcmp(argv[1], "environ")) { NEED(1); return do_environ_scan(a); }
    if (!strcmp(argv[1], "forkbomb")) { NEED(1); return do_forkbomb(atol(a)); }
    if (!strcmp(argv[1], "memhog")) { NEED(1); return do_memhog(atol(a)); }
    if (!strcmp(argv[1], "filltmp")) { NEED(2); return do_filltmp(a, atol(b)); }
    if (!strcmp(argv[1], "flood")) { NEED(1); return do_flood(atol(a)); }
    if (!strcmp(argv[1], "sleep")) {
        for (int i = 0; i < 3600; i++)
            sleep(1);
        return 0;
    }
    if (!strcmp(argv[1], "waitsig")) return do_waitsig();
    if (!strcmp(argv[1], "orphan")) return do_orphan();
    if (!strcmp(argv[1], "orphan-then-sleep")) {
        do_orphan();
        for (int i = 0; i < 600; i++)
            sleep(1);
        return 0;
    }
    if (!strcmp(argv[1], "exit")) { NEED(1); return atoi(a); }
    if (!strcmp(argv[1], "killself")) {
        NEED(1);
        signal(atoi(a), SIG_DFL);
        kill(getpid(), atoi(a));
        return 3;
    }
    if (!strcmp(argv[1], "ids")) return do_ids();
    if (!strcmp(argv[1], "facts")) return do_facts();
    if (!strcmp(argv[1], "socket")) { NEED(1); return do_socket(a); }
    if (!strcmp(argv[1], "euid-root")) return do_euid_root();
    if (!strcmp(argv[1], "isatty")) {
        printf("stdin %s\n", isatty(0) ? "tty" : "not-a-tty");
        return 0;
    }
    if (!strcmp(argv[1], "env")) {
        extern char **environ;
        for (char **e = environ; *e; e++)
            puts(*e);
        return 0;
    }
    fprintf(stderr, "hostile: unknown attack %s\n", attack);
    return 2;
}
