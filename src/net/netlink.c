/* netlink.c — the two changes transparent capture makes to a fresh
 * network namespace, with rtnetlink (no `ip` binary: the sandbox has
 * none of the host's programs it did not ask for):
 *
 *   - a "local" default route on lo (ip route add local default dev lo):
 *     every address is local, so a connection to any address on port 443
 *     reaches the listener bound to the wildcard address on 443, and
 *     getsockname() on the accepted socket tells which address the tool
 *     dialled — no NAT, no iptables, no packet leaves;
 *   - one non-loopback address on lo, so that glibc's AI_ADDRCONFIG
 *     believes there is a network and resolves names at all.
 *
 * See net.h. */
#include "net.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct nlreq {
    struct nlmsghdr nh;
    union {
        struct rtmsg rt;
        struct ifaddrmsg ifa;
    } u;
    char attrs[64];
};

static void add_attr(struct nlreq *r, unsigned short type, const void *data,
                     size_t len)
{
    struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send R and read the kernel's acknowledgement. */
static int nl_talk(struct nlreq *r, const char *what, coco_err *err)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return err_set(err, errno, "%s: netlink socket", what);
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    r->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    r->nh.nlmsg_seq = 1;
    if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        return err_set(err, e, "%s: netlink send", what);
    }
    char buf[1024];
    ssize_t n;
    do
        n = recv(fd, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    if (n < (ssize_t)sizeof(struct nlmsghdr))
        return err_set(err, n < 0 ? e : EPROTO, "%s: netlink reply", what);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (h->nlmsg_type == NLMSG_ERROR &&
        (size_t)n >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
        struct nlmsgerr *ne = NLMSG_DATA(h);
        if (ne->error)
            return err_set(err, -ne->error, "%s", what);
        return 0;
    }
    return err_set(err, EPROTO, "%s: unexpected netlink reply", what);
}

int net_local_default_route(int family, coco_err *err)
{
    unsigned lo = if_nametoindex("lo");
    if (!lo)
        return err_set(err, errno, "no loopback interface");
    struct nlreq r;
    memset(&r, 0, sizeof r);
    r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    r.nh.nlmsg_type = RTM_NEWROUTE;
    r.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    r.u.rt.rtm_family = (unsigned char)family;
    r.u.rt.rtm_dst_len = 0;
    r.u.rt.rtm_table = RT_TABLE_LOCAL;
    r.u.rt.rtm_protocol = RTPROT_BOOT;
    r.u.rt.rtm_scope = RT_SCOPE_HOST;
    r.u.rt.rtm_type = RTN_LOCAL;
    uint32_t table = RT_TABLE_LOCAL;
    add_attr(&r, RTA_TABLE, &table, sizeof table);
    uint32_t oif = lo;
    add_attr(&r, RTA_OIF, &oif, sizeof oif);
    return nl_talk(&r, family == AF_INET ? "add the local IPv4 default route"
                                         : "add the local IPv6 default route",
                   err);
}

int net_lo_add_addr(const struct net_addr *a, unsigned prefix, coco_err *err)
{
    unsigned lo = if_nametoindex("lo");
    if (!lo)
        return err_set(err, errno, "no loopback interface");
    struct nlreq r;
    memset(&r, 0, sizeof r);
    r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    r.nh.nlmsg_type = RTM_NEWADDR;
    r.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    r.u.ifa.ifa_family = (unsigned char)a->family;
    r.u.ifa.ifa_prefixlen = (unsigned char)prefix;
    r.u.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    r.u.ifa.ifa_index = lo;
    size_t len = a->family == AF_INET ? 4 : 16;
    add_attr(&r, IFA_LOCAL, a->b, len);
    add_attr(&r, IFA_ADDRESS, a->b, len);
    return nl_talk(&r, "add an address to loopback", err);
}

int net_lo_up(coco_err *err)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    if (s < 0)
        return err_set(err, errno, "socket for loopback");
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(s);
    return r < 0 ? err_set(err, e, "bring up loopback") : 0;
}
