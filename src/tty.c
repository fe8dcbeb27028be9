/* tty.c — the tool's own terminal: a pty coco relays to the user's.  See
 * tty.h for why; the relay loop itself is in supervise.c.
 *
 * Which terminal is "the user's": the first of stdin, stdout, stderr that
 * is one.  Each of the three that is that same terminal becomes the pty's
 * slave for the tool; one that is a different terminal (rare: `2>/dev/pts/9`)
 * is never handed over either, the caller gives the tool a pipe for it.
 *
 * Keys are relayed, in raw mode, only when stdin and stdout both are the
 * terminal (an interactive run, podman's -i -t): then Ctrl-C, Ctrl-\ and
 * Ctrl-Z reach the pty as bytes, where the pty's line discipline (set up
 * with the user's own modes) signals the tool's foreground process group,
 * not coco.  Ctrl-Z thus suspends jobs of a shell run as the tool, never
 * coco; the tool itself, a session leader whose parent (init) is outside
 * its session, is an orphaned process group, for which the kernel
 * discards stop signals from the terminal.  Otherwise the user's terminal keeps its modes and signals
 * (coco and init forward them), and coco does not read it: in
 * `coco run x | less`, less reads the keys and sets the modes, and a
 * second reader in raw mode would steal its keys and leave the terminal
 * raw.  The tool's stdin is then a terminal that gets no input.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "tty.h"

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Same character device as the user's terminal? */
static bool same_tty(int fd, const struct stat *user)
{
    struct stat st;
    return isatty(fd) && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
           st.st_rdev == user->st_rdev;
}

/* Where the pty's output goes: the user's terminal through stdout or
 * stderr when one of them is it; else stdin when it was opened for
 * writing too (a login terminal is); else a new descriptor of it. */
static void pick_out(struct tty_relay *t)
{
    if (t->std[1]) {
        t->out = STDOUT_FILENO;
        return;
    }
    if (t->std[2]) {
        t->out = STDERR_FILENO;
        return;
    }
    int fl = fcntl(t->user, F_GETFL);
    if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY) {
        t->out = t->user;
        return;
    }
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", t->user);
    t->out = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    t->out_opened = t->out >= 0;
}

int tty_relay_open(struct tty_relay *t, coco_err *err)
{
    struct stat user;
    struct termios modes;

    *t = (struct tty_relay)TTY_RELAY_INIT;
    for (int fd = 0; fd < 3 && t->user < 0; fd++)
        if (isatty(fd) && fstat(fd, &user) == 0)
            t->user = fd;
    if (t->user < 0)
        return 0;  /* no terminal: nothing changes */
    for (int fd = 0; fd < 3; fd++) {
        t->std[fd] = same_tty(fd, &user);
        t->other_tty[fd] = !t->std[fd] && isatty(fd);
    }

    t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (t->master < 0)
        return err_set(err, errno, "cannot give the tool a terminal of its "
                       "own (/dev/ptmx); run coco with stdin, stdout and "
                       "stderr away from the terminal");
    if (grantpt(t->master) < 0 || unlockpt(t->master) < 0 ||
        ptsname_r(t->master, t->slave_path, sizeof t->slave_path) != 0) {
        err_set(err, errno, "set up the tool's pty");
        goto fail;
    }
    /* O_NOCTTY: the pty becomes the tool's controlling terminal, never
     * coco's.  Above 2 so dup2 onto stdio cannot clobber it. */
    int s = open(t->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s >= 0 && s < 3) {
        t->slave = fcntl(s, F_DUPFD_CLOEXEC, 3);
        close(s);
    } else {
        t->slave = s;
    }
    if (t->slave < 0) {
        err_set(err, errno, "open %s", t->slave_path);
        goto fail;
    }

    /* The tool starts with the user's modes (erase key, ISIG, ...) and
     * window size, as ssh and script(1) do. */
    bool have_modes = tcgetattr(t->user, &modes) == 0;
    if (have_modes)
        tcsetattr(t->slave, TCSANOW, &modes);
    tty_relay_winsize(t);
    fcntl(t->master, F_SETFL, fcntl(t->master, F_GETFL) | O_NONBLOCK);
    pick_out(t);

    if (t->std[0] && t->std[1]) {
        t->in = STDIN_FILENO;
        t->saved = modes;
        t->want_raw = have_modes;
    }
    return 0;

fail:
    tty_relay_close(t);
    return -1;
}

int tty_relay_child(const struct tty_relay *t)
{
    /* A new session in every case: the tool must not share the user's
     * terminal as its controlling terminal (no /dev/tty to it, no
     * signals to coco's process group). */
    if (setsid() < 0)
        return -1;
    if (t->master < 0)
        return 0;
    if (ioctl(t->slave, TIOCSCTTY, 0) < 0)
        return -1;
    for (int fd = 0; fd < 3; fd++)
        if (t->std[fd] && dup2(t->slave, fd) < 0)
            return -1;
    return 0;
}

void tty_relay_winsize(const struct tty_relay *t)
{
    struct winsize ws;
    if (t->master >= 0 && ioctl(t->user, TIOCGWINSZ, &ws) == 0)
        ioctl(t->master, TIOCSWINSZ, &ws);
}

void tty_relay_raw(struct tty_relay *t)
{
    if (!t->want_raw)
        return;
    struct termios raw = t->saved;
    cfmakeraw(&raw);
    /* TCSANOW: keys typed ahead stay queued for the tool. */
    if (tcsetattr(t->user, TCSANOW, &raw) == 0)
        t->raw = true;
}

void tty_relay_restore(struct tty_relay *t)
{
    if (!t->raw)
        return;
    /* Even from a background process group (SIGTTOU would stop coco
     * with the terminal still raw). */
    sigset_t ttou, old;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &old);
    tcsetattr(t->user, TCSANOW, &t->saved);
    sigprocmask(SIG_SETMASK, &old, NULL);
    t->raw = t->want_raw = false;
}

void tty_relay_close(struct tty_relay *t)
{
    tty_relay_restore(t);
    close_fd(&t->slave);
    close_fd(&t->master);
    if (t->out_opened)
        close_fd(&t->out);
    t->out = -1;
    t->out_opened = false;
}
