/* caps.c — the tool runs with no capabilities at all, and cannot get any
 * back: every set emptied (bounding, ambient, effective, permitted,
 * inheritable) and no_new_privs set, so neither a setuid binary nor file
 * capabilities on an executable grant anything after execve.
 */
#include <sys/capability.h>
#include <grp.h>
#include <sys/prctl.h>

#include "native_int.h"

static int caps_drop(bool set_ids, uid_t uid, gid_t gid, bool keep_kill,
                     bool drop_bounding, coco_err *err);

int caps_drop_all(bool set_ids, uid_t uid, gid_t gid, coco_err *err)
{
    return caps_drop(set_ids, uid, gid, false, true, err);
}

int caps_drop_init(bool keep_kill, coco_err *err)
{
    return caps_drop(false, 0, 0, keep_kill, false, err);
}

static int caps_drop(bool set_ids, uid_t uid, gid_t gid, bool keep_kill,
                     bool drop_bounding, coco_err *err)
{
    /* The bounding set first: dropping from it needs CAP_SETPCAP, which
     * the next step removes. */
    /* init never calls execve, and the bounding set only limits what
     * execve can grant: only the tool needs it emptied. */
    for (int c = 0; c < 64 && drop_bounding; c++) {
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break;  /* past the last capability this kernel has */
            return err_set(err, errno, "drop capability %d from the "
                           "bounding set", c);
        }
    }
    /* coco run by root: become the unprivileged tool user now, while
     * CAP_SETUID/CAP_SETGID are still there; no supplementary groups
     * (root's would be kept otherwise). */
    if (set_ids) {
        if (setgroups(0, NULL) < 0)
            return err_set(err, errno, "setgroups");
        if (setresgid(gid, gid, gid) < 0)
            return err_set(err, errno, "setresgid %u", (unsigned)gid);
        if (setresuid(uid, uid, uid) < 0)
            return err_set(err, errno, "setresuid %u", (unsigned)uid);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
        errno != EINVAL)
        return err_set(err, errno, "clear the ambient capabilities");
    cap_t caps = cap_init();
    if (!caps)
        return err_set(err, errno, "cap_init");
    if (keep_kill) {
        cap_value_t k = CAP_KILL;
        cap_set_flag(caps, CAP_EFFECTIVE, 1, &k, CAP_SET);
        cap_set_flag(caps, CAP_PERMITTED, 1, &k, CAP_SET);
    }
    int r = cap_set_proc(caps);
    int e = errno;
    cap_free(caps);
    if (r < 0)
        return err_set(err, e, "drop all capabilities");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return err_set(err, errno, "set no_new_privs");
    return 0;
}
