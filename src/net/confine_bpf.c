/* confine_bpf.c — load the egress proxy's seccomp filter that
 * tools/gen_seccomp compiled from the table in confine.c at build time. */
#include "net.h"

#include <errno.h>
#include <linux/filter.h>
#include <sys/prctl.h>

#include "egress_bpf.h"
#include "sys.h"

const struct sock_filter *egress_confine_compiled(size_t *len)
{
    *len = sizeof egress_confine_prog / sizeof egress_confine_prog[0];
    return egress_confine_prog;
}

int egress_proxy_confine(coco_err *err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return err_set(err, errno, "egress proxy: no_new_privs");
    if (seccomp_load_prog(egress_confine_prog, sizeof egress_confine_prog /
                                                   sizeof egress_confine_prog[0]) < 0)
        return err_set(err, errno, "egress proxy: load its seccomp filter");
    return 0;
}
