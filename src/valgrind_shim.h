/* valgrind_shim.h — RUNNING_ON_VALGRIND where valgrind's header exists,
 * else 0: the few places whose behaviour valgrind cannot follow (a
 * CLONE_VM child, a wiped environment block, a seccomp filter that
 * would kill valgrind's own system calls) ask it. */
#ifndef COCO_VALGRIND_SHIM_H
#define COCO_VALGRIND_SHIM_H

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#endif
