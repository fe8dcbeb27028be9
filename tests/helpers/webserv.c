/* webserv.c — the egress tests' "internet": a tiny HTTP server that runs
 * inside a network namespace the test creates, listening on the test's
 * own addresses (a public-looking 198.51.100.x, a LAN 10.x, a fake
 * metadata 169.254.169.254).  Every answer names the address and port
 * that took the connection, so a test sees exactly which host a request
 * reached, from the host side.
 *
 *   webserv SECONDS ADDR:PORT...
 *
 * Prints "webserv: ready" once every listener is bound, answers each
 * connection with "HTTP/1.0 200 OK" and the body "hello from ADDR:PORT\n"
 * (after reading the request head, at most 8 KiB or 2 s), one at a time,
 * and exits after SECONDS: never left running by a test that forgot it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTEN 32

static int listen_on(const char *spec)
{
    char host[64];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host)
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(fd, 64) < 0) {
        perror(spec);
        return -1;
    }
    return fd;
}

static void serve(int c)
{
    char buf[8192];
    size_t n = 0;
    struct pollfd p = {.fd = c, .events = POLLIN};
    while (n < sizeof buf - 1 && poll(&p, 1, 2000) > 0) {
        ssize_t r = read(c, buf + n, sizeof buf - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    struct sockaddr_in me;
    socklen_t ml = sizeof me;
    char addr[INET_ADDRSTRLEN] = "?";
    if (getsockname(c, (struct sockaddr *)&me, &ml) == 0)
        inet_ntop(AF_INET, &me.sin_addr, addr, sizeof addr);
    char body[128], out[256];
    int bl = snprintf(body, sizeof body, "hello from %s:%u\n", addr,
                      ntohs(me.sin_port));
    int ol = snprintf(out, sizeof out, "HTTP/1.0 200 OK\r\nContent-Length: "
                      "%d\r\nConnection: close\r\n\r\n%s", bl, body);
    if (write(c, out, (size_t)ol) != ol)
        perror("write");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: webserv SECONDS ADDR:PORT...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int secs = atoi(argv[1]);
    struct pollfd fds[MAX_LISTEN];
    int n = 0;
    for (int i = 2; i < argc && n < MAX_LISTEN; i++) {
        int fd = listen_on(argv[i]);
        if (fd < 0)
            return 1;
        fds[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
    }
    printf("webserv: ready\n");
    fflush(stdout);
    time_t end = time(NULL) + secs;
    while (time(NULL) < end) {
        if (poll(fds, (nfds_t)n, 500) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (!(fds[i].revents & POLLIN))
                continue;
            int c = accept4(fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0) {
                serve(c);
                close(c);
            }
        }
    }
    return 0;
}
