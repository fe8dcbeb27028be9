/* dns.h — coco's DNS wire code, pure: bytes and text in, verdicts out.
 *
 * coco links statically (no NSS), so the egress proxy resolves the names
 * it may dial itself (dns_build_query(), dns_parse_answer(), with the
 * servers of dns_resolv_conf_parse() and dns_hosts_lookup() first), and
 * inside a sandbox a stub answers the tool's own lookups
 * (dns_stub_parse_query(), dns_stub_reply(), dns_fake_*() for
 * transparent capture).  Nothing here opens a socket or reads a file:
 * callers pass the bytes.  Every byte of a message is hostile: the tool
 * writes queries, and anyone on the path can write replies.
 */
#ifndef COCO_NET_DNS_H
#define COCO_NET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5

/* Longest CNAME chain dns_parse_answer() follows from the asked name. */
#define DNS_CNAME_CHAIN_MAX 8

/* --- the proxy's resolver side ---------------------------------------- */

/* Write into BUF (LEN bytes; 12 + 255 + 4 = 271 is always enough) a
 * query with id ID, RD set, class IN, type QTYPE, for NAME: a canonical
 * name (labels of 1..63 bytes of [a-z0-9_-], upper case folded, total at
 * most 253 bytes, one trailing dot tolerated).  Returns the query's
 * length, or -1 when NAME is no such name or BUF is too small. */
int dns_build_query(uint8_t *buf, size_t len, uint16_t id, const char *name,
                    uint16_t qtype);

/* What a reply said besides its addresses. */
struct dns_answer_info {
    int rcode;       /* the header's RCODE (DNS_RCODE_*) */
    bool truncated;  /* TC: ask again over TCP for the full answer */
    uint32_t ttl;    /* lowest TTL of the records used (CNAMEs followed,
                        addresses returned); 0 when none was used */
};

/* Parse MSG (LEN bytes) as the reply to the query (ID, NAME, QTYPE) that
 * dns_build_query() wrote.  It must have QR set, opcode 0, id ID and
 * exactly one question, NAME (ASCII case-insensitive) type QTYPE class
 * IN.  Collects into OUT[0..MAX) (A -> AF_INET, AAAA -> AF_INET6, only
 * records of type QTYPE and class IN) the addresses whose owner is NAME
 * or a CNAME target reached from NAME through this message's answer
 * section (at most DNS_CNAME_CHAIN_MAX links); records of any other
 * owner are ignored.  Returns 0 with *N and *INFO filled (whatever the
 * rcode: an NXDOMAIN is a reply), or -1 when MSG is not a well-formed
 * reply to this query and the caller should ignore it: short or
 * mismatched header or question, a compression pointer that does not
 * point strictly backwards (loops), a name over 255 bytes, a record of
 * the answer section running past the end (whatever ANCOUNT claims), a
 * CNAME whose target overruns its RDATA, A RDLENGTH != 4 or AAAA != 16.
 * The authority and additional sections are not read. */
int dns_parse_answer(const uint8_t *msg, size_t len, uint16_t id,
                     const char *name, uint16_t qtype, struct net_addr *out,
                     size_t max, size_t *n, struct dns_answer_info *info);

/* Parse /etc/resolv.conf text TEXT (LEN bytes, need not end in NUL):
 * the address of each "nameserver ADDRESS" line, IPv4 or IPv6 literal
 * (net_addr_parse(); a zone "%eth0" is refused, a name skipped), into
 * SERVERS[0..MAX) in file order; lines starting with '#' or ';' and
 * anything after either on a line are comments.  glibc uses the first 3:
 * pass MAX 3.  Returns 0 (*N may be 0: the caller's default then). */
int dns_resolv_conf_parse(const char *text, size_t len,
                          struct net_addr *servers, size_t max, size_t *n);

/* Look NAME up in /etc/hosts text TEXT (LEN bytes): every line
 * "ADDRESS NAME [ALIAS...]" naming NAME as its name or an alias (ASCII
 * case-insensitive, trailing dots ignored on both sides) adds ADDRESS
 * (an IP literal, net_addr_parse()) to OUT[0..MAX), each address once,
 * in file order; '#' starts a comment.  Returns 0 (*N may be 0). */
int dns_hosts_lookup(const char *text, size_t len, const char *name,
                     struct net_addr *out, size_t max, size_t *n);

/* --- the stub inside the sandbox -------------------------------------- */

/* One question a tool asked. */
struct dns_question {
    uint16_t id;
    char name[256];  /* lower case, no trailing dot; "" is the root */
    uint16_t qtype, qclass;
    bool rd;
};

/* Parse MSG (LEN bytes) as a query: QR clear, opcode 0, QDCOUNT 1, a
 * name of labels of 1..63 bytes of [A-Za-z0-9_-] (folded to lower case
 * in Q->name, at most 253 bytes as text) without compression pointers,
 * a type and a class other than 0.  Other sections (an EDNS OPT record)
 * are ignored.  Returns 0 with Q filled; -2 when the query is refused
 * but its 12-byte header was readable: Q->id and Q->rd set, Q->qclass 0
 * (so dns_stub_reply() writes no question), answer with
 * dns_stub_error_rcode(); -1 when not even the header was there (no
 * answer). */
int dns_stub_parse_query(const uint8_t *msg, size_t len,
                         struct dns_question *q);

/* The rcode for a query dns_stub_parse_query() refused with -2:
 * DNS_RCODE_NOTIMP for an opcode other than 0, else DNS_RCODE_FORMERR. */
int dns_stub_error_rcode(const uint8_t *msg, size_t len);

/* Write into OUT (OUTLEN bytes; 12 + 259 + 28 = 299 is always enough)
 * the reply to Q: Q->id, QR and RA set, RD copied from Q, RCODE (0..15);
 * the question re-encoded from Q (none when Q->qclass is 0); and when A
 * is not NULL one answer (type A for an AF_INET A, AAAA for AF_INET6;
 * owner the pointer 0xC00C to the question; class IN; TTL).  Returns the
 * length, or -1 (OUT too small, bad RCODE or family, Q->name no name). */
int dns_stub_reply(const struct dns_question *q, int rcode,
                   const struct net_addr *a, uint32_t ttl, uint8_t *out,
                   size_t outlen);

/* --- fake addresses for transparent capture --------------------------- */

/* Names handed out 198.18.0.0/15 addresses (RFC 2544 benchmarking: never
 * routed) so the capture side can tell which name a connection meant.
 * Never .0 or .255, never 198.18.0.0/24 (coco's own). */
#define DNS_FAKE_MAX 4096
#define DNS_FAKE_SPACE (1u << 17)  /* addresses in 198.18.0.0/15 */

/* The table: about 1.3 MiB, so static or heap, not the stack.  One run's
 * mapping: an address once handed out always means the same name. */
struct dns_fake {
    uint32_t n;                            /* names handed out */
    uint16_t slot[DNS_FAKE_SPACE];         /* address index -> name+1 */
    char names[DNS_FAKE_MAX][254];         /* canonical, no trailing dot */
};

/* Empty F. */
void dns_fake_init(struct dns_fake *f);

/* The fake address of NAME (ASCII case folded, one trailing dot
 * dropped, 1..253 bytes, no NUL) into OUT, handing out a new one the
 * first time: the name's hash, then the next free address (linear
 * probe), so a name gets the same address in every run that asks the
 * same names in the same order.  0, or -1 when F holds DNS_FAKE_MAX
 * names already or NAME is empty or too long. */
int dns_fake_get(struct dns_fake *f, const char *name, struct net_addr *out);

/* The name fake address A was handed out for (owned by F), or NULL when
 * A is not one F handed out. */
const char *dns_fake_name(const struct dns_fake *f, const struct net_addr *a);

#endif
