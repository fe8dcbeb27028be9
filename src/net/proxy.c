/* proxy.c — the egress proxy: one process per run, outside the sandbox,
 * single-threaded (epoll), its policy fixed when it starts.  See net.h.
 *
 * A connection goes HEAD -> [RESOLVE] -> DIAL -> TUNNEL (CONNECT, SOCKS5)
 * or BODY -> RESPONSE (plain HTTP):
 *
 *   HEAD     the client's request is read into a bounded buffer and
 *            parsed (http.c or socks5.c, by the first byte); the target
 *            is canonicalised once (egress_target_check) and decided.
 *   RESOLVE  a name is looked up in the hosts file, then with our own
 *            DNS client over UDP (dns.c); every answer is classified
 *            (egress_addr_check), and one blocked answer refuses the
 *            name: a name that points into the LAN is not public.
 *   DIAL     a non-blocking connect to the addresses that were checked,
 *            in order — never a second lookup, so a rebinding answer
 *            cannot switch what is dialled.
 *   TUNNEL   splice() both ways through a pipe each; a half-close is
 *            passed on with shutdown(SHUT_WR).
 *   BODY     plain HTTP: the rewritten head (hop-by-hop and
 *            Proxy-Authorization gone, "Connection: close") and exactly
 *            the framed request body go upstream, then the client is no
 *            longer read: a second request on the connection never
 *            reaches the upstream (it could name another virtual host
 *            on the same address).  The response is relayed to the end.
 *
 * A transparent connection (native capture) skips HEAD: its target is
 * the address it was accepted on, nothing is read from it before DIAL
 * is done, and then it is a TUNNEL.  Its DNS stub answers the tool's
 * lookups with fake addresses from the run's table (dns.h), which every
 * protocol decides as the names they were handed out for.  The same
 * stub answers podman and docker's relay over unix SOCK_SEQPACKET
 * connections, one query packet and one reply packet each (dnsq_*).
 *
 * The proxy fails closed: when it dies the sandbox's listeners are gone
 * with it and the tool has no route anywhere. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/dns.h"
#include "net/http.h"
#include "net/socks5.h"

#define HEAD_MAX 16384
#define MAX_ADDRS 8
/* Answers classified per DNS reply: every address a 4096-byte reply can
 * hold (an A record takes at least 16 bytes), though only the first
 * MAX_ADDRS are kept to dial. */
#define DNS_CHECK_MAX 256
/* A query unanswered this long is sent again (a fresh id and socket),
 * DNS_TRIES times per server in all, as a stub resolver does: UDP gets
 * lost, and a burst of a package manager's connections meets it (seen:
 * 4 of 87 lookups unanswered under npm 9's burst). */
#define DNS_TIMEOUT_MS 1000
#define DNS_TRIES 3
/* Tunnel pipes: as large as an unprivileged process may ask (fewer
 * splices per megabyte); the kernel allocates their pages only while
 * bytes are in flight, so an idle tunnel costs none of it. */
#define PIPE_WANT (1 << 20)

/* C_DNSQ: a relay's DNS connection (dns_conn_fds), waiting for its one
 * query packet. */
enum cstate { C_FREE, C_HEAD, C_RESOLVE, C_DIAL, C_TUNNEL, C_BODY, C_RESPONSE,
              C_DNSQ };
enum proto { P_NONE, P_CONNECT, P_HTTP, P_SOCKS5, P_TRANSPARENT, P_DNS };

struct conn {
    enum cstate st;
    enum proto proto;
    int cfd, ufd;
    uint64_t start_ms, deadline_ms;

    int http_status;  /* a parse error's status, for the refusal */
    /* HEAD: what the client sent so far (freed once the head is done). */
    char *in;
    size_t in_len;
    struct socks5 s5;

    struct egress_target t;
    char requested[256];
    size_t requested_len;
    bool logged;  /* the decision line is written */

    /* RESOLVE */
    int dns_fd[2];          /* A and AAAA, -1 when done */
    uint16_t dns_id[2];
    size_t dns_server;
    unsigned dns_tries;     /* sends to this server so far */
    uint32_t dns_ttl;       /* lowest TTL of the answers kept */
    bool from_dns;          /* ADDRS came from a DNS answer (cache them) */
    struct net_addr addrs[MAX_ADDRS];
    size_t n_addrs, dial_i;

    /* Bytes to write upstream before relaying (plain HTTP: the head). */
    char *fwd;
    size_t fwd_len, fwd_off;
    /* BODY: framing of the request body still to come. */
    enum http_body body_kind;
    uint64_t body_left;
    struct http_chunked chunked;

    /* TUNNEL */
    int up[2], down[2];       /* pipes: client->upstream, upstream->client */
    size_t in_up, in_down;    /* bytes waiting in each pipe */
    size_t pipe_sz;           /* each pipe's capacity */
    bool eof_c, eof_u;        /* read side finished */
    bool shut_u, shut_c;      /* write side shut */
    uint64_t bytes_up, bytes_down;
};

/* Answers already had, for their TTL (at most DNS_CACHE_MAX_S): a
 * package manager opens dozens of connections to one registry within a
 * second, and a resolver that gets a query for each drops some (seen
 * here: 4 of 87 without the cache; with retries alone, still 2).  The
 * addresses are classified again for every connection, like fresh ones. */
#define DNS_CACHE_N 32
#define DNS_CACHE_MAX_S 60
struct dns_cached {
    char host[256];
    struct net_addr addrs[MAX_ADDRS];
    size_t n;
    uint64_t expires_ms;  /* 0: empty */
};

struct proxy {
    const struct egress_proxy_cfg *cfg;
    int ep;
    struct conn *conns;
    size_t n_conns;
    size_t n_dnsq;  /* connections in C_DNSQ */
    uint64_t now;
    struct dns_cached cache[DNS_CACHE_N];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* epoll data: the connection's index and which of its descriptors (or,
 * for the last four, the index into the config's listeners). */
enum { W_CLIENT, W_UP, W_DNS4, W_DNS6, W_LISTEN, W_TLISTEN, W_STUB,
       W_DNSLISTEN };

static uint64_t tag(size_t i, int which)
{
    return ((uint64_t)i << 3) | (uint64_t)which;
}

static void watch(struct proxy *px, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    if (epoll_ctl(px->ep, EPOLL_CTL_MOD, fd, &ev) < 0)
        epoll_ctl(px->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void close_fd_(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static const char *how_name(const struct conn *c)
{
    switch (c->proto) {
    case P_CONNECT: return "connect";
    case P_HTTP: return "http";
    case P_SOCKS5: return "socks5";
    case P_TRANSPARENT: return "transparent";
    case P_DNS: return "dns";
    default: return "unknown";
    }
}

static void log_decision(struct proxy *px, struct conn *c, bool allowed,
                         const char *reason, const struct net_addr *dialed)
{
    struct egress_event ev = {
        .how = how_name(c),
        .requested = c->requested_len ? c->requested : NULL,
        .requested_len = c->requested_len,
        .host = c->t.host[0] ? c->t.host : NULL,
        .port = c->t.port,
        .allowed = allowed,
        .reason = reason,
        .resolved = c->n_addrs ? c->addrs : NULL,
        .n_resolved = c->n_addrs,
        .dialed = dialed,
    };
    egress_audit(&px->cfg->audit, &ev);
    c->logged = true;
    if (px->cfg->on_decision)
        px->cfg->on_decision(px->cfg->on_refusal_data, c->t.host, c->t.port,
                             how_name(c), allowed ? NULL : reason);
    if (!allowed && px->cfg->on_refusal)
        px->cfg->on_refusal(px->cfg->on_refusal_data, c->t.host[0] ? c->t.host
                                                                  : "(bad host)",
                            c->t.port, reason);
}

static void conn_free(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    if (c->st == C_TUNNEL || c->st == C_RESPONSE || c->st == C_BODY) {
        struct egress_event ev = {
            .closing = true,
            .how = how_name(c),
            .host = c->t.host,
            .port = c->t.port,
            .bytes_up = c->bytes_up,
            .bytes_down = c->bytes_down,
            .duration_ms = px->now - c->start_ms,
        };
        egress_audit(&px->cfg->audit, &ev);
    }
    if (c->st == C_DNSQ)
        px->n_dnsq--;
    close_fd_(&c->cfd);
    close_fd_(&c->ufd);
    close_fd_(&c->dns_fd[0]);
    close_fd_(&c->dns_fd[1]);
    close_fd_(&c->up[0]);
    close_fd_(&c->up[1]);
    close_fd_(&c->down[0]);
    close_fd_(&c->down[1]);
    free(c->in);
    free(c->fwd);
    memset(c, 0, sizeof *c);
    c->st = C_FREE;
    c->cfd = c->ufd = c->dns_fd[0] = c->dns_fd[1] = -1;
    c->up[0] = c->up[1] = c->down[0] = c->down[1] = -1;
}

/* Best effort: a refusal is a courtesy to the client, never a wait. */
static void send_all_now(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w <= 0)
            return;
        p += w;
        len -= (size_t)w;
    }
}

/* Make close(FD) send a reset. */
static void reset_on_close(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* Refuse C's request with REASON, in the client's protocol, and close. */
static void refuse(struct proxy *px, size_t i, const char *reason)
{
    struct conn *c = &px->conns[i];
    if (!c->logged)
        log_decision(px, c, false, reason, NULL);
    if (c->proto == P_SOCKS5) {
        uint8_t r[32];
        size_t n = socks5_reply(socks5_rep_for(reason), NULL, 0, r, sizeof r);
        send_all_now(c->cfd, r, n);
    } else if (c->proto == P_CONNECT || c->proto == P_HTTP) {
        char r[512];
        int status = c->http_status ? c->http_status
                     : strncmp(reason, "bad-", 4) == 0 ? 400 : 403;
        int n = http_refusal(status, reason, r, sizeof r);
        if (n > 0)
            send_all_now(c->cfd, r, (size_t)n);
    } else if (c->proto == P_TRANSPARENT) {
        /* No protocol to say no in: a reset, so the tool fails at once
         * rather than reading an empty stream as a reply. */
        reset_on_close(c->cfd);
    }
    conn_free(px, i);
}

/* A and PORT as a socket address in SS; returns its length. */
static socklen_t to_sockaddr(const struct net_addr *a, uint16_t port,
                             struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (a->family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        memcpy(&s4->sin_addr, a->b, 4);
        return sizeof *s4;
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    memcpy(&s6->sin6_addr, a->b, 16);
    return sizeof *s6;
}

/* --- DIAL ---------------------------------------------------------------- */

static void start_tunnel(struct proxy *px, size_t i);

static void dial_next(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    close_fd_(&c->ufd);
    while (c->dial_i < c->n_addrs) {
        const struct net_addr *a = &c->addrs[c->dial_i++];
        struct sockaddr_storage ss;
        socklen_t sl = to_sockaddr(a, c->t.port, &ss);
        int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
            close(fd);
            continue;
        }
        c->ufd = fd;
        c->st = C_DIAL;
        c->deadline_ms =
            px->now + (px->cfg->connect_ms ? px->cfg->connect_ms : 10000);
        watch(px, fd, EPOLLOUT, tag(i, W_UP));
        return;
    }
    refuse(px, i, "connect-failed");
}

static void dial_done(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    int e = 0;
    socklen_t el = sizeof e;
    if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
        dial_next(px, i);
        return;
    }
    const struct net_addr *dialed = &c->addrs[c->dial_i - 1];
    log_decision(px, c, true, NULL, dialed);
    if (c->proto == P_SOCKS5) {
        uint8_t r[32];
        size_t n = socks5_reply(0x00, NULL, 0, r, sizeof r);
        send_all_now(c->cfd, r, n);
    } else if (c->proto == P_CONNECT) {
        char r[128];
        int n = http_connect_ok(r, sizeof r);
        if (n > 0)
            send_all_now(c->cfd, r, (size_t)n);
    }
    start_tunnel(px, i);
}

/* --- RESOLVE ------------------------------------------------------------- */

/* The answers are in: classify every one, then dial. */
static struct dns_cached *cache_find(struct proxy *px, const char *host)
{
    for (size_t k = 0; k < DNS_CACHE_N; k++)
        if (px->cache[k].expires_ms > px->now &&
            strcmp(px->cache[k].host, host) == 0)
            return &px->cache[k];
    return NULL;
}

static void cache_put(struct proxy *px, const struct conn *c)
{
    if (!c->dns_ttl || strlen(c->t.host) >= sizeof px->cache[0].host)
        return;
    /* the host's own entry, else the one that expires first (an
     * expired one first of all) */
    struct dns_cached *e = cache_find(px, c->t.host);
    for (size_t k = 0; !e && k < DNS_CACHE_N; k++)
        if (px->cache[k].expires_ms <= px->now)
            e = &px->cache[k];
    if (!e) {
        e = &px->cache[0];
        for (size_t k = 1; k < DNS_CACHE_N; k++)
            if (px->cache[k].expires_ms < e->expires_ms)
                e = &px->cache[k];
    }
    uint32_t ttl = c->dns_ttl < DNS_CACHE_MAX_S ? c->dns_ttl : DNS_CACHE_MAX_S;
    snprintf(e->host, sizeof e->host, "%s", c->t.host);
    memcpy(e->addrs, c->addrs, c->n_addrs * sizeof *c->addrs);
    e->n = c->n_addrs;
    e->expires_ms = px->now + (uint64_t)ttl * 1000;
}

static void resolved(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    close_fd_(&c->dns_fd[0]);
    close_fd_(&c->dns_fd[1]);
    if (c->n_addrs == 0) {
        refuse(px, i, "no-address");
        return;
    }
    if (c->from_dns)
        cache_put(px, c);
    char why[96];
    for (size_t k = 0; k < c->n_addrs; k++) {
        const char *r = egress_addr_check(&px->cfg->rules, &c->addrs[k], why,
                                          sizeof why);
        if (r) {
            refuse(px, i, r);
            return;
        }
    }
    c->dial_i = 0;
    dial_next(px, i);
}

static int dns_send(struct proxy *px, size_t i, int k)
{
    struct conn *c = &px->conns[i];
    const struct net_addr *srv = &px->cfg->dns[c->dns_server];
    struct sockaddr_storage ss;
    socklen_t sl = to_sockaddr(srv, px->cfg->dns_port ? px->cfg->dns_port : 53,
                               &ss);
    close_fd_(&c->dns_fd[k]);
    int fd = socket(srv->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
        close(fd);
        return -1;
    }
    uint8_t q[512];
    uint16_t id;
    if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id) {
        close(fd);
        return -1;
    }
    int n = dns_build_query(q, sizeof q, id, c->t.host, k == 0 ? DNS_TYPE_A : DNS_TYPE_AAAA);
    if (n < 0 || send(fd, q, (size_t)n, MSG_NOSIGNAL) != n) {
        close(fd);
        return -1;
    }
    c->dns_fd[k] = fd;
    c->dns_id[k] = id;
    watch(px, fd, EPOLLIN, tag(i, k == 0 ? W_DNS4 : W_DNS6));
    return 0;
}

static void resolve_start(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    c->st = C_RESOLVE;
    c->n_addrs = 0;
    c->from_dns = false;
    /* The hosts file first, as the system's resolver would. */
    if (px->cfg->hosts_text) {
        size_t n = 0;
        dns_hosts_lookup(px->cfg->hosts_text, px->cfg->hosts_len, c->t.host,
                         c->addrs, MAX_ADDRS, &n);
        if (n) {
            c->n_addrs = n;
            resolved(px, i);
            return;
        }
    }
    const struct dns_cached *hit = cache_find(px, c->t.host);
    if (hit) {
        memcpy(c->addrs, hit->addrs, hit->n * sizeof *hit->addrs);
        c->n_addrs = hit->n;
        resolved(px, i);
        return;
    }
    if (px->cfg->n_dns == 0) {
        refuse(px, i, "no-resolver");
        return;
    }
    c->deadline_ms = px->now + DNS_TIMEOUT_MS;
    c->dns_server = 0;
    c->dns_tries = 1;
    c->dns_ttl = UINT32_MAX;
    c->from_dns = true;
    if (dns_send(px, i, 0) < 0 || dns_send(px, i, 1) < 0) {
        refuse(px, i, "resolver-unreachable");
        return;
    }
}

static void dns_read(struct proxy *px, size_t i, int k)
{
    struct conn *c = &px->conns[i];
    uint8_t msg[4096];
    ssize_t n = recv(c->dns_fd[k], msg, sizeof msg, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return;
        close_fd_(&c->dns_fd[k]);  /* ICMP unreachable: no answer here */
    } else {
        struct net_addr got[DNS_CHECK_MAX];
        size_t ng = 0;
        struct dns_answer_info info;
        int r = dns_parse_answer(msg, (size_t)n, c->dns_id[k], c->t.host,
                                 k == 0 ? DNS_TYPE_A : DNS_TYPE_AAAA, got,
                                 DNS_CHECK_MAX, &ng, &info);
        if (r < 0)
            return;  /* not our answer (spoofed, stale): keep waiting */
        if (ng && info.ttl < c->dns_ttl)
            c->dns_ttl = info.ttl;
        for (size_t j = 0; j < ng; j++) {
            if (c->n_addrs < MAX_ADDRS) {
                c->addrs[c->n_addrs++] = got[j];
                continue;
            }
            /* Not kept to dial, still classified: one blocked answer
             * refuses the name, however many public ones come first. */
            char why[96];
            const char *bad = egress_addr_check(&px->cfg->rules, &got[j], why,
                                                sizeof why);
            if (bad) {
                refuse(px, i, bad);
                return;
            }
        }
        close_fd_(&c->dns_fd[k]);
    }
    if (c->dns_fd[0] < 0 && c->dns_fd[1] < 0)
        resolved(px, i);
}

static void dns_timeout(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    /* An answer in hand (the other family may never come): use it. */
    if (c->n_addrs) {
        resolved(px, i);
        return;
    }
    bool again = c->dns_tries < DNS_TRIES;
    if (!again) {
        if (++c->dns_server >= px->cfg->n_dns) {
            resolved(px, i);
            return;
        }
        c->dns_tries = 0;
    }
    c->dns_tries++;
    c->deadline_ms = px->now + DNS_TIMEOUT_MS;
    /* the queries still unanswered, or both for a new server */
    for (int k = 0; k < 2; k++)
        if ((!again || c->dns_fd[k] >= 0) && dns_send(px, i, k) < 0) {
            refuse(px, i, "resolver-unreachable");
            return;
        }
}

/* --- HEAD ---------------------------------------------------------------- */

/* The name the stub handed out HOST (N bytes) for, when HOST is an
 * address literal of the run's fake table; else NULL. */
static const char *fake_name(const struct proxy *px, const char *host, size_t n)
{
    if (!px->cfg->fake)
        return NULL;
    char text[256];
    struct net_addr ip;
    const char *why;
    if (net_host_canon(host, n, text, sizeof text, &ip, &why) != 1)
        return NULL;
    ip = net_addr_unmap(&ip);
    return dns_fake_name(px->cfg->fake, &ip);
}

/* The target is known (C->t filled from the request): decide, then
 * resolve or dial. */
static void decided(struct proxy *px, size_t i, const char *host, size_t hn,
                    uint16_t port)
{
    struct conn *c = &px->conns[i];
    /* The client is not read until the tunnel stands: only a hang-up or
     * an error on it (always reported) ends the connection early. */
    watch(px, c->cfd, 0, tag(i, W_CLIENT));
    c->requested_len = hn < sizeof c->requested ? hn : sizeof c->requested - 1;
    memcpy(c->requested, host, c->requested_len);
    c->requested[c->requested_len] = '\0';
    /* The tool got this address from the stub, for a name: it is that
     * name (whatever the protocol), checked and resolved as one.  The
     * log keeps what the tool wrote. */
    const char *name = fake_name(px, host, hn);
    if (name) {
        host = name;
        hn = strlen(name);
    }
    const char *why = egress_target_check(&px->cfg->rules, host, hn, port, &c->t);
    if (why) {
        refuse(px, i, why);
        return;
    }
    if (c->t.is_ip) {
        c->addrs[0] = c->t.ip;
        c->n_addrs = 1;
        resolved(px, i);
        return;
    }
    resolve_start(px, i);
}

static void head_http(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    struct http_req req;
    int r = http_parse_request(c->in, c->in_len, &req);
    if (r == HTTP_NEED_MORE) {
        if (c->in_len >= HEAD_MAX) {
            c->proto = P_HTTP;
            c->http_status = 431;
            refuse(px, i, "bad-request:head-too-large");
        }
        return;
    }
    if (r != HTTP_OK) {
        c->proto = P_HTTP;
        c->http_status = req.status ? req.status : 400;
        char why[128];
        snprintf(why, sizeof why, "bad-request:%s", req.error);
        refuse(px, i, why);
        return;
    }
    c->proto = req.is_connect ? P_CONNECT : P_HTTP;
    size_t head = req.head_len;
    if (c->proto == P_CONNECT) {
        /* Bytes after a CONNECT head belong to the tunnel. */
        if (c->in_len > head) {
            c->fwd_len = c->in_len - head;
            c->fwd = xmalloc(c->fwd_len);
            memcpy(c->fwd, c->in + head, c->fwd_len);
        }
    } else {
        char *out = xmalloc(HEAD_MAX + 64);
        int n = http_rewrite_request(c->in, &req, out, HEAD_MAX + 64);
        if (n < 0) {
            free(out);
            refuse(px, i, "bad-request:head-too-large");
            return;
        }
        c->body_kind = req.body_kind;
        c->body_left = req.content_length;
        http_chunked_init(&c->chunked);
        /* The head, then whatever part of the body already arrived. */
        size_t extra = c->in_len - head;
        c->fwd = xrealloc(out, (size_t)n + extra);
        memcpy(c->fwd + n, c->in + head, extra);
        c->fwd_len = (size_t)n;
        c->in_len = extra;  /* re-framed below once dialled */
        memmove(c->in, c->in + head, extra);
    }
    decided(px, i, req.host, strlen(req.host), req.port);
}

static void head_socks5(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    int r;
    /* A greeting and a request may come in one read: feed until the
     * parser wants more bytes or has the request. */
    do {
        size_t used = 0, rlen = 0;
        uint8_t reply[64];
        r = socks5_feed(&c->s5, (const uint8_t *)c->in, c->in_len, &used,
                        reply, sizeof reply, &rlen);
        if (rlen)
            send_all_now(c->cfd, reply, rlen);
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    } while (r == SOCKS5_REPLY && c->in_len > 0);
    if (r == SOCKS5_NEED_MORE || r == SOCKS5_REPLY)
        return;
    if (r != SOCKS5_REQUEST) {
        c->logged = true;  /* no target to log: a handshake error */
        conn_free(px, i);
        return;
    }
    if (c->in_len) {
        c->fwd_len = c->in_len;
        c->fwd = xmalloc(c->fwd_len);
        memcpy(c->fwd, c->in, c->fwd_len);
    }
    const struct socks5_target *t = &c->s5.target;
    if (t->kind == SOCKS5_DOMAIN) {
        decided(px, i, t->domain, strlen(t->domain), t->port);
    } else {
        char text[64];
        net_addr_format(&t->addr, text, sizeof text);
        decided(px, i, text, strlen(text), t->port);
    }
}

static void client_head(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    ssize_t n = recv(c->cfd, c->in + c->in_len, HEAD_MAX - c->in_len, 0);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        conn_free(px, i);
        return;
    }
    c->in_len += (size_t)n;
    if (c->proto == P_NONE)
        c->proto = (uint8_t)c->in[0] == 0x05 || (uint8_t)c->in[0] == 0x04
                       ? P_SOCKS5 : P_HTTP;
    if (c->proto == P_SOCKS5)
        head_socks5(px, i);
    else
        head_http(px, i);
}

/* --- TUNNEL -------------------------------------------------------------- */

static void tunnel_events(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    uint32_t ce = 0, ue = 0;
    if (!c->eof_c && c->in_up < c->pipe_sz &&
        (c->st == C_TUNNEL || (c->st == C_BODY && c->fwd_off >= c->fwd_len)))
        ce |= EPOLLIN;
    if (c->in_down)
        ce |= EPOLLOUT;
    if (!c->eof_u && c->in_down < c->pipe_sz)
        ue |= EPOLLIN;
    if (c->in_up || c->fwd_off < c->fwd_len)
        ue |= EPOLLOUT;
    /* Level-triggered: never ask for what would fire again without
     * progress (a peer's half-close is seen as EOF by the read). */
    watch(px, c->cfd, ce, tag(i, W_CLIENT));
    /* Nothing wanted of the upstream: not watched at all, since its
     * hang-up (always reported) would fire again and again while the
     * bytes it sent wait for a slow client.  The client's events drive
     * the pump meanwhile (ue == 0 means the client side is armed). */
    if (ue)
        watch(px, c->ufd, ue, tag(i, W_UP));
    else
        epoll_ctl(px->ep, EPOLL_CTL_DEL, c->ufd, NULL);
}

static void start_tunnel(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    if (pipe2(c->up, O_NONBLOCK | O_CLOEXEC) < 0 ||
        pipe2(c->down, O_NONBLOCK | O_CLOEXEC) < 0) {
        conn_free(px, i);
        return;
    }
    c->pipe_sz = 65536;
    int sz1 = fcntl(c->up[1], F_SETPIPE_SZ, PIPE_WANT);
    int sz2 = fcntl(c->down[1], F_SETPIPE_SZ, PIPE_WANT);
    if (sz1 > 0 && sz2 > 0)
        c->pipe_sz = (size_t)(sz1 < sz2 ? sz1 : sz2);
    c->st = c->proto == P_HTTP ? C_BODY : C_TUNNEL;
    if (c->proto != P_HTTP) {
        free(c->in);
        c->in = NULL;
    }
    c->deadline_ms = px->now + (px->cfg->idle_ms ? px->cfg->idle_ms : 300000);
    tunnel_events(px, i);
}

/* Plain HTTP: how many of N bytes at P still belong to the request
 * body; the rest (a second request) is never forwarded. */
static size_t body_take(struct conn *c, const char *p, size_t n, bool *done)
{
    *done = false;
    switch (c->body_kind) {
    case HTTP_BODY_NONE:
        *done = true;
        return 0;
    case HTTP_BODY_LENGTH: {
        size_t k = c->body_left < n ? (size_t)c->body_left : n;
        c->body_left -= k;
        *done = c->body_left == 0;
        return k;
    }
    case HTTP_BODY_CHUNKED: {
        size_t used = 0;
        int r = http_chunked_feed(&c->chunked, p, n, &used);
        if (r < 0) {
            *done = true;
            return 0;
        }
        *done = r == 1;
        return used;
    }
    }
    *done = true;
    return 0;
}

static bool pump(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    bool progress = false;
    /* Bytes queued before the tunnel (a rewritten head, early data). */
    while (c->fwd_off < c->fwd_len) {
        ssize_t w = send(c->ufd, c->fwd + c->fwd_off, c->fwd_len - c->fwd_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EAGAIN)
                return progress;
            return false;
        }
        c->fwd_off += (size_t)w;
        c->bytes_up += (uint64_t)w;
        progress = true;
    }
    if (c->st == C_BODY) {
        /* The body bytes that arrived with the head, then from the
         * socket, each time only what the framing allows. */
        bool done = false;
        char buf[16384];
        size_t have = c->in ? c->in_len : 0;
        if (have) {
            size_t k = body_take(c, c->in, have, &done);
            memcpy(buf, c->in, k);
            free(c->in);
            c->in = NULL;
            c->in_len = 0;
            if (k) {
                /* Sent by the next round; when it is the whole body the
                 * request is complete now (below), not when the client
                 * next sends or closes. */
                c->fwd = xrealloc(c->fwd, k);
                memcpy(c->fwd, buf, k);
                c->fwd_len = k;
                c->fwd_off = 0;
                progress = true;
            }
        } else if (c->body_kind == HTTP_BODY_NONE) {
            done = true;
        } else {
            ssize_t n = recv(c->cfd, buf, sizeof buf, MSG_DONTWAIT | MSG_PEEK);
            if (n == 0) {
                done = true;
            } else if (n > 0) {
                size_t k = body_take(c, buf, (size_t)n, &done);
                ssize_t r = k ? recv(c->cfd, buf, k, MSG_DONTWAIT) : 0;
                /* The framing has counted K bytes: anything but exactly
                 * those (never seen: they were queued) ends the
                 * connection rather than let it run ahead of the stream. */
                if ((size_t)r != k)
                    return false;
                if (r > 0) {
                    free(c->fwd);
                    c->fwd = xmalloc((size_t)r);
                    memcpy(c->fwd, buf, (size_t)r);
                    c->fwd_len = (size_t)r;
                    c->fwd_off = 0;
                    progress = true;
                }
            }
        }
        if (done) {
            /* The request is complete: the client is no longer read. */
            c->st = C_RESPONSE;
            c->eof_c = true;
            progress = true;
        }
    }
    if (c->st == C_TUNNEL && !c->eof_c && c->in_up < c->pipe_sz) {
        ssize_t n = splice(c->cfd, NULL, c->up[1], NULL, c->pipe_sz - c->in_up,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            c->in_up += (size_t)n;
            progress = true;
        } else if (n == 0) {
            c->eof_c = true;
            progress = true;
        } else if (errno != EAGAIN) {
            return false;
        }
    }
    if (c->in_up) {
        ssize_t n = splice(c->up[0], NULL, c->ufd, NULL, c->in_up,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            c->in_up -= (size_t)n;
            c->bytes_up += (uint64_t)n;
            progress = true;
        } else if (n < 0 && errno != EAGAIN) {
            return false;
        }
    }
    if (c->st == C_TUNNEL && c->eof_c && !c->in_up && !c->shut_u) {
        shutdown(c->ufd, SHUT_WR);  /* pass the half-close on */
        c->shut_u = true;
    }
    if (!c->eof_u && c->in_down < c->pipe_sz) {
        ssize_t n = splice(c->ufd, NULL, c->down[1], NULL,
                           c->pipe_sz - c->in_down,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            c->in_down += (size_t)n;
            progress = true;
        } else if (n == 0) {
            c->eof_u = true;
            progress = true;
        } else if (errno != EAGAIN) {
            return false;
        }
    }
    if (c->in_down) {
        ssize_t n = splice(c->down[0], NULL, c->cfd, NULL, c->in_down,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            c->in_down -= (size_t)n;
            c->bytes_down += (uint64_t)n;
            progress = true;
        } else if (n < 0 && errno != EAGAIN) {
            return false;
        }
    }
    if (c->eof_u && !c->in_down && !c->shut_c) {
        shutdown(c->cfd, SHUT_WR);
        c->shut_c = true;
    }
    return true;
}

static void tunnel_io(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    for (int rounds = 0; rounds < 16; rounds++) {
        bool before = c->eof_c && c->eof_u;
        size_t a = c->in_up, b = c->in_down;
        uint64_t up = c->bytes_up, down = c->bytes_down;
        if (!pump(px, i)) {
            conn_free(px, i);
            return;
        }
        if (c->st == C_FREE)
            return;
        if (before == (c->eof_c && c->eof_u) && a == c->in_up &&
            b == c->in_down && up == c->bytes_up && down == c->bytes_down)
            break;
    }
    /* Done when both directions are finished and drained (plain HTTP:
     * when the response has ended). */
    if ((c->eof_c || c->st == C_RESPONSE) && c->eof_u && !c->in_up &&
        !c->in_down && c->fwd_off >= c->fwd_len) {
        conn_free(px, i);
        return;
    }
    c->deadline_ms = px->now + (px->cfg->idle_ms ? px->cfg->idle_ms : 300000);
    tunnel_events(px, i);
}

/* --- the DNS stub -------------------------------------------------------- */

/* The fake answers' TTL.  The mapping holds for the whole run, so any
 * TTL would be correct within it; a short one keeps an answer from
 * outliving the run in a cache that persists (a tool's own cache in a
 * mounted home), where the next run's table may give that address to
 * another name or to none.  Asking again costs one local datagram. */
#define STUB_TTL 5
/* Datagrams served per readiness event: one flooding tool cannot keep
 * the loop from its connections. */
#define STUB_BURST 64
/* The most of a query read (a longer one is cut: its question, first,
 * is whole or the parser refuses it), and the longest reply (classic
 * DNS over UDP). */
#define STUB_QUERY_MAX 1500
#define STUB_REPLY_MAX 512

/* One query's verdict: the rcode and, for an allowed A, the answer. */
static int stub_decide(struct proxy *px, const struct dns_question *q,
                       struct net_addr *a, bool *answer)
{
    const struct egress_proxy_cfg *cfg = px->cfg;
    char name[256];
    const char *why = NULL;
    /* The parser's name grammar is DNS's ("_srv" labels pass): the one
     * canonical host form decides, so an odd name is refused, never
     * handed an address. */
    bool ok = net_host_canon(q->name, strlen(q->name), name, sizeof name, NULL,
                             &why) == 0 &&
              egress_name_allowed(&cfg->rules, name);
    struct egress_event ev = {
        .how = "dns",
        .requested = q->name,
        .requested_len = strlen(q->name),
        .host = ok ? name : NULL,
        .allowed = ok,
        .reason = ok ? NULL : "dns-not-allowlisted",
    };
    int rcode = ok ? DNS_RCODE_NOERROR : DNS_RCODE_REFUSED;
    *answer = false;
    /* Only A gets an address: the fake table is IPv4, and a NOERROR
     * without records for AAAA sends the resolver to the A answer. */
    if (ok && q->qtype == DNS_TYPE_A && q->qclass == DNS_CLASS_IN) {
        if (!cfg->fake || dns_fake_get(cfg->fake, name, a) < 0) {
            rcode = DNS_RCODE_SERVFAIL;
            ev.allowed = false;
            ev.reason = "dns-fake-table-full";
        } else {
            *answer = true;
        }
    }
    egress_audit(&cfg->audit, &ev);
    if (cfg->on_decision)
        cfg->on_decision(cfg->on_refusal_data, ok ? name : q->name, 0, "dns",
                         ev.reason);
    if (!ev.allowed && cfg->on_refusal)
        cfg->on_refusal(cfg->on_refusal_data, ok ? name : q->name, 0, ev.reason);
    return rcode;
}

/* M's only control message: LEVEL/TYPE with LEN bytes of DATA, in BUF
 * (room for CMSG_SPACE(LEN), aligned). */
static void put_cmsg(struct msghdr *m, char *buf, int level, int type,
                     const void *data, size_t len)
{
    m->msg_control = buf;
    m->msg_controllen = CMSG_SPACE(len);
    struct cmsghdr *o = CMSG_FIRSTHDR(m);
    o->cmsg_level = level;
    o->cmsg_type = type;
    o->cmsg_len = CMSG_LEN(len);
    memcpy(CMSG_DATA(o), data, len);
}

/* Reply OUT (LEN bytes) to the sender in MSG, from the address the
 * query was sent to: glibc's resolver connects its socket to the
 * nameserver, and every address is ours in the sandbox, so a reply from
 * the socket's default source would be dropped. */
static void stub_send(int fd, struct msghdr *in, const uint8_t *out, size_t len)
{
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {.iov_base = (void *)out, .iov_len = len};
    struct msghdr m = {.msg_name = in->msg_name, .msg_namelen = in->msg_namelen,
                       .msg_iov = &iov, .msg_iovlen = 1};
    for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR(in, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo got, pi = {0};
            memcpy(&got, CMSG_DATA(c), sizeof got);
            pi.ipi_spec_dst = got.ipi_spec_dst;
            put_cmsg(&m, ctl.buf, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
            break;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            /* its ifindex too */
            put_cmsg(&m, ctl.buf, IPPROTO_IPV6, IPV6_PKTINFO, CMSG_DATA(c),
                     sizeof(struct in6_pktinfo));
            break;
        }
    }
    /* UDP: a reply that does not fit now is lost, and the tool asks
     * again; the proxy never waits for it. */
    sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* The reply to the query of LEN bytes at BUF, into OUT (STUB_REPLY_MAX
 * bytes): its length, or 0 for no reply at all.  The one decision for
 * every way a query comes in: a UDP datagram (stub_query) or a relay's
 * DNS connection (dnsq_read). */
static size_t stub_answer(struct proxy *px, const uint8_t *buf, size_t len,
                          uint8_t *out)
{
    struct dns_question q;
    int r = dns_stub_parse_query(buf, len, &q);
    if (r == -1)
        return 0;  /* not even a header: nothing to answer */
    int rcode;
    struct net_addr a;
    bool answer = false;
    if (r == -2)
        rcode = dns_stub_error_rcode(buf, len);
    else
        rcode = stub_decide(px, &q, &a, &answer);
    int n = dns_stub_reply(&q, rcode, answer ? &a : NULL, STUB_TTL, out,
                           STUB_REPLY_MAX);
    return n > 0 ? (size_t)n : 0;
}

/* Answer the query of LEN bytes at BUF that came in MSG on FD. */
static void stub_query(struct proxy *px, int fd, struct msghdr *msg,
                       const uint8_t *buf, size_t len)
{
    uint8_t out[STUB_REPLY_MAX];
    size_t n = stub_answer(px, buf, len, out);
    if (n > 0)
        stub_send(fd, msg, out, n);
}

static void stub_read(struct proxy *px, int fd)
{
    for (int k = 0; k < STUB_BURST; k++) {
        uint8_t buf[STUB_QUERY_MAX];
        struct sockaddr_storage from;
        union {
            char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
                     CMSG_SPACE(sizeof(struct in_pktinfo))];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
        struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from,
                           .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = ctl.buf,
                           .msg_controllen = sizeof ctl.buf};
        ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;  /* EAGAIN: drained; anything else: next event */
        }
        /* A query longer than the buffer is cut: its question, first,
         * is whole or the parser refuses it. */
        if (m.msg_flags & MSG_CTRUNC)
            m.msg_controllen = 0;
        stub_query(px, fd, &m, buf, (size_t)n);
    }
}

/* The stub's sockets report where each query was sent, and may reply
 * from it: IPv6 takes a source given in IPV6_PKTINFO only when it is an
 * address of some interface (a `local default` route does not count)
 * or with FREEBIND.  Each family's options fail on the other's socket:
 * only one of each pair needs to hold. */
static void stub_prepare(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one);
}

/* --- DNS from the container relay -------------------------------------- */

/* A relay (net/forward.c) opens one SOCK_SEQPACKET connection per query,
 * sends the query as one packet and waits for one packet back: the
 * reply the UDP stub would send, or none (the connection closes).  A
 * connection is done after its first packet, answered or not; one that
 * sends nothing is closed at its deadline.  They take slots of the
 * proxy's connection table, but at most max_dns_conns of them: a flood
 * of lookups cannot take all of the tunnels' places. */
static void dnsq_read(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    uint8_t buf[STUB_QUERY_MAX];
    /* A packet longer than the buffer is cut (the rest is discarded):
     * as for a datagram. */
    ssize_t n = recv(c->cfd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0) {
        uint8_t out[STUB_REPLY_MAX];
        size_t len = stub_answer(px, buf, (size_t)n, out);
        /* The relay's buffer is empty: the reply fits now or never. */
        if (len > 0)
            send(c->cfd, out, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    conn_free(px, i);
}

static void dnsq_accept(struct proxy *px, int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    size_t cap = px->cfg->max_dns_conns ? px->cfg->max_dns_conns : 64;
    size_t i = px->n_conns;
    if (px->n_dnsq < cap)
        for (i = 0; i < px->n_conns; i++)
            if (px->conns[i].st == C_FREE)
                break;
    if (i == px->n_conns) {
        close(fd);  /* at the cap: no answer, the tool asks again */
        return;
    }
    struct conn *c = &px->conns[i];
    c->st = C_DNSQ;
    c->proto = P_DNS;
    c->cfd = fd;
    c->start_ms = px->now;
    c->deadline_ms = px->now + (px->cfg->dns_conn_ms ? px->cfg->dns_conn_ms
                                                     : 5000);
    px->n_dnsq++;
    watch(px, fd, EPOLLIN | EPOLLRDHUP, tag(i, W_CLIENT));
}

/* --- the loop ------------------------------------------------------------ */

/* A captured connection: where the tool connected is the target.  Every
 * address is local in the sandbox's namespace, so the accepted socket's
 * own address is the one the tool dialled. */
static void transparent_start(struct proxy *px, size_t i)
{
    struct conn *c = &px->conns[i];
    c->proto = P_TRANSPARENT;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    struct net_addr a = {0};
    uint16_t port = 0;
    if (getsockname(c->cfd, (struct sockaddr *)&ss, &sl) < 0 ||
        net_addr_from_sockaddr((const struct sockaddr *)&ss, &a, &port) < 0) {
        refuse(px, i, "bad-host");
        return;
    }
    /* A dual-stack listener sees IPv4 as ::ffff:a.b.c.d. */
    a = net_addr_unmap(&a);
    char text[INET6_ADDRSTRLEN];
    net_addr_format(&a, text, sizeof text);
    /* As a literal the tool wrote: a fake address becomes its name
     * there, any other is checked as an address. */
    decided(px, i, text, strlen(text), port);
}

static void accept_one(struct proxy *px, int lfd, bool transparent)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    size_t i;
    for (i = 0; i < px->n_conns; i++)
        if (px->conns[i].st == C_FREE)
            break;
    if (i == px->n_conns) {
        /* At the cap: refused at once, never queued. */
        static const char busy[] =
            "HTTP/1.1 503 Service Unavailable\r\nX-Coco-Egress: too-many-"
            "connections\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        if (transparent)
            reset_on_close(fd);  /* no protocol of ours to speak */
        else
            send_all_now(fd, busy, sizeof busy - 1);
        close(fd);
        return;
    }
    struct conn *c = &px->conns[i];
    c->st = C_HEAD;
    c->cfd = fd;
    c->start_ms = px->now;
    c->deadline_ms = px->now + (px->cfg->head_ms ? px->cfg->head_ms : 30000);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (transparent) {
        /* Nothing is read from the tool before the upstream stands. */
        transparent_start(px, i);
        return;
    }
    c->in = xmalloc(HEAD_MAX);
    socks5_init(&c->s5);
    watch(px, fd, EPOLLIN | EPOLLRDHUP, tag(i, W_CLIENT));
}

static void on_event(struct proxy *px, uint64_t data, uint32_t events)
{
    size_t i = (size_t)(data >> 3);
    int which = (int)(data & 7);
    if (which == W_LISTEN || which == W_TLISTEN) {
        accept_one(px, which == W_LISTEN ? px->cfg->listen_fds[i]
                                         : px->cfg->transparent_fds[i],
                   which == W_TLISTEN);
        return;
    }
    if (which == W_STUB) {
        stub_read(px, px->cfg->dns_stub_fds[i]);
        return;
    }
    if (which == W_DNSLISTEN) {
        dnsq_accept(px, px->cfg->dns_conn_fds[i]);
        return;
    }
    if (i >= px->n_conns || px->conns[i].st == C_FREE)
        return;
    struct conn *c = &px->conns[i];
    switch (c->st) {
    case C_HEAD:
        if (which == W_CLIENT)
            client_head(px, i);
        break;
    case C_RESOLVE:
        if (which == W_DNS4 || which == W_DNS6)
            dns_read(px, i, which == W_DNS4 ? 0 : 1);
        else if (which == W_CLIENT)
            conn_free(px, i);  /* hung up while we resolved */
        break;
    case C_DIAL:
        if (which == W_UP)
            dial_done(px, i);
        else
            conn_free(px, i);
        break;
    case C_TUNNEL:
    case C_BODY:
    case C_RESPONSE:
        /* An error, or a client that is gone both ways: nothing more
         * can be delivered. */
        if ((events & EPOLLERR) || (which == W_CLIENT && (events & EPOLLHUP))) {
            conn_free(px, i);
            break;
        }
        tunnel_io(px, i);
        /* An upstream gone both ways with nothing left for the client:
         * its hang-up would fire again and again. */
        if (px->conns[i].st != C_FREE && which == W_UP &&
            (events & EPOLLHUP) && px->conns[i].eof_u && !px->conns[i].in_down)
            conn_free(px, i);
        break;
    case C_DNSQ:
        dnsq_read(px, i);
        break;
    case C_FREE:
        break;
    }
}

static void on_timeouts(struct proxy *px)
{
    for (size_t i = 0; i < px->n_conns; i++) {
        struct conn *c = &px->conns[i];
        if (c->st == C_FREE || c->deadline_ms > px->now)
            continue;
        switch (c->st) {
        case C_HEAD:
            conn_free(px, i);
            break;
        case C_RESOLVE:
            dns_timeout(px, i);
            break;
        case C_DIAL:
            dial_next(px, i);
            break;
        default:
            conn_free(px, i);  /* idle */
            break;
        }
    }
}

static int next_wait(const struct proxy *px)
{
    uint64_t soonest = UINT64_MAX;
    for (size_t i = 0; i < px->n_conns; i++)
        if (px->conns[i].st != C_FREE && px->conns[i].deadline_ms < soonest)
            soonest = px->conns[i].deadline_ms;
    if (soonest == UINT64_MAX)
        return -1;
    return soonest <= px->now ? 0 : (int)(soonest - px->now > 60000
                                              ? 60000 : soonest - px->now);
}

/* Watch each of FDS[0..N) for input, tagged WHICH with its index. */
static int watch_all(struct proxy *px, const int *fds, size_t n, int which)
{
    for (size_t k = 0; k < n; k++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag(k, which)};
        if (epoll_ctl(px->ep, EPOLL_CTL_ADD, fds[k], &ev) < 0)
            return -1;
    }
    return 0;
}

int egress_proxy_run(const struct egress_proxy_cfg *cfg, coco_err *err)
{
    /* Without the table a fake address would mean nothing: the stub
     * could answer no name, capture could tell no name's connection. */
    if ((cfg->n_transparent || cfg->n_dns_stub || cfg->n_dns_conn) &&
        !cfg->fake)
        return err_set(err, EINVAL, "egress proxy: transparent capture and "
                                    "the DNS stub need the fake-address table");
    struct proxy px = {.cfg = cfg};
    px.n_conns = cfg->max_conns ? cfg->max_conns : 256;
    px.conns = xcalloc(px.n_conns, sizeof *px.conns);
    for (size_t i = 0; i < px.n_conns; i++) {
        struct conn *c = &px.conns[i];
        c->cfd = c->ufd = c->dns_fd[0] = c->dns_fd[1] = -1;
        c->up[0] = c->up[1] = c->down[0] = c->down[1] = -1;
    }
    /* Six descriptors per tunnel: raise the soft limit to the hard one. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    px.ep = epoll_create1(EPOLL_CLOEXEC);
    if (px.ep < 0) {
        free(px.conns);
        return err_set(err, errno, "egress proxy: epoll");
    }
    for (size_t k = 0; k < cfg->n_dns_stub; k++)
        stub_prepare(cfg->dns_stub_fds[k]);
    if (watch_all(&px, cfg->listen_fds, cfg->n_listen, W_LISTEN) < 0 ||
        watch_all(&px, cfg->transparent_fds, cfg->n_transparent,
                  W_TLISTEN) < 0 ||
        watch_all(&px, cfg->dns_stub_fds, cfg->n_dns_stub, W_STUB) < 0 ||
        watch_all(&px, cfg->dns_conn_fds, cfg->n_dns_conn, W_DNSLISTEN) < 0) {
        int e = errno;
        close(px.ep);
        free(px.conns);
        return err_set(err, e, "egress proxy: watch its listeners");
    }
    struct epoll_event stop = {.events = EPOLLIN | EPOLLHUP,
                               .data.u64 = UINT64_MAX};
    if (cfg->stop_fd >= 0)
        epoll_ctl(px.ep, EPOLL_CTL_ADD, cfg->stop_fd, &stop);
    /* splice() into a socket the client reset raises SIGPIPE (it takes
     * no MSG_NOSIGNAL): one hostile client must not kill the proxy. */
    signal(SIGPIPE, SIG_IGN);
    /* jansson seeds its hash tables from /dev/urandom at the first
     * object (the audit lines): seed it now, while opening is allowed. */
    uint32_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed || !seed)
        seed = (uint32_t)now_ms() | 1u;
    json_object_seed(seed);
    /* glibc's gmtime_r() reads /etc/localtime once, first: now. */
    tzset();
    /* Everything it will open is open: from here on, the filter. */
    struct timespec c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &c0);
    if (cfg->confine && egress_proxy_confine(err) < 0) {
        close(px.ep);
        free(px.conns);
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &c1);
    if (coco_debug)
        debug("egress proxy: confined in %lld us",
              (long long)((c1.tv_sec - c0.tv_sec) * 1000000 +
                          (c1.tv_nsec - c0.tv_nsec) / 1000));
    for (;;) {
        struct epoll_event evs[64];
        px.now = now_ms();
        int n = epoll_wait(px.ep, evs, 64, next_wait(&px));
        if (n < 0 && errno != EINTR)
            break;
        px.now = now_ms();
        bool stopping = false;
        for (int k = 0; k < n; k++) {
            if (evs[k].data.u64 == UINT64_MAX)
                stopping = true;
            else
                on_event(&px, evs[k].data.u64, evs[k].events);
        }
        if (stopping)
            break;
        on_timeouts(&px);
    }
    for (size_t i = 0; i < px.n_conns; i++)
        if (px.conns[i].st != C_FREE)
            conn_free(&px, i);
    close(px.ep);
    free(px.conns);
    return 0;
}
