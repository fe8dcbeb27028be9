# tests/integration/helpers.bash — shared setup for the bats suites.
#
# Every test gets its own HOME, XDG_DATA_HOME, COCO_BIN_DIR and working
# directory under one mktemp -d, so tests never see the invoking user's
# configs or links and never see each other's.  The coco environment
# variables of the caller are cleared: a test states what it needs.
#
# Load with:   load helpers
#              setup() { common_setup; }
#              teardown() { common_teardown; }

# bats sets lines, output and status in `run`.
# shellcheck disable=SC2154
REPO_ROOT=$(cd -- "$BATS_TEST_DIRNAME/../.." && pwd)
export REPO_ROOT
COCO=${COCO:-$REPO_ROOT/coco}
export COCO
export COCO_TEST_HELPERS=${COCO_TEST_HELPERS:-$REPO_ROOT/build/tests/helpers}
export CONTAINERS_CONF=$REPO_ROOT/tests/images/containers.conf
# The images tests/images/build.sh makes.
export TEST_BASE_IMAGE=localhost/coco-base:bookworm
export TEST_ESLINT_IMAGE=localhost/coco-eslint:9

common_setup() {
    [[ -x $COCO ]] || {
        echo "coco binary $COCO is missing; run make" >&2
        return 1
    }
    TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/coco-bats.XXXXXX")
    export TEST_TMP
    export HOME=$TEST_TMP/home
    export XDG_DATA_HOME=$TEST_TMP/data
    export COCO_BIN_DIR=$TEST_TMP/bin
    export WORK=$TEST_TMP/work
    mkdir -p "$HOME" "$XDG_DATA_HOME" "$COCO_BIN_DIR" "$WORK"
    CONFIG_DIR=$XDG_DATA_HOME/coco/tools
    export CONFIG_DIR
    unset COCO_RUNTIME COCO_IMAGE COCO_DEBUG COCO_ALLOW_NETWORK \
        COCO_EXTRA_PORTS COCO_STORE XDG_CONFIG_HOME DISPLAY XAUTHORITY
    ORIG_PATH=${ORIG_PATH:-$PATH}
    export ORIG_PATH
    cd "$WORK" || return 1
}

common_teardown() {
    cd / || true
    if [[ -n ${TEST_TMP:-} && -d $TEST_TMP ]]; then
        chmod -R u+rwX "$TEST_TMP" 2>/dev/null || true
        rm -rf -- "$TEST_TMP"
    fi
}

# coco_is_dynamic: true when $COCO has a program interpreter (the
# sanitizer build).  Such a coco cannot be the egress relay inside a
# container image, and refuses to; those tests skip there.
coco_is_dynamic() {
    LC_ALL=C readelf -l "$COCO" 2>/dev/null | grep -q 'program interpreter'
}

# user_dirs: the test user's (TESTUSER's) configs, home and work
# directory under TEST_TMP, theirs: UDATA, UHOME, UWORK.
user_dirs() {
    chmod 0755 "$TEST_TMP"
    UDATA=$TEST_TMP/udata
    UHOME=$TEST_TMP/uhome
    UWORK=$TEST_TMP/uwork
    mkdir -p "$UDATA/coco/tools" "$UHOME" "$UWORK"
    chown -R "$TESTUSER:" "$UDATA" "$UHOME" "$UWORK"
}

# docker_up: wait (20 s at most) until the private dockerd DOCKERD_PID a
# suite started answers; 1 when it died or did not.
docker_up() {
    local i
    for ((i = 0; i < 200; i++)); do
        docker info >/dev/null 2>&1 && return 0
        kill -0 "$DOCKERD_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# dockerd_start: a private dockerd for a suite's setup_file (its own
# socket, exec-root and data-root; no bridge, no iptables rules: coco's
# runs use --network=none), with the base image imported from the rootfs
# tar tests/images/build.sh caches.  The data root is kept between runs
# (/var/cache/coco-test/docker-data: images survive) when no other test
# run holds it, else a fresh one.  Exports DOCKER_TMP, DOCKER_DATA,
# DOCKER_HOST and DOCKERD_PID (dockerd_stop ends it), or DOCKER_SKIP with
# the reason when docker is missing or will not start (bats 1.8 cannot
# skip from setup_file: setup() skips with it).  1 when the base image
# cannot be made.
dockerd_start() {
    if ! command -v dockerd >/dev/null; then
        export DOCKER_SKIP="dockerd is not installed"
        return 0
    fi
    if ! command -v docker >/dev/null; then
        export DOCKER_SKIP="the docker client is not installed"
        return 0
    fi
    DOCKER_TMP=$(mktemp -d /tmp/coco-dockerd.XXXXXX)
    export DOCKER_TMP
    # The data root is kept between runs (images survive, the second run
    # builds nothing) when no other test run holds it; else a fresh one.
    local cache=${COCO_TEST_CACHE:-/var/cache/coco-test}
    DOCKER_DATA=$DOCKER_TMP/data
    if mkdir -p "$cache" 2>/dev/null && exec 9>"$cache/docker-data.lock" &&
        flock -n 9; then
        DOCKER_DATA=$cache/docker-data
    fi
    export DOCKER_DATA
    export DOCKER_HOST=unix://$DOCKER_TMP/docker.sock
    # DOCKERD_NS: the pid of a process in whose mount namespace the
    # daemon runs (coco's runs by root must run there too: idmap.h)
    ${DOCKERD_NS:+nsenter -m -t "$DOCKERD_NS"} \
        dockerd --host "$DOCKER_HOST" --data-root "$DOCKER_DATA" \
        --exec-root "$DOCKER_TMP/exec" --pidfile "$DOCKER_TMP/dockerd.pid" \
        --iptables=false --ip6tables=false --bridge=none \
        >"$DOCKER_TMP/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    export DOCKERD_PID
    if ! docker_up; then
        local why
        why=$(tail -n 3 "$DOCKER_TMP/dockerd.log" | tr '\n' ' ')
        kill "$DOCKERD_PID" 2>/dev/null
        wait "$DOCKERD_PID" 2>/dev/null
        unset DOCKERD_PID
        export DOCKER_SKIP="dockerd could not start within 20 s: $why"
        return 0
    fi
    # The base: the same rootfs tar podman imports (build.sh caches it).
    ( set -o pipefail
      "$REPO_ROOT/tests/images/build.sh" docker base 2>&1 | tap_comment ) || return 1
}

# dockerd_stop: end the private dockerd DOCKERD_PID a suite started
# (bounded: TERM, 30 s, then KILL) and remove its DOCKER_TMP, unmounting
# what it left mounted there.
dockerd_stop() {
    if [[ -n ${DOCKERD_PID:-} ]]; then
        kill -TERM "$DOCKERD_PID" 2>/dev/null
        local i
        for ((i = 0; i < 300; i++)); do
            kill -0 "$DOCKERD_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$DOCKERD_PID" 2>/dev/null
        wait "$DOCKERD_PID" 2>/dev/null
    fi
    if [[ -n ${DOCKER_TMP:-} && -d $DOCKER_TMP ]]; then
        # dockerd leaves its default netns bind-mounted in the exec-root.
        local m
        while read -r _ m _; do
            [[ $m == "$DOCKER_TMP"/* ]] && umount "$m" 2>/dev/null
        done </proc/mounts
        rm -rf -- "$DOCKER_TMP"
    fi
    true
}

# install_config NAME JSON: write $XDG_DATA_HOME/coco/tools/NAME.json, 0644.
install_config() {
    local name=$1 json=$2
    mkdir -p "$CONFIG_DIR"
    printf '%s\n' "$json" >"$CONFIG_DIR/$name.json"
    chmod 0644 "$CONFIG_DIR/$name.json"
}

# A stand-in container engine, so the CLI's exec, environment, exit-code
# and signal handling can be checked without a real engine.  It records
# each invocation under $FAKE_DIR:
#   calls          one line per invocation: the arguments joined by spaces
#   argv.N         invocation N, one argument per line
#   env.N          its environment (env -0 output, NUL-separated)
#   envfile.N      the content of /dev/fd/3 when argv has --env-file=/dev/fd/3
#   run.pid        pid of the last "run" (the fake's own process, which then
#                  execs sleep when FAKE_SLEEP is set)
# Behaviour of "run": print FAKE_STDOUT, then sleep FAKE_SLEEP seconds when
# set (exec, so a signal to that pid ends it), else exit FAKE_EXIT (0).
# With FAKE_IGNORE_TSTP the sleeping run ignores SIGTSTP (as podman and
# docker do: they pass ^Z to the container and run on).
# "stop", "kill" and "rm" end the sleeping run by its recorded pid (not
# with FAKE_KEEP_RUN: then only its own death ends it); "volume ls"
# prints the names in FAKE_VOLUMES; anything else exits FAKE_EXIT.
install_fake_engine() {
    local name=${1:-podman}
    FAKE_DIR=$TEST_TMP/fake
    FAKE_BIN=$TEST_TMP/fakebin
    export FAKE_DIR FAKE_BIN
    mkdir -p "$FAKE_DIR" "$FAKE_BIN"
    cat >"$FAKE_BIN/$name" <<'EOF'
#!/bin/bash
# Fake container engine for coco's tests (see helpers.bash).
dir=${FAKE_DIR:?}
n=0
while [[ -e $dir/argv.$n ]]; do n=$((n + 1)); done
printf '%s\n' "$@" >"$dir/argv.$n"
env -0 >"$dir/env.$n"
printf '%s\n' "$*" >>"$dir/calls"
for a in "$@"; do
    if [[ $a == --env-file=/dev/fd/3 ]]; then
        cat /dev/fd/3 >"$dir/envfile.$n" 2>/dev/null
    fi
done
case ${1:-} in
run)
    echo $$ >"$dir/run.pid.tmp" && mv "$dir/run.pid.tmp" "$dir/run.pid"
    [[ -n ${FAKE_STDOUT:-} ]] && printf '%s\n' "$FAKE_STDOUT"
    if [[ -n ${FAKE_FLOOD:-} ]]; then
        # Bounded: FAKE_FLOOD lines of 100 bytes.
        for ((i = 0; i < FAKE_FLOOD; i++)); do
            printf '%099d\n' "$i" || exit 141
        done
    fi
    if [[ -n ${FAKE_SLEEP:-} ]]; then
        [[ -n ${FAKE_IGNORE_TSTP:-} ]] && trap '' TSTP
        exec sleep "$FAKE_SLEEP" </dev/null >/dev/null 2>&1
    fi
    exit "${FAKE_EXIT:-0}"
    ;;
volume)
    # "volume ls" lists FAKE_VOLUMES (space-separated)
    if [[ ${2:-} == ls ]]; then
        for v in ${FAKE_VOLUMES:-}; do printf '%s\n' "$v"; done
    fi
    exit 0
    ;;
stop | kill | rm)
    if [[ -f $dir/run.pid && -z ${FAKE_KEEP_RUN:-} ]]; then
        kill -KILL "$(cat "$dir/run.pid")" 2>/dev/null
    fi
    exit 0
    ;;
*) exit "${FAKE_EXIT:-0}" ;;
esac
EOF
    chmod 0755 "$FAKE_BIN/$name"
    export PATH=$FAKE_BIN:$ORIG_PATH
}

# fake_argv N: invocation N's arguments (one per line).
fake_argv() { cat "$FAKE_DIR/argv.${1:-0}"; }

# fake_env_value N NAME: NAME's value in invocation N's environment
# (exit 1 when absent).
fake_env_value() {
    local n=$1 name=$2
    tr '\0' '\n' <"$FAKE_DIR/env.$n" | awk -v k="$name=" '
        index($0, k) == 1 { print substr($0, length(k) + 1); found = 1; exit }
        END { exit !found }'
}

# wait_for_file PATH [TENTHS]: poll for PATH (bounded, default 10 s).
wait_for_file() {
    local f=$1 n=${2:-100} i
    for ((i = 0; i < n; i++)); do
        [[ -e $f ]] && return 0
        sleep 0.1
    done
    return 1
}

# wait_output FILE TEXT [TENTHS]: poll (bounded, default 10 s) until
# FILE contains TEXT; prints FILE and fails otherwise.
wait_output() {
    local i
    for ((i = 0; i < ${3:-100}; i++)); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "timed out waiting for '$2' in $1" >&2
    cat "$1" >&2
    return 1
}

# procs_with TEXT: pids of the processes whose command line contains
# TEXT (NULs read as spaces).  Builtins only, so no process of its own
# shows up (a grep would match its own arguments).
procs_with() {
    local f pid
    local -a a
    for f in /proc/[0-9]*/cmdline; do
        pid=${f#/proc/}
        pid=${pid%/cmdline}
        mapfile -d '' -t a 2>/dev/null <"$f" || continue
        [[ ${a[*]} == *"$1"* ]] && printf '%s\n' "$pid"
    done
    return 0
}

# wait_proc_named COMM TEXT [TENTHS]: poll (bounded, default 20 s) for a
# process named COMM whose command line contains TEXT; prints its pid.
wait_proc_named() {
    local n=${3:-200} i pid
    for ((i = 0; i < n; i++)); do
        pid=$(proc_named "$1" "$2" | head -n 1)
        [[ -n $pid ]] && { printf '%s\n' "$pid"; return 0; }
        sleep 0.1
    done
    return 1
}

# host_uids PID: its real, effective, saved and fs uids as the host sees
# them ("0 0 0 0" for root).
host_uids() {
    local k a b c d
    while read -r k a b c d; do
        [[ $k == Uid: ]] && { printf '%s %s %s %s\n' "$a" "$b" "$c" "$d"; return 0; }
    done <"/proc/$1/status"
    return 1
}

# proc_named COMM TEXT: pids of the processes named COMM (/proc/PID/comm)
# whose command line contains TEXT.
proc_named() {
    local pid c
    for pid in $(procs_with "$2"); do
        { c=$(<"/proc/$pid/comm"); } 2>/dev/null || continue
        [[ $c == "$1" ]] && printf '%s\n' "$pid"
    done
    return 0
}

# proc_state PID: its state letter (R, S, T ...), empty when gone.
proc_state() {
    local s
    { s=$(<"/proc/$1/stat"); } 2>/dev/null || return 0
    s=${s##*) }
    printf '%s\n' "${s%% *}"
}

# "${IN_OWN_GROUP[@]}" CMD...: run CMD in a process group of its own, in
# this session (a new session would make the group orphaned, and the
# kernel drops ^Z-type stops aimed at an orphaned group).  An array, not a
# function, so that `... &` makes $! the pid of CMD itself.
IN_OWN_GROUP=(python3 -c
    'import os, sys; os.setpgid(0, 0); os.execv(sys.argv[1], sys.argv[1:])')

# wait_gone TENTHS TEXT...: poll (bounded) until no process's command line
# contains any TEXT; prints what is left and fails after TENTHS.
wait_gone() {
    local n=$1 i t left
    shift
    for ((i = 0; i < n; i++)); do
        left=
        for t in "$@"; do
            left+=$(procs_with "$t")
        done
        [[ -z $left ]] && return 0
        sleep 0.1
    done
    for t in "$@"; do
        for i in $(procs_with "$t"); do
            echo "left behind ($t): $i $(tr '\0' ' ' <"/proc/$i/cmdline" 2>/dev/null)" >&2
        done
    done
    return 1
}

# assert_line_in_output LINE: some line of $output equals LINE exactly.
assert_line() {
    local want=$1 l
    for l in "${lines[@]}"; do
        [[ $l == "$want" ]] && return 0
    done
    echo "expected a line '$want' in:" >&2
    printf '%s\n' "$output" >&2
    return 1
}

refute_line() {
    local want=$1 l
    for l in "${lines[@]}"; do
        if [[ $l == "$want" ]]; then
            echo "unexpected line '$want' in:" >&2
            printf '%s\n' "$output" >&2
            return 1
        fi
    done
    return 0
}

# assert_output_contains TEXT: TEXT is a substring of $output.
assert_contains() {
    if [[ $output != *"$1"* ]]; then
        echo "expected output to contain '$1'; output was:" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}

refute_contains() {
    if [[ $output == *"$1"* ]]; then
        echo "expected output NOT to contain '$1'; output was:" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}

assert_status() {
    if [[ $status -ne $1 ]]; then
        echo "expected exit status $1, got $status; output was:" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}

# assert_coco_error: exit 125 and exactly one line "coco: ...", which
# contains every further argument.
assert_coco_error() {
    assert_status 125 || return 1
    if [[ ${#lines[@]} -ne 1 ]]; then
        echo "expected exactly one line of error, got ${#lines[@]}:" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
    if [[ ${lines[0]} != "coco: "* ]]; then
        echo "error line does not start with 'coco: ': ${lines[0]}" >&2
        return 1
    fi
    local want
    for want in "$@"; do
        assert_contains "$want" || return 1
    done
}

# Copy stdin to the TAP stream as "# " comments (long image builds in
# setup_file; the caller sets pipefail so a failing build still fails).
tap_comment() {
    sed -u 's/^/# /' >&3
}

# Skip with a reason that shows in the TAP output.
skip_unless_cmd() {
    command -v "$1" >/dev/null || skip "$1 is not installed"
}

# container_suid_attacks: issue 6 item 1 in a podman or docker container
# (COCO_RUNTIME set by the suite): the static hostile helper tries every
# way to leave a setuid/setgid file in the workspace, and the walls the
# engines' own profiles lack; all refused, judged from the host.
container_suid_attacks() {
    local m
    cp "$COCO_TEST_HELPERS/hostile" "$WORK/hostile"
    chmod 0755 "$WORK/hostile"
    install_config hostile "{\"command\": \"/workspace/hostile\", \"image\": \"$TEST_BASE_IMAGE\",
        \"mounts\": [{\"src\": \".\", \"dst\": \"/workspace\"}]}"
    for m in chmod fchmod fchmodat fchmodat2 chmod-high chmod-dir open openat \
        openat2 creat mknod mknodat; do
        run "$COCO" run hostile suid "$m" "/workspace/in-$m"
        assert_status 1 || return 1
        assert_contains "blocked" || return 1
    done
    run find "$WORK" -name 'in-*' -perm /6000
    [[ -z $output ]] || { echo "setuid/setgid files left: $output" >&2; return 1; }
    for m in keyctl unshare-user clone-newuser bpf; do
        run "$COCO" run hostile syscall "$m"
        assert_status 1 || return 1
        assert_contains "EPERM" || return 1
    done
    run "$COCO" run hostile tiocsti
    assert_status 1
}

# wait_no_container ENGINE NAME: bounded (10 s) wait until ENGINE (a
# command: podman, docker, or a function such as rootless.bash's
# rl_podman) lists no container, running or not, whose name matches NAME;
# fails otherwise.
wait_no_container() {
    local engine=$1 name=$2 left i
    for ((i = 0; i < 100; i++)); do
        left=$("$engine" ps -a --filter "name=$name" --format '{{.Names}}') ||
            left="($engine ps failed)"
        [[ -z $left ]] && return 0
        sleep 0.1
    done
    echo "containers left: $left" >&2
    return 1
}

# ---- protected host-executed files (protect.bats, podman.bats, docker.bats)

# protect_fixture DIR: a git repository in DIR the way a user has one: the
# hooks and config `git init` makes, a trusted .envrc in a subdirectory,
# and the hostile tool's script (protect_attack.sh).  Saves the files the
# host runs under DIR/../protect-before for protect_assert_held.
protect_fixture() {
    local dir=$1
    git init -q "$dir"
    mkdir -p "$dir/app"
    printf 'export TRUSTED=1\n' >"$dir/app/.envrc"
    cat >"$dir/protect_attack.sh" <<'ATTACK'
#!/bin/sh
# A hostile tool plants what the host would run next: a git hook, git
# config (core.fsmonitor runs a program on every git status), a new
# .git after moving the real one away, direnv, editor tasks, MCP servers.
printf '#!/bin/sh\necho pwned\n' >.git/hooks/pre-commit && echo "hook: written"
printf '[core]\n\tfsmonitor = echo pwned\n' >>.git/config && echo "config: written"
rm -f .git/config && echo "config: removed"
printf 'echo pwned\n' >>app/.envrc && echo "app/.envrc: written"
if mv .git .git.old; then
    echo "mv .git: moved"
    mkdir -p .git/hooks && printf '#!/bin/sh\necho pwned\n' >.git/hooks/pre-commit
fi
mv app app.old && echo "mv app: moved"
printf 'echo pwned\n' >.envrc && echo ".envrc: created"
mkdir -p .vscode && printf '{"tasks": [{"command": "pwned"}]}\n' >.vscode/tasks.json &&
    echo ".vscode: created"
printf '{"mcpServers": {"x": {"command": "pwned"}}}\n' >.mcp.json && echo ".mcp.json: created"
exit 42
ATTACK
    rm -rf "$dir/../protect-before"
    mkdir -p "$dir/../protect-before"
    cp "$dir/.git/config" "$dir/../protect-before/config"
    ls -A "$dir/.git/hooks" >"$dir/../protect-before/hooks"
}

# protect_assert_held DIR: judged from the host after the attack ran
# (its output in $output, its status in $status): the hooks, the config
# and the trusted .envrc are as they were, .git was not moved, and every
# file the tool created is moved aside and named on stderr, with the
# tool's exit code kept.
protect_assert_held() {
    local dir=$1 before=$1/../protect-before
    assert_status 42 || return 1
    cmp "$before/config" "$dir/.git/config" || {
        echo ".git/config changed" >&2
        return 1
    }
    [[ $(ls -A "$dir/.git/hooks") == "$(cat "$before/hooks")" ]] || {
        echo ".git/hooks changed: $(ls -A "$dir/.git/hooks")" >&2
        return 1
    }
    [[ ! -e $dir/.git.old && ! -e $dir/app.old ]] || {
        echo ".git or app was moved away" >&2
        return 1
    }
    [[ $(cat "$dir/app/.envrc") == "export TRUSTED=1" ]] || {
        echo "app/.envrc changed" >&2
        return 1
    }
    refute_contains "hook: written" || return 1
    refute_contains "config: written" || return 1
    refute_contains "config: removed" || return 1
    refute_contains "mv .git: moved" || return 1
    local f
    for f in .envrc .vscode .mcp.json; do
        [[ ! -e $dir/$f && -e $dir/$f.coco-blocked ]] || {
            echo "$f was not moved aside to $f.coco-blocked" >&2
            ls -la "$dir" >&2
            return 1
        }
        assert_contains "created $dir/$f -> $dir/$f.coco-blocked" || return 1
    done
    [[ -f $dir/.vscode.coco-blocked/tasks.json ]]
}

# engine_root_is_nobody: root's run on a rootful engine (podman as root,
# docker): the tool's process, seen from the host, is nobody (65534) in
# every uid, not root; the files it writes in the workspace are root's,
# though inside they were nobody's.  Needs a config "sh" running /bin/sh
# with the workspace at /workspace.
engine_root_is_nobody() {
    local marker=31.$RANDOM pid cpid
    echo secret >"$WORK/private"
    chmod 0600 "$WORK/private"
    "$COCO" run sh -c 'id -u >/workspace/inside-uid; cat /workspace/private >/workspace/copy
        mkdir /workspace/dir; exec sleep '"$marker" 3>&- &
    cpid=$!
    pid=$(wait_proc_named sleep "sleep $marker") || { kill "$cpid"; return 1; }
    run host_uids "$pid"
    kill -TERM "$cpid"
    wait "$cpid" || true
    [ "$output" = "65534 65534 65534 65534" ] || { echo "host uids: $output"; return 1; }
    [ "$(cat "$WORK/inside-uid")" = 65534 ]
    # a root-only file of the workspace is readable (its owner, as mapped)
    [ "$(cat "$WORK/copy")" = secret ]
    [ "$(stat -c %u:%g "$WORK/copy")" = 0:0 ]
    [ "$(stat -c %u:%g "$WORK/dir")" = 0:0 ]
    [ "$(stat -c %u:%g "$WORK/inside-uid")" = 0:0 ]
    # and nothing of the idmapped attachments is left on the host
    wait_no_mounts_of "$WORK" 50
}

# wait_no_mounts_of DIR [TENTHS]: poll (bounded, default 20 s) until no
# mount of the host's is of DIR or below it (as an idmapped attachment
# of a workspace would be); prints what is left and fails after TENTHS.
wait_no_mounts_of() {
    local n=${2:-200} i left
    for ((i = 0; i < n; i++)); do
        left=$(grep -F -- " $1" /proc/self/mountinfo || true)
        [[ -z $left ]] && return 0
        sleep 0.1
    done
    echo "mounts left: $left"
    return 1
}
