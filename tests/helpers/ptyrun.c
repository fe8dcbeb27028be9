/* ptyrun.c — the test's own terminal: run a command on a new pty, the way a
 * terminal emulator runs a shell, and afterwards judge from the outside
 * what the command left of that terminal (issue 6 item 9).
 *
 *   ptyrun [-o OUT] [-i INPUT [-m MARKER | -d MS]] [-t SECONDS] -- CMD...
 *
 * The command gets the pty's slave as its controlling terminal and as
 * stdin, stdout and stderr (a new session, as a login shell has).
 * ptyrun keeps a descriptor of the slave open itself, as the user's shell
 * would, copies everything the master receives to OUT, and writes INPUT
 * to the master once MARKER has appeared in the output, or MS
 * milliseconds after the start (default 500).  INPUT takes \r \n \\
 * and \xHH escapes: \x03 is Ctrl-C, \x04 Ctrl-D.  After the command
 * exits, ptyrun prints, on its own stdout:
 *
 *   ptyrun: status N           exit code, 128+N for a signal, 124 timeout
 *   ptyrun: bytes N            bytes the master received
 *   ptyrun: reopen ok|ERRNO    a new open of the slave by name
 *   ptyrun: excl 0|1           exclusive mode (TIOCGEXCL)
 *   ptyrun: ldisc N            line discipline (0 = N_TTY)
 *   ptyrun: termios same|changed
 *   ptyrun: winsize same|changed ROWSxCOLS
 *
 * Every wait is bounded (-t, default 60 s; the command is then killed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef TIOCGEXCL
#define TIOCGEXCL _IOR('T', 0x40, int)
#endif

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t unescape(const char *in, char *out, size_t max)
{
    size_t n = 0;
    for (const char *p = in; *p && n < max; p++) {
        if (*p != '\\' || !p[1]) {
            out[n++] = *p;
            continue;
        }
        p++;
        if (*p == 'r')
            out[n++] = '\r';
        else if (*p == 'n')
            out[n++] = '\n';
        else if (*p == 'x' && p[1] && p[2]) {
            char hex[3] = {p[1], p[2], 0};
            out[n++] = (char)strtol(hex, NULL, 16);
            p += 2;
        } else
            out[n++] = *p;
    }
    return n;
}

static bool same_termios(const struct termios *a, const struct termios *b)
{
    return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
           a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
           memcmp(a->c_cc, b->c_cc, sizeof a->c_cc) == 0;
}

int main(int argc, char **argv)
{
    const char *outfile = NULL, *marker = NULL, *input = NULL;
    long timeout_s = 60, delay_ms = 500;
    int opt;

    while ((opt = getopt(argc, argv, "+o:m:i:d:t:")) != -1) {
        switch (opt) {
        case 'o': outfile = optarg; break;
        case 'm': marker = optarg; break;
        case 'i': input = optarg; break;
        case 'd': delay_ms = atol(optarg); break;
        case 't': timeout_s = atol(optarg); break;
        default:
            fprintf(stderr, "usage: ptyrun [-o OUT] [-i INPUT [-m MARKER | "
                    "-d MS]] [-t SECONDS] -- CMD [ARGS...]\n");
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "ptyrun: no command\n");
        return 2;
    }

    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
        perror("ptyrun: posix_openpt");
        return 2;
    }
    char name[128];
    if (ptsname_r(master, name, sizeof name) != 0) {
        perror("ptyrun: ptsname");
        return 2;
    }
    /* Our own descriptor of the slave, held for the whole run like the
     * user's shell holds its terminal. */
    int keep = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (keep < 0) {
        perror("ptyrun: open slave");
        return 2;
    }
    struct winsize ws0 = {.ws_row = 33, .ws_col = 77};
    ioctl(keep, TIOCSWINSZ, &ws0);
    struct termios t0;
    tcgetattr(keep, &t0);

    pid_t pid = fork();
    if (pid < 0) {
        perror("ptyrun: fork");
        return 2;
    }
    if (pid == 0) {
        setsid();
        int s = open(name, O_RDWR);  /* becomes the controlling terminal */
        if (s < 0) {
            perror("ptyrun: child open slave");
            _exit(127);
        }
        ioctl(s, TIOCSCTTY, 0);
        dup2(s, 0);
        dup2(s, 1);
        dup2(s, 2);
        if (s > 2)
            close(s);
        execvp(argv[optind], argv + optind);
        perror("ptyrun: exec");
        _exit(127);
    }

    FILE *out = outfile ? fopen(outfile, "w") : NULL;
    char seen[4096] = "";  /* tail of the output, for MARKER */
    size_t seen_n = 0;
    bool sent = !input;
    long long bytes = 0, start = now_ms();
    long long deadline = start + timeout_s * 1000;
    int status = -1;
    bool exited = false, timed_out = false;
    long long quiet_until = 0;
    char buf[65536];

    fcntl(master, F_SETFL, O_NONBLOCK);
    for (;;) {
        struct pollfd pf = {.fd = master, .events = POLLIN};
        int r = poll(&pf, 1, 100);
        if (r > 0 && (pf.revents & (POLLIN | POLLHUP))) {
            ssize_t n = read(master, buf, sizeof buf);
            if (n > 0) {
                bytes += n;
                if (out)
                    fwrite(buf, 1, (size_t)n, out);
                /* keep the last bytes for the marker search */
                for (ssize_t i = 0; i < n; i++) {
                    if (seen_n == sizeof seen - 1) {
                        memmove(seen, seen + 1024, seen_n - 1024);
                        seen_n -= 1024;
                    }
                    seen[seen_n++] = buf[i] ? buf[i] : ' ';
                }
                seen[seen_n] = '\0';
                if (exited)
                    quiet_until = now_ms() + 300;
            }
        }
        if (!sent && (marker ? strstr(seen, marker) != NULL
                             : now_ms() >= start + delay_ms)) {
            char in[1024];
            size_t k = unescape(input, in, sizeof in);
            if (write(master, in, k) != (ssize_t)k)
                perror("ptyrun: write input");
            sent = true;
        }
        if (!exited) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                exited = true;
                status = WIFEXITED(st) ? WEXITSTATUS(st)
                                       : 128 + WTERMSIG(st);
                quiet_until = now_ms() + 300;
            } else if (now_ms() > deadline) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                exited = timed_out = true;
                status = 124;
                quiet_until = now_ms() + 300;
            }
        } else if (now_ms() > quiet_until || now_ms() > deadline + 5000) {
            break;  /* drained: nothing more for 300 ms */
        }
    }
    if (out)
        fclose(out);

    printf("ptyrun: status %d%s\n", status, timed_out ? " (timeout)" : "");
    printf("ptyrun: bytes %lld\n", bytes);
    int fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0) {
        printf("ptyrun: reopen ok\n");
        close(fd);
    } else {
        printf("ptyrun: reopen %s\n", strerrorname_np(errno));
    }
    int excl = -1, ld = -1;
    ioctl(keep, TIOCGEXCL, &excl);
    ioctl(keep, TIOCGETD, &ld);
    printf("ptyrun: excl %d\n", excl);
    printf("ptyrun: ldisc %d\n", ld);
    struct termios t1;
    tcgetattr(keep, &t1);
    printf("ptyrun: termios %s\n", same_termios(&t0, &t1) ? "same" : "changed");
    struct winsize ws1 = {0};
    ioctl(keep, TIOCGWINSZ, &ws1);
    printf("ptyrun: winsize %s %ux%u\n",
           ws1.ws_row == ws0.ws_row && ws1.ws_col == ws0.ws_col ? "same"
                                                                : "changed",
           ws1.ws_row, ws1.ws_col);
    return 0;
}
