/* forward.c — the in-container relay: `coco _egress-forward SOCK PORT
 * [DNSSOCK] -- CMD [ARGS...]`, the container's entrypoint under podman
 * and docker when the tool has allowed_hosts or "full".
 *
 * The container has no network (--network=none): only lo.  coco's egress
 * proxy runs on the host and listens on a unix socket in a directory
 * bound into the container (SOCK).  This relay listens on 127.0.0.1:PORT,
 * starts the tool, and copies every accepted TCP connection, byte for
 * byte, to a fresh connection to SOCK.  It holds no policy: it parses
 * nothing and decides nothing; the proxy on the host does both.  When the
 * proxy is gone, connecting to SOCK fails and the tool's connection is
 * closed at once: it fails closed.
 *
 * One process, one poll() loop, splice() through a pipe per direction
 * (no copy through user space), at most FWD_MAX_CONNS connections (more
 * are closed as they arrive), a half-close passed on as shutdown(SHUT_WR).
 *
 * DNS.  With DNSSOCK the relay also listens on UDP 127.0.0.1:53 (the
 * container's resolv.conf names it, and nothing else) and hands each
 * datagram, as one packet, to a fresh SOCK_SEQPACKET connection to
 * DNSSOCK: the proxy's DNS stub, the one the native sandbox asks.  Its
 * reply packet goes back to the datagram's sender.  The stub gives an
 * allowlisted name a fake address from 198.18.0.0/15, which is only
 * reachable through the proxy variables (there is no transparent
 * capture in a container: the tool's own connect() to it fails), and
 * every other name REFUSED, asking no upstream.  The relay reads only
 * lengths: at most FWD_DNS_MAX queries in flight (more are dropped),
 * each given FWD_DNS_MS for its answer; with the proxy gone a query
 * gets no answer at all.
 *
 * Signals.  TERM INT HUP QUIT USR1 USR2 WINCH sent to the relay (by the
 * engine's init, `podman kill`, a timeout's stop) go to the tool.  Those
 * the kernel sends (a terminal's ^C, ^\ and window changes) are not
 * passed on: they went to the terminal's foreground process group, the
 * tool included, already.  When the tool ends the relay ends with its
 * status: its exit code, or its death signal raised again (128+N when
 * that signal does not kill).  exec failures exit 127 (not found) or 126
 * (found, not runnable), as a shell does; the relay's own failures 125. */
#include "net.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FWD_MAX_CONNS 128
#define FWD_CHUNK 65536
/* DNS: queries waiting for the stub's answer, how long each waits, and
 * the most of a datagram passed on (the stub reads no more). */
#define FWD_DNS_MAX 32
#define FWD_DNS_MS 3000
#define FWD_DNS_PKT 1500

static const int fwd_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT,
                                  SIGUSR1, SIGUSR2, SIGWINCH};

/* One direction of a connection: SRC's bytes through a pipe to DST. */
struct fwd_dir {
    int src, dst;
    int pipe[2];
    size_t pending;  /* bytes in the pipe */
    bool eof;        /* SRC said end of file */
    bool shut;       /* DST has been shut for writing */
};

struct fwd_conn {
    bool used;
    bool polled;               /* in this round's poll set */
    int cfd, ufd;              /* the tool's connection, the proxy's */
    struct fwd_dir up, down;   /* cfd -> ufd, ufd -> cfd */
};

static void dir_init(struct fwd_dir *d, int src, int dst)
{
    *d = (struct fwd_dir){.src = src, .dst = dst, .pipe = {-1, -1}};
}

static void conn_close(struct fwd_conn *c)
{
    int fds[] = {c->cfd, c->ufd, c->up.pipe[0], c->up.pipe[1],
                 c->down.pipe[0], c->down.pipe[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    memset(c, 0, sizeof *c);
    c->cfd = c->ufd = -1;
}

/* A fresh connection of TYPE to the proxy's socket PATH, or -1. */
static int connect_unix(const char *path, int type)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    /* A unix connect completes at once or fails (EAGAIN: the proxy's
     * backlog is full; refused like any other failure). */
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void accept_one(int lfd, const char *sock, struct fwd_conn *conns)
{
    int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0)
        return;
    struct fwd_conn *c = NULL;
    for (size_t i = 0; i < FWD_MAX_CONNS && !c; i++)
        if (!conns[i].used)
            c = &conns[i];
    int ufd = c ? connect_unix(sock, SOCK_STREAM) : -1;
    if (ufd < 0) {
        /* Full, or no proxy: the tool sees its connection closed. */
        close(cfd);
        return;
    }
    c->used = true;
    c->polled = false;
    c->cfd = cfd;
    c->ufd = ufd;
    dir_init(&c->up, cfd, ufd);
    dir_init(&c->down, ufd, cfd);
    if (pipe2(c->up.pipe, O_NONBLOCK | O_CLOEXEC) < 0 ||
        pipe2(c->down.pipe, O_NONBLOCK | O_CLOEXEC) < 0)
        conn_close(c);
}

/* Move what can move in D; false when the connection must end. */
static bool dir_step(struct fwd_dir *d, short src_rev, short dst_rev)
{
    if (!d->eof && d->pending == 0 && (src_rev & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = splice(d->src, NULL, d->pipe[1], NULL, FWD_CHUNK,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0)
            d->pending = (size_t)n;
        else if (n == 0)
            d->eof = true;
        else if (errno != EAGAIN && errno != EINTR)
            return false;
    }
    if (d->pending > 0 && (dst_rev & (POLLOUT | POLLHUP | POLLERR))) {
        ssize_t n = splice(d->pipe[0], NULL, d->dst, NULL, d->pending,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0)
            d->pending -= (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            return false;
    }
    if (d->eof && d->pending == 0 && !d->shut) {
        /* The half-close goes on: the other side may still answer. */
        shutdown(d->dst, SHUT_WR);
        d->shut = true;
    }
    return true;
}

static short dir_wants_src(const struct fwd_dir *d)
{
    return !d->eof && d->pending == 0 ? POLLIN : 0;
}

static short dir_wants_dst(const struct fwd_dir *d)
{
    return d->pending > 0 ? POLLOUT : 0;
}

/* The exit status for wait status ST; a death signal is raised again
 * first (the relay dies the same way when it can). */
static int status_of(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (!WIFSIGNALED(st))
        return EXIT_COCO;
    int sig = WTERMSIG(st);
    /* No second core file: the tool's was the one. */
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    return 128 + sig;
}

static int listen_loopback(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(fd, 128) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* --- DNS ----------------------------------------------------------------- */

/* A query handed to the stub: the connection it waits on (-1: a free
 * slot), who asked, until when. */
struct fwd_dns {
    int fd;
    struct sockaddr_in from;
    uint64_t deadline_ms;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void dns_close(struct fwd_dns *q)
{
    if (q->fd >= 0)
        close(q->fd);
    q->fd = -1;
}

static int bind_udp53(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The tool's datagrams on UFD, a few per round: each to a fresh
 * connection to DSOCK, or dropped (no free slot, no proxy). */
static void dns_take(int ufd, const char *dsock, struct fwd_dns *qs,
                     uint64_t now)
{
    for (int k = 0; k < 16; k++) {
        uint8_t buf[FWD_DNS_PKT];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(ufd, buf, sizeof buf, MSG_DONTWAIT,
                             (struct sockaddr *)&from, &fl);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;  /* drained */
        if (fl != sizeof from || from.sin_family != AF_INET)
            continue;
        struct fwd_dns *q = NULL;
        for (size_t i = 0; i < FWD_DNS_MAX && !q; i++)
            if (qs[i].fd < 0)
                q = &qs[i];
        if (!q)
            continue;  /* full: dropped, the resolver asks again */
        int fd = connect_unix(dsock, SOCK_SEQPACKET);
        if (fd < 0)
            continue;  /* no proxy: no answer */
        if (send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != n) {
            close(fd);
            continue;
        }
        *q = (struct fwd_dns){.fd = fd, .from = from,
                              .deadline_ms = now + FWD_DNS_MS};
    }
}

/* Q's answer (or its end) is there: the reply packet to its asker. */
static void dns_answer(int ufd, struct fwd_dns *q)
{
    uint8_t buf[FWD_DNS_PKT];
    ssize_t n = recv(q->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0)
        sendto(ufd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
               (struct sockaddr *)&q->from, sizeof q->from);
    dns_close(q);
}

static int usage(void)
{
    fprintf(stderr, "coco: usage: coco _egress-forward SOCKET PORT "
            "[DNS-SOCKET] -- COMMAND [ARGS...] (internal: the container's "
            "entrypoint)\n");
    return EXIT_COCO;
}

int egress_forward_main(int argc, char **argv)
{
    if (argc < 5 || !*argv[1])
        return usage();
    const char *sock = argv[1], *dsock = NULL;
    int dash = 3;
    if (strcmp(argv[3], "--") != 0) {
        dsock = argv[3];
        dash = 4;
    }
    if (argc < dash + 2 || strcmp(argv[dash], "--") != 0 ||
        (dsock && !*dsock))
        return usage();
    uint64_t port;
    if (parse_uint(argv[2], 65535, &port) < 0 || port == 0)
        return usage();
    char **cmd = argv + dash + 1;

    int lfd = listen_loopback((uint16_t)port);
    if (lfd < 0) {
        fprintf(stderr, "coco: egress: listen on 127.0.0.1:%u: %s\n",
                (unsigned)port, strerror(errno));
        return EXIT_COCO;
    }
    /* Bound before the tool starts, so the port is never the tool's. */
    int dfd = dsock ? bind_udp53() : -1;
    if (dsock && dfd < 0) {
        fprintf(stderr, "coco: egress: bind UDP 127.0.0.1:53 for the "
                "container's DNS: %s (the engine must apply coco's "
                "--sysctl=net.ipv4.ip_unprivileged_port_start=53)\n",
                strerror(errno));
        close(lfd);
        return EXIT_COCO;
    }
    sigset_t set, old;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof fwd_signals / sizeof fwd_signals[0]; i++)
        sigaddset(&set, fwd_signals[i]);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        fprintf(stderr, "coco: egress: signalfd: %s\n", strerror(errno));
        close(lfd);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return EXIT_COCO;
    }
    /* A closed connection must not kill the relay. */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);

    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "coco: egress: fork: %s\n", strerror(errno));
        return EXIT_COCO;
    }
    if (child == 0) {
        signal(SIGPIPE, old_pipe == SIG_ERR ? SIG_DFL : old_pipe);
        sigprocmask(SIG_SETMASK, &old, NULL);
        execvp(cmd[0], cmd);
        int e = errno;
        fprintf(stderr, "coco: %s: %s\n", cmd[0], strerror(e));
        _exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
    }

    static struct fwd_conn conns[FWD_MAX_CONNS];
    for (size_t i = 0; i < FWD_MAX_CONNS; i++)
        conn_close(&conns[i]);
    static struct fwd_dns qs[FWD_DNS_MAX];
    for (size_t i = 0; i < FWD_DNS_MAX; i++)
        qs[i].fd = -1;
    /* The signalfd and the listener, two slots per connection (the
     * tool's side, the proxy's), then the DNS socket and one slot per
     * query. */
    enum { DNS_AT = 2 + 2 * FWD_MAX_CONNS };
    static struct pollfd pfd[DNS_AT + 1 + FWD_DNS_MAX];
    int status = -1;

    while (status < 0) {
        size_t n = 0;
        pfd[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        for (size_t i = 0; i < FWD_MAX_CONNS; i++) {
            struct fwd_conn *c = &conns[i];
            pfd[2 + 2 * i] = (struct pollfd){.fd = -1};
            pfd[3 + 2 * i] = (struct pollfd){.fd = -1};
            if (!c->used)
                continue;
            c->polled = true;
            /* A side nothing is waited on is left out: its hang-up
             * would wake every round while the other side is slow. */
            short ce = dir_wants_src(&c->up) | dir_wants_dst(&c->down);
            short ue = dir_wants_src(&c->down) | dir_wants_dst(&c->up);
            pfd[2 + 2 * i] = (struct pollfd){.fd = ce ? c->cfd : -1,
                                             .events = ce};
            pfd[3 + 2 * i] = (struct pollfd){.fd = ue ? c->ufd : -1,
                                             .events = ue};
        }
        uint64_t now = mono_ms(), soonest = UINT64_MAX;
        pfd[DNS_AT] = (struct pollfd){.fd = dfd, .events = POLLIN};
        for (size_t i = 0; i < FWD_DNS_MAX; i++) {
            pfd[DNS_AT + 1 + i] = (struct pollfd){.fd = qs[i].fd,
                                                  .events = POLLIN};
            if (qs[i].fd >= 0 && qs[i].deadline_ms < soonest)
                soonest = qs[i].deadline_ms;
        }
        int wait_ms = soonest == UINT64_MAX ? -1
                      : soonest <= now      ? 0
                                            : (int)(soonest - now);
        n = DNS_AT + 1 + FWD_DNS_MAX;
        if (poll(pfd, n, wait_ms) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "coco: egress: poll: %s\n", strerror(errno));
            kill(child, SIGKILL);
            while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        if (pfd[0].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                if (si.ssi_signo == SIGCHLD)
                    continue;
                /* The kernel's (a terminal's) reached the tool itself. */
                if (si.ssi_code == SI_KERNEL)
                    continue;
                kill(child, (int)si.ssi_signo);
            }
            int st;
            if (waitpid(child, &st, WNOHANG) == child)
                status = st;
        }
        if (pfd[1].revents & POLLIN)
            for (int k = 0; k < 16; k++)  /* a few per round, then serve */
                accept_one(lfd, sock, conns);
        for (size_t i = 0; i < FWD_MAX_CONNS; i++) {
            struct fwd_conn *c = &conns[i];
            if (!c->used || !c->polled)  /* accepted this round */
                continue;
            short cr = pfd[2 + 2 * i].revents, ur = pfd[3 + 2 * i].revents;
            if (!dir_step(&c->up, cr, ur) || !dir_step(&c->down, ur, cr) ||
                (c->up.shut && c->down.shut))
                conn_close(c);
        }
        now = mono_ms();
        for (size_t i = 0; i < FWD_DNS_MAX; i++) {
            if (qs[i].fd >= 0 && pfd[DNS_AT + 1 + i].revents)
                dns_answer(dfd, &qs[i]);
            if (qs[i].fd >= 0 && qs[i].deadline_ms <= now)
                dns_close(&qs[i]);  /* no answer: the resolver retries */
        }
        if (pfd[DNS_AT].revents & POLLIN)
            dns_take(dfd, dsock, qs, now);
    }
    for (size_t i = 0; i < FWD_MAX_CONNS; i++)
        if (conns[i].used)
            conn_close(&conns[i]);
    for (size_t i = 0; i < FWD_DNS_MAX; i++)
        dns_close(&qs[i]);
    if (dfd >= 0)
        close(dfd);
    close(lfd);
    close(sfd);
    return status_of(status);
}
