/* confine_bpf.c — load the egress proxy's seccomp filter that
 * tools/gen_seccomp compiled from the table in confine.c at build time. */
#include "net.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "egress_bpf.h"

const struct sock_filter *egress_confine_compiled(size_t *len)
{
    *len = sizeof egress_confine_prog / sizeof egress_confine_prog[0];
    return egress_confine_prog;
}

int egress_proxy_confine(coco_err *err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return err_set(err, errno, "egress proxy: no_new_privs");
    struct sock_fprog prog = {
        .len = (unsigned short)(sizeof egress_confine_prog /
                                sizeof egress_confine_prog[0]),
        .filter = (struct sock_filter *)egress_confine_prog,
    };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
        return 0;
    if (errno == ENOSYS &&
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
        return 0;
    return err_set(err, errno, "egress proxy: load its seccomp filter");
}
