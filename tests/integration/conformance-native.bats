#!/usr/bin/env bats
# conformance-native.bats — conformance.bash's behaviours on the native
# backend, coco invoked by root (the tool runs as 65534; idmapped mounts
# keep its files root's).

bats_require_minimum_version 1.5.0
load helpers
load conformance

setup_file() {
    if [[ $(id -u) -ne 0 ]]; then
        export CONF_SKIP="the native root conformance suite runs as root"
        return 0
    fi
    CONF_SKIP=$(cf_helpers_missing)
    export CONF_SKIP
}

setup() {
    [[ -z ${CONF_SKIP:-} ]] || skip "$CONF_SKIP"
    common_setup
    CONF_BACKEND=native CONF_RUNTIME=native CONF_IMAGE= CONF_ROOT=1
    CONF_UID=0 CONF_GID=0 CONF_COCO=$COCO CW=$WORK CONF_DATA=$XDG_DATA_HOME
    cf_setup
}

teardown() {
    cf_teardown
    common_teardown
}

# as_caller CMD...: root, in the workspace.
as_caller() {
    # shellcheck disable=SC2086  # CONF_ENV: NAME=VALUE words
    (cd "$CW" && env ${CONF_ENV:-} COCO_RUNTIME=native XDG_DATA_HOME="$CONF_DATA" "$@")
}

@test "conformance native: the caller's environment is cleared, pid 1's included" {
    conf_env_cleared
}

@test "conformance native: no capabilities" {
    conf_no_capabilities
}

@test "conformance native: no_new_privs, a seccomp filter, setuid gives nothing" {
    conf_no_new_privs
}

@test "conformance native: seccomp refuses keyctl, new user namespaces, TIOCSTI and TIOCLINUX" {
    conf_seccomp_denials
}

@test "conformance native: socket families a tool has no use for are refused" {
    conf_socket_families
}

@test "conformance native: the root file system is read-only, /tmp writable" {
    conf_readonly_root
}

@test "conformance native: the workspace is writable and what the tool makes there is the caller's" {
    conf_workspace_owned
}

@test "conformance native: protected host-executed files hold" {
    conf_protected_files
}

@test "conformance native: host processes are invisible and out of reach" {
    conf_no_host_processes
}

@test "conformance native: host sockets (loopback TCP, abstract, path) are unreachable" {
    conf_no_host_sockets
}

@test "conformance native: the tool's processes are never host uid 0" {
    conf_never_host_root
}

@test "conformance native: limits.memory stops a memory hog" {
    conf_memory_limit
}

@test "conformance native: limits.pids stops a fork bomb" {
    conf_pids_limit
}

@test "conformance native: limits.timeout: exit 124, nothing left" {
    conf_timeout
}

@test "conformance native: limits.output: exit 125 at the cap" {
    conf_output_limit
}

@test "conformance native: exit codes: the tool's, 128+N, 125 for a bad config" {
    conf_exit_codes
}

@test "conformance native: exit 127 for a missing command, 126 for one not executable" {
    conf_exit_not_found
}

@test "conformance native: signals to coco reach the tool" {
    conf_signal_forwarding
}

@test "conformance native: network none: loopback only, no route" {
    conf_network_none
}

@test "conformance native: allowed_hosts: only coco's egress proxy, which refuses other names" {
    conf_egress_allowed_hosts
}
