# tests/integration/conformance.bash — the one list of behaviours every
# backend is held to (issue 10).  Each conf_NAME function is one
# behaviour; each backend's file (conformance-native.bats,
# conformance-native-user.bats, conformance-podman.bats,
# conformance-podman-rootless.bats, conformance-docker.bats) calls every
# one of them in an @test of its own, and docs.bats checks that none is
# missing there or from README's table "What each backend guarantees".
#
# Behaviours are judged from the host where they can be: the owner of a
# file the tool made (stat), the uid of the tool's process (/proc), a host
# process that survives, host listeners the tool cannot reach.  The tool
# is tests/helpers/hostile (static, so it runs in any image), copied into
# the workspace; `hostile facts` prints the ids, capability, no_new_privs
# and seccomp lines and the interfaces in one run.
#
# A backend file sets, in setup(), before cf_setup:
#   CONF_BACKEND   its name in messages ("native", "podman-rootless" ...)
#   CONF_RUNTIME   native | podman | docker
#   CONF_IMAGE     the image (containers), empty for native
#   CONF_ENGINE_CMD  containers: the engine as the caller runs it
#   CONF_UID, CONF_GID   the invoking user (the caller) on the host
#   CONF_ROOT      1 when the caller is root
#   CONF_COCO      the coco binary the caller runs
#   CW             the workspace (the caller's), CONF_DATA its XDG_DATA_HOME
# and defines as_caller CMD...: CMD as the caller, in CW, with the
# caller's environment only (plus CONF_ENV, NAME=VALUE words), coco's
# runtime set to CONF_RUNTIME.

# bats sets lines, output and status in `run`.
# shellcheck disable=SC2154

# cf_helpers_missing: why the helpers the behaviours need cannot run
# (empty when they can).
cf_helpers_missing() {
    [[ -x $COCO_TEST_HELPERS/hostile && -x $COCO_TEST_HELPERS/netprobe ]] ||
        echo "$COCO_TEST_HELPERS/hostile or netprobe is not built (make tests-bin)"
}

# cf_setup: the hostile helper and netprobe in the workspace, the
# caller's config directory; everything the caller's.
cf_setup() {
    cp "$COCO_TEST_HELPERS/hostile" "$CW/hostile"
    cp "$COCO_TEST_HELPERS/netprobe" "$CW/netprobe"
    chmod 0755 "$CW/hostile" "$CW/netprobe"
    # CS: where the caller's shell writes pid files and captured output
    CS=$TEST_TMP/conf-scratch
    mkdir -p "$CONF_DATA/coco/tools" "$CS"
    chown -R "$CONF_UID:$CONF_GID" "$CW" "$CONF_DATA" "$CS"
    CONF_BG=
}

# cf_teardown: end what a behaviour left running in the background.
cf_teardown() {
    local p
    for p in ${CONF_BG:-}; do
        kill -KILL "$p" 2>/dev/null || true
    done
}

# cf_cfg NAME [EXTRA-JSON [COMMAND]]: the caller's config NAME running
# COMMAND (default the hostile helper) with the workspace mounted.
cf_cfg() {
    local name=$1 extra=${2:-} cmd=${3:-/workspace/hostile} json f
    json="{\"command\": \"$cmd\", \"runtime\": \"$CONF_RUNTIME\","
    [[ -n $CONF_IMAGE ]] && json+=" \"image\": \"$CONF_IMAGE\","
    json+=" \"mounts\": [{\"src\": \".\", \"dst\": \"/workspace\"}]"
    [[ -n $extra ]] && json+=", $extra"
    json+='}'
    f=$CONF_DATA/coco/tools/$name.json
    printf '%s\n' "$json" >"$f"
    chmod 0644 "$f"
    chown "$CONF_UID:$CONF_GID" "$f"
}

# cf_coco ARGS...: `coco run ARGS` as the caller.
cf_coco() { as_caller "$CONF_COCO" run "$@"; }

# cf_bg OUT PIDFILE ARGS...: `coco run ARGS` as the caller in the
# background, output to OUT; coco's own pid lands in PIDFILE (the
# caller's shell writes it, then becomes coco).
cf_bg() {
    local out=$1 pidfile=$2
    shift 2
    # shellcheck disable=SC2016  # expanded by the caller's shell
    as_caller /bin/sh -c 'echo $$ >"$0" && exec "$@"' "$pidfile" \
        "$CONF_COCO" run "$@" >"$out" 2>&1 &
    CONF_BG+=" $!"
    CF_LAST=$!
}

# cf_blocked ERRNO: the hostile attack in $output/$status was refused,
# with ERRNO when given.
cf_blocked() {
    if [[ $status -ne 1 || $output != *": blocked"* ]]; then
        echo "$CONF_BACKEND: attack NOT blocked (status $status):" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
    [[ -z ${1:-} ]] || assert_contains "blocked: $1"
}

# cf_ok: the hostile call in $output/$status worked.
cf_ok() {
    if [[ $status -ne 0 || $output != *": ok"* ]]; then
        echo "$CONF_BACKEND: expected success (status $status):" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}

# cf_no_container NAME: containers only: no container of config NAME is
# left (bounded wait), in the caller's engine (CONF_ENGINE_CMD).
cf_no_container() {
    [[ $CONF_RUNTIME == native ]] || wait_no_container "$CONF_ENGINE_CMD" "coco-$1-"
}

# cf_rootless_v1_limits: on rootless podman with cgroup v1 the kernel
# gives an unprivileged user no cgroup to limit: podman ignores memory
# and pids and says so.  Skip with that reason, after checking podman
# really says it (so a change is noticed).
cf_rootless_v1_limits() {
    [[ $CONF_BACKEND == podman-rootless ]] || return 0
    [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]] || return 0
    cf_cfg conf-rllim '"limits": {"memory": "64m", "pids": 32}'
    run cf_coco conf-rllim exit 0
    assert_status 0
    assert_contains "Resource limits are not supported and ignored on cgroups V1 rootless systems"
    skip "rootless podman on cgroup v1: no cgroup an unprivileged user may write, podman ignores memory and pids limits (it says so; coco show says so)"
}

# cf_engine_cleanup ENGINE: remove what the behaviours' runs left in
# ENGINE (as the caller): a container of a failed run, and the cache
# volume each tool gets (coco-cache-t-conf-NAME).  Only names of ours.
cf_engine_cleanup() {
    local n
    while read -r n; do
        [[ $n == coco-conf-* ]] && "$@" rm -f "$n" >/dev/null 2>&1
    done < <("$@" ps -a --format '{{.Names}}' 2>/dev/null)
    while read -r n; do
        [[ $n == coco-cache-t-conf-* ]] && "$@" volume rm -f "$n" >/dev/null 2>&1
    done < <("$@" volume ls --format '{{.Name}}' 2>/dev/null)
    return 0
}

# cf_tools: the tool (config) names the behaviours use, one a line.
cf_tools() {
    grep -o 'cf_cfg conf-[a-z0-9]*' "$BATS_TEST_DIRNAME/conformance.bash" |
        sed 's/^cf_cfg //' | sort -u
}

# ---- the behaviours ------------------------------------------------------

# The caller's environment never reaches the tool, not even through pid
# 1's (the sandbox's init, coco's or the engine's) /proc/PID/environ; the
# tool's own environment holds only the names the sandbox sets.
conf_env_cleared() {
    local secret="hunter2-$$-$RANDOM" l
    cf_cfg conf-envt '"env": {"FROM_CONFIG": "yes"}'
    # every /proc/PID/environ the tool can read, pid 1's included
    CONF_ENV="COCO_CONF_SECRET=$secret" run cf_coco conf-envt environ "$secret"
    cf_blocked || return 1
    assert_contains "not found"
    # stdout alone: rootless podman on cgroup v1 warns on stderr
    CONF_ENV="COCO_CONF_SECRET=$secret" run --separate-stderr cf_coco conf-envt env
    assert_status 0
    assert_line FROM_CONFIG=yes
    refute_contains "$secret"
    for l in "${lines[@]}"; do
        # PATH HOME TERM and the locale everywhere; in containers coco adds
        # XDG_CACHE_HOME (the tool's cache volume), the engines HOSTNAME
        # and container=podman (podman).
        [[ $l =~ ^(PATH|HOME|TERM|LANG|LANGUAGE|LC_[A-Z_]+|FROM_CONFIG|XDG_CACHE_HOME|HOSTNAME|container)= ]] || {
            echo "$CONF_BACKEND: unexpected variable in the tool's environment: $l" >&2
            return 1
        }
    done
}

# No capability in any set.
conf_no_capabilities() {
    cf_cfg conf-caps
    run cf_coco conf-caps facts
    assert_status 0
    local s
    for s in CapInh CapPrm CapEff CapBnd CapAmb; do
        assert_line "$s:"$'\t'0000000000000000 || return 1
    done
    # and they are really gone: chown to another uid is refused (EPERM;
    # EOVERFLOW natively, where uid 4242 is not even mapped)
    run cf_coco conf-caps chown /workspace/hostile
    cf_blocked || return 1
    [[ $(stat -c %u:%g "$CW/hostile") == "$CONF_UID:$CONF_GID" ]]
}

# no_new_privs is set: a setuid-root program runs without euid 0.
conf_no_new_privs() {
    cf_cfg conf-nnp
    run cf_coco conf-nnp facts
    assert_status 0
    assert_line $'NoNewPrivs:\t1'
    assert_line $'Seccomp:\t2'
    cp "$CW/hostile" "$CW/suid"
    chown 0:0 "$CW/suid"
    chmod 4755 "$CW/suid"
    # it works outside, for a caller that is not root
    if ((!CONF_ROOT)); then
        run as_caller "$CW/suid" euid-root
        cf_ok || return 1
    fi
    # inside, the setuid bit changes nothing: the effective uid stays the
    # tool's own (for a root caller on podman and docker that is uid 0
    # already: conf_never_host_root)
    cf_cfg conf-suid "" /workspace/suid
    run --separate-stderr cf_coco conf-suid ids
    assert_status 0
    if ! [[ $output =~ ^uid=([0-9]+)\ euid=([0-9]+) &&
        ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]]; then
        echo "$CONF_BACKEND: a setuid-root program changed the euid: $output" >&2
        return 1
    fi
}

# coco's seccomp table: no keyrings, no new user namespaces (unshare and
# clone), no TIOCSTI/TIOCLINUX (EPERM from the filter even on a
# descriptor that is not a terminal, where the kernel says ENOTTY).
conf_seccomp_denials() {
    local s
    run "$CW/hostile" tiocsti </dev/null
    assert_contains "blocked: ENOTTY"  # outside: the kernel's answer
    cf_cfg conf-sc
    for s in keyctl unshare-user clone-newuser; do
        run cf_coco conf-sc syscall "$s"
        cf_blocked EPERM || return 1
    done
    for s in tiocsti tiocsti-high tioclinux; do
        run cf_coco conf-sc "$s" </dev/null
        cf_blocked EPERM || return 1
    done
}

# Socket families a tool has no use for are refused (EAFNOSUPPORT, as
# if the kernel lacked them); unix, inet, inet6 and netlink work.  Only
# families the host's kernel offers (the helper opens one as root
# outside) can show the wall: the others are named in the output.
conf_socket_families() {
    local f v shown='' absent=''
    cf_cfg conf-sock
    for f in unix inet inet6 netlink; do
        run cf_coco conf-sock socket "$f"
        cf_ok || return 1
    done
    for f in vsock alg key xdp packet tipc rds appletalk x25 bluetooth can; do
        run "$CW/hostile" socket "$f"
        if [[ $status -ne 0 ]]; then
            absent+=" $f"
            continue
        fi
        shown+=" $f"
        # and with bit 32 set, which the kernel drops
        for v in "$f" "$f-high"; do
            run cf_coco conf-sock socket "$v"
            cf_blocked EAFNOSUPPORT || return 1
        done
    done
    echo "# socket families refused inside:$shown; not on this kernel:$absent" >&3
    [[ -n $shown ]] || skip "no refused socket family exists on this kernel: nothing to show"
}

# The root file system is read-only; /tmp is writable.
conf_readonly_root() {
    local p
    cf_cfg conf-ro
    for p in /coco-probe /usr/coco-probe /etc/coco-probe /bin/coco-probe; do
        run cf_coco conf-ro write "$p"
        cf_blocked || return 1
        [[ ! -e $p ]] || { echo "$p appeared on the host" >&2; return 1; }
    done
    run cf_coco conf-ro write /tmp/coco-probe
    cf_ok
}

# The workspace is writable, and what the tool makes there belongs to the
# caller on the host; the caller's private files are the tool's to use.
conf_workspace_owned() {
    cf_cfg conf-ws
    run cf_coco conf-ws write /workspace/made-by-tool
    cf_ok || return 1
    [[ $(stat -c %u:%g "$CW/made-by-tool") == "$CONF_UID:$CONF_GID" ]] || {
        echo "$CONF_BACKEND: made-by-tool is $(stat -c %u:%g "$CW/made-by-tool"), not $CONF_UID:$CONF_GID" >&2
        return 1
    }
    printf 'mine\n' >"$CW/mine"
    chown "$CONF_UID:$CONF_GID" "$CW/mine"
    chmod 0600 "$CW/mine"
    run cf_coco conf-ws write /workspace/mine changed
    cf_ok || return 1
    [[ $(cat "$CW/mine") == changed &&
        $(stat -c %u:%g:%a "$CW/mine") == "$CONF_UID:$CONF_GID:600" ]]
}

# Protected host-executed files (git hooks and config, .envrc ...) hold.
conf_protected_files() {
    protect_fixture "$CW"
    chown -R "$CONF_UID:$CONF_GID" "$CW"
    cf_cfg conf-prot "" sh
    run cf_coco conf-prot protect_attack.sh
    protect_assert_held "$CW" || return 1
    [[ $(stat -c %u:%g "$CW/.envrc.coco-blocked") == "$CONF_UID:$CONF_GID" ]]
}

# Host processes are invisible, cannot be signalled or traced.
conf_no_host_processes() {
    sleep 120 &
    local victim=$!
    CONF_BG+=" $victim"
    cf_cfg conf-procs
    run cf_coco conf-procs see-pid "$victim"
    cf_blocked ENOENT || return 1
    run cf_coco conf-procs kill "$victim" 9
    cf_blocked ESRCH || return 1
    run cf_coco conf-procs ptrace-pid "$victim"
    cf_blocked || return 1
    kill -0 "$victim"
}

# Host sockets are out of reach: a TCP listener on the host's 127.0.0.1,
# an abstract unix socket, a path socket outside the mounts.
conf_no_host_sockets() {
    local port=$((20000 + RANDOM % 20000)) name="coco-conf-$$-$RANDOM"
    local sock=$TEST_TMP/agent.sock
    "$CW/hostile" listen-tcp "$port" >"$TEST_TMP/l1" 2>&1 &
    CONF_BG+=" $!"
    "$CW/hostile" listen-abstract "$name" >"$TEST_TMP/l2" 2>&1 &
    CONF_BG+=" $!"
    "$CW/hostile" listen-unix "$sock" >"$TEST_TMP/l3" 2>&1 &
    CONF_BG+=" $!"
    wait_output "$TEST_TMP/l1" ready && wait_output "$TEST_TMP/l2" ready &&
        wait_output "$TEST_TMP/l3" ready || return 1
    chmod 0777 "$sock"
    # each works outside, for the caller too
    run as_caller "$CW/hostile" connect-tcp "$port"
    cf_ok || return 1
    run as_caller "$CW/hostile" connect-abstract "$name"
    cf_ok || return 1
    run as_caller "$CW/hostile" connect-unix "$sock"
    cf_ok || return 1
    cf_cfg conf-socks
    run cf_coco conf-socks connect-tcp "$port"
    cf_blocked || return 1
    run cf_coco conf-socks connect-abstract "$name"
    cf_blocked || return 1
    run cf_coco conf-socks connect-unix "$sock"
    cf_blocked
}

# The tool's processes are never host uid 0 when root invokes coco (and
# are the caller's uid otherwise): read from the host's /proc while the
# tool sleeps, found by a marker argument.
conf_never_host_root() {
    local mark="conf-mark-$$-$RANDOM" pid='' i uids
    cf_cfg conf-sleeper
    cf_bg "$CS/sleeper.out" "$CS/sleeper.pid" conf-sleeper sleep "$mark"
    for ((i = 0; i < 300; i++)); do
        pid=$(proc_named hostile "sleep $mark")
        [[ -n $pid ]] && break
        sleep 0.1
    done
    [[ -n $pid ]] || {
        echo "$CONF_BACKEND: the tool's process never showed up:" >&2
        cat "$CS/sleeper.out" >&2
        return 1
    }
    uids=$(awk '$1 == "Uid:" {print $2, $3, $4, $5}' "/proc/$pid/status")
    kill -KILL "$pid"
    wait "$CF_LAST" || true
    cf_no_container conf-sleeper || return 1
    if ((CONF_ROOT)); then
        [[ " $uids " != *" 0 "* ]] || {
            echo "$CONF_BACKEND: the tool runs as host uid 0 (uids $uids)" >&2
            return 1
        }
    else
        [[ $uids == "$CONF_UID $CONF_UID $CONF_UID $CONF_UID" ]] || {
            echo "$CONF_BACKEND: the tool's host uids are $uids, not the caller's $CONF_UID" >&2
            return 1
        }
    fi
}

# limits.memory: a memory hog stops (killed, 137, or its allocation
# refused).
conf_memory_limit() {
    cf_rootless_v1_limits
    cf_cfg conf-mem '"limits": {"memory": "64m"}'
    run cf_coco conf-mem memhog 256
    [[ $status -eq 137 || ($status -eq 1 && $output == *blocked*) ]] || {
        echo "$CONF_BACKEND: memhog 256 MiB under 64m: status $status" >&2
        printf '%s\n' "$output" >&2
        return 1
    }
    refute_contains "memhog 256: ok"
}

# limits.pids: a fork bomb stops.
conf_pids_limit() {
    cf_rootless_v1_limits
    cf_cfg conf-pids '"limits": {"pids": 32}'
    run cf_coco conf-pids forkbomb 200
    cf_blocked EAGAIN
}

# limits.timeout: exit 124, the tool and its container gone.
conf_timeout() {
    cf_cfg conf-slow '"limits": {"timeout": "1s"}'
    run cf_coco conf-slow sleep conf-timeout-$$
    assert_status 124 || return 1
    # native: "timed out after 1000 ms", the engines: "time limit of 1s"
    [[ $output == *"conf-slow: timed out"* || $output == *"conf-slow: time limit of 1s"* ]] || {
        echo "$CONF_BACKEND: no reason given for 124: $output" >&2
        return 1
    }
    cf_no_container conf-slow || return 1
    wait_gone 100 "sleep conf-timeout-$$"
}

# limits.output: exit 125 at the cap, no more than the cap delivered.
conf_output_limit() {
    local n
    cf_cfg conf-flood '"limits": {"output": "1m"}'
    # shellcheck disable=SC2016  # expanded by the caller's shell
    run as_caller /bin/sh -c 'exec "$@" >"$0"' "$CS/flood.out" \
        "$CONF_COCO" run conf-flood flood 50000000
    assert_status 125 || return 1
    assert_contains "output limit"
    n=$(stat -c %s "$CS/flood.out")
    ((n <= 1048576)) || { echo "$CONF_BACKEND: $n bytes passed a 1m cap" >&2; return 1; }
    cf_no_container conf-flood
}

# Exit codes: the tool's own; 128+N for signal N; 125 coco's own error
# (a bad config).  (124: conf_timeout; 126 and 127: conf_exit_not_found.)
conf_exit_codes() {
    cf_cfg conf-codes
    run cf_coco conf-codes exit 3
    assert_status 3 || return 1
    run cf_coco conf-codes killself 15
    assert_status 143 || return 1
    run cf_coco conf-codes killself 9
    assert_status 137 || return 1
    cf_cfg conf-bad '"limits": {"memory": "lots"}'
    run cf_coco conf-bad exit 0
    assert_coco_error limits.memory
}

# A command that does not exist exits 127, one that is not executable
# 126, as a shell says.
# podman's --init (catatonit) execs the command itself and exits 1 when
# it cannot: there the guarantee is a failure with the reason on stderr
# (README's table, note 7).
conf_exit_not_found() {
    local want_nf=127 want_nx=126
    if [[ $CONF_RUNTIME == podman ]]; then
        want_nf=1 want_nx=1
    fi
    cf_cfg conf-nocmd "" /no/such/command-coco
    run "-$want_nf" cf_coco conf-nocmd
    assert_status "$want_nf" || return 1
    assert_contains "No such file or directory" || return 1
    printf 'not a program\n' >"$CW/noexec"
    chmod 0644 "$CW/noexec"
    chown "$CONF_UID:$CONF_GID" "$CW/noexec"
    cf_cfg conf-noexec "" /workspace/noexec
    run "-$want_nx" cf_coco conf-noexec
    assert_status "$want_nx" || return 1
    assert_contains "ermission denied"
}

# Signals sent to coco reach the tool, whose own exit status comes back.
conf_signal_forwarding() {
    local sig num st
    cf_cfg conf-sig
    for sig in TERM INT HUP; do
        rm -f "$CS/sig.pid"
        cf_bg "$CS/sig.out" "$CS/sig.pid" conf-sig waitsig
        wait_output "$CS/sig.out" ready 300 || return 1
        kill -"$sig" "$(cat "$CS/sig.pid")"
        st=0
        wait "$CF_LAST" || st=$?
        num=$(kill -l "$sig")
        if ! grep -q "got $sig" "$CS/sig.out" || ((st != 64 + num)); then
            echo "$CONF_BACKEND: SIG$sig to coco: status $st (want $((64 + num)))" >&2
            cat "$CS/sig.out" >&2
            return 1
        fi
    done
    cf_no_container conf-sig
}

# network none: loopback only (and up), no route anywhere.
conf_network_none() {
    cf_cfg conf-netnone '"network": "none"'
    run cf_coco conf-netnone facts
    assert_status 0
    local ifs
    ifs=$(grep '^if=' <<<"$output" | sort | tr '\n' ' ')
    [[ $ifs == "if=lo " ]] || { echo "$CONF_BACKEND: interfaces: $ifs" >&2; return 1; }
    cf_cfg conf-netnone2 '"network": "none"' /workspace/netprobe
    run cf_coco conf-netnone2 direct 198.51.100.10 80
    assert_contains "netprobe: connect:"
    refute_contains "hello from"
}

# allowed_hosts: the tool's only way out is coco's egress proxy, which
# refuses a name off the list (its own 403, so the path is shown without
# any packet leaving); a direct connection has no network.
conf_egress_allowed_hosts() {
    if [[ $CONF_RUNTIME != native ]] && coco_is_dynamic; then
        skip "$COCO is linked dynamically (the sanitizer build): it cannot be the relay in a container"
    fi
    cf_cfg conf-egress '"allowed_hosts": ["good.test"]' sh
    run cf_coco conf-egress -c '/workspace/netprobe get http://other.test/; /workspace/netprobe direct 198.51.100.10 80; exit 5'
    assert_status 5 || return 1
    assert_line "HTTP/1.1 403 Forbidden"
    assert_line "X-Coco-Egress: not-allowlisted"
    refute_contains "hello from"
    if [[ $CONF_RUNTIME == native ]]; then
        # natively the proxy also captures connections that ignore the
        # proxy variables, and refuses an address off the list
        assert_contains "egress to 198.51.100.10 port 80 refused (ip-literal-not-allowlisted)"
    else
        # a container has no network but the relay's unix socket
        assert_contains "netprobe: connect:"
    fi
}

# cf_root_engine_setup ENGINE: setup() of a suite whose caller is root on
# the rootful ENGINE (podman, docker), on the base image.
cf_root_engine_setup() {
    common_setup
    CONF_BACKEND=$1 CONF_RUNTIME=$1 CONF_IMAGE=$TEST_BASE_IMAGE
    CONF_ENGINE_CMD=$1
    CONF_ROOT=1 CONF_UID=0 CONF_GID=0 CONF_COCO=$COCO
    CW=$WORK CONF_DATA=$XDG_DATA_HOME
    cf_setup
}

# cf_root_engine_caller ENGINE CMD...: CMD as that suite's caller, root,
# in the workspace.
cf_root_engine_caller() {
    local engine=$1
    shift
    # shellcheck disable=SC2086  # CONF_ENV: NAME=VALUE words
    (cd "$CW" && env ${CONF_ENV:-} COCO_RUNTIME="$engine" XDG_DATA_HOME="$CONF_DATA" "$@")
}
