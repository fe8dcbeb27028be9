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
 *                              Their descriptors go to the proxy over a
 *                              socket (SCM_RIGHTS), then init closes its
 *                              copies.
 *   parent (coco, outside)     forks the proxy (net/session.c) while
 *                              init builds the filesystem; it receives
 *                              them, confines itself and serves them
 *                              from the host's namespace: its own
 *                              upstream sockets are the only way out.
 *
 * The proxy holds the only copies of the listeners, so when it dies the
 * tool's connections are refused: it loses connectivity, never gains
 * it. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "native_int.h"
#include "net.h"
#include "sys.h"

/* The listeners of one sandbox: the explicit proxy, the transparent
 * ports, the DNS stub (v4, v6). */
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
    struct {
        size_t n_proxy, n_transparent, n_dns;
    } h = {0};
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

    struct egress_listeners l = {.fds = fds, .n_proxy = h.n_proxy,
                                 .n_transparent = h.n_transparent,
                                 .n_dns = h.n_dns};
    if (egress_listeners_send(sock, &l, err) < 0)
        goto out;
    ret = 0;
out:
    /* The proxy holds the only copies from here on. */
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    return ret;
}

/* ---- the parent's side ------------------------------------------------ */

int native_egress_start(struct run *r, coco_err *err)
{
    /* Forked while init builds the filesystem, so its setup (reading the
     * resolver files, the host's addresses, dropping root) runs in
     * parallel; init hands it the listeners directly over EGSOCK, and
     * the tool's first connection waits in a listen queue until it
     * serves.  If it dies first, init's send fails or the queued
     * listeners die with the socket: no network, never an open one. */
    int ret = egress_spawn(r->p, "native", NULL, r->egsock[0], &r->proxy,
                           err);
    close(r->egsock[0]);
    r->egsock[0] = -1;
    return ret;
}
