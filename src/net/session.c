/* session.c — one run's egress proxy as a process: forked by coco
 * outside the sandbox with the run's policy fixed, serving listeners the
 * backend made (inside the sandbox's namespace on native; for podman and
 * docker two unix sockets, proxy.sock for HTTP/SOCKS5 and dns.sock for
 * the DNS stub, next to the resolv.conf and hosts coco binds over the
 * container's), confined, as nobody when coco is root; its notices and
 * `--report` on coco's stderr.  See net.h.
 *
 * On podman and docker the container's DNS answers come from the stub:
 * fake 198.18.0.0/15 addresses for allowed names, reachable only as
 * names through the proxy variables (there is no transparent capture in
 * a container), REFUSED for every other name, nothing asked upstream.
 *
 * It dies with coco (PR_SET_PDEATHSIG, and its stop pipe closes) and ends
 * when coco closes the stop pipe after the run.  When it dies the tool's
 * connections are refused: the listeners' only server is gone. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <elf.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine_args.h"
#include "net/dns.h"
#include "paths.h"
#include "policy.h"
#include "sys.h"

/* A root run's proxy serves as this uid/gid ("nobody"). */
#define PROXY_UID 65534
#define PROXY_GID 65534
/* Most descriptors a proxy keeps (listeners, stop pipe, log). */
#define EGRESS_KEEP_MAX (EGRESS_FDS_MAX + 4)

static int listeners_recv(int sock, int *fds, struct egress_listeners *l);

/* One notice per refused host on coco's stderr (the audit log has every
 * refusal): what to add to the config to allow it. */
struct report_row;
struct notices {
    const char *tool;
    bool report;
    struct report_row *rows;
    size_t n_rows;
    unsigned dropped;
    const char *eol;  /* "\r\n" on a terminal: it may be raw while coco
                         relays the tool's pty */
    char seen[64][80];
    size_t n;
};

static void on_refusal(void *data, const char *host, uint16_t port,
                       const char *reason)
{
    struct notices *nt = data;
    char key[80];
    snprintf(key, sizeof key, "%s", host);
    for (size_t i = 0; i < nt->n; i++)
        if (strcmp(nt->seen[i], key) == 0)
            return;
    /* A tool that asks for ever new names gets one line more, not a
     * flood on the user's terminal: the audit log has them all. */
    if (nt->n == sizeof nt->seen / sizeof nt->seen[0]) {
        char line[256];
        int len = snprintf(line, sizeof line, "coco: %s: more egress "
                           "refusals; not shown (see egress.jsonl)%s",
                           nt->tool, nt->eol);
        nt->n++;
        if (len > 0 && write(2, line, (size_t)len) < 0)
            return;
        return;
    }
    if (nt->n > sizeof nt->seen / sizeof nt->seen[0])
        return;
    snprintf(nt->seen[nt->n++], sizeof nt->seen[0], "%s", key);
    char h[300];
    str_escape_buf(host, h, sizeof h);
    const char *eol = nt->eol;
    char line[768];
    int len;
    if (port)
        len = snprintf(line, sizeof line, "coco: %s: egress to %s port %u "
                       "refused (%s)%s", nt->tool, h, port, reason, eol);
    else
        len = snprintf(line, sizeof line, "coco: %s: lookup of %s refused "
                       "(%s)%s", nt->tool, h, reason, eol);
    if (len > 0) {
        ssize_t w = write(2, line, (size_t)len < sizeof line ? (size_t)len
                                                             : sizeof line - 1);
        (void)w;
    }
}

/* `coco run --report`: each host and port once, how often it was
 * allowed and refused (and the first reason).  Bounded: a tool asking
 * for ever new names fills it, and the rest are counted. */
#define REPORT_MAX 256
struct report_row {
    char host[256];
    uint16_t port;
    unsigned allowed, refused;
    char reason[64];
};

static void on_decision(void *data, const char *host, uint16_t port,
                        const char *how, const char *reason)
{
    struct notices *nt = data;
    /* An allowed lookup is followed by its connection: that is the row. */
    if (!nt->report || (!reason && strcmp(how, "dns") == 0))
        return;
    struct report_row *r = NULL;
    for (size_t i = 0; i < nt->n_rows && !r; i++)
        if (nt->rows[i].port == port && strcmp(nt->rows[i].host, host) == 0)
            r = &nt->rows[i];
    if (!r) {
        if (nt->n_rows == REPORT_MAX) {
            nt->dropped++;
            return;
        }
        r = &nt->rows[nt->n_rows++];
        snprintf(r->host, sizeof r->host, "%s", host[0] ? host : "(no host)");
        r->port = port;
    }
    if (reason) {
        if (!r->refused++)
            snprintf(r->reason, sizeof r->reason, "%s", reason);
    } else {
        r->allowed++;
    }
}

static void print_report(const struct notices *nt, const char *run_id)
{
    FILE *o = stderr;
    fprintf(o, "coco: %s: egress report (run %s):%s", nt->tool, run_id,
            nt->eol);
    if (!nt->n_rows)
        fprintf(o, "  nothing was asked for%s", nt->eol);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < nt->n_rows; i++) {
            const struct report_row *r = &nt->rows[i];
            unsigned n = pass ? r->refused : r->allowed;
            if (!n)
                continue;
            char h[300];
            str_escape_buf(r->host, h, sizeof h);
            char where[320];
            if (r->port)
                snprintf(where, sizeof where, "%s:%u", h, r->port);
            else
                snprintf(where, sizeof where, "%s (lookup)", h);
            fprintf(o, "  %-8s %-40s %u%s%s%s%s", pass ? "refused" : "reached",
                    where, n, n == 1 ? " time" : " times", pass ? ", " : "",
                    pass ? r->reason : "", nt->eol);
        }
    if (nt->dropped)
        fprintf(o, "  ... and %u more decisions (see egress.jsonl)%s",
                nt->dropped, nt->eol);
    fflush(o);
}

/* Every address of the host's interfaces: the proxy never dials them. */
static size_t host_addresses(struct net_addr **out)
{
    struct ifaddrs *ifa = NULL;
    size_t n = 0;
    *out = NULL;
    if (getifaddrs(&ifa) < 0)
        return 0;
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr)
            continue;
        struct net_addr a;
        if (net_addr_from_sockaddr(i->ifa_addr, &a, NULL) < 0)
            continue;
        *out = xrealloc(*out, (n + 1) * sizeof **out);
        (*out)[n++] = a;
    }
    freeifaddrs(ifa);
    return n;
}

/* COCO_DEBUG: how long the proxy took to get ready (it races the tool's
 * start, and a short run waits for it to stop). */
static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* In the forked proxy: serve until the stop pipe closes.  Never
 * returns. */
static __attribute__((noreturn)) void proxy_main(const struct policy *p,
                                                 const char *backend,
                                                 pid_t parent,
                                                 const struct egress_listeners *given,
                                                 int from, int stop_fd,
                                                 int audit_fd,
                                                 const char *run_id)
{
    coco_err err = {0};
    uint64_t t0 = mono_us();
    /* Ctrl-C reaches coco's whole process group: coco forwards it to the
     * tool, which may still want the network while it winds down. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGTSTP, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    size_t n_allow = p->net.allowed_hosts.n;
    struct net_allow *allow = xcalloc(n_allow ? n_allow : 1, sizeof *allow);
    for (size_t i = 0; i < n_allow; i++)
        if (net_allow_parse(p->net.allowed_hosts.v[i], &allow[i]))
            _exit(125);  /* the config checked them: never here */

    struct net_addr *host = NULL;
    size_t n_host = host_addresses(&host);
    size_t n_priv = p->net.private_ranges.n;
    struct net_cidr *priv = xcalloc(n_priv ? n_priv : 1, sizeof *priv);
    for (size_t i = 0; i < n_priv; i++) {
        const char *why;
        if (net_cidr_parse(p->net.private_ranges.v[i], &priv[i], &why) < 0)
            _exit(125);  /* the config checked them: never here */
    }

    struct egress_proxy_cfg cfg = {
        .rules = {.mode = p->net.mode, .allow = allow, .n_allow = n_allow,
                  .private_ranges = priv, .n_private = n_priv,
                  .host_addrs = host, .n_host = n_host},
        .audit = {.fd = audit_fd, .run_id = run_id, .tool = p->tool,
                  .backend = backend},
        .stop_fd = stop_fd,
        .confine = true,
    };
    char *resolv = NULL, *hosts = NULL;
    size_t rlen = 0, hlen = 0;
    coco_err ignore = {0};
    if (read_file("/etc/resolv.conf", &resolv, &rlen, 65536, &ignore) == 0)
        dns_resolv_conf_parse(resolv, rlen, cfg.dns, 3, &cfg.n_dns);
    if (cfg.n_dns == 0) {  /* glibc's default */
        net_addr_parse("127.0.0.1", &cfg.dns[0]);
        cfg.n_dns = 1;
    }
    if (read_file("/etc/hosts", &hosts, &hlen, 1 << 20, &ignore) == 0) {
        cfg.hosts_text = hosts;
        cfg.hosts_len = hlen;
    }
    /* calloc: fresh zero pages from the kernel, touched only as names
     * are handed out (dns_fake_init() would write all 1.3 MiB now). */
    cfg.fake = xcalloc(1, sizeof *cfg.fake);
    /* Asked now: the proxy's filter has no ioctl. */
    struct notices nt = {.tool = p->tool, .eol = isatty(2) ? "\r\n" : "\n"};
    cfg.on_refusal = on_refusal;
    cfg.on_decision = on_decision;
    cfg.on_refusal_data = &nt;
    nt.report = p->report;
    if (nt.report)
        nt.rows = xcalloc(REPORT_MAX, sizeof *nt.rows);

    /* Invoked by root, the proxy needs no privilege: its listeners
     * exist, and dialling out needs none.  It serves as nobody. */
    if (geteuid() == 0 &&
        (setgroups(0, NULL) < 0 || setgid(PROXY_GID) < 0 ||
         setuid(PROXY_UID) < 0)) {
        warn("egress proxy: cannot drop root: %s", strerror(errno));
        _exit(125);
    }
    /* A change of uid cleared the parent-death signal: again. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(125);
    /* The listeners: given, or from the sandbox as soon as it made
     * them (EOF: it died first, nothing to serve). */
    int fds[EGRESS_FDS_MAX];
    struct egress_listeners got;
    const struct egress_listeners *l = given;
    if (!l) {
        /* A run over before its sandbox handed them over (a tool that
         * exits at once) stops the proxy here, not after its setup. */
        struct pollfd pf[2] = {{.fd = from, .events = POLLIN},
                               {.fd = stop_fd, .events = POLLIN}};
        while (poll(pf, 2, -1) < 0 && errno == EINTR)
            ;
        if (pf[1].revents || !(pf[0].revents & POLLIN) ||
            listeners_recv(from, fds, &got) < 0)
            _exit(0);
        close(from);
        l = &got;
    }
    cfg.listen_fds = l->fds;
    cfg.n_listen = l->n_proxy;
    cfg.transparent_fds = l->fds + l->n_proxy;
    cfg.n_transparent = l->n_transparent;
    cfg.dns_stub_fds = l->fds + l->n_proxy + l->n_transparent;
    cfg.n_dns_stub = l->n_dns;
    cfg.dns_conn_fds = cfg.dns_stub_fds + l->n_dns;
    cfg.n_dns_conn = l->n_dns_conn;
    if (coco_debug)
        debug("egress proxy: set up in %llu us, serving",
              (unsigned long long)(mono_us() - t0));
    if (egress_proxy_run(&cfg, &err) < 0) {
        err_print(&err);
        _exit(125);
    }
    if (nt.report)
        print_report(&nt, run_id);
    _exit(0);
}

/* The listeners in one SCM_RIGHTS message, their counts as the payload. */
struct listeners_msg {
    uint8_t n_proxy, n_transparent, n_dns, n_dns_conn;
};

int egress_listeners_send(int sock, const struct egress_listeners *l,
                          coco_err *err)
{
    size_t n = egress_listeners_count(l);
    if (n == 0 || n > EGRESS_FDS_MAX || l->n_proxy > 255 ||
        l->n_transparent > 255 || l->n_dns > 255 || l->n_dns_conn > 255)
        return err_set(err, EINVAL, "egress: %zu listeners", n);
    struct listeners_msg h = {(uint8_t)l->n_proxy, (uint8_t)l->n_transparent,
                              (uint8_t)l->n_dns, (uint8_t)l->n_dns_conn};
    char cbuf[CMSG_SPACE(sizeof(int) * EGRESS_FDS_MAX)];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {.iov_base = &h, .iov_len = sizeof h};
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = cbuf,
        .msg_controllen = CMSG_SPACE(sizeof(int) * n),
    };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(cm), l->fds, sizeof(int) * n);
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) != (ssize_t)sizeof h)
        return err_set(err, errno, "egress: hand the listeners to the proxy");
    return 0;
}

/* The proxy's side of egress_listeners_send(): FDS (EGRESS_FDS_MAX) and
 * L filled, or -1 when the message is not exactly that (its sender died:
 * nothing to serve). */
static int listeners_recv(int sock, int *fds, struct egress_listeners *l)
{
    struct listeners_msg h;
    char cbuf[CMSG_SPACE(sizeof(int) * EGRESS_FDS_MAX)];
    struct iovec iov = {.iov_base = &h, .iov_len = sizeof h};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t r;
    do
        r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    size_t n = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); r >= 0 && cm;
         cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
            if (n < EGRESS_FDS_MAX)
                fds[n++] = fd;
            else
                close(fd);
        }
    }
    if (r != (ssize_t)sizeof h || (msg.msg_flags & MSG_CTRUNC) ||
        (size_t)h.n_proxy + h.n_transparent + h.n_dns + h.n_dns_conn != n) {
        for (size_t i = 0; i < n; i++)
            close(fds[i]);
        return -1;
    }
    *l = (struct egress_listeners){.fds = fds, .n_proxy = h.n_proxy,
                                   .n_transparent = h.n_transparent,
                                   .n_dns = h.n_dns,
                                   .n_dns_conn = h.n_dns_conn};
    return 0;
}

/* Close every descriptor from 3 up but KEEP[0..N), A and B (-1: none):
 * one close_range() per gap, not one close() per number. */
static void close_all_but(const int *keep, size_t n, int a, int b)
{
    int k[EGRESS_KEEP_MAX];
    size_t m = 0;
    for (size_t i = 0; i < n && m < EGRESS_KEEP_MAX - 2; i++)
        k[m++] = keep[i];
    if (a >= 0)
        k[m++] = a;
    if (b >= 0)
        k[m++] = b;
    /* insertion sort: a few dozen at most */
    for (size_t i = 1; i < m; i++)
        for (size_t j = i; j > 0 && k[j - 1] > k[j]; j--) {
            int t = k[j];
            k[j] = k[j - 1];
            k[j - 1] = t;
        }
    unsigned from = 3;
    for (size_t i = 0; i < m; i++) {
        if (k[i] < 3)
            continue;
        if ((unsigned)k[i] > from)
            syscall(SYS_close_range, from, (unsigned)k[i] - 1, 0U);
        from = (unsigned)k[i] + 1;
    }
    syscall(SYS_close_range, from, ~0U, 0U);
}

int egress_spawn(const struct policy *p, const char *backend,
                 const struct egress_listeners *l, int from,
                 struct egress_proc *out, coco_err *err)
{
    int stop[2] = {-1, -1};
    size_t n = l ? egress_listeners_count(l) : 0;

    out->pid = 0;
    out->stop = -1;
    int ret = -1;
    if (pipe2(stop, O_CLOEXEC) < 0) {
        err_set(err, errno, "egress: pipe");
        goto out;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        err_set(err, errno, "egress: start the proxy");
        goto out;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(125);
        /* Nothing of coco's but its listeners, the stop pipe, the log
         * and stderr (for the notices). */
        int keep[EGRESS_FDS_MAX + 1];
        size_t nk = 0;
        for (size_t i = 0; i < n && nk < EGRESS_FDS_MAX; i++)
            keep[nk++] = l->fds[i];
        if (!l)
            keep[nk++] = from;
        close_all_but(keep, nk, stop[0], -1);
        int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            close(nul);
        }
        /* The audit log, opened here rather than in coco: the run does
         * not wait for it.  Every decision, one JSON line each. */
        _cleanup_free_ char *dir = paths_state_dir();
        _cleanup_free_ char *log = path_join(dir, "egress.jsonl");
        coco_err aerr = {0};
        int audit_fd = -1;
        if (mkdir_parents(dir, 0700, &aerr) == 0)
            audit_fd = egress_audit_open(log, &aerr);
        if (audit_fd < 0)
            warn("%s: egress audit log: %s (continuing without it)", p->tool,
                 aerr.msg);
        _cleanup_free_ char *run_id = random_hex(8);
        proxy_main(p, backend, parent, l, from, stop[0], audit_fd, run_id);
    }
    out->pid = pid;
    out->stop = stop[1];
    stop[1] = -1;
    ret = 0;
out:
    if (stop[0] >= 0)
        close(stop[0]);
    if (stop[1] >= 0)
        close(stop[1]);
    return ret;
}

void egress_stop_begin(struct egress_proc *e)
{
    if (e->stop >= 0)
        close(e->stop);
    e->stop = -1;
}

void egress_stop(struct egress_proc *e)
{
    egress_stop_begin(e);
    if (e->pid <= 0)
        return;
    /* It stops at once when the pipe closes (writing its closing audit
     * lines and the report); one stuck anyway is killed after a second
     * rather than waited for. */
    int pfd = (int)syscall(SYS_pidfd_open, e->pid, 0);
    if (pfd >= 0) {
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        while (poll(&p, 1, 1000) < 0 && errno == EINTR)
            ;
        close(pfd);
    }
    if (waitpid(e->pid, NULL, WNOHANG) == e->pid) {
        e->pid = 0;
        return;
    }
    kill(e->pid, SIGKILL);
    while (waitpid(e->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    e->pid = 0;
}

/* ---- podman and docker: the proxy behind a unix socket --------------- */

/* A fresh 0700 directory: under $XDG_RUNTIME_DIR when that is set and
 * takes one (and the socket path fits), else under /tmp. */
static char *make_egress_dir(coco_err *err)
{
    const char *rt = getenv("XDG_RUNTIME_DIR");
    size_t room = sizeof ((struct sockaddr_un *)0)->sun_path;
    struct stat st;
    /* Only a runtime directory that is ours alone: one another user owns
     * or can write (root's environment naming a user's, as sudo -E
     * does) would let them swap the socket's directory for their own. */
    if (rt && rt[0] == '/' && stat(rt, &st) == 0 && S_ISDIR(st.st_mode) &&
        st.st_uid == geteuid() && !(st.st_mode & 022)) {
        char *t = xasprintf("%s/coco-egress.XXXXXX", rt);
        if (strlen(t) + sizeof "/" EGRESS_SOCK_NAME <= room && mkdtemp(t))
            return t;
        free(t);
    }
    char *t = xstrdup("/tmp/coco-egress.XXXXXX");
    if (mkdtemp(t))
        return t;
    err_set(err, errno, "egress: make a directory for the proxy's socket "
            "in /tmp");
    free(t);
    return NULL;
}

/* True when the ELF file PATH asks for a program interpreter (it is
 * linked dynamically: the container's image would have to supply its
 * libraries). */
static bool elf_dynamic(const char *path)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    Elf64_Ehdr eh;
    if (fd < 0 || pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh ||
        memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64)
        return false;
    for (unsigned i = 0; i < eh.e_phnum && i < 256; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph,
                  (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
            (ssize_t)sizeof ph)
            return false;
        if (ph.p_type == PT_INTERP)
            return true;
    }
    return false;
}

/* E's socket NAME of TYPE (SOCK_STREAM, SOCK_SEQPACKET), listening,
 * owned by P's user: its descriptor, or -1. */
static int listen_unix(const struct policy *p, const struct egress *e,
                       const char *name, int type, coco_err *err)
{
    _cleanup_free_ char *sock = path_join(e->dir, name);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, sock, strlen(sock) + 1);  /* make_egress_dir: fits */
    _cleanup_close_ int fd = socket(AF_UNIX, type | SOCK_CLOEXEC |
                                                 SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        chmod(sock, 0600) < 0 || listen(fd, 128) < 0)
        return err_set(err, errno, "egress: listen on %s", sock);
    /* The container runs as the invoking user (--user, or keep-id):
     * theirs, whoever coco runs as. */
    if (geteuid() == 0 && p->uid != 0 &&
        (chown(e->dir, p->uid, p->gid) < 0 || chown(sock, p->uid, p->gid) < 0))
        return err_set(err, errno, "egress: chown %s", e->dir);
    return steal_fd(&fd);
}

/* A new file NAME in E's directory holding TEXT, mode 0644 and P's
 * user's: the container's user reads it, whoever coco runs as.  0, or
 * -1 with ERR. */
static int write_egress_file(const struct policy *p, const struct egress *e,
                             const char *name, const char *text,
                             coco_err *err)
{
    _cleanup_free_ char *path = path_join(e->dir, name);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL |
                                            O_CLOEXEC | O_NOFOLLOW, 0644);
    size_t len = strlen(text);
    if (fd < 0 || fchmod(fd, 0644) < 0 ||
        write(fd, text, len) != (ssize_t)len)
        return err_set(err, errno ? errno : EIO, "egress: write %s", path);
    if (geteuid() == 0 && p->uid != 0 && fchown(fd, p->uid, p->gid) < 0)
        return err_set(err, errno, "egress: chown %s", path);
    return 0;
}

/* The container's /etc/hosts: loopback, and what the config's
 * podman_args add (--add-host NAME:IP, --hostname NAME), since this
 * file replaces the one the engine would write them into.  Nothing of
 * the host's own hosts file or the engine's host.containers.internal:
 * every other name is the DNS stub's to answer. */
static char *container_hosts(const struct policy *p)
{
    char *t = xstrdup("127.0.0.1\tlocalhost\n"
                      "::1\tlocalhost ip6-localhost ip6-loopback\n");
    for (size_t i = 0; i < p->extra_args.n; i++) {
        const char *val;
        const struct engine_opt *o = engine_opt_of(p->extra_args.v[i], &val);
        const char *colon = o ? strchr(val, ':') : NULL;
        char *more = NULL;
        if (o && strcmp(o->name, "--add-host") == 0 && colon)
            more = xasprintf("%s%s\t%.*s\n", t, colon + 1,
                             (int)(colon - val), val);
        else if (o && strcmp(o->name, "--hostname") == 0)
            more = xasprintf("%s127.0.0.1\t%s\n", t, val);
        if (more) {
            free(t);
            t = more;
        }
    }
    return t;
}

int egress_engine_start(const struct policy *p, const char *backend,
                        struct egress *e, coco_err *err)
{
    *e = (struct egress)EGRESS_INIT;
    e->self_exe = paths_self_exe();
    if (!e->self_exe) {
        err_set(err, errno, "egress: where is coco's own binary");
        return -1;
    }
    /* It runs inside the container as the relay: it must need nothing
     * of the image. */
    if (elf_dynamic(e->self_exe)) {
        err_set(err, 0, "egress: %s is linked dynamically, so it cannot run "
                "as the relay in a %s container; build coco statically (the "
                "default) or use --runtime native", e->self_exe, backend);
        egress_engine_stop(e);
        return -1;
    }
    /* The relay's DNS goes to the proxy's stub through dns.sock (one
     * SOCK_SEQPACKET connection per query); the container's resolver
     * asks the relay, and nothing else. */
    int fds[2] = {-1, -1};
    _cleanup_free_ char *hosts = container_hosts(p);
    if (!(e->dir = make_egress_dir(err)) ||
        (fds[0] = listen_unix(p, e, EGRESS_SOCK_NAME, SOCK_STREAM, err)) < 0 ||
        (fds[1] = listen_unix(p, e, EGRESS_DNS_SOCK_NAME, SOCK_SEQPACKET,
                              err)) < 0 ||
        write_egress_file(p, e, EGRESS_RESOLV_NAME,
                          "nameserver 127.0.0.1\n", err) < 0 ||
        write_egress_file(p, e, EGRESS_HOSTS_NAME, hosts, err) < 0) {
        if (fds[0] >= 0)
            close(fds[0]);
        egress_engine_stop(e);
        return -1;
    }
    struct egress_listeners l = {.fds = fds, .n_proxy = 1, .n_dns_conn = 1};
    int r = egress_spawn(p, backend, &l, -1, &e->proc, err);
    /* The proxy holds the only copies from here on. */
    close(fds[0]);
    close(fds[1]);
    if (r < 0)
        egress_engine_stop(e);
    return r;
}

void egress_engine_stop(struct egress *e)
{
    egress_stop(&e->proc);
    if (e->dir) {
        static const char *const names[] = {EGRESS_SOCK_NAME,
                                            EGRESS_DNS_SOCK_NAME,
                                            EGRESS_RESOLV_NAME,
                                            EGRESS_HOSTS_NAME};
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            _cleanup_free_ char *f = path_join(e->dir, names[i]);
            unlink(f);
        }
        if (rmdir(e->dir) < 0 && errno != ENOENT)
            warn("egress: cannot remove %s: %s", e->dir, strerror(errno));
    }
    free(e->dir);
    free(e->self_exe);
    e->dir = e->self_exe = NULL;
}
