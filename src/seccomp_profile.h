/* seccomp_profile.h — coco's one seccomp table (src/native/seccomp.c), as the
 * podman and docker backends take it.
 *
 * The native sandbox loads the table as BPF compiled at build time.  The
 * engines load a profile in the OCI/docker JSON format themselves, before
 * the container's first program runs: nothing in the image can skip it
 * (an entrypoint inside the container could be redirected by an image
 * that plants symlinks and volumes on its path).
 */
#ifndef COCO_SECCOMP_PROFILE_H
#define COCO_SECCOMP_PROFILE_H

#include "util.h"

/* The table as an OCI seccomp profile (JSON text):
 *
 *   - default deny (EPERM): only calls this build's libseccomp can name
 *     for the native architecture are allowed, so a call newer than the
 *     engine's libseccomp (fchmodat2, whose mode the table checks) is
 *     refused rather than let through unfiltered;
 *   - every row of the table denied (clone3 and openat2 with ENOSYS, so
 *     libc falls back);
 *   - rows with argument rules allowed only where the native filter
 *     allows them (mode without setuid/setgid bits, clone/unshare without
 *     CLONE_NEW*, ioctl requests other than TIOCSTI/TIOCLINUX in the low
 *     32 bits, personality only PER_LINUX or the query), each written as
 *     single comparisons, which every engine reads the same way.
 *
 * Built by tools/gen_seccomp at build time, like the BPF: a run only
 * hands the string over (building it costs most of a millisecond). */
const char *seccomp_oci_profile(void);

/* Build that profile from the table with libseccomp (newly allocated), or
 * NULL with ERR when libseccomp cannot resolve the table: for
 * tools/gen_seccomp and the test that compares the two. */
char *seccomp_oci_profile_build(coco_err *err);

#endif
