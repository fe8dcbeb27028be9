/* inside.c — coco-inside: the part of coco that runs inside a podman or
 * docker container, between the engine's init and the tool.
 *
 *   coco-inside [--tool NAME] -- COMMAND [ARGS...]
 *
 * The engines start the tool under their own seccomp profile, which does
 * not know coco's walls (no setuid/setgid modes on files the host will
 * run, no new user namespaces, no keyrings, no TIOCSTI ...).  This program
 * loads the very filter the native sandbox loads -- the BPF that
 * tools/gen_seccomp compiled from the table in src/native/seccomp.c -- on
 * top of the engine's (filters stack: the strictest answer wins), then
 * execs the tool.  One table, every backend.
 *
 * It is static, allocation-free and small, so it runs in any image, and it
 * is built without sanitizers even in a sanitizer build (the image has no
 * libasan).  coco bind-mounts it read-only into the container and makes it
 * the entrypoint; the tool cannot replace or skip it, and the filter is
 * inherited by everything the tool starts.
 *
 * Exit status: the tool's (it is exec'd); 125 when the filter cannot be
 * loaded (the engine did not set no_new_privs: refuse rather than run the
 * tool unfiltered); 126 found but not executable; 127 not found.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp_bpf.h"

/* The default PATH when the image sets none (as the engines use). */
#define INSIDE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *tool = "tool";

static __attribute__((noreturn, format(printf, 2, 3))) void
die(int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Escape control characters: the command comes from a config. */
    fputs("coco: ", stderr);
    for (const unsigned char *c = (const unsigned char *)msg; *c; c++) {
        if (*c < 0x20 || *c == 0x7f)
            fprintf(stderr, "\\x%02x", *c);
        else
            fputc(*c, stderr);
    }
    fputc('\n', stderr);
    exit(code);
}

static void load_filter(void)
{
    struct sock_fprog prog = {
        .len = (unsigned short)(sizeof seccomp_compiled_prog /
                                sizeof seccomp_compiled_prog[0]),
        .filter = (struct sock_filter *)seccomp_compiled_prog,
    };
    /* The engine sets no_new_privs (coco passes no-new-privileges);
     * setting it again is harmless and makes the load possible without
     * CAP_SYS_ADMIN even if an engine forgot. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die(125, "%s: cannot set no_new_privs in the container: %s", tool,
            strerror(errno));
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
        return;
    if (errno == ENOSYS &&
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
        return;
    die(125, "%s: cannot load coco's seccomp filter in the container: %s; "
        "refusing to run the tool without it", tool, strerror(errno));
}

/* execvp with one PATH rule (coco's everywhere): relative PATH entries,
 * which would follow the working directory the tool controls, are
 * skipped. */
static __attribute__((noreturn)) void exec_tool(char **argv)
{
    const char *path = getenv("PATH");
    char cand[4096];
    int noexec = 0;

    if (!path || !*path)
        path = INSIDE_PATH;
    if (strchr(argv[0], '/')) {
        execv(argv[0], argv);
        int e = errno;
        die(e == ENOENT || e == ENOTDIR ? 127 : 126,
            "%s: cannot run %s in the container: %s", tool, argv[0],
            strerror(e));
    }
    for (const char *d = path; *d;) {
        const char *end = strchrnul(d, ':');
        size_t n = (size_t)(end - d);
        if (n > 0 && d[0] == '/' && n + 2 + strlen(argv[0]) < sizeof cand) {
            memcpy(cand, d, n);
            cand[n] = '/';
            strcpy(cand + n + 1, argv[0]);
            execv(cand, argv);
            if (errno == EACCES || errno == ENOEXEC || errno == EPERM)
                noexec = errno;
        }
        d = *end ? end + 1 : end;
    }
    if (noexec)
        die(126, "%s: %s is not executable in the container: %s", tool,
            argv[0], strerror(noexec));
    die(127, "%s: command \"%s\" not found in the container's PATH (%s)",
        tool, argv[0], path);
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (strcmp(argv[i], "--tool") == 0 && i + 1 < argc)
            tool = argv[++i];
        else
            die(125, "coco-inside: unknown argument \"%s\" (usage: "
                "coco-inside [--tool NAME] -- COMMAND [ARGS...])", argv[i]);
    }
    if (i >= argc || !argv[i][0])
        die(127, "%s: no command to run", tool);
    load_filter();
    exec_tool(argv + i);
}
