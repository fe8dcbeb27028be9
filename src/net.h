/* net.h — the network a tool gets: which modes each backend can give,
 * and (with the egress wing, src/net/) the proxy that gives them.
 *
 * Every refusal of a network mode, every "not enforced" in `coco show`
 * and every backend's own check asks net_mode_missing() here, so the day
 * a backend gains a mode one row changes, not six call sites.
 */
#ifndef COCO_NET_H
#define COCO_NET_H

#include <stdint.h>
#include <sys/socket.h>

#include "config.h"

struct dns_fake;
struct policy;

/* Why runtime RT cannot give network mode MODE to TOOL (its name, or
 * NULL), written to BUF of LEN bytes (512 is enough), or NULL when it
 * can.  Reads after the config key (see net_mode_key()):
 * "network: \"full\" needs ...". */
const char *net_mode_missing(enum runtime_kind rt, enum net_mode mode,
                             const char *tool, char *buf, size_t len);

/* The key a user changes to change MODE, set from SOURCE ("config",
 * "default", "COCO_ALLOW_NETWORK"): "allowed_hosts", "network" or the
 * environment variable. */
const char *net_mode_key(enum net_mode mode, const char *source);

/* 0 when RT can give MODE; else -1 with ERR "CFG_PATH: KEY: why". */
int net_mode_check(enum runtime_kind rt, enum net_mode mode,
                   const char *source, const char *cfg_path, const char *tool,
                   coco_err *err);

/* True when what RT gives for MODE passes coco's address filter (no
 * private, loopback or link-local address of the host's networks):
 * `coco show` marks the mode a risk otherwise. */
bool net_mode_filtered(enum runtime_kind rt, enum net_mode mode);

/* --- addresses (net/addr.c) ------------------------------------------ */

/* An IPv4 (B[0..3]) or IPv6 address, in network byte order. */
struct net_addr {
    int family;  /* AF_INET or AF_INET6 */
    uint8_t b[16];
};

/* A range the egress proxy refuses: FAMILY, BASE/PREFIX, its name as
 * the audit log and refusals write it, and what it is. */
struct net_range {
    int family;
    uint8_t base[16];
    unsigned prefix;
    const char *cidr;
    const char *what;
    bool always;  /* private_ranges can never open it */
};
extern const struct net_range net_blocked[];
extern const size_t net_n_blocked;

/* Parse host S as an IP literal in any spelling (127.1, 2130706433,
 * 0x7f000001, 0177.0.0.1, a trailing dot, [v6], v6, mapped v6) into
 * OUT, an IPv4-mapped IPv6 address becoming its IPv4 address.  Returns
 * 1, 0 when S is a name (its last label is not a number), or -1 when it
 * looks like an address and is not one (1.2.3.256, [fe80::1%eth0]). */
int net_addr_parse(const char *s, struct net_addr *out);

/* A's canonical text (dotted quad; RFC 5952 IPv6) into BUF of LEN bytes
 * (INET6_ADDRSTRLEN is enough). */
void net_addr_format(const struct net_addr *a, char *buf, size_t len);

/* SA's address (AF_INET or AF_INET6) into OUT and its port into *PORT
 * (when PORT is not NULL).  0, or -1 for another family. */
int net_addr_from_sockaddr(const struct sockaddr *sa, struct net_addr *out,
                           uint16_t *port);

/* A, or for an IPv4-mapped IPv6 address the IPv4 address it maps. */
struct net_addr net_addr_unmap(const struct net_addr *a);

/* True when A is in FAMILY's BASE/PREFIX. */
bool net_addr_in(const struct net_addr *a, int family, const uint8_t *base,
                 unsigned prefix);

/* The first row of net_blocked[] holding A (an IPv4-mapped A is checked
 * as its IPv4 address), or NULL for an address the proxy may dial. */
const struct net_range *net_addr_blocked(const struct net_addr *a);

/* A range of the config's private_ranges. */
struct net_cidr {
    struct net_addr addr;
    unsigned prefix;
};

/* Parse "ADDRESS/PREFIX" (plain dotted quad or IPv6, no host bits set,
 * prefix 1..32 or 1..128).  Returns 0, or -1 with *WHY. */
int net_cidr_parse(const char *s, struct net_cidr *out, const char **why);
bool net_cidr_contains(const struct net_cidr *c, const struct net_addr *a);

/* Why C cannot be a private_ranges entry, written to BUF of LEN bytes
 * (256 is enough), or NULL: it must lie inside one blocked range that
 * private_ranges may open (10.20.0.0/16, fd12::/16) and touch none it
 * may never open (loopback, "this network", unspecified, the metadata
 * service). */
const char *net_private_range_check(const struct net_cidr *c, char *buf,
                                    size_t len);

/* --- host names and the allowlist (net/allow.c) ---------------------- */

/* The canonical form of the name IN (N bytes, UTF-8) into OUT (CAP >= 254):
 * ASCII lower case, one trailing dot dropped, full-width forms and
 * ideographic dots mapped, non-ASCII labels as IDNA A-labels ("xn--"),
 * an "xn--" label checked to decode.  NULL, or why it is no host name.
 * Does not check the label grammar (net_name_check()). */
const char *net_name_canon(const char *in, size_t n, char *out, size_t cap);

/* Why canonical name P breaks the label grammar (1-63 of [a-z0-9-], no
 * '-' at either end, non-empty labels), or NULL. */
const char *net_name_check(const char *p);

/* Canonicalise a host as a request or the config spells it (IN, N
 * bytes; brackets allowed around IPv6): 1 for an IP literal in any
 * spelling (its canonical text in OUT, the address in *IP when IP is not
 * NULL), 0 for a name (canonical, grammar checked, in OUT), -1 with *WHY.
 * The one function every host passes through before it is matched,
 * resolved, dialled or logged. */
int net_host_canon(const char *in, size_t n, char *out, size_t cap,
                   struct net_addr *ip, const char **why);

/* One allowed_hosts entry: "name" (ports 80 and 443), "name:PORT",
 * "name:*", "*.name" (strict subdomains only: not name itself). */
struct net_allow {
    char host[256];  /* canonical, without "*." */
    bool wildcard;
    bool any_port;
    uint16_t port;   /* 0: 80 and 443 */
};

/* Parse SPEC into OUT; NULL, or why it is not an entry (IP literals in
 * any spelling, '*' alone or mid-name, "*.org"-style bare suffixes). */
const char *net_allow_parse(const char *spec, struct net_allow *out);

/* E as canonical text ("*.example.org:8443") into BUF of LEN bytes. */
void net_allow_format(const struct net_allow *e, char *buf, size_t len);

/* True when canonical name HOST on PORT is allowed by one of LIST[0..N). */
bool net_allow_match(const struct net_allow *list, size_t n, const char *host,
                     uint16_t port);

/* --- the proxy's decisions (net/decide.c) ----------------------------- */

/* What the proxy enforces for one run, fixed when it starts. */
struct egress_rules {
    enum net_mode mode;                    /* NET_ALLOWED or NET_FULL */
    const struct net_allow *allow;         /* NET_ALLOWED: the entries */
    size_t n_allow;
    const struct net_cidr *private_ranges; /* the config's private_ranges */
    size_t n_private;
    const struct net_addr *host_addrs;     /* every address of the host */
    size_t n_host;
};

/* A requested target after net_host_canon(): the one form that is
 * matched, resolved, dialled and logged. */
struct egress_target {
    char host[256];       /* canonical name, or canonical address text */
    bool is_ip;
    struct net_addr ip;   /* when IS_IP */
    uint16_t port;
};

/* May the tool ask for HOST (N bytes, as the client wrote it) on PORT?
 * Fills T (T->host is what logs print).  NULL, or the audit reason:
 * "bad-host", "bad-port", "not-allowlisted", "ip-literal-not-allowlisted",
 * "no-egress".  An IP literal still needs egress_addr_check(). */
const char *egress_target_check(const struct egress_rules *r, const char *host,
                                size_t n, uint16_t port, struct egress_target *t);

/* Does some entry of R allow canonical name HOST on any port (NET_FULL:
 * any valid name)?  What the DNS stub asks before it answers. */
bool egress_name_allowed(const struct egress_rules *r, const char *host);

/* May the proxy dial A (an answer for an allowed name, or an allowed
 * literal)?  NULL, or the audit reason written to BUF of LEN bytes:
 * "host-address", "blocked-range:CIDR".  private_ranges opens private
 * ranges, never loopback, "this network", unspecified or the metadata
 * service, and never the host's own addresses. */
const char *egress_addr_check(const struct egress_rules *r,
                              const struct net_addr *a, char *buf, size_t len);

/* --- the audit log (net/audit.c) -------------------------------------- */

/* Open (creating 0600, never through a symlink) the JSON-lines audit log
 * PATH for appending, first moving it to PATH.1 when it has grown past
 * its cap.  Returns the descriptor, or -1 with ERR. */
int egress_audit_open(const char *path, coco_err *err);

/* Who is logging: the same for every line of one run. */
struct egress_audit_ctx {
    int fd;               /* -1: no log */
    const char *run_id;
    const char *tool;
    const char *backend;  /* "native", "podman", "docker" */
};

/* One decision (or, CLOSING, the end of an allowed connection). */
struct egress_event {
    bool closing;
    const char *how;        /* "connect", "http", "socks5", "transparent", "dns" */
    const char *requested;  /* the host as the tool wrote it (any bytes) */
    size_t requested_len;
    const char *host;       /* canonical, or NULL when it had none */
    uint16_t port;
    bool allowed;
    const char *reason;     /* why refused; NULL when allowed */
    const struct net_addr *resolved;
    size_t n_resolved;
    const struct net_addr *dialed;
    uint64_t bytes_up, bytes_down, duration_ms;
};

/* Write EV as one JSON line (time, run, tool, backend, ...).  Never
 * fails the caller: a log that cannot be written loses the line. */
void egress_audit(const struct egress_audit_ctx *ctx,
                  const struct egress_event *ev);

/* --- transparent capture in a fresh network namespace (net/netlink.c) - */

/* ip link set lo up: a new network namespace starts with it down.
 * 0, or -1 with ERR. */
int net_lo_up(coco_err *err);

/* ip route add local default dev lo (FAMILY AF_INET or AF_INET6): every
 * address is local to the namespace.  0, or -1 with ERR. */
int net_local_default_route(int family, coco_err *err);

/* Add A/PREFIX to lo (for glibc's AI_ADDRCONFIG).  0, or -1 with ERR. */
int net_lo_add_addr(const struct net_addr *a, unsigned prefix, coco_err *err);

/* --- the egress proxy (net/proxy.c) ----------------------------------- */

/* One run's proxy: its policy is fixed here, before it serves anyone. */
struct egress_proxy_cfg {
    struct egress_rules rules;
    struct egress_audit_ctx audit;
    const int *listen_fds;     /* listening TCP sockets (HTTP and SOCKS5) */
    size_t n_listen;
    /* Transparent capture (native): listening TCP sockets in the
     * sandbox's namespace, where a `local default` route makes every
     * address local.  A connection's destination (getsockname()) is the
     * target: a fake address (FAKE) is decided as a CONNECT to its name
     * and port, any other address as an IP literal; no bytes are read or
     * written before the upstream stands, then it is a tunnel. */
    const int *transparent_fds;
    size_t n_transparent;
    /* The DNS stub: bound UDP sockets (port 53, every address of the
     * sandbox).  A name the rules allow on some port gets a fake address
     * from FAKE (type A; AAAA and other types: NOERROR, no answer), every
     * other name REFUSED; no query is ever sent upstream.  Replies go out
     * from the address the query was sent to. */
    const int *dns_stub_fds;
    size_t n_dns_stub;
    /* The same stub for podman and docker's relay (net/forward.c):
     * listening AF_UNIX SOCK_SEQPACKET sockets.  One connection carries
     * one query packet and gets one reply packet (the bytes a datagram
     * would get) or none; either way the proxy closes it.  At most
     * MAX_DNS_CONNS at a time (0: 64; more are closed at once), each
     * closed DNS_CONN_MS (0: 5000) after it was accepted. */
    const int *dns_conn_fds;
    size_t n_dns_conn;
    unsigned max_dns_conns;
    unsigned dns_conn_ms;
    /* The run's fake-address table: shared by the stub, which hands the
     * addresses out, and every protocol, which decides a fake address as
     * its name.  Required with transparent_fds, dns_stub_fds or
     * dns_conn_fds. */
    struct dns_fake *fake;
    int stop_fd;               /* readable or hung up: stop; -1: none */
    struct net_addr dns[3];    /* upstream resolvers (resolv.conf) */
    size_t n_dns;
    uint16_t dns_port;         /* 0: 53 */
    const char *hosts_text;    /* /etc/hosts, read before the proxy starts */
    size_t hosts_len;
    unsigned max_conns;        /* 0: 256; more are refused at once (503) */
    unsigned idle_ms;          /* 0: 300000, a tunnel with no bytes either way */
    unsigned connect_ms;       /* 0: 10000, per address dialled */
    unsigned head_ms;          /* 0: 30000, to send a complete request head */
    bool confine;              /* load egress_proxy_confine() before serving */
    /* Called once per decision (allowed or not), with the canonical host
     * ("" when it had none) and the refusal's reason or NULL: what
     * `coco run --report` sums up.  NULL: not called. */
    void (*on_decision)(void *data, const char *host, uint16_t port,
                        const char *how, const char *reason);
    /* Called once per refusal (the caller prints one notice per host). */
    void (*on_refusal)(void *data, const char *host, uint16_t port,
                       const char *reason);
    void *on_refusal_data;
};

/* Confine the calling process to what the proxy needs (seccomp, kill on
 * anything else: no open, exec, fork or non-IP socket): the filter
 * compiled at build time from net/confine.c.  0, or -1. */
int egress_proxy_confine(coco_err *err);

/* The same filter built now with libseccomp, as raw BPF written to FD
 * (what tools/gen_seccomp compiles in), and the compiled-in program. */
int egress_confine_export_fd(int fd, coco_err *err);
struct sock_filter;
const struct sock_filter *egress_confine_compiled(size_t *len);

/* Serve CFG's listeners until CFG->stop_fd says stop (or epoll fails).
 * Returns 0, or -1 with ERR when it could not start. */
int egress_proxy_run(const struct egress_proxy_cfg *cfg, coco_err *err);

/* --- one run's proxy process (net/session.c) ------------------------- */

/* Listening descriptors the backend made for the proxy, in FDS in this
 * order: N_PROXY explicit-proxy listeners (TCP or unix), N_TRANSPARENT
 * transparent TCP listeners, N_DNS DNS-stub UDP sockets, N_DNS_CONN
 * DNS-stub unix SOCK_SEQPACKET listeners (the container relay's). */
struct egress_listeners {
    const int *fds;
    size_t n_proxy, n_transparent, n_dns, n_dns_conn;
};

static inline size_t egress_listeners_count(const struct egress_listeners *l)
{
    return l->n_proxy + l->n_transparent + l->n_dns + l->n_dns_conn;
}

/* Most listeners one proxy serves. */
#define EGRESS_FDS_MAX 64

/* Send L's descriptors over the unix socket SOCK (SCM_RIGHTS) to a proxy
 * egress_spawn() started with SOCK's peer.  0, or -1 with ERR. */
int egress_listeners_send(int sock, const struct egress_listeners *l,
                          coco_err *err);

/* The proxy process of a run: its pid (0: none) and the write end of its
 * stop pipe (-1: none). */
struct egress_proc {
    pid_t pid;
    int stop;
};
#define EGRESS_PROC_INIT {.pid = 0, .stop = -1}

/* Fork the proxy for policy P (BACKEND names it in the audit log) to
 * serve L, which the caller still owns and closes afterwards; or, with L
 * NULL, the listeners egress_listeners_send() sends to the unix socket
 * FROM (the caller closes its copy).  The proxy opens the audit log,
 * drops root, confines itself, prints one notice per refused host and,
 * with P->report, the summary when it stops.  0 with OUT filled, or -1
 * with ERR. */
int egress_spawn(const struct policy *p, const char *backend,
                 const struct egress_listeners *l, int from,
                 struct egress_proc *out, coco_err *err);

/* Stop E's proxy (close its stop pipe), wait for it (at most a second,
 * then SIGKILL) and reap it.  Idempotent. */
void egress_stop(struct egress_proc *e);

/* Only tell E's proxy to stop (close its stop pipe), so that it writes
 * its closing lines and exits while the caller cleans up other things;
 * egress_stop() then waits for it.  Idempotent. */
void egress_stop_begin(struct egress_proc *e);

/* --- the tool's environment under egress (net/env.c) ------------------ */

/* Where a CA file of the host's environment (a policy ca_env entry
 * "NAME=PATH") is inside the sandbox or container when not at PATH:
 * EGRESS_CA_DIR/NAME, read-only. */
#define EGRESS_CA_DIR "/run/coco/ca"

/* The variables P's tool gets under egress, as "NAME=VALUE" onto OUT:
 * HTTP(S)_PROXY and ALL_PROXY (socks5h) at 127.0.0.1:PORT in both cases,
 * NO_PROXY for loopback, NODE_USE_ENV_PROXY, and each ca_env entry
 * pointing at PATH when CA_VISIBLE(PATH) (NULL: never) says the tool sees
 * it there, else at EGRESS_CA_DIR/NAME.  A name the config's env sets is
 * left to the config (it cannot route around the proxy, only fail). */
void egress_env(const struct policy *p, uint16_t port,
                bool (*ca_visible)(const char *path), struct strvec *out);

/* --- podman and docker: the proxy behind a unix socket (net/session.c) -- */

/* In the container: coco's binary, the directory holding the proxy's
 * socket, the relay's port (net/forward.c). */
#define EGRESS_CT_COCO "/run/coco/coco"
#define EGRESS_CT_DIR "/run/coco/egress"
#define EGRESS_SOCK_NAME "proxy.sock"
#define EGRESS_CT_SOCK EGRESS_CT_DIR "/" EGRESS_SOCK_NAME
/* The proxy's DNS stub for the relay (AF_UNIX SOCK_SEQPACKET, one
 * connection per query), and the resolv.conf and hosts files coco
 * writes next to it and binds over the container's. */
#define EGRESS_DNS_SOCK_NAME "dns.sock"
#define EGRESS_CT_DNS_SOCK EGRESS_CT_DIR "/" EGRESS_DNS_SOCK_NAME
#define EGRESS_RESOLV_NAME "resolv.conf"
#define EGRESS_HOSTS_NAME "hosts"
#define EGRESS_CT_PORT 3128

/* One container run's egress: what the argv builder binds in (DIR,
 * SELF_EXE) and what coco holds while the run lasts. */
struct egress {
    char *dir;       /* host: a fresh 0700 directory holding the socket */
    char *self_exe;  /* host: coco's own (static) binary */
    struct egress_proc proc;
};
#define EGRESS_INIT {.dir = NULL, .self_exe = NULL, .proc = EGRESS_PROC_INIT}

/* True when P's network goes through coco's egress proxy: allowed_hosts
 * or "full", on native always, on podman and docker unless the config
 * publishes ports (those keep the engine's network, unfiltered). */
bool net_policy_proxied(const struct policy *p);

/* For podman and docker (BACKEND "podman"/"docker"): make E's directory
 * (under $XDG_RUNTIME_DIR when usable, else /tmp), listen on
 * DIR/proxy.sock (the container's user is the invoking user, who owns
 * it) and start the proxy serving it; coco keeps no copy of the
 * listener, so when the proxy dies connections are refused.  0, or -1
 * with ERR and nothing left behind. */
int egress_engine_start(const struct policy *p, const char *backend,
                        struct egress *e, coco_err *err);

/* Stop E's proxy, remove the socket and the directory.  Idempotent. */
void egress_engine_stop(struct egress *e);

/* --- the in-container relay (net/forward.c) -------------------------- */

/* `coco _egress-forward SOCK PORT [DNSSOCK] -- CMD [ARGS...]` (ARGV[0]
 * is the command's name): listen on 127.0.0.1:PORT, run CMD, relay every
 * connection to a fresh connection to the unix socket SOCK; with
 * DNSSOCK, relay each datagram to UDP 127.0.0.1:53 as one packet over a
 * fresh SOCK_SEQPACKET connection to DNSSOCK and its reply packet back
 * (the proxy's DNS stub answers: fake addresses, reachable only through
 * the proxy variables, or REFUSED); pass TERM,
 * INT, HUP, QUIT, USR1, USR2 and WINCH on to CMD.  Returns CMD's exit
 * status (127/126 when it cannot be run, 125 for the relay's own
 * failures); when CMD died of a signal, raises it first. */
int egress_forward_main(int argc, char **argv);

#endif
