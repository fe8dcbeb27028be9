/* test_tty.c — the tool's own terminal (tty.c): which descriptors become
 * the pty, when the user's terminal goes raw, and that it gets its modes
 * back exactly.  Each case runs in a child whose stdio is a pty the test
 * makes (the "user's terminal"), judged by the parent through its own
 * descriptor of that pty. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

#include "tty.h"

struct term {
    int master, slave;
    char name[64];
};

static void term_open(struct term *t)
{
    t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(t->master >= 0);
    assert_int_equal(grantpt(t->master), 0);
    assert_int_equal(unlockpt(t->master), 0);
    assert_int_equal(ptsname_r(t->master, t->name, sizeof t->name), 0);
    t->slave = open(t->name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(t->slave >= 0);
    struct winsize ws = {.ws_row = 31, .ws_col = 97};
    ioctl(t->slave, TIOCSWINSZ, &ws);
}

static bool same_modes(const struct termios *a, const struct termios *b)
{
    return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
           a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
           memcmp(a->c_cc, b->c_cc, sizeof a->c_cc) == 0;
}

/* In a child: stdin (and stdout when OUT_TOO) on T's slave, stdout
 * elsewhere otherwise; open the relay, go raw, and report through the
 * exit code what it saw (bit 0: stdin became the pty, 1: stdout did,
 * 2: the user's terminal was raw, 3: the pty had the user's size and
 * modes, 4: the modes were back after close). */
static int child(struct term *t, bool out_too)
{
    struct termios before, during, now;
    int nul = open("/dev/null", O_WRONLY);
    dup2(t->slave, 0);
    dup2(out_too ? t->slave : nul, 1);
    dup2(nul, 2);
    tcgetattr(0, &before);

    struct tty_relay r;
    coco_err err = {0};
    if (tty_relay_open(&r, &err) < 0 || r.master < 0)
        return 100;
    tty_relay_raw(&r);
    int bits = (r.std[0] ? 1 : 0) | (r.std[1] ? 2 : 0);
    tcgetattr(0, &during);
    if (!(during.c_lflag & (ICANON | ECHO | ISIG)))
        bits |= 4;
    struct winsize ws = {0};
    struct termios pty;
    ioctl(r.slave, TIOCGWINSZ, &ws);
    tcgetattr(r.slave, &pty);
    if (ws.ws_row == 31 && ws.ws_col == 97 && same_modes(&pty, &before))
        bits |= 8;
    /* a SIGCONT after the shell reset the terminal: raw again */
    tty_relay_raw(&r);
    tty_relay_close(&r);
    tty_relay_close(&r);  /* twice is harmless */
    tcgetattr(0, &now);
    if (same_modes(&now, &before))
        bits |= 16;
    return bits;
}

static int run_child(struct term *t, bool out_too)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child(t, out_too));
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_interactive_goes_raw_and_comes_back(void **state)
{
    (void)state;
    struct term t;
    term_open(&t);
    struct termios before, after;
    tcgetattr(t.slave, &before);
    assert_int_equal(run_child(&t, true), 1 | 2 | 4 | 8 | 16);
    tcgetattr(t.slave, &after);
    assert_true(same_modes(&before, &after));
    close(t.slave);
    close(t.master);
}

/* `coco run x | less`: stdin still becomes a terminal of the tool's own,
 * but coco leaves the user's terminal alone (less reads its keys). */
static void test_stdout_piped_stays_cooked(void **state)
{
    (void)state;
    struct term t;
    term_open(&t);
    assert_int_equal(run_child(&t, false), 1 | 8 | 16);
    close(t.slave);
    close(t.master);
}

/* No terminal at all: nothing is opened. */
static void test_no_terminal_no_pty(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(nul, 2);
        struct tty_relay r;
        coco_err err = {0};
        int rc = tty_relay_open(&r, &err);
        _exit(rc == 0 && r.master < 0 && r.user < 0 ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interactive_goes_raw_and_comes_back),
        cmocka_unit_test(test_stdout_piped_stays_cooked),
        cmocka_unit_test(test_no_terminal_no_pty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
