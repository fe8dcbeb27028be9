/* addrspec.h — "ADDR:PORT" or "[V6]:PORT" into a socket address, for the
 * test servers (webserv.c, dnsserv.c).  Header-only: each helper is one
 * static program built from its own .c file. */
#ifndef COCO_TEST_ADDRSPEC_H
#define COCO_TEST_ADDRSPEC_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Parse SPEC into SS (length *SL, family *FAMILY).  0, or -1. */
static inline int addrspec_parse(const char *spec, struct sockaddr_storage *ss,
                                 socklen_t *sl, int *family)
{
    char host[64];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host)
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    uint16_t port = (uint16_t)atoi(colon + 1);
    memset(ss, 0, sizeof *ss);
    if (host[0] == '[') {
        size_t hl = strlen(host);
        if (hl < 3 || host[hl - 1] != ']')
            return -1;
        host[hl - 1] = '\0';
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
            return -1;
        *family = AF_INET6;
        *sl = sizeof *s6;
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
        return -1;
    *family = AF_INET;
    *sl = sizeof *s4;
    return 0;
}

#endif
