/* decide.c — the egress proxy's two decisions, pure: may the tool ask
 * for this host and port (before anything is resolved), and may the
 * proxy dial this address (every answer, before it is dialled).  See
 * net.h. */
#include "net.h"

#include <stdio.h>
#include <string.h>

const char *egress_target_check(const struct egress_rules *r, const char *host,
                                size_t n, uint16_t port, struct egress_target *t)
{
    memset(t, 0, sizeof *t);
    t->port = port;
    if (port == 0)
        return "bad-port";
    const char *why = NULL;
    int kind = net_host_canon(host, n, t->host, sizeof t->host, &t->ip, &why);
    if (kind < 0)
        return "bad-host";
    t->is_ip = kind == 1;
    switch (r->mode) {
    case NET_FULL:
        return NULL;
    case NET_ALLOWED:
        /* An allowlist names hosts: an address in any spelling matches
         * none of them (it would skip the name's own resolution). */
        if (t->is_ip)
            return "ip-literal-not-allowlisted";
        return net_allow_match(r->allow, r->n_allow, t->host, port)
                   ? NULL
                   : "not-allowlisted";
    default:
        return "no-egress";
    }
}

bool egress_name_allowed(const struct egress_rules *r, const char *host)
{
    switch (r->mode) {
    case NET_FULL:
        return true;
    case NET_ALLOWED:
        /* Each entry asked on a port it names: the same name rules as a
         * connection's, so the stub answers exactly the names some
         * connection could then be allowed to. */
        for (size_t i = 0; i < r->n_allow; i++) {
            const struct net_allow *e = &r->allow[i];
            uint16_t port = e->any_port ? 1 : e->port ? e->port : 443;
            if (net_allow_match(e, 1, host, port))
                return true;
        }
        return false;
    default:
        return false;
    }
}

const char *egress_addr_check(const struct egress_rules *r,
                              const struct net_addr *a, char *buf, size_t len)
{
    /* Checked as what is dialled: an IPv4-mapped address is IPv4. */
    struct net_addr v = net_addr_unmap(a);
    for (size_t i = 0; i < r->n_host; i++) {
        const struct net_addr *h = &r->host_addrs[i];
        if (h->family == v.family &&
            memcmp(h->b, v.b, v.family == AF_INET ? 4 : 16) == 0) {
            snprintf(buf, len, "host-address");
            return buf;
        }
    }
    const struct net_range *blk = net_addr_blocked(&v);
    if (!blk)
        return NULL;
    /* private_ranges opens a private range the user named; never the
     * metadata service, loopback or "this network". */
    for (size_t i = 0; !blk->always && i < r->n_private; i++)
        if (net_cidr_contains(&r->private_ranges[i], &v))
            return NULL;
    snprintf(buf, len, "blocked-range:%s", blk->cidr);
    return buf;
}
