#!/usr/bin/env bats
# native.bats — coco's own sandbox (`--runtime native`), attacked the way
# a hostile tool would attack it.  The attacker is tests/helpers/hostile.c
# (static, one attack per subcommand, exit 0 = the attack worked, 1 =
# blocked).  Every attack is first run WITHOUT the sandbox, to show it
# works there (so the test can fail), then inside it, both as root and as
# a normal user (created with useradd when missing; run with runuser).
#
# Then: identity and file ownership, the environment, signals and exit
# codes, timeout, output cap, orphans after `kill -9` of coco, 200 runs in
# a row (20 at once) with nothing left behind, and eslint 9 linting a real
# file.  Network traffic: loopback only, and only to listeners the tests
# start themselves.  Every wait is bounded.

bats_require_minimum_version 1.5.0
load helpers

TESTUSER=${COCO_TEST_USER:-cocotest}

setup_file() {
    if [[ $(id -u) -ne 0 ]]; then
        export NATIVE_SKIP="these tests create a user and run as root"
        return 0
    fi
    if ! id "$TESTUSER" >/dev/null 2>&1; then
        useradd -m "$TESTUSER" || {
            export NATIVE_SKIP="useradd $TESTUSER failed"
            return 0
        }
    fi
    if [[ ! -x $COCO_TEST_HELPERS/hostile || ! -x $COCO_TEST_HELPERS/ptyrun ]]; then
        export NATIVE_SKIP="$COCO_TEST_HELPERS/hostile or ptyrun is not built (make tests-bin)"
    fi
}

setup() {
    [[ -z ${NATIVE_SKIP:-} ]] || skip "$NATIVE_SKIP"
    common_setup
    export COCO_RUNTIME=native
    # The test user must reach its workspace and configs under TEST_TMP.
    chmod 0755 "$TEST_TMP"
    H=$WORK/hostile
    cp "$COCO_TEST_HELPERS/hostile" "$H"
    chmod 0755 "$H"
    # root's config dir ($XDG_DATA_HOME) and the user's (owned by them)
    UWORK=$TEST_TMP/uwork
    UDATA=$TEST_TMP/udata
    UHOME=$TEST_TMP/uhome
    mkdir -p "$UWORK" "$UDATA/coco/tools" "$UHOME"
    cp "$H" "$UWORK/hostile"
    chown -R "$TESTUSER:" "$UWORK" "$UDATA" "$UHOME"
    # the test's own terminal (tests/helpers/ptyrun.c), and a directory
    # where both root and the test user write what it received
    PTYRUN=$TEST_TMP/ptyrun
    cp "$COCO_TEST_HELPERS/ptyrun" "$PTYRUN"
    chmod 0755 "$PTYRUN"
    PTYOUT=$TEST_TMP/ptyout
    mkdir -m 1777 "$PTYOUT"
    hostile_config hostile '"limits": {"memory": "64m", "pids": 32}'
}

teardown() {
    local p
    for p in ${BG_PIDS:-}; do kill -KILL "$p" 2>/dev/null || true; done
    rm -f "/etc/coco-pwned-$$" "/usr/coco-pwned-$$" 2>/dev/null || true
    common_teardown
}

# hostile_config NAME [EXTRA-JSON [COMMAND]]: a config running the hostile
# helper from the workspace, for root and for the test user.
hostile_config() {
    local name=$1 extra=${2:-} cmd=${3:-/workspace/hostile}
    local json='{"command": "'$cmd'", "runtime": "native",
  "mounts": [{"src": ".", "dst": "/workspace"}]'
    [[ -n $extra ]] && json+=", $extra"
    json+='}'
    install_config "$name" "$json"
    printf '%s\n' "$json" >"$UDATA/coco/tools/$name.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/$name.json"
    chmod 0644 "$UDATA/coco/tools/$name.json"
}

# hostile_config_mounts NAME MOUNTS-JSON: like hostile_config, with these
# mounts instead of the workspace alone.
hostile_config_mounts() {
    local name=$1 json
    json='{"command": "/workspace/hostile", "runtime": "native", "mounts": '$2'}'
    install_config "$name" "$json"
    printf '%s\n' "$json" >"$UDATA/coco/tools/$name.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/$name.json"
    chmod 0644 "$UDATA/coco/tools/$name.json"
}

# The four ways to run an attack.
outside() { "$H" "$@"; }
outside_user() { (cd "$UWORK" && runuser -u "$TESTUSER" -- ./hostile "$@"); }
inside() { "$COCO" run --runtime native hostile "$@"; }
inside_user() {
    (cd "$UWORK" && runuser -u "$TESTUSER" -- env -i PATH=/usr/bin:/bin \
        HOME="$UHOME" XDG_DATA_HOME="$UDATA" TERM=dumb \
        ${EXTRA_ENV:-} "$COCO" run --runtime native hostile "$@")
}

# inside_user_cfg NAME ARGS...: the test user runs config NAME.
inside_user_cfg() {
    local name=$1
    shift
    (cd "$UWORK" && runuser -u "$TESTUSER" -- env -i PATH=/usr/bin:/bin \
        HOME="$UHOME" XDG_DATA_HOME="$UDATA" TERM=dumb \
        "$COCO" run --runtime native "$name" "$@")
}

# on_pty / on_pty_user [PTYRUN-OPTIONS] -- CMD...: run CMD on a pty the
# test creates (its controlling terminal, stdin, stdout and stderr), as
# root or as the test user in its workspace; ptyrun then reports what CMD
# left of that terminal (see tests/helpers/ptyrun.c).
on_pty() { "$PTYRUN" "$@"; }
on_pty_user() {
    (cd "$UWORK" && runuser -u "$TESTUSER" -- env -i PATH=/usr/bin:/bin \
        HOME="$UHOME" XDG_DATA_HOME="$UDATA" TERM=xterm "$PTYRUN" "$@")
}

# assert_tty_intact: ptyrun's report says the terminal is as it was.
assert_tty_intact() {
    assert_line "ptyrun: reopen ok" &&
        assert_line "ptyrun: excl 0" &&
        assert_line "ptyrun: ldisc 0" &&
        assert_line "ptyrun: termios same" &&
        assert_line "ptyrun: winsize same 33x77"
}

# works_outside ARGS / blocked_inside ARGS: the attack succeeds on the
# host and fails in the sandbox, as root and as the test user.
works() {
    run "$@"
    if [[ $status -ne 0 || $output != *": ok"* ]]; then
        echo "attack did not work outside the sandbox: $*" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}
blocked() {
    run "$@"
    if [[ $status -ne 1 || $output != *": blocked"* ]]; then
        echo "attack was NOT blocked: $* (status $status)" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}
blocked_both() {
    blocked inside "$@" || return 1
    blocked inside_user "$@"
}

# bg CMD...: start CMD in the background, remember it for teardown.
bg() {
    "$@" &
    BG_PIDS="${BG_PIDS:-} $!"
    LAST_BG=$!
}

# Mount points of the host's namespace, minus what container engines run
# by other suites on the same machine may add or remove meanwhile.
host_mounts() {
    awk '{print $5}' /proc/self/mountinfo |
        grep -Ev 'containers|netns|overlay|podman|docker|/run/user|shm' | sort
}

leftovers() {  # print anything a run left behind
    local d c
    # coco-PID cgroups whose coco is gone (other suites may be running
    # coco at the same time: a live coco's cgroup is not a leftover)
    for d in /sys/fs/cgroup/pids /sys/fs/cgroup/cpu /sys/fs/cgroup/memory \
        "/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)"; do
        [[ -d $d ]] || continue
        for c in "$d"/coco-*; do
            [[ -d $c ]] || continue
            kill -0 "${c##*/coco-}" 2>/dev/null || echo "cgroup $c"
        done
    done
    # processes of this test's sandboxes
    pgrep -a -f "$WORK/hostile|$UWORK/hostile|/workspace/hostile [a-z]" |
        grep -v -e listen- || true
}

# ---- filesystem ----------------------------------------------------------

@test "native: secrets in the real home are not visible" {
    mkdir -p "$HOME/.ssh" "$HOME/.aws" /root/.ssh
    echo secret >"$HOME/.ssh/id_rsa"
    echo secret >"$HOME/.aws/credentials"
    works outside read "$HOME/.ssh/id_rsa"
    works outside read "$HOME/.aws/credentials"
    works outside read /root/.bashrc
    blocked_both read "$HOME/.ssh/id_rsa"
    blocked_both read "$HOME/.aws/credentials"
    blocked_both read /root/.bashrc
    blocked_both exists /root
    blocked_both exists /home/"$TESTUSER"
}

@test "native: cannot write outside the mounts (home, /tmp, /etc, /usr)" {
    works outside write "$HOME/pwned"
    works outside write "$TEST_TMP/pwned-tmp"
    works outside write "/etc/coco-pwned-$$"
    works outside write "/usr/coco-pwned-$$"
    rm -f "$HOME/pwned" "$TEST_TMP/pwned-tmp" "/etc/coco-pwned-$$" "/usr/coco-pwned-$$"
    blocked_both write "$HOME/pwned"
    blocked_both write "/etc/coco-pwned-$$"
    blocked_both write "/usr/coco-pwned-$$"
    blocked_both write /etc/passwd
    # /tmp inside is private: a write there lands in the sandbox's tmpfs
    run inside write "$TEST_TMP/pwned-tmp"
    [[ ! -e $HOME/pwned && ! -e $TEST_TMP/pwned-tmp ]]
    [[ ! -e /etc/coco-pwned-$$ && ! -e /usr/coco-pwned-$$ ]]
}

@test "native: symlinks and hard links planted in the workspace do not escape" {
    echo secret >"$TEST_TMP/host-secret"
    ln -s "$TEST_TMP/host-secret" "$WORK/abs-link"
    ln -s ../../../../../../etc/shadow "$WORK/rel-link"
    works outside read "$WORK/abs-link"
    # inside, the link resolves in the sandbox's root: the file is not there
    blocked inside read /workspace/abs-link
    blocked inside write /workspace/abs-link
    [[ $(cat "$TEST_TMP/host-secret") == secret ]]
    # a hard link to a file outside the mounts cannot be made from inside
    works outside hardlink /etc/hostname "$WORK/hl"
    rm -f "$WORK/hl"
    blocked inside hardlink /etc/hostname /workspace/hl
    blocked inside hardlink /usr/bin/env /workspace/hl
    # /etc/shadow is not readable (the tool is never root)
    blocked_both read /workspace/rel-link
    blocked_both read /etc/shadow
}

# Issue 6 item 2: a tool can write what another tool (or its own next run
# with another config) uses as a mount source: here the workspace holds
# ./cache, which the "reader" config mounts at /cache.  The tool replaces
# it with a symlink (to ~/.ssh); the NEXT run must refuse the mount, not
# bind the target.  Judged from the host: the run fails with the reason
# and the key was not read.  As root and as a normal user.
@test "native: a mount source turned into a symlink is refused by the next run" {
    mkdir -p "$HOME/.ssh" "$UHOME/.ssh"
    echo root-key >"$HOME/.ssh/id_rsa"
    echo user-key >"$UHOME/.ssh/id_rsa"
    chown -R "$TESTUSER:" "$UHOME/.ssh"
    mkdir -p "$WORK/cache" "$UWORK/cache"
    chown "$TESTUSER:" "$UWORK/cache"
    hostile_config_mounts reader '[{"src": ".", "dst": "/workspace"}, {"src": "./cache", "dst": "/cache"}]'
    # the tool swaps the mount source for a symlink
    run inside rmdir /workspace/cache
    assert_status 0
    run inside symlink "$HOME/.ssh" /workspace/cache
    assert_status 0
    [[ -L $WORK/cache ]]
    run "$COCO" run --runtime native reader cat /cache/id_rsa
    assert_status 125
    assert_contains "the component cache is a symbolic link"
    refute_contains root-key
    # as the user
    run inside_user rmdir /workspace/cache
    assert_status 0
    run inside_user symlink "$UHOME/.ssh" /workspace/cache
    assert_status 0
    run inside_user_cfg reader cat /cache/id_rsa
    assert_status 125
    assert_contains "is a symbolic link"
    refute_contains user-key
}

# Issue 6 item 13: a mount inside another works when its mount point
# exists in the outer source (as root through the idmapped workspace too,
# which failed with EOVERFLOW), whatever the config's order; nothing is
# created in the user's files when it does not.
@test "native: nested mounts: parents first, mount points never created in the workspace" {
    mkdir -p "$WORK/inner" "$TEST_TMP/ext" "$UWORK/inner" "$TEST_TMP/uext"
    echo from-ext >"$TEST_TMP/ext/f"
    echo from-uext >"$TEST_TMP/uext/f"
    chown -R "$TESTUSER:" "$UWORK/inner" "$TEST_TMP/uext"
    install_config nest "{\"command\": \"/workspace/hostile\", \"runtime\": \"native\",
        \"mounts\": [{\"src\": \"$TEST_TMP/ext\", \"dst\": \"/workspace/inner\"},
                   {\"src\": \".\", \"dst\": \"/workspace\"}]}"
    run "$COCO" run --runtime native nest cat /workspace/inner/f
    assert_status 0
    assert_contains "content=from-ext"
    local j="{\"command\": \"/workspace/hostile\", \"runtime\": \"native\",
        \"mounts\": [{\"src\": \"$TEST_TMP/uext\", \"dst\": \"/workspace/inner\"},
                   {\"src\": \".\", \"dst\": \"/workspace\"}]}"
    printf '%s\n' "$j" >"$UDATA/coco/tools/nest.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/nest.json"
    run inside_user_cfg nest cat /workspace/inner/f
    assert_status 0
    assert_contains "content=from-uext"
    rmdir "$WORK/inner"
    run "$COCO" run --runtime native nest cat /workspace/inner/f
    assert_status 125
    assert_contains "lies inside mounts[1]"
    [ ! -e "$WORK/inner" ]
}

# The same swap raced against runs in flight: a tool flips ./cache between
# the real directory and a symlink to ~/.ssh as fast as it can while other
# runs mount it.  A run may fail (it saw the symlink) but none may read
# the key.  Bounded: 5 s of flipping, at most 40 runs.
@test "native: a mount source swapped during the run is never bound" {
    mkdir -p "$HOME/.ssh" "$WORK/cache"
    echo root-key >"$HOME/.ssh/id_rsa"
    echo marker >"$WORK/cache/id_rsa"
    hostile_config flipper
    hostile_config_mounts reader '[{"src": ".", "dst": "/workspace"}, {"src": "./cache", "dst": "/cache"}]'
    bg "$COCO" run --runtime native flipper flip /workspace/cache "$HOME/.ssh" 5
    local i got=0 leaked=0 deadline=$((SECONDS + 8))
    for ((i = 0; i < 40 && SECONDS < deadline; i++)); do
        run "$COCO" run --runtime native reader cat /cache/id_rsa
        [[ $output == *marker* ]] && got=$((got + 1))
        [[ $output == *root-key* ]] && leaked=$((leaked + 1))
    done
    wait "$LAST_BG" || true
    echo "# $i runs: $got read the real directory, $leaked the key" >&3
    [[ $leaked -eq 0 ]]
}

@test "native: coco's own configs cannot be modified from inside" {
    works outside write "$CONFIG_DIR/pwned.json"
    rm -f "$CONFIG_DIR/pwned.json"
    blocked inside write "$CONFIG_DIR/hostile.json"
    blocked inside exists "$CONFIG_DIR"
    blocked inside_user write "$UDATA/coco/tools/hostile.json"
    [[ $(stat -c %s "$CONFIG_DIR/hostile.json") -gt 10 ]]
}

@test "native: /proc/sys, /sys and raw devices are out of reach" {
    local h dev
    h=$(cat /proc/sys/kernel/hostname)
    works outside write /proc/sys/kernel/hostname "$h"
    blocked_both write /proc/sys/kernel/hostname "$h"
    blocked_both write /proc/sys/vm/drop_caches 1
    works outside exists /sys/kernel
    blocked_both exists /sys/kernel
    # a raw device the host lets root read (the root disk, or the kernel
    # log when the disk is fenced off by the host's device policy)
    for dev in "$(findmnt -no SOURCE /)" /dev/kmsg /dev/mem; do
        [[ -e $dev ]] && "$H" read "$dev" >/dev/null && break
        dev=
    done
    if [[ -n $dev ]]; then
        works outside read "$dev"
        blocked_both read "$dev"
    else
        echo "# no raw device is readable even outside: raw read not shown" >&3
    fi
    blocked_both read /dev/mem
    blocked_both exists /dev/kmsg
    if [[ -e /proc/sysrq-trigger ]]; then
        works outside write /proc/sysrq-trigger h
        blocked_both write /proc/sysrq-trigger h
    else
        echo "# /proc/sysrq-trigger absent on this kernel: not tested" >&3
    fi
    # masked: reads like /dev/null
    run inside read /proc/keys
    assert_contains "ok 0 bytes"
}

# ---- processes and environment -------------------------------------------

@test "native: host processes are invisible, cannot be signalled or traced" {
    bg sleep 30
    local victim=$LAST_BG
    works outside see-pid "$victim"
    works outside kill "$victim"
    works outside ptrace-pid "$victim"
    blocked_both see-pid "$victim"
    blocked_both kill "$victim"
    blocked_both ptrace-pid "$victim"
    blocked_both ptrace-pid 1   # coco's init
    kill -0 "$victim"
}

@test "native: the host environment is not visible, /proc/1/environ included" {
    export COCO_TEST_SECRET="hunter2-$$"
    works outside environ "hunter2-$$"
    blocked inside environ "hunter2-$$"
    EXTRA_ENV="COCO_TEST_SECRET=hunter2-$$" blocked inside_user environ "hunter2-$$"
    blocked inside read /proc/1/environ
}

@test "native: environment is PATH, HOME, TERM, LANG and the config's" {
    hostile_config envt '"env": {"FOO": "bar"}, "env_passthrough": ["PASSME"]'
    PASSME=yes SECRET_TOKEN=x LANG=C.UTF-8 run "$COCO" run --runtime native envt env
    assert_status 0
    assert_line "FOO=bar"
    assert_line "PASSME=yes"
    assert_line "HOME=/home/coco"
    assert_line "LANG=C.UTF-8"
    assert_contains "PATH="
    refute_contains "SECRET_TOKEN"
    refute_contains "XDG_DATA_HOME"
    local l
    for l in "${lines[@]}"; do
        [[ $l =~ ^(PATH|HOME|TERM|LANG|LANGUAGE|LC_[A-Z_]+|FOO|PASSME|PWD|SHLVL|_)= ]] || {
            echo "unexpected variable: $l" >&2
            return 1
        }
    done
}

# ---- identity ------------------------------------------------------------

@test "native: root runs the tool as nobody; its files belong to root" {
    run inside ids
    assert_status 0
    assert_contains "uid=65534 euid=65534"
    run inside write /workspace/made-by-tool
    assert_status 0
    [[ $(stat -c %u:%g "$WORK/made-by-tool") == 0:0 ]]
    # the invoking user's files look like the tool's own inside
    echo hi >"$WORK/mine"
    chmod 0600 "$WORK/mine"
    run inside read /workspace/mine
    assert_status 0
}

@test "native: a normal user runs as itself; its files belong to it" {
    local uid
    uid=$(id -u "$TESTUSER")
    run inside_user ids
    assert_status 0
    assert_contains "uid=$uid euid=$uid"
    run inside_user write /workspace/made-by-tool
    assert_status 0
    [[ $(stat -c %U "$UWORK/made-by-tool") == "$TESTUSER" ]]
}

@test "native: setuid binaries and capabilities give nothing" {
    cp "$H" "$UWORK/suid"
    chown root:root "$UWORK/suid"
    chmod 4755 "$UWORK/suid"
    run runuser -u "$TESTUSER" -- "$UWORK/suid" euid-root
    assert_status 0   # works outside: euid 0
    hostile_config suid "" /workspace/suid
    run bash -c "cd '$UWORK' && runuser -u '$TESTUSER' -- env XDG_DATA_HOME='$UDATA' HOME='$UHOME' '$COCO' run --runtime native suid euid-root"
    assert_status 1
    assert_contains "blocked"
    # capabilities: chown to another user, bind a port below 1024
    touch "$WORK/f"
    works outside chown "$WORK/f"
    blocked_both chown /workspace/hostile
    works outside bind-low
    blocked_both bind-low
    blocked_both sethostname
}

# Issue 6 item 1: a root run's files land on disk as root (idmapped), a
# user run's as the user; a setuid/setgid bit set inside would make any
# local user that identity.  Judged from the host: no file the tool left
# in the workspace carries either bit.
SUID_METHODS=(chmod fchmod fchmodat fchmodat2 chmod-high chmod-dir open
    openat openat2 creat mknod mknodat)

@test "native: no setuid/setgid file can be left in a mount, however it is made" {
    local m
    for m in "${SUID_METHODS[@]}"; do
        # outside: root leaves a root-owned setuid file; the user its own
        works outside suid "$m" "$WORK/out-$m"
        works outside_user suid "$m" "$UWORK/out-$m"
        blocked_both suid "$m" "/workspace/in-$m"
    done
    # what the tool made exists, without the bits (checked on the host)
    run find "$WORK" "$UWORK" -name 'in-*' -perm /6000
    assert_status 0
    [[ -z $output ]] || { echo "setuid/setgid files left: $output" >&2; return 1; }
    [[ $(find "$WORK" -name 'out-*' -perm /6000 | wc -l) -ge 10 ]]
    # a plain chmod still works
    run inside write /workspace/plain
    assert_status 0
    run inside chmod /workspace/plain 0700
    assert_status 0
    [[ $(stat -c %a "$WORK/plain") == 700 ]]
    # file capabilities are as good as setuid: root can set them outside
    works outside setcap "$WORK/cap-out"
    blocked_both setcap /workspace/cap-in
    run python3 -c 'import os, sys; os.getxattr(sys.argv[1], "security.capability")' "$WORK/cap-in"
    [[ $status -ne 0 ]]
}

# ---- network -------------------------------------------------------------

@test "native: no route to a listener on the host's 127.0.0.1" {
    local port=$((20000 + RANDOM % 20000))
    bg "$H" listen-tcp "$port" >"$TEST_TMP/l.out"
    wait_output "$TEST_TMP/l.out" ready
    works outside connect-tcp "$port"
    works outside_user connect-tcp "$port"
    blocked_both connect-tcp "$port"
}

@test "native: host abstract and path unix sockets (docker, ssh-agent) are unreachable" {
    local name="coco-test-$$"
    bg "$H" listen-abstract "$name" >"$TEST_TMP/a.out"
    wait_output "$TEST_TMP/a.out" ready
    works outside connect-abstract "$name"
    blocked_both connect-abstract "$name"
    bg "$H" listen-unix "$TEST_TMP/agent.sock" >"$TEST_TMP/u.out"
    wait_output "$TEST_TMP/u.out" ready
    chmod 0777 "$TEST_TMP/agent.sock"
    works outside connect-unix "$TEST_TMP/agent.sock"
    works outside_user connect-unix "$TEST_TMP/agent.sock"
    SSH_AUTH_SOCK=$TEST_TMP/agent.sock blocked inside connect-unix "$TEST_TMP/agent.sock"
    blocked_both connect-unix "$TEST_TMP/agent.sock"
    blocked_both connect-unix /var/run/docker.sock
    blocked_both connect-unix /run/podman/podman.sock
}

@test "native: network none has loopback only, and it is up" {
    local port=$((20000 + RANDOM % 20000))
    hostile_config loop
    # both ends inside: the listener is the sandbox's own
    run "$COCO" run --runtime native hostile exists /proc/net/dev
    assert_status 0
    run "$COCO" run --runtime native hostile read /proc/net/dev
    assert_status 0
    run bash -c "'$COCO' run --runtime native hostile connect-tcp $port"
    assert_contains "ECONNREFUSED"   # lo is up: refused, not unreachable
}

# ---- terminal ------------------------------------------------------------

@test "native: TIOCSTI cannot inject keystrokes (also with high bits set)" {
    skip_unless_cmd script
    [[ $(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1) == 1 ]] ||
        skip "dev.tty.legacy_tiocsti=0: the kernel refuses TIOCSTI already"
    run script -qec "$H tiocsti" /dev/null
    assert_contains "tiocsti: ok"
    run script -qec "$COCO run --runtime native hostile tiocsti" /dev/null
    assert_contains "tiocsti: blocked: EPERM"
    run script -qec "$COCO run --runtime native hostile tiocsti-high" /dev/null
    assert_contains "tiocsti-high: blocked: EPERM"
    run script -qec "$COCO run --runtime native hostile tioclinux" /dev/null
    assert_contains "tioclinux: blocked: EPERM"
    # and the tool does get the terminal, by name too
    run script -qec "$COCO run --runtime native hostile isatty" /dev/null
    assert_contains "stdin tty"
    install_config tty '{"command": "tty", "runtime": "native"}'
    run script -qec "$COCO run --runtime native tty" /dev/null
    assert_contains "/dev/console"
    run inside isatty </dev/null
    assert_contains "stdin not-a-tty"
}

@test "native: nothing the tool does to its terminal outlives the run (excl, ldisc, modes, size)" {
    local who target
    # on the test's terminal itself every change sticks: exclusive mode
    # (the test user's next open fails with EBUSY), another line
    # discipline (N_NULL throws all output away), raw mode, the size
    run on_pty -o "$PTYOUT/outside" -- "$H" tty-mess stdin
    assert_line "ptyrun: excl 1"
    refute_line "ptyrun: ldisc 0"
    assert_line "ptyrun: termios changed"
    assert_line "ptyrun: winsize changed 11x22"
    run on_pty_user -o "$PTYOUT/outside-user" -- ./hostile tty-mess /dev/tty
    assert_line "ptyrun: reopen EBUSY"
    # through coco the tool only ever reaches a pty of its own
    for who in on_pty on_pty_user; do
        for target in stdin /dev/tty; do
            run $who -o "$PTYOUT/$who" -- "$COCO" run --runtime native hostile tty-mess "$target"
            assert_line "ptyrun: status 0"
            assert_tty_intact
        done
    done
}

@test "native: on a terminal the tool has one: isatty, ttyname, size, keys, Ctrl-C, EOF" {
    local who out
    install_config cat '{"command": "cat", "runtime": "native"}'
    cp "$CONFIG_DIR/cat.json" "$UDATA/coco/tools/cat.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/cat.json"
    for who in on_pty on_pty_user; do
        out=$PTYOUT/$who
        run $who -o "$out" -- "$COCO" run --runtime native hostile tty-name
        assert_line "ptyrun: status 0"
        grep -q "stdin tty stdout tty stderr tty name /dev/console size 33x77" "$out"
        # a line typed on the test's terminal reaches the tool's stdin
        run $who -o "$out" -m ready -i 'hello\r' -t 20 -- "$COCO" run --runtime native hostile tty-readline
        assert_line "ptyrun: status 0"
        grep -q "line: <hello>" "$out"
        # cat echoes a line, and Ctrl-D (a byte for the tool's pty) ends it
        run $who -o "$out" -d 1000 -i 'hello cat\r\x04' -t 20 -- "$COCO" run --runtime native cat
        assert_line "ptyrun: status 0"
        [[ $(grep -c "hello cat" "$out") -ge 2 ]]
        # Ctrl-C is a byte too: the tool's own line discipline sends SIGINT
        run $who -o "$out" -m ready -i '\x03' -t 20 -- "$COCO" run --runtime native hostile waitsig
        assert_line "ptyrun: status 66"
        grep -q "got INT" "$out"
        # Ctrl-Z does not leave a stopped tool nobody can resume (the
        # kernel discards it for the tool's orphaned process group): the
        # Ctrl-C after it still ends the run
        run $who -o "$out" -m ready -i '\x1a\x03' -t 20 -- "$COCO" run --runtime native hostile waitsig
        assert_line "ptyrun: status 66"
        assert_tty_intact
    done
    # stdout piped (`coco run x | less`): coco neither reads the keys nor
    # changes the terminal's modes; the tool's stdin is still a terminal
    run on_pty -o "$PTYOUT/pipe" -- sh -c "'$COCO' run --runtime native hostile tty-name | cat"
    assert_line "ptyrun: status 0"
    grep -q "stdin tty stdout not-a-tty stderr tty name /dev/console" "$PTYOUT/pipe"
    assert_tty_intact
}

@test "native: what the tool writes to /dev/tty counts against the output cap" {
    local who out n
    hostile_config ttycap '"limits": {"output": "1k"}'
    for who in on_pty on_pty_user; do
        out=$PTYOUT/$who
        run $who -o "$out" -- "$COCO" run --runtime native ttycap tty-write 1048576
        assert_line "ptyrun: status 125"
        grep -q "output limit of 1024 bytes reached" "$out"
        n=$(stat -c %s "$out")
        # the cap, plus coco's one line
        ((n <= 1024 + 100))
        assert_tty_intact
    done
    # without a terminal the tool has no controlling terminal at all
    run inside tty-write 100 </dev/null
    assert_contains "blocked: ENXIO"
    run inside_user tty-write 100 </dev/null
    assert_contains "blocked: ENXIO"
}

# ---- system calls --------------------------------------------------------

@test "native: every denied syscall family fails with EPERM (clone3: ENOSYS)" {
    local s
    local fams=(mount umount2 pivot_root chroot open_tree move_mount fsopen
        fsmount mount_setattr unshare-user unshare-mount unshare-net setns
        clone-newuser clone3 keyctl add_key request_key bpf perf_event_open
        userfaultfd io_uring_setup ptrace process_vm_readv init_module
        finit_module delete_module kexec_load reboot swapon acct syslog
        open_by_handle_at personality)
    for s in "${fams[@]}"; do
        # outside, as root, the kernel itself handles the call
        works outside syscall "$s"
        blocked_both syscall "$s"
        if [[ $s == clone3 ]]; then
            assert_contains "ENOSYS"
        else
            assert_contains "EPERM"
        fi
    done
    # what stays allowed: personality queries, plain fork
    run inside syscall personality-query
    assert_status 0
    run inside forkbomb 3
    assert_status 0
}

# ---- resources -----------------------------------------------------------

@test "native: a fork bomb stops at the pids limit" {
    works outside forkbomb 200
    blocked_both forkbomb 200
}

@test "native: a memory hog stops at the memory limit" {
    works outside memhog 256
    run inside memhog 256
    [[ $status -eq 137 || ($status -eq 1 && $output == *blocked*) ]]
    refute_contains "hostile: memhog 256: ok"
    run inside_user memhog 256
    [[ $status -eq 137 || ($status -eq 1 && $output == *blocked*) ]]
    refute_contains "hostile: memhog 256: ok"
}

@test "native: /tmp is size-limited" {
    # the policy's default /tmp size is 512 MiB
    works outside filltmp "$TEST_TMP/fill" 600
    rm -f "$TEST_TMP/fill"
    blocked inside filltmp /tmp/fill 600
    # /dev/shm: a quarter of the 64 MiB memory limit here, so either the
    # tmpfs is full or the memory cgroup stops the writer (137)
    run inside filltmp /dev/shm/fill 600
    [[ $status -eq 137 || ($status -eq 1 && $output == *blocked*) ]]
    refute_contains ": ok"
    blocked inside_user filltmp /tmp/fill 600
}

@test "native: rlimit fallback: home and /dev/shm sized from memory, and show says what an rlimit limits" {
    # the test user has no cgroup it may write here: rlimits apply
    run bash -c "cd '$UWORK' && runuser -u '$TESTUSER' -- env XDG_DATA_HOME='$UDATA' HOME='$UHOME' '$COCO' show hostile"
    assert_status 0
    [[ ${output,,} == *rlimit* ]] || skip "the test user's limits are cgroups on this host"
    assert_contains "memory   RLIMIT_AS 64 MiB per process, not a total"
    assert_contains "tmpfs /tmp 16 MiB, home 16 MiB, /dev/shm 16 MiB"
    assert_contains "pids     RLIMIT_NPROC 32 processes and threads of the tool's uid"
    run bash -c "cd '$UWORK' && runuser -u '$TESTUSER' -- env XDG_DATA_HOME='$UDATA' HOME='$UHOME' '$COCO' run --dry-run hostile"
    assert_contains "RLIMIT_AS 64 MiB per process, not a total"
    # each tmpfs stops at its size, a quarter of the memory limit
    blocked inside_user filltmp /home/coco/fill 40
    blocked inside_user filltmp /dev/shm/fill 40
    blocked inside_user filltmp /tmp/fill 40
    run inside_user filltmp /home/coco/fill 12
    assert_status 0
}

@test "native: output beyond the cap stops the tool (exit 125)" {
    hostile_config flood '"limits": {"output": "1m"}'
    run bash -c "'$COCO' run --runtime native flood flood 50000000 >'$TEST_TMP/out'"
    assert_status 125
    assert_contains "output limit"
    local n
    n=$(stat -c %s "$TEST_TMP/out")
    ((n <= 1048576))
    ((n >= 1000000))
}

@test "native: a tool that never exits is stopped by the timeout (exit 124)" {
    hostile_config slow '"limits": {"timeout": "1s"}'
    run "$COCO" run --runtime native slow sleep
    assert_status 124
    assert_contains "timed out"
    [[ -z $(leftovers) ]]
}

# ---- exit codes and signals ----------------------------------------------

@test "native: exit codes pass through; 128+N for a signal; 126, 127" {
    run inside exit 3
    assert_status 3
    run inside killself 15
    assert_status 143
    run inside killself 9
    assert_status 137
    run inside killself 31   # SIGSYS
    assert_status 159
    install_config nocmd '{"command": "no-such-command-coco", "runtime": "native"}'
    run -127 "$COCO" run --runtime native nocmd
    assert_status 127
    assert_contains "not found"
    echo 'not a program' >"$WORK/noexec"
    chmod 0644 "$WORK/noexec"
    install_config noexec '{"command": "/workspace/noexec", "runtime": "native",
      "mounts": [{"src": ".", "dst": "/workspace"}]}'
    run "$COCO" run --runtime native noexec
    assert_status 126
}

@test "native: a script whose #! interpreter is missing says so (127)" {
    printf '#!/no/such/interp\necho hi\n' >"$WORK/script.sh"
    printf '#!/no/\033[31mred\n' >"$WORK/esc.sh"
    chmod 0755 "$WORK/script.sh" "$WORK/esc.sh"
    install_config scr '{"command": "/workspace/script.sh", "runtime": "native",
      "mounts": [{"src": ".", "dst": "/workspace"}]}'
    run -127 "$COCO" run --runtime native scr
    [[ ${#lines[@]} -eq 1 ]]
    assert_contains "/workspace/script.sh: interpreter /no/such/interp (from its #! line) not found in the sandbox"
    # found through PATH: the same
    install_config scrpath '{"command": "script.sh", "runtime": "native",
      "env": {"PATH": "/workspace:/usr/bin:/bin"},
      "mounts": [{"src": ".", "dst": "/workspace"}]}'
    run -127 "$COCO" run --runtime native scrpath
    assert_contains "/workspace/script.sh: interpreter /no/such/interp (from its #! line)"
    # the #! line is the tool's to write: printed escaped
    install_config esc '{"command": "/workspace/esc.sh", "runtime": "native",
      "mounts": [{"src": ".", "dst": "/workspace"}]}'
    run -127 "$COCO" run --runtime native esc
    assert_contains 'interpreter /no/\x1b[31mred (from its #! line)'
    [[ $output != *$'\033'* ]]
}

@test "native: an early init failure is reported (125, init's reason), not a SIGPIPE; nothing left" {
    local i n five u
    mkdir -p "$WORK"/m{1,2,3,4,5} "$UWORK"/m{1,2,3,4,5}
    chown "$TESTUSER:" "$UWORK"/m{1,2,3,4,5}
    five='{"command": "true", "runtime": "native", "mounts": [
      {"src": "m1", "dst": "/m1"}, {"src": "m2", "dst": "/m2"},
      {"src": "m3", "dst": "/m3"}, {"src": "m4", "dst": "/m4"},
      {"src": "m5", "dst": "/m5"}]}'
    install_config five "$five"
    printf '%s\n' "$five" >"$UDATA/coco/tools/five.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/five.json"
    # Few descriptors: init runs out opening the mount sources while
    # coco still releases it.  Whichever side runs out first, coco says
    # why in one line; init's reason comes through at least once.  Where
    # the threshold lies depends on the descriptors the caller inherits,
    # so climb from 9 until the run succeeds: every limit below it must
    # fail cleanly, and the run must succeed well before 64.
    local seen_init=0 ok_at
    for ((i = 0; i < 2; i++)); do
        ok_at=
        for ((n = 9; n < 64; n++)); do
            run bash -c "ulimit -n $n; exec '$COCO' run --runtime native five"
            if ((status == 0)) && [[ -z $output ]]; then
                ok_at=$n
                break
            fi
            assert_coco_error "Too many open files"
            [[ $output == *"native sandbox: "* ]] && seen_init=1
        done
        [[ -n $ok_at ]] && ((ok_at > 11))
    done
    ((seen_init))
    for n in 9 10 11; do
        run bash -c "cd '$UWORK' && runuser -u '$TESTUSER' -- env XDG_DATA_HOME='$UDATA' HOME='$UHOME' bash -c 'ulimit -n $n; exec $COCO run --runtime native five'"
        assert_coco_error "Too many open files"
    done
    run leftovers
    [[ -z $output ]]
}

@test "native: signals to coco reach the tool" {
    local sig num
    for sig in TERM INT HUP QUIT USR1 USR2 WINCH; do
        bg "$COCO" run --runtime native hostile waitsig >"$TEST_TMP/sig.out" 2>&1
        local cpid=$LAST_BG
        wait_output "$TEST_TMP/sig.out" ready
        kill -"$sig" "$cpid"
        local st=0
        wait "$cpid" || st=$?
        num=$(kill -l "$sig")
        if [[ $st -ne $((64 + num)) ]]; then
            echo "SIG$sig: coco exited $st, want $((64 + num))" >&2
            cat "$TEST_TMP/sig.out" >&2
            return 1
        fi
        grep -q "got $sig" "$TEST_TMP/sig.out"
    done
}

@test "native: kill -9 of coco leaves no process of the sandbox behind" {
    bg "$COCO" run --runtime native hostile orphan-then-sleep >/dev/null 2>&1
    local cpid=$LAST_BG i kids=""
    # the sandbox's processes: coco's descendants (bounded wait for them)
    for ((i = 0; i < 100; i++)); do
        kids=$(pgrep -f "/workspace/hostile" || true)
        [[ -n $kids ]] && break
        sleep 0.1
    done
    [[ -n $kids ]]
    kill -KILL "$cpid"
    for ((i = 0; i < 100; i++)); do
        [[ -z $(pgrep -f "/workspace/hostile" || true) ]] && break
        sleep 0.1
    done
    run pgrep -a -f "/workspace/hostile"
    [[ -z $output ]]
}

@test "native: orphans inside the sandbox die with the tool" {
    run inside orphan
    assert_status 0
    assert_contains "orphan"
    run pgrep -a -f "/workspace/hostile"
    [[ -z $output ]]
}

@test "native: 200 runs in a row, 20 at once, nothing left behind" {
    local mounts_before mounts_after
    mounts_before=$(host_mounts)
    hostile_config quick
    run bash -c "seq 200 | xargs -P 20 -I{} '$COCO' run --runtime native quick exit 0 >/dev/null 2>&1; echo xargs=\$?"
    assert_contains "xargs=0"
    mounts_after=$(host_mounts)
    if [[ $mounts_before != "$mounts_after" ]]; then
        diff <(echo "$mounts_before") <(echo "$mounts_after") >&2
        return 1
    fi
    run leftovers
    [[ -z $output ]]
    # and as the test user, 40 runs, 10 at once
    run bash -c "cd '$UWORK' && seq 40 | xargs -P 10 -I{} runuser -u '$TESTUSER' -- env XDG_DATA_HOME='$UDATA' HOME='$UHOME' '$COCO' run --runtime native quick exit 0 >/dev/null 2>&1; echo xargs=\$?"
    assert_contains "xargs=0"
    run leftovers
    [[ -z $output ]]
}

# ---- describe ------------------------------------------------------------

@test "native: --dry-run describes mounts, env, limits and the seccomp table" {
    run "$COCO" run --runtime native --dry-run hostile
    assert_status 0
    assert_contains "native sandbox"
    assert_contains "/workspace"
    assert_contains "/proc/sys"
    assert_contains "memory"
    assert_contains "cgroup v1"
    assert_contains "TIOCSTI"
    assert_contains "open_by_handle_at"
    assert_contains "terminal:   a pty of its own"
    refute_contains "podman"
}

# ---- a real tool ---------------------------------------------------------

@test "native: eslint 9 from npm lints a real file" {
    if ! command -v eslint >/dev/null; then
        npm install -g eslint@9 >"$TEST_TMP/npm.log" 2>&1 ||
            skip "npm install -g eslint@9 failed: $(tail -1 "$TEST_TMP/npm.log")"
    fi
    command -v eslint >/dev/null || skip "eslint not on PATH after npm install"
    install_config eslint '{"command": "eslint", "runtime": "native",
      "mounts": [{"src": ".", "dst": "/workspace"}]}'
    cat >"$WORK/eslint.config.mjs" <<'EOF'
export default [{ rules: { "no-unused-vars": "error", "no-undef": "error" } }];
EOF
    printf 'const unused = 1;\nconsole.log(missing);\n' >"$WORK/bad.js"
    printf 'export const used = 1;\n' >"$WORK/good.js"
    run "$COCO" run --runtime native eslint bad.js
    assert_status 1
    assert_contains "'unused' is assigned a value but never used"
    assert_contains "'missing' is not defined"
    run "$COCO" run --runtime native eslint good.js
    assert_status 0
    # and as the normal user
    cp "$WORK/eslint.config.mjs" "$WORK/bad.js" "$UWORK/"
    chown "$TESTUSER:" "$UWORK/eslint.config.mjs" "$UWORK/bad.js"
    cp "$CONFIG_DIR/eslint.json" "$UDATA/coco/tools/eslint.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/eslint.json"
    run bash -c "cd '$UWORK' && runuser -u '$TESTUSER' -- env XDG_DATA_HOME='$UDATA' HOME='$UHOME' '$COCO' run --runtime native eslint bad.js"
    assert_status 1
    assert_contains "'unused' is assigned a value but never used"
}
