/* native.h — coco's own sandbox: clone() into new namespaces, a fresh root
 * on tmpfs, seccomp, no capabilities, limits, a small init as pid 1. */
#ifndef COCO_NATIVE_H
#define COCO_NATIVE_H

#include "policy.h"

/* True when this machine lets coco create the native sandbox (user or
 * root namespaces, mount API ...).  Cheap enough to call on every run. */
bool native_available(void);

/* Run P in the native sandbox; returns the exit code to use (the tool's,
 * 124 timeout, 128+N signal) or -1 with ERR for a setup failure (125). */
int native_run(const struct policy *p, coco_err *err);

/* --dry-run / coco show: describe the sandbox (mounts, env, limits,
 * seccomp table) in plain words. */
void native_describe(const struct policy *p, FILE *out);

#endif
