/* tty.h — a terminal of the tool's own: when coco runs on a terminal,
 * the tool gets a new pty instead of the user's terminal, and coco relays
 * between the two (as `podman run -t`, ssh and script(1) do).
 *
 * Nothing the tool does to a terminal (termios, raw mode, the line
 * discipline, TIOCEXCL, the window size, and on a Linux VT the KD and VT
 * ioctls) can then outlive the run: it only ever reaches the pty, which
 * disappears with it.  A denylist could not name all of that.
 *
 * Usage (the native backend):
 *     tty_relay_open(&t, err)      before the child exists: opens the pty,
 *                                  copies termios and size to it
 *     tty_relay_raw(&t)            the user's terminal in raw mode (once
 *                                  the signals coco handles are blocked)
 *     tty_relay_child(&t)          in the child: new session, the slave as
 *                                  controlling terminal and stdio
 *     supervise_wait()             relays (supervise.c)
 *     tty_relay_close(&t)          restores the user's terminal, closes
 *
 * coco keeps a descriptor of the slave itself until the end, so the
 * master never reads EOF (EIO) while the tool runs, and the hangup that
 * closing the master means comes only after the tool is gone: a relay
 * that closed the master at the first EIO would kill, with SIGHUP, a tool
 * that has closed its stdio but not yet exited (cat does, at EOF).
 *
 * Descriptors are close-on-exec.
 */
#ifndef COCO_TTY_H
#define COCO_TTY_H

#include <stdbool.h>
#include <termios.h>

#include "util.h"

struct tty_relay {
    int master;          /* coco's end of the pty (non-blocking), or -1:
                            no standard descriptor is a terminal */
    int slave;           /* the tool's end (coco keeps one: see above) */
    char slave_path[64]; /* e.g. /dev/pts/7 (shown as /dev/console) */
    int user;            /* the user's terminal: a descriptor of 0, 1, 2 */
    int in;              /* where keys come from (0: stdin and stdout are
                            the terminal), or -1 */
    int out;             /* where the pty's output goes, or -1 (dropped) */
    bool out_opened;     /* OUT was opened here: close it */
    bool std[3];         /* the tool's descriptor i is the slave */
    bool other_tty[3];   /* descriptor i is another terminal than USER:
                            never handed to the tool (give it a pipe) */
    bool want_raw;       /* IN is set: coco reads the keys, raw */
    bool raw;            /* SAVED must be restored on USER */
    struct termios saved;
};

#define TTY_RELAY_INIT {.master = -1, .slave = -1, .user = -1, .in = -1, \
                        .out = -1}

/* When any of stdin, stdout, stderr is a terminal: open a pty with that
 * terminal's modes and size.  Otherwise leave T->master at -1 and do
 * nothing else.  0, or -1 with ERR (T is then closed). */
int tty_relay_open(struct tty_relay *t, coco_err *err);

/* In the child, before anything of the tool runs: a new session with
 * the slave as its controlling terminal and as each descriptor T->std[]
 * marks.  -1 with errno on failure. */
int tty_relay_child(const struct tty_relay *t);

/* Copy the user's window size to the pty (the kernel sends the tool
 * SIGWINCH when it changed). */
void tty_relay_winsize(const struct tty_relay *t);

/* When coco reads the keys (stdin and stdout are the terminal), put the
 * terminal in raw mode: every key becomes a byte for the pty.  Again after SIGCONT: the shell may have reset the
 * terminal while coco was stopped. */
void tty_relay_raw(struct tty_relay *t);

/* Give the user's terminal back its modes, exactly as they were.  Safe
 * to call more than once. */
void tty_relay_restore(struct tty_relay *t);

/* Restore, then close every descriptor.  Safe to call more than once. */
void tty_relay_close(struct tty_relay *t);

#endif
