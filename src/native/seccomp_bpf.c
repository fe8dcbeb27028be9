/* seccomp_bpf.c — load the seccomp filter that tools/gen_seccomp compiled
 * from the table at build time (see seccomp.c for the table and why each
 * call is denied).  The program is the same libseccomp would build at run
 * time; test_native checks that byte for byte. */
#include <errno.h>

#include "native_int.h"
#include "seccomp_profile.h"
#include "seccomp_bpf.h"
#include "sys.h"

const struct sock_filter *seccomp_compiled(size_t *len)
{
    *len = sizeof seccomp_compiled_prog / sizeof seccomp_compiled_prog[0];
    return seccomp_compiled_prog;
}

int seccomp_load_compiled(coco_err *err)
{
    if (seccomp_load_prog(seccomp_compiled_prog, sizeof seccomp_compiled_prog /
                                                   sizeof seccomp_compiled_prog[0]) < 0)
        return err_set(err, errno, "load the seccomp filter");
    return 0;
}

const char *seccomp_oci_profile(void)
{
    return seccomp_compiled_oci;
}
