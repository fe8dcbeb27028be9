/* egress.c — the native backend's network under allowed_hosts and
 * "full": coco's egress proxy serves listeners that live inside the
 * sandbox's own network namespace.  No forwarder, no veth, no route out.
 *
 *   init (inside, new netns)   lo up; `local default` routes (v4, v6), so
 *                              every address is local and nothing is
 *                              routed anywhere; 198.18.0.1 on lo (glibc's
 *                              AI_ADDRCONFIG wants a non-loopback
 *                              address); listening sockets: the explicit
 *                              proxy on 127.0.0.1, transparent ports (80,
 *                              443, the allowlist's), the DNS stub on 53.
 *                              Their descriptors go to the parent over
 *                              the sync socket (SCM_RIGHTS), then init
 *                              closes its copies.
 *   parent (coco, outside)     receives them and forks the proxy, which
 *                              confines itself and serves them from the
 *                              host's namespace: its own upstream sockets
 *                              are the only way out.
 *
 * The proxy holds the only copies of the listeners, so when it dies the
 * tool's connections are refused: it loses connectivity, never gains
 * it.  It dies with coco (PR_SET_PDEATHSIG) and ends when coco closes
 * its stop pipe after the run. */
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "native_int.h"
#include "net.h"
#include "net/dns.h"
#include "paths.h"
#include "sys.h"

/* What init hands the parent: the descriptors in one SCM_RIGHTS message,
 * in this order, with their counts as the payload. */
struct egress_hello {
    uint8_t n_proxy, n_transparent, n_dns;
};
#define EGRESS_MAX_FDS (1 + NATIVE_MAX_TPORTS + 2)

/* ---- which ports ------------------------------------------------------ */

static bool has_port(const uint16_t *v, size_t n, uint16_t port)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == port)
            return true;
    return false;
}

size_t native_egress_ports(const struct policy *p, uint16_t *ports,
                           size_t max, uint16_t *proxy_port)
{
    size_t n = 0;
    ports[n++] = 80;
    ports[n++] = 443;
    for (size_t i = 0; i < p->net.allowed_hosts.n && n < max; i++) {
        struct net_allow e;
        if (net_allow_parse(p->net.allowed_hosts.v[i], &e) == NULL &&
            !e.any_port && e.port && !has_port(ports, n, e.port))
            ports[n++] = e.port;
    }
    uint16_t pp = NATIVE_PROXY_PORT;
    while (has_port(ports, n, pp))
        pp++;
    *proxy_port = pp;
    return n;
}

/* ---- the filesystem --------------------------------------------------- */

void native_egress_plan(const struct policy *p, struct mount_plan *plan)
{
    for (size_t i = 0; i < p->net.ca_env.n; i++) {
        const char *e = p->net.ca_env.v[i], *path = strchr(e, '=') + 1;
        if (native_ca_visible(path))
            continue;
        char *text = NULL;
        size_t len = 0;
        coco_err err = {0};
        if (read_file(path, &text, &len, 4u << 20, &err) < 0 ||
            strlen(text) != len) {
            warn("%s: %s (not given to the tool)", p->tool, err.msg[0]
                 ? err.msg : "a CA file with a NUL byte");
            free(text);
            continue;
        }
        char dst[128];
        snprintf(dst, sizeof dst, NATIVE_CA_DIR "/%.*s", (int)(path - 1 - e),
                 e);
        mount_plan_add_file(plan, text, dst, "a copy of the CA certificates "
                            "your environment names, read-only");
        free(text);
    }
}

/* ---- init's side ------------------------------------------------------ */

static int listen_tcp(int family, uint16_t port, bool loopback_only)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (family == AF_INET6) {
        /* One socket for both families: a v4 connection arrives as a
         * v4-mapped address, which the proxy unmaps. */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        s4->sin_addr.s_addr = htonl(loopback_only ? INADDR_LOOPBACK
                                                  : INADDR_ANY);
        sl = sizeof *s4;
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int bind_udp53(int family)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(53);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(53);
        sl = sizeof *s4;
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int native_egress_listen(const struct policy *p, int sock, coco_err *err)
{
    struct net_addr lo_addr;
    net_addr_parse("198.18.0.1", &lo_addr);
    if (net_local_default_route(AF_INET, err) < 0 ||
        net_lo_add_addr(&lo_addr, 32, err) < 0)
        return -1;
    /* Without IPv6 (ipv6.disable=1) v6 is simply unreachable: the
     * sockets below fall back to IPv4 alone. */
    bool v6 = net_local_default_route(AF_INET6, err) == 0;

    uint16_t ports[NATIVE_MAX_TPORTS], proxy_port;
    size_t np = native_egress_ports(p, ports, NATIVE_MAX_TPORTS, &proxy_port);
    int fds[EGRESS_MAX_FDS];
    size_t n = 0;
    struct egress_hello h = {0};
    int ret = -1;

    fds[n] = listen_tcp(AF_INET, proxy_port, true);
    if (fds[n] < 0) {
        err_set(err, errno, "egress: listen on 127.0.0.1:%u", proxy_port);
        goto out;
    }
    n++;
    h.n_proxy = 1;
    for (size_t i = 0; i < np; i++) {
        int fd = v6 ? listen_tcp(AF_INET6, ports[i], false) : -1;
        if (fd < 0)
            fd = listen_tcp(AF_INET, ports[i], false);
        if (fd < 0) {
            err_set(err, errno, "egress: listen on port %u", ports[i]);
            goto out;
        }
        fds[n++] = fd;
        h.n_transparent++;
    }
    for (int fam = 0; fam < 2; fam++) {
        if (fam == 1 && !v6)
            break;
        int fd = bind_udp53(fam == 0 ? AF_INET : AF_INET6);
        if (fd < 0) {
            if (fam == 1)
                break;
            err_set(err, errno, "egress: the DNS stub's port 53");
            goto out;
        }
        fds[n++] = fd;
        h.n_dns++;
    }

    char cbuf[CMSG_SPACE(sizeof(int) * EGRESS_MAX_FDS)];
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
    memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) != (ssize_t)sizeof h) {
        err_set(err, errno, "egress: hand the listeners to coco");
        goto out;
    }
    ret = 0;
out:
    /* The proxy holds the only copies from here on. */
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    return ret;
}

/* ---- the parent's side ------------------------------------------------ */

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
        struct net_addr a = {.family = i->ifa_addr->sa_family};
        if (a.family == AF_INET)
            memcpy(a.b, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
        else if (a.family == AF_INET6)
            memcpy(a.b, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
        else
            continue;
        *out = xrealloc(*out, (n + 1) * sizeof **out);
        (*out)[n++] = a;
    }
    freeifaddrs(ifa);
    return n;
}

static int recv_fds(int sock, int *fds, struct egress_hello *h, size_t *n,
                    coco_err *err)
{
    char cbuf[CMSG_SPACE(sizeof(int) * EGRESS_MAX_FDS)];
    struct iovec iov = {.iov_base = h, .iov_len = sizeof *h};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t r;
    do
        r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    *n = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); r >= 0 && cm;
         cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
            if (*n < EGRESS_MAX_FDS)
                fds[(*n)++] = fd;
            else
                close(fd);
        }
    }
    if (r != (ssize_t)sizeof *h || (msg.msg_flags & MSG_CTRUNC) ||
        (size_t)h->n_proxy + h->n_transparent + h->n_dns != *n ||
        h->n_proxy != 1) {
        for (size_t i = 0; i < *n; i++)
            close(fds[i]);
        *n = 0;
        return err_set(err, r < 0 ? errno : 0, "egress: the sandbox did "
                       "not hand over its listeners");
    }
    return 0;
}

/* In the forked proxy: serve until the stop pipe closes.  Never
 * returns. */
static __attribute__((noreturn)) void proxy_main(const struct policy *p,
                                                 pid_t parent, int *fds,
                                                 const struct egress_hello *h,
                                                 int stop_fd, int audit_fd,
                                                 const char *run_id)
{
    coco_err err = {0};
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
                  .backend = "native"},
        .listen_fds = fds,
        .n_listen = h->n_proxy,
        .transparent_fds = fds + h->n_proxy,
        .n_transparent = h->n_transparent,
        .dns_stub_fds = fds + h->n_proxy + h->n_transparent,
        .n_dns_stub = h->n_dns,
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
        (setgroups(0, NULL) < 0 || setgid(NATIVE_ROOT_TOOL_GID) < 0 ||
         setuid(NATIVE_ROOT_TOOL_UID) < 0)) {
        warn("egress proxy: cannot drop root: %s", strerror(errno));
        _exit(125);
    }
    /* A change of uid cleared the parent-death signal: again. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(125);
    if (egress_proxy_run(&cfg, &err) < 0) {
        err_print(&err);
        _exit(125);
    }
    if (nt.report)
        print_report(&nt, run_id);
    _exit(0);
}

int native_egress_start(struct run *r, coco_err *err)
{
    int fds[EGRESS_MAX_FDS];
    size_t n = 0;
    struct egress_hello h;
    int stop[2] = {-1, -1};

    if (recv_fds(r->syncsock[1], fds, &h, &n, err) < 0)
        return -1;

    /* The audit log: every decision, one JSON line each. */
    _cleanup_free_ char *dir = paths_state_dir();
    _cleanup_free_ char *log = path_join(dir, "egress.jsonl");
    coco_err aerr = {0};
    int audit_fd = -1;
    if (mkdir_parents(dir, 0700, &aerr) == 0)
        audit_fd = egress_audit_open(log, &aerr);
    if (audit_fd < 0)
        warn("%s: egress audit log: %s (continuing without it)", r->p->tool,
             aerr.msg);
    _cleanup_free_ char *run_id = random_hex(8);

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
        int keep[EGRESS_MAX_FDS + 3];
        size_t nk = 0;
        for (size_t i = 0; i < n; i++)
            keep[nk++] = fds[i];
        keep[nk++] = stop[0];
        if (audit_fd >= 0)
            keep[nk++] = audit_fd;
        for (int fd = 3; fd < 1024; fd++) {
            bool kept = false;
            for (size_t i = 0; i < nk && !kept; i++)
                kept = keep[i] == fd;
            if (!kept)
                close(fd);
        }
        int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            close(nul);
        }
        proxy_main(r->p, parent, fds, &h, stop[0], audit_fd, run_id);
    }
    r->proxy = pid;
    r->proxy_stop = stop[1];
    stop[1] = -1;
    ret = 0;
out:
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    if (stop[0] >= 0)
        close(stop[0]);
    if (stop[1] >= 0)
        close(stop[1]);
    if (audit_fd >= 0)
        close(audit_fd);
    return ret;
}

void native_egress_stop(struct run *r)
{
    if (r->proxy_stop >= 0)
        close(r->proxy_stop);
    r->proxy_stop = -1;
    if (r->proxy <= 0)
        return;
    /* It stops at once when the pipe closes (writing its closing audit
     * lines and the report); one stuck anyway is killed after a second
     * rather than waited for. */
    int pfd = (int)syscall(SYS_pidfd_open, r->proxy, 0);
    if (pfd >= 0) {
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        while (poll(&p, 1, 1000) < 0 && errno == EINTR)
            ;
        close(pfd);
    }
    if (waitpid(r->proxy, NULL, WNOHANG) == r->proxy) {
        r->proxy = 0;
        return;
    }
    kill(r->proxy, SIGKILL);
    while (waitpid(r->proxy, NULL, 0) < 0 && errno == EINTR)
        ;
    r->proxy = 0;
}
