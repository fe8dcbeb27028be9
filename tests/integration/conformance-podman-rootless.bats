#!/usr/bin/env bats
# conformance-podman-rootless.bats — conformance.bash's behaviours on
# rootless podman: coco invoked by the ordinary user RL_USER
# (rootless.bash makes it, its storage and the eslint image in it), with
# nothing of root's environment.

bats_require_minimum_version 1.5.0
load helpers
load rootless
load conformance

setup_file() {
    mapfile -t RL_TOOLS < <(cf_tools)
    rl_setup_file
    [[ -n ${RL_SKIP:-} ]] || {
        RL_SKIP=$(cf_helpers_missing)
        export RL_SKIP
    }
}

teardown_file() {
    mapfile -t RL_TOOLS < <(cf_tools)
    rl_teardown_file
}

setup() {
    [[ -z ${RL_SKIP:-} ]] || skip "$RL_SKIP"
    common_setup
    # The test tree is reachable by the user; the workspace is its own.
    chmod 0755 "$TEST_TMP"
    CONF_BACKEND=podman-rootless CONF_RUNTIME=podman
    CONF_IMAGE=$TEST_ESLINT_IMAGE CONF_ENGINE_CMD=rl_podman CONF_ROOT=0
    CONF_UID=$RL_UID CONF_GID=$RL_GID CONF_COCO=$RL_COCO
    CW=$WORK CONF_DATA=$XDG_DATA_HOME
    cf_setup
}

teardown() {
    [[ -z ${RL_SKIP:-} ]] || return 0
    cf_teardown
    common_teardown
}

# as_caller CMD...: the rootless user, in the workspace, with its own
# environment only (rootless.bash's rl_env).
as_caller() {
    local -a e
    mapfile -t e < <(rl_env)
    # shellcheck disable=SC2086  # CONF_ENV: NAME=VALUE words
    (cd "$CW" && runuser -u "$RL_USER" -- env -i "${e[@]}" \
        XDG_DATA_HOME="$CONF_DATA" ${CONF_ENV:-} COCO_RUNTIME=podman "$@")
}

@test "conformance podman-rootless: the caller's environment is cleared, pid 1's included" {
    conf_env_cleared
}

@test "conformance podman-rootless: no capabilities" {
    conf_no_capabilities
}

@test "conformance podman-rootless: no_new_privs, a seccomp filter, setuid gives nothing" {
    conf_no_new_privs
}

@test "conformance podman-rootless: seccomp refuses keyctl, new user namespaces, TIOCSTI and TIOCLINUX" {
    conf_seccomp_denials
}

@test "conformance podman-rootless: socket families a tool has no use for are refused" {
    conf_socket_families
}

@test "conformance podman-rootless: the root file system is read-only, /tmp writable" {
    conf_readonly_root
}

@test "conformance podman-rootless: the workspace is writable and what the tool makes there is the caller's" {
    conf_workspace_owned
}

@test "conformance podman-rootless: protected host-executed files hold" {
    conf_protected_files
}

@test "conformance podman-rootless: host processes are invisible and out of reach" {
    conf_no_host_processes
}

@test "conformance podman-rootless: host sockets (loopback TCP, abstract, path) are unreachable" {
    conf_no_host_sockets
}

@test "conformance podman-rootless: the tool's processes are never host uid 0" {
    conf_never_host_root
}

@test "conformance podman-rootless: limits.memory stops a memory hog" {
    conf_memory_limit
}

@test "conformance podman-rootless: limits.pids stops a fork bomb" {
    conf_pids_limit
}

@test "conformance podman-rootless: limits.timeout: exit 124, nothing left" {
    conf_timeout
}

@test "conformance podman-rootless: limits.output: exit 125 at the cap" {
    conf_output_limit
}

@test "conformance podman-rootless: exit codes: the tool's, 128+N, 125 for a bad config" {
    conf_exit_codes
}

@test "conformance podman-rootless: a missing or not executable command fails with the reason (exit 1: podman's init)" {
    conf_exit_not_found
}

@test "conformance podman-rootless: signals to coco reach the tool" {
    conf_signal_forwarding
}

@test "conformance podman-rootless: network none: loopback only, no route" {
    conf_network_none
}

@test "conformance podman-rootless: allowed_hosts: only coco's egress proxy, which refuses other names" {
    conf_egress_allowed_hosts
}
