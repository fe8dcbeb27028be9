/* fuzz_host.c — libFuzzer target for the one canonical form of a host
 * (net/allow.c, net/addr.c): what a hostile tool writes as the host of
 * a CONNECT, an absolute URL or a SOCKS5 domain, and what a config
 * lists in allowed_hosts.
 *
 * Checked: a host accepted as a name is lower-case [a-z0-9-] labels of at
 * most 63 bytes joined by single dots, at most 253 bytes, and
 * canonicalising it again changes nothing; one accepted as an address
 * is canonical text that parses back to the same address and
 * canonicalises to itself; an allowlist entry's canonical text parses
 * back to the same entry, and the entry matches its own host (or, for a
 * wildcard, a subdomain of it) on its port and never the look-alike
 * "x" + host.
 *
 * Built with -DCOCO_LIBFUZZER by `make fuzz`; otherwise replay.h's
 * main() replays the corpus in `make check`. */
#include <stdint.h>
#include <string.h>

#include "net.h"
#include "fuzz.h"

static void check_name(const char *s)
{
    size_t n = strlen(s), lab = 0;
    if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
        __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (lab == 0)
                __builtin_trap();
            lab = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
            if (++lab > 63)
                __builtin_trap();
        } else {
            __builtin_trap();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2048)
        return 0;
    char in[2049];
    memcpy(in, data, size);
    in[size] = '\0';

    char out[256], again[256];
    struct net_addr a, b;
    const char *why = NULL;
    int r = net_host_canon(in, size, out, sizeof out, &a, &why);
    if (r < 0 && !why)
        __builtin_trap();
    if (r == 0) {
        check_name(out);
        if (net_host_canon(out, strlen(out), again, sizeof again, NULL, &why) != 0 ||
            strcmp(out, again) != 0)
            __builtin_trap();
    } else if (r == 1) {
        if (net_addr_parse(out, &b) != 1 || b.family != a.family ||
            memcmp(a.b, b.b, a.family == AF_INET ? 4 : 16) != 0)
            __builtin_trap();
        if (net_host_canon(out, strlen(out), again, sizeof again, NULL, &why) != 1 ||
            strcmp(out, again) != 0)
            __builtin_trap();
    }

    if (memchr(data, '\0', size))
        return 0;
    struct net_allow e, e2;
    if (net_allow_parse(in, &e) == NULL) {
        char text[300];
        net_allow_format(&e, text, sizeof text);
        if (net_allow_parse(text, &e2) != NULL || strcmp(e.host, e2.host) != 0 ||
            e.wildcard != e2.wildcard || e.port != e2.port ||
            e.any_port != e2.any_port)
            __builtin_trap();
        check_name(e.host);
        uint16_t port = e.port ? e.port : 443;
        char host[300], look[300];
        snprintf(host, sizeof host, "%s%s", e.wildcard ? "w." : "", e.host);
        snprintf(look, sizeof look, "x%s", e.host);
        if (!net_allow_match(&e, 1, host, port) || net_allow_match(&e, 1, look, port))
            __builtin_trap();
        if (e.wildcard && net_allow_match(&e, 1, e.host, port))
            __builtin_trap();  /* the apex is not a subdomain */
    }
    return 0;
}

#ifndef COCO_LIBFUZZER
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_args(argc, argv);
}
#endif
