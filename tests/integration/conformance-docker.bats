#!/usr/bin/env bats
# conformance-docker.bats — conformance.bash's behaviours on docker: a
# private dockerd (dockerd_start in helpers.bash), coco invoked by root,
# on the base image.

bats_require_minimum_version 1.5.0
load helpers
load conformance

setup_file() {
    if [[ $(id -u) -ne 0 ]]; then
        export DOCKER_SKIP="docker: the suite starts its own dockerd as root"
        return 0
    fi
    DOCKER_SKIP=$(cf_helpers_missing)
    export DOCKER_SKIP
    [[ -z $DOCKER_SKIP ]] || return 0
    dockerd_start
}

teardown_file() {
    [[ -n ${DOCKER_SKIP:-} ]] || cf_engine_cleanup docker
    dockerd_stop
}

setup() {
    [[ -z ${DOCKER_SKIP:-} ]] || skip "$DOCKER_SKIP"
    cf_root_engine_setup docker
}

teardown() {
    cf_teardown
    common_teardown
}

# as_caller CMD...: root, in the workspace (for docker: the private dockerd).
as_caller() { cf_root_engine_caller docker "$@"; }

@test "conformance docker: the caller's environment is cleared, pid 1's included" {
    conf_env_cleared
}

@test "conformance docker: no capabilities" {
    conf_no_capabilities
}

@test "conformance docker: no_new_privs, a seccomp filter, setuid gives nothing" {
    conf_no_new_privs
}

@test "conformance docker: seccomp refuses keyctl, new user namespaces, TIOCSTI and TIOCLINUX" {
    conf_seccomp_denials
}

@test "conformance docker: socket families a tool has no use for are refused" {
    conf_socket_families
}

@test "conformance docker: the root file system is read-only, /tmp writable" {
    conf_readonly_root
}

@test "conformance docker: the workspace is writable and what the tool makes there is the caller's" {
    conf_workspace_owned
}

@test "conformance docker: protected host-executed files hold" {
    conf_protected_files
}

@test "conformance docker: host processes are invisible and out of reach" {
    conf_no_host_processes
}

@test "conformance docker: host sockets (loopback TCP, abstract, path) are unreachable" {
    conf_no_host_sockets
}

@test "conformance docker: the tool's processes are never host uid 0" {
    conf_never_host_root
}

@test "conformance docker: limits.memory stops a memory hog" {
    conf_memory_limit
}

@test "conformance docker: limits.pids stops a fork bomb" {
    conf_pids_limit
}

@test "conformance docker: limits.timeout: exit 124, nothing left" {
    conf_timeout
}

@test "conformance docker: limits.output: exit 125 at the cap" {
    conf_output_limit
}

@test "conformance docker: exit codes: the tool's, 128+N, 125 for a bad config" {
    conf_exit_codes
}

@test "conformance docker: exit 127 for a missing command, 126 for one not executable" {
    conf_exit_not_found
}

@test "conformance docker: signals to coco reach the tool" {
    conf_signal_forwarding
}

@test "conformance docker: network none: loopback only, no route" {
    conf_network_none
}

@test "conformance docker: allowed_hosts: only coco's egress proxy, which refuses other names" {
    conf_egress_allowed_hosts
}
