#!/usr/bin/env bats
# conformance-native-user.bats — conformance.bash's behaviours on the
# native backend, coco invoked by a normal user (TESTUSER, made with
# useradd when missing, run with runuser and nothing of root's
# environment): the tool runs as that user in a user namespace.

bats_require_minimum_version 1.5.0
load helpers
load conformance

TESTUSER=${COCO_TEST_USER:-cocotest}

setup_file() {
    if [[ $(id -u) -ne 0 ]]; then
        export CONF_SKIP="these tests create a user and run as root"
        return 0
    fi
    if ! id "$TESTUSER" >/dev/null 2>&1; then
        useradd -m "$TESTUSER" || {
            export CONF_SKIP="useradd $TESTUSER failed"
            return 0
        }
    fi
    CONF_SKIP=$(cf_helpers_missing)
    export CONF_SKIP
}

setup() {
    [[ -z ${CONF_SKIP:-} ]] || skip "$CONF_SKIP"
    common_setup
    user_dirs
    CONF_BACKEND=native-user CONF_RUNTIME=native CONF_IMAGE= CONF_ROOT=0
    CONF_UID=$(id -u "$TESTUSER") CONF_GID=$(id -g "$TESTUSER")
    CONF_COCO=$COCO CW=$UWORK CONF_DATA=$UDATA
    cf_setup
}

teardown() {
    cf_teardown
    common_teardown
}

# as_caller CMD...: the test user, in its workspace, with its own
# environment only.
as_caller() {
    # shellcheck disable=SC2086  # CONF_ENV: NAME=VALUE words
    (cd "$CW" && runuser -u "$TESTUSER" -- env -i PATH=/usr/bin:/bin \
        HOME="$UHOME" XDG_DATA_HOME="$CONF_DATA" TERM=dumb ${CONF_ENV:-} \
        COCO_RUNTIME=native "$@")
}

@test "conformance native-user: the caller's environment is cleared, pid 1's included" {
    conf_env_cleared
}

@test "conformance native-user: no capabilities" {
    conf_no_capabilities
}

@test "conformance native-user: no_new_privs, a seccomp filter, setuid gives nothing" {
    conf_no_new_privs
}

@test "conformance native-user: seccomp refuses keyctl, new user namespaces, TIOCSTI and TIOCLINUX" {
    conf_seccomp_denials
}

@test "conformance native-user: socket families a tool has no use for are refused" {
    conf_socket_families
}

@test "conformance native-user: the root file system is read-only, /tmp writable" {
    conf_readonly_root
}

@test "conformance native-user: the workspace is writable and what the tool makes there is the caller's" {
    conf_workspace_owned
}

@test "conformance native-user: protected host-executed files hold" {
    conf_protected_files
}

@test "conformance native-user: host processes are invisible and out of reach" {
    conf_no_host_processes
}

@test "conformance native-user: host sockets (loopback TCP, abstract, path) are unreachable" {
    conf_no_host_sockets
}

@test "conformance native-user: the tool's processes are never host uid 0" {
    conf_never_host_root
}

@test "conformance native-user: limits.memory stops a memory hog" {
    conf_memory_limit
}

@test "conformance native-user: limits.pids stops a fork bomb" {
    conf_pids_limit
}

@test "conformance native-user: limits.timeout: exit 124, nothing left" {
    conf_timeout
}

@test "conformance native-user: limits.output: exit 125 at the cap" {
    conf_output_limit
}

@test "conformance native-user: exit codes: the tool's, 128+N, 125 for a bad config" {
    conf_exit_codes
}

@test "conformance native-user: exit 127 for a missing command, 126 for one not executable" {
    conf_exit_not_found
}

@test "conformance native-user: signals to coco reach the tool" {
    conf_signal_forwarding
}

@test "conformance native-user: network none: loopback only, no route" {
    conf_network_none
}

@test "conformance native-user: allowed_hosts: only coco's egress proxy, which refuses other names" {
    conf_egress_allowed_hosts
}
