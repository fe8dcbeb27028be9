#!/usr/bin/env bats
# conformance-podman.bats — conformance.bash's behaviours on rootful
# podman (runc, tests/images/containers.conf), coco invoked by root, on
# the base image (tests/images/build.sh makes it offline).

bats_require_minimum_version 1.5.0
load helpers
load conformance

setup_file() {
    set -o pipefail
    if [[ $(id -u) -ne 0 ]]; then
        export CONF_SKIP="rootful podman: the suite runs as root"
        return 0
    fi
    if ! command -v podman >/dev/null; then
        export CONF_SKIP="podman is not installed"
        return 0
    fi
    CONF_SKIP=$(cf_helpers_missing)
    export CONF_SKIP
    [[ -z $CONF_SKIP ]] || return 0
    podman image exists "$TEST_BASE_IMAGE" ||
        "$REPO_ROOT/tests/images/build.sh" podman base 2>&1 | tap_comment
}

teardown_file() {
    [[ -n ${CONF_SKIP:-} ]] || cf_engine_cleanup podman
}

setup() {
    [[ -z ${CONF_SKIP:-} ]] || skip "$CONF_SKIP"
    cf_root_engine_setup podman
}

teardown() {
    cf_teardown
    common_teardown
}

# as_caller CMD...: root, in the workspace (for docker: the private dockerd).
as_caller() { cf_root_engine_caller podman "$@"; }

@test "conformance podman: the caller's environment is cleared, pid 1's included" {
    conf_env_cleared
}

@test "conformance podman: no capabilities" {
    conf_no_capabilities
}

@test "conformance podman: no_new_privs, a seccomp filter, setuid gives nothing" {
    conf_no_new_privs
}

@test "conformance podman: seccomp refuses keyctl, new user namespaces, TIOCSTI and TIOCLINUX" {
    conf_seccomp_denials
}

@test "conformance podman: socket families a tool has no use for are refused" {
    conf_socket_families
}

@test "conformance podman: the root file system is read-only, /tmp writable" {
    conf_readonly_root
}

@test "conformance podman: the workspace is writable and what the tool makes there is the caller's" {
    conf_workspace_owned
}

@test "conformance podman: protected host-executed files hold" {
    conf_protected_files
}

@test "conformance podman: host processes are invisible and out of reach" {
    conf_no_host_processes
}

@test "conformance podman: host sockets (loopback TCP, abstract, path) are unreachable" {
    conf_no_host_sockets
}

@test "conformance podman: the tool's processes are never host uid 0" {
    conf_never_host_root
}

@test "conformance podman: limits.memory stops a memory hog" {
    conf_memory_limit
}

@test "conformance podman: limits.pids stops a fork bomb" {
    conf_pids_limit
}

@test "conformance podman: limits.timeout: exit 124, nothing left" {
    conf_timeout
}

@test "conformance podman: limits.output: exit 125 at the cap" {
    conf_output_limit
}

@test "conformance podman: exit codes: the tool's, 128+N, 125 for a bad config" {
    conf_exit_codes
}

@test "conformance podman: a missing or not executable command fails with the reason (exit 1: podman's init)" {
    conf_exit_not_found
}

@test "conformance podman: signals to coco reach the tool" {
    conf_signal_forwarding
}

@test "conformance podman: network none: loopback only, no route" {
    conf_network_none
}

@test "conformance podman: allowed_hosts: only coco's egress proxy, which refuses other names" {
    conf_egress_allowed_hosts
}
