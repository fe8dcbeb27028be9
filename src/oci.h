/* oci.h — the podman and docker backends.
 *
 * oci_build_argv() is pure: policy in, argument vector out (golden-tested,
 * one argument per line).  Environment values never appear in the argument
 * vector: the builder emits "-e NAME" and returns "NAME=value" in ENV_OUT
 * for the runner to place in the engine's own environment.  Names that the
 * engine itself would read (LD_*, DOCKER_*, CONTAINERS_*, PATH, HOME ...)
 * must not be set in the engine's environment, so those go to ENVFILE_OUT
 * ("NAME=value\n" lines) and the argv carries "--env-file=/dev/fd/3"; the
 * runner puts that content in a memfd on descriptor 3.
 */
#ifndef COCO_OCI_H
#define COCO_OCI_H

#include "net.h"
#include "policy.h"

/* Descriptor the env file is passed on (see above). */
#define OCI_ENVFILE_FD 3
/* Descriptor coco's seccomp profile (seccomp_profile.h) is passed on, as
 * --security-opt=seccomp=/dev/fd/4: both clients read the file. */
#define OCI_SECCOMP_FD 4

/* Under egress (net_policy_proxied()), EG is the run's (net.h): coco's
 * binary and the socket's directory are bound in and the relay is the
 * entrypoint.  EG NULL there (a dry run, the goldens): these stand in. */
#define OCI_EGRESS_DIR_SHOWN "/tmp/coco-egress.XXXXXX"
#define OCI_COCO_SHOWN "/usr/local/bin/coco"

int oci_build_argv(const struct policy *p, const struct egress *eg,
                   struct strvec *argv, struct strvec *env_out,
                   struct strvec *envfile_out, coco_err *err);

/* Run P with podman or docker, EG its egress (NULL unless
 * net_policy_proxied(P)): spawns and supervises the engine, stops and
 * removes the container at a limit, and returns the exit code to use
 * (124 for a timeout), or -1 with ERR. */
int oci_run(const struct policy *p, const struct egress *eg, coco_err *err);

/* oci_run() as `coco run` makes it: with P's egress proxy on its unix
 * socket and the relay in the container when P's network goes through
 * the proxy (net_policy_proxied), the proxy stopped and its socket
 * removed however the run ends.  The one way to run P on an engine, for
 * a tool and for an install's phases alike. */
int oci_run_egress(const struct policy *p, coco_err *err);

/* Engine program for KIND ("podman"/"docker") from PATH, or NULL. */
char *oci_find_engine(enum runtime_kind kind);

#endif
