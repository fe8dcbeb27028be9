#!/usr/bin/env bats
# cli.bats — the real coco binary, every command, no container engine:
# where a run needs an engine, a fake "podman"/"docker" script on PATH
# records its argv and environment (helpers.bash, install_fake_engine), so
# exec, environment passing, exit codes, signals and timeouts are checked
# exactly as coco hands them to a real engine.

load helpers

setup() { common_setup; }
teardown() {
    # A fake engine left sleeping by a failed test: ours, ended by PID.
    if [[ -n ${FAKE_DIR:-} && -f $FAKE_DIR/run.pid ]]; then
        kill -KILL "$(cat "$FAKE_DIR/run.pid")" 2>/dev/null || true
    fi
    common_teardown
}

ESLINT_CFG='{
  "command": "eslint",
  "image": "localhost/coco-eslint:9",
  "mounts": [{ "src": ".", "dst": "/workspace" }],
  "network": "none"
}'

# dry [ARGS...]: coco run --runtime podman --dry-run ARGS, fake podman on PATH.
dry() {
    run "$COCO" run --runtime podman --dry-run "$@"
}

# arg_value OPT: the value of OPT in the dry-run output ("OPT=V" or "OPT" "V").
arg_value() {
    local i
    for ((i = 0; i < ${#lines[@]}; i++)); do
        if [[ ${lines[i]} == "$1="* ]]; then
            printf '%s\n' "${lines[i]#"$1="}"
            return 0
        fi
        if [[ ${lines[i]} == "$1" ]]; then
            printf '%s\n' "${lines[i + 1]}"
            return 0
        fi
    done
    return 1
}

# ---------------------------------------------------------------- dispatch

@test "help, --help and -h describe every command and variable, exit 0" {
    local a w
    for a in help --help -h; do
        run "$COCO" "$a"
        assert_status 0
        for w in run list show get up down prune rebuild --dry-run --runtime \
            COCO_RUNTIME COCO_IMAGE COCO_DEBUG COCO_ALLOW_NETWORK \
            COCO_EXTRA_PORTS COCO_STORE COCO_BIN_DIR; do
            assert_contains "$w"
        done
    done
}

@test "version and --version print the Makefile's version" {
    local want
    want=$(sed -n 's/^VERSION := //p' "$REPO_ROOT/Makefile")
    [ -n "$want" ]
    run "$COCO" version
    assert_status 0
    assert_contains "$want"
    run "$COCO" --version
    assert_status 0
    assert_contains "$want"
}

@test "no command prints the usage and exits 125" {
    run "$COCO"
    assert_status 125
    assert_contains "run"
}

@test "an unknown command exits 125 with one line naming it" {
    run "$COCO" frobnicate
    assert_coco_error frobnicate
    run "$COCO" --frobnicate
    assert_coco_error --frobnicate
}

@test "run without a tool is a usage error (125), nothing runs" {
    install_fake_engine podman
    run "$COCO" run
    assert_status 125
    assert_contains "coco:"
    run "$COCO" run --runtime podman --dry-run
    assert_status 125
    run "$COCO" run --
    assert_status 125
    [ ! -e "$FAKE_DIR/calls" ]
}

@test "run of an unknown tool names the config path it looked for" {
    run "$COCO" run nosuch
    assert_coco_error "$CONFIG_DIR/nosuch.json"
    run "$COCO" show nosuch
    assert_coco_error "$CONFIG_DIR/nosuch.json"
}

@test "configs default to ~/.local/share/coco/tools without XDG_DATA_HOME" {
    install_fake_engine podman
    unset XDG_DATA_HOME
    mkdir -p "$HOME/.local/share/coco/tools"
    printf '%s\n' "$ESLINT_CFG" >"$HOME/.local/share/coco/tools/eslint.json"
    chmod 0644 "$HOME/.local/share/coco/tools/eslint.json"
    run "$COCO" list
    assert_status 0
    [ "$output" = eslint ]
    run "$COCO" run nosuch
    assert_coco_error "$HOME/.local/share/coco/tools/nosuch.json"
}

@test "run refuses tool names that are paths" {
    local n
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    # A config that ../ or an absolute name would reach if not refused.
    printf '%s\n' "$ESLINT_CFG" >"$XDG_DATA_HOME/coco/x.json"
    for n in ../x a/b . .. '' "$XDG_DATA_HOME/coco/x"; do
        run "$COCO" run --runtime podman "$n"
        assert_coco_error
    done
    [ ! -e "$FAKE_DIR/calls" ]
}

@test "run rejects an unknown option before the tool" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    run "$COCO" run --bogus eslint
    assert_coco_error --bogus
    [ ! -e "$FAKE_DIR/calls" ]
}

# ---------------------------------------------------------------- dry run

@test "--dry-run prints the engine argv one per line, exit 0, runs nothing" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    dry eslint src/a.js
    assert_status 0
    [ "${lines[0]}" = "$FAKE_BIN/podman" ]
    [ "${lines[1]}" = run ]
    assert_line --rm
    assert_line --init
    assert_line --cap-drop=ALL
    assert_line --security-opt=no-new-privileges
    assert_line --read-only
    assert_line --network=none
    assert_line localhost/coco-eslint:9
    [ "${lines[-2]}" = eslint ]
    [ "${lines[-1]}" = src/a.js ]
    # a size-limited tmpfs on /tmp, pids and memory limits with defaults
    run grep -E -- '^--tmpfs(=| )?/tmp' <<<"$output"
    assert_status 0
    dry eslint
    [ "$(arg_value --pids-limit)" -gt 0 ]
    [ "$(arg_value --memory)" != "" ]
    [ ! -e "$FAKE_DIR/calls" ]
}

@test "--dry-run gives every run its own --name" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    dry eslint
    local a b
    a=$(arg_value --name)
    dry eslint
    b=$(arg_value --name)
    [[ $a == coco-eslint* ]]
    [ "$a" != "$b" ]
}

@test "--dry-run without a terminal passes -i but never -t" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    dry eslint </dev/null
    assert_status 0
    refute_line -t
    refute_line --tty
}

@test "arguments after TOOL go to the tool untouched, even options" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    dry eslint --fix -x --dry-run --runtime docker -- --help -h ''
    assert_status 0
    [ "${lines[0]}" = "$FAKE_BIN/podman" ]
    local n=${#lines[@]}
    # bats drops empty lines from $lines; compare the output's tail.
    [ "$(printf '%s\n' "$output" | tail -n 9)" = "$(printf '%s\n' eslint --fix -x --dry-run --runtime docker -- --help -h '')" ]
    [ "$n" -gt 9 ]
}

@test "-- ends coco's options; the next word is the tool" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    run "$COCO" run --runtime podman --dry-run -- eslint -- a
    assert_status 0
    [ "${lines[-3]}" = eslint ]
    [ "${lines[-2]}" = -- ]
    [ "${lines[-1]}" = a ]
    # After --, "--dry-run" is a (bad) tool name, not the flag.
    run "$COCO" run --runtime podman -- --dry-run eslint
    assert_coco_error
    [ ! -e "$FAKE_DIR/calls" ]
    # Without --dry-run, -- eslint really runs.
    run "$COCO" run --runtime podman -- eslint x
    assert_status 0
    [ "$(tail -n 2 "$FAKE_DIR/argv.0")" = "$(printf '%s\n' eslint x)" ]
}

@test "--runtime bogus and a missing --runtime value are coco errors" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    run "$COCO" run --runtime bogus eslint
    assert_coco_error bogus
    run "$COCO" run --runtime=bogus eslint
    assert_coco_error bogus
    run "$COCO" run --runtime
    assert_coco_error runtime
    [ ! -e "$FAKE_DIR/calls" ]
}

@test "COCO_RUNTIME bogus is a coco error naming the variable" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    COCO_RUNTIME=bogus run "$COCO" run eslint
    assert_coco_error COCO_RUNTIME bogus
    [ ! -e "$FAKE_DIR/calls" ]
}

@test "runtime precedence: --runtime over COCO_RUNTIME over the config" {
    install_fake_engine podman
    install_fake_engine docker
    install_config eslint '{"command": "eslint", "runtime": "docker"}'
    run "$COCO" run --dry-run eslint
    assert_status 0
    [ "${lines[0]}" = "$FAKE_BIN/docker" ]
    COCO_RUNTIME=podman run "$COCO" run --dry-run eslint
    assert_status 0
    [ "${lines[0]}" = "$FAKE_BIN/podman" ]
    COCO_RUNTIME=podman run "$COCO" run --runtime docker --dry-run eslint
    assert_status 0
    [ "${lines[0]}" = "$FAKE_BIN/docker" ]
    # docker never gets podman-only flags
    refute_line --http-proxy=false
}

@test "a missing engine is a coco error naming it (125)" {
    install_config eslint "$ESLINT_CFG"
    mkdir -p "$TEST_TMP/empty"
    PATH=$TEST_TMP/empty run "$COCO" run --runtime podman eslint
    assert_coco_error podman
    PATH=$TEST_TMP/empty run "$COCO" run --runtime docker eslint
    assert_coco_error docker
}

@test "COCO_IMAGE applies when the config names no image; the config wins" {
    install_fake_engine podman
    install_config plain '{"command": "true"}'
    install_config eslint "$ESLINT_CFG"
    dry plain
    assert_line localhost/coco:latest
    COCO_IMAGE=localhost/other:1 run "$COCO" run --runtime podman --dry-run plain
    assert_line localhost/other:1
    COCO_IMAGE=localhost/other:1 run "$COCO" run --runtime podman --dry-run eslint
    assert_line localhost/coco-eslint:9
    refute_line localhost/other:1
    COCO_IMAGE='-v' run "$COCO" run --runtime podman --dry-run plain
    assert_coco_error COCO_IMAGE
}

@test "COCO_ALLOW_NETWORK=1 lifts network none" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    COCO_ALLOW_NETWORK=1 run "$COCO" run --runtime podman --dry-run eslint
    assert_status 0
    refute_line --network=none
    COCO_ALLOW_NETWORK=0 run "$COCO" run --runtime podman --dry-run eslint
    assert_line --network=none
}

@test "no network key and no allowed_hosts means no network" {
    install_fake_engine podman
    install_config plain '{"command": "true"}'
    dry plain
    assert_status 0
    assert_line --network=none
}

@test "limits, workdir and volumes reach the argv" {
    install_fake_engine podman
    install_config lim '{"command": "true", "workdir": "/src",
        "limits": {"memory": "512m", "pids": 64, "cpus": "1.5"}}'
    dry lim
    assert_status 0
    [ "$(arg_value --pids-limit)" = 64 ]
    [[ $(arg_value --memory) == 536870912* || $(arg_value --memory) == 512[mM]* ]]
    [[ $(arg_value --cpus) == 1.5* ]]
    [ "$(arg_value --workdir || arg_value -w)" = /src ]
    assert_contains coco-cache-lim
    install_config shared '{"command": "true", "isolated": false}'
    dry shared
    assert_contains coco-cache-shared
    refute_contains coco-cache-lim
    # never an engine socket
    refute_contains docker.sock
    refute_contains podman.sock
}

@test "ports from the config and COCO_EXTRA_PORTS are published" {
    install_fake_engine podman
    install_config web '{"command": "true", "network": "full",
        "ports": ["127.0.0.1:8080:80"]}'
    COCO_EXTRA_PORTS='9090:90,127.0.0.1:7070:70/udp' run "$COCO" run --runtime podman --dry-run web
    assert_status 0
    assert_contains 127.0.0.1:8080:80
    assert_contains 9090:90
    assert_contains 127.0.0.1:7070:70/udp
}

@test "COCO_EXTRA_PORTS with a bad value is a coco error naming it" {
    install_fake_engine podman
    install_config web '{"command": "true", "network": "full"}'
    local v
    for v in abc 99999:80 '8080' '1.2.3:80:80' '80:80/sctp' '-p:1'; do
        COCO_EXTRA_PORTS=$v run "$COCO" run --runtime podman --dry-run web
        assert_coco_error COCO_EXTRA_PORTS
    done
    install_config eslint "$ESLINT_CFG"
    COCO_EXTRA_PORTS=8080:80 run "$COCO" run --runtime podman --dry-run eslint
    assert_coco_error COCO_EXTRA_PORTS
    [ ! -e "$FAKE_DIR/calls" ]
}

# ---------------------------------------------------------------- list / show

@test "list prints configured tools sorted, one per line" {
    install_config zeta '{"command": "true"}'
    install_config alpha '{"command": "true"}'
    install_config mid '{"command": "true"}'
    printf 'not a config\n' >"$CONFIG_DIR/notes.txt"
    run "$COCO" list
    assert_status 0
    [ "$output" = "$(printf '%s\n' alpha mid zeta)" ]
}

@test "list with no config directory prints nothing and exits 0" {
    run "$COCO" list
    assert_status 0
    [ -z "$output" ]
}

@test "list -l adds runtime, network and mounts, one line per tool" {
    install_config alpha '{"command": "true", "mounts": [{"src": ".", "dst": "/workspace"}], "network": "none"}'
    install_config beta '{"command": "true", "network": "host", "runtime": "docker"}'
    run "$COCO" list -l
    assert_status 0
    [ "${#lines[@]}" -eq 2 ]
    [[ ${lines[0]} == alpha* ]]
    [[ ${lines[0]} == *none* ]]
    [[ ${lines[0]} == */workspace* ]]
    [[ ${lines[1]} == beta* ]]
    [[ ${lines[1]} == *host* ]]
    [[ ${lines[1]} == *docker* ]]
}

@test "show describes mounts, network, env, limits and runtime" {
    install_fake_engine podman
    mkdir -p "$WORK/src"
    install_config eslint '{
      "command": "eslint",
      "mounts": [{"src": "./src", "dst": "/workspace", "opts": "ro"}],
      "env": {"NODE_ENV": "production"},
      "env_passthrough": ["TERM"],
      "network": "none",
      "limits": {"memory": "512m", "pids": 100, "timeout": "30s"}
    }'
    COCO_RUNTIME=podman TERM=xterm run "$COCO" show eslint
    assert_status 0
    assert_contains "$CONFIG_DIR/eslint.json"
    assert_contains "$WORK/src"
    assert_contains /workspace
    assert_contains none
    assert_contains NODE_ENV
    assert_contains TERM
    assert_contains 512
    assert_contains 100
    assert_contains 30s
    assert_contains podman
    # nothing risky here: no marker
    refute_contains '!'
    refute_contains 'RISK'
}

@test "show marks risky grants: host network, x11, home mount, secrets" {
    install_fake_engine podman
    install_config risky '{
      "command": "x",
      "mounts": [{"src": "~", "dst": "/home/me"}, {"src": ".", "dst": "/workspace"}],
      "env_passthrough": ["MY_API_TOKEN"],
      "network": "host",
      "x11": true
    }'
    DISPLAY=:0 MY_API_TOKEN=t COCO_RUNTIME=podman run "$COCO" show risky
    assert_status 0
    local marked
    marked=$(grep -E '!|RISK' <<<"$output")
    # the home mount line is marked, the workspace line is not
    grep -q '/home/me' <<<"$marked"
    ! grep -q '/workspace' <<<"$marked"
    grep -qi 'host' <<<"$marked"
    grep -qiE 'x11|display' <<<"$marked"
    grep -q 'MY_API_TOKEN' <<<"$marked"
}

@test "show describes an allowed_hosts config (and that it is not enforced)" {
    install_config claude '{"command": "claude", "allowed_hosts": ["api.anthropic.com"]}'
    COCO_RUNTIME=podman run "$COCO" show claude
    assert_status 0
    assert_contains api.anthropic.com
}

# ---------------------------------------------------------------- bad configs

# bad_config JSON KEY...: installing JSON as "bad" makes `coco run` (and
# `coco show`) fail with 125 and one line naming the file and each KEY;
# the engine never runs.
bad_config() {
    local json=$1
    shift
    install_fake_engine podman
    install_config bad "$json"
    run "$COCO" run --runtime podman bad
    assert_coco_error "$CONFIG_DIR/bad.json" "$@"
    run "$COCO" run --runtime podman --dry-run bad
    assert_coco_error "$CONFIG_DIR/bad.json" "$@"
    [ ! -e "$FAKE_DIR/calls" ]
}

@test "bad config: unknown key" {
    bad_config '{"command": "x", "comand": "y"}' comand
}

@test "bad config: wrong type" {
    bad_config '{"command": 5}' command
}

@test "bad config: wrong type in an array" {
    bad_config '{"env_passthrough": ["TERM", 7]}' 'env_passthrough[1]'
}

@test "bad config: relative mount dst" {
    bad_config '{"mounts": [{"src": ".", "dst": "workspace"}]}' 'mounts[0].dst'
}

@test "bad config: mount dst with .." {
    bad_config '{"mounts": [{"src": ".", "dst": "/w/../etc"}]}' 'mounts[0].dst'
}

@test "bad config: mount dst covering /proc" {
    bad_config '{"mounts": [{"src": ".", "dst": "/proc/x"}]}' 'mounts[0].dst'
}

@test "bad config: mount without dst" {
    bad_config '{"mounts": [{"src": "."}]}' 'mounts[0]'
}

@test "bad config: unknown mount option" {
    bad_config '{"mounts": [{"src": ".", "dst": "/w", "opts": "ro,exec"}]}' 'mounts[0].opts' exec
}

@test "bad config: unknown key in a mount" {
    bad_config '{"mounts": [{"src": ".", "dst": "/w", "mode": "ro"}]}' 'mounts[0].mode'
}

@test "bad config: relative workdir" {
    bad_config '{"workdir": "src"}' workdir
}

@test "bad config: bad env name" {
    bad_config '{"env": {"1BAD": "x"}}' env 1BAD
}

@test "bad config: env value not a string" {
    bad_config '{"env": {"N": 1}}' env N
}

@test "bad config: bad env_passthrough name" {
    bad_config '{"env_passthrough": ["A-B"]}' 'env_passthrough[0]'
}

@test "bad config: bad port" {
    bad_config '{"network": "full", "ports": ["99999:80"]}' 'ports[0]'
}

@test "bad config: port without a network" {
    bad_config '{"ports": ["8080:80"]}' ports
}

@test "bad config: bad host name in allowed_hosts" {
    bad_config '{"allowed_hosts": ["exa mple.com"]}' 'allowed_hosts[0]'
}

@test "bad config: IP address and bare wildcard in allowed_hosts" {
    bad_config '{"allowed_hosts": ["10.0.0.1"]}' 'allowed_hosts[0]'
    bad_config '{"allowed_hosts": ["*.org"]}' 'allowed_hosts[0]'
}

@test "bad config: allowed_hosts is refused until the egress proxy lands" {
    bad_config '{"command": "x", "allowed_hosts": ["registry.npmjs.org"]}' allowed_hosts
}

@test "bad config: unknown network mode" {
    bad_config '{"network": "bridge"}' network bridge
}

@test "bad config: network and allowed_hosts together" {
    bad_config '{"network": "full", "allowed_hosts": ["a.example.org"]}' network
}

@test "bad config: limits with bad values" {
    bad_config '{"limits": {"memory": "lots"}}' limits.memory
    bad_config '{"limits": {"timeout": "soon"}}' limits.timeout
    bad_config '{"limits": {"pids": -1}}' limits.pids
    bad_config '{"limits": {"cpus": "0"}}' limits.cpus
    bad_config '{"limits": {"output": "1q"}}' limits.output
    bad_config '{"limits": {"swap": "1g"}}' limits.swap
}

@test "bad config: unknown runtime" {
    bad_config '{"runtime": "lxc"}' runtime lxc
}

@test "bad config: wrong boolean types" {
    bad_config '{"isolated": "yes"}' isolated
    bad_config '{"x11": "true"}' x11
}

@test "bad config: bad install spec" {
    bad_config '{"tool": "nosuch:pkg"}' tool
    bad_config '{"tool": "npm:../../x"}' tool
}

@test "bad config: command with arguments in it" {
    bad_config '{"command": "eslint --fix"}' command
}

@test "bad config: unknown dependencies key" {
    bad_config '{"dependencies": {"apt": ["git"], "brew": ["x"]}}' dependencies.brew
}

@test "bad config: NUL inside a string" {
    bad_config '{"command": "a\u0000b"}' "line 1"
}

@test "bad config: image that is an option" {
    bad_config '{"image": "--privileged"}' image
}

@test "bad config: podman_args --privileged is refused" {
    bad_config '{"podman_args": ["--privileged"]}' podman_args --privileged
}

@test "bad config: podman_args that undo the sandbox are refused" {
    local a
    for a in '"--cap-add=SYS_ADMIN"' '"--cap-add", "ALL"' \
        '"--security-opt", "seccomp=unconfined"' '"--security-opt=apparmor=unconfined"' \
        '"--security-opt=label=disable"' '"--security-opt=no-new-privileges=false"' \
        '"--network=host"' '"--net", "host"' '"--pid=host"' '"--ipc=host"' \
        '"--uts=host"' '"--userns=host"' '"--device=/dev/kmsg"' '"--device", "/dev/sda"' \
        '"--user=0"' '"-v", "/:/host"' '"--mount=type=bind,src=/,dst=/h"' \
        '"-itv", "/:/h"'; do
        bad_config "{\"podman_args\": [$a]}" podman_args
    done
}

@test "bad config: podman_args mounting the docker socket is refused" {
    bad_config '{"podman_args": ["-v", "/var/run/docker.sock:/var/run/docker.sock"]}' podman_args socket
    bad_config '{"podman_args": ["--volume=/run/podman/podman.sock:/s"]}' podman_args socket
}

@test "bad config: a mount of an engine socket is refused" {
    # A real unix socket named docker.sock, made by this test.
    mkdir -p "$TEST_TMP/run"
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' \
        "$TEST_TMP/run/docker.sock"
    [ -S "$TEST_TMP/run/docker.sock" ]
    bad_config "{\"mounts\": [{\"src\": \"$TEST_TMP/run/docker.sock\", \"dst\": \"/var/run/docker.sock\"}]}" 'mounts[0]' docker.sock
}

@test "bad config: a mount naming a missing engine socket is refused, not created" {
    bad_config "{\"mounts\": [{\"src\": \"$TEST_TMP/run/docker.sock\", \"dst\": \"/s\"}]}" mounts docker.sock
    [ ! -e "$TEST_TMP/run/docker.sock" ]
}

@test "bad config: invalid JSON names the line" {
    install_fake_engine podman
    mkdir -p "$CONFIG_DIR"
    printf '{\n  "command": "x",\n  ,\n}\n' >"$CONFIG_DIR/bad.json"
    chmod 0644 "$CONFIG_DIR/bad.json"
    run "$COCO" run --runtime podman bad
    assert_coco_error "$CONFIG_DIR/bad.json" "line 3"
}

@test "bad config: empty file, top-level array, duplicate key" {
    install_fake_engine podman
    mkdir -p "$CONFIG_DIR"
    : >"$CONFIG_DIR/bad.json"
    chmod 0644 "$CONFIG_DIR/bad.json"
    run "$COCO" run --runtime podman bad
    assert_coco_error "$CONFIG_DIR/bad.json"
    bad_config '["command", "x"]'
    bad_config '{"command": "x", "command": "y"}' command
}

@test "bad config: writable by group or others is refused" {
    install_fake_engine podman
    install_config bad "$ESLINT_CFG"
    local m
    for m in 0666 0646 0664 0620; do
        chmod "$m" "$CONFIG_DIR/bad.json"
        run "$COCO" run --runtime podman bad
        assert_coco_error "$CONFIG_DIR/bad.json"
        run "$COCO" show bad
        assert_coco_error "$CONFIG_DIR/bad.json"
    done
    chmod 0600 "$CONFIG_DIR/bad.json"
    run "$COCO" run --runtime podman --dry-run bad
    assert_status 0
}

@test "bad config: owned by another user is refused" {
    [ "$(id -u)" -eq 0 ] || skip "needs root to chown a file to another user"
    install_fake_engine podman
    install_config bad "$ESLINT_CFG"
    chown nobody "$CONFIG_DIR/bad.json"
    run "$COCO" run --runtime podman bad
    assert_coco_error "$CONFIG_DIR/bad.json"
    run "$COCO" show bad
    assert_coco_error "$CONFIG_DIR/bad.json"
    [ ! -e "$FAKE_DIR/calls" ]
}

@test "bad config: a config that is a symlink is refused" {
    install_fake_engine podman
    mkdir -p "$CONFIG_DIR"
    printf '%s\n' "$ESLINT_CFG" >"$TEST_TMP/elsewhere.json"
    chmod 0644 "$TEST_TMP/elsewhere.json"
    ln -s "$TEST_TMP/elsewhere.json" "$CONFIG_DIR/bad.json"
    run "$COCO" run --runtime podman bad
    assert_coco_error "$CONFIG_DIR/bad.json"
}

# ---------------------------------------------------------------- mounts

@test "a missing mount source directory is created 0700" {
    install_fake_engine podman
    install_config m '{"command": "true", "mounts": [{"src": "~/made/here", "dst": "/data"}]}'
    run "$COCO" run --runtime podman m
    assert_status 0
    [ -d "$HOME/made/here" ]
    [ "$(stat -c %a "$HOME/made/here")" = 700 ]
    [ "$(stat -c %a "$HOME/made")" = 700 ]
    grep -q "$HOME/made/here" "$FAKE_DIR/argv.0"
}

@test "mount sources: ~, . and relative paths resolve; symlinks are followed" {
    install_fake_engine podman
    mkdir -p "$WORK/sub" "$HOME/cfg" "$TEST_TMP/real"
    ln -s "$TEST_TMP/real" "$WORK/link"
    install_config m '{"command": "true", "mounts": [
        {"src": ".", "dst": "/w"}, {"src": "sub", "dst": "/s", "opts": "ro"},
        {"src": "~/cfg", "dst": "/c"}, {"src": "link", "dst": "/l"}]}'
    dry m
    assert_status 0
    assert_contains "src=$WORK,dst=/w"
    assert_contains "src=$WORK/sub,dst=/s,ro"
    assert_contains "src=$HOME/cfg,dst=/c"
    assert_contains "src=$TEST_TMP/real,dst=/l"
}

@test "a missing mount source file is refused, never created" {
    install_fake_engine podman
    printf 'x\n' >"$WORK/afile"
    install_config m '{"command": "true", "mounts": [{"src": "./afile/inner", "dst": "/d"}]}'
    run "$COCO" run --runtime podman m
    assert_coco_error "$CONFIG_DIR/m.json" 'mounts[0]'
    [ -f "$WORK/afile" ]
    # a dangling symlink: coco must not create its target
    ln -s "$TEST_TMP/nowhere/target" "$WORK/dangling"
    install_config m '{"command": "true", "mounts": [{"src": "./dangling", "dst": "/d"}]}'
    run "$COCO" run --runtime podman m
    assert_coco_error "$CONFIG_DIR/m.json" 'mounts[0]'
    [ ! -e "$TEST_TMP/nowhere" ]
    [ ! -e "$FAKE_DIR/calls" ]
}

# ---------------------------------------------------------------- exec, env, exit codes

@test "run starts the engine with the argv of --dry-run" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    dry eslint --fix .
    local want
    want=$(printf '%s\n' "${lines[@]:1}" | grep -v -- '^--name=')
    run "$COCO" run --runtime podman eslint --fix .
    assert_status 0
    [ "$(grep -v -- '^--name=' "$FAKE_DIR/argv.0")" = "$want" ]
}

@test "env values reach the engine's environment, never its argv" {
    install_fake_engine podman
    install_config e '{"command": "true",
        "env": {"SECRET_TOKEN": "s3cr3t-config-value", "PATH": "/opt/tool/bin:/usr/bin"},
        "env_passthrough": ["MY_PASS", "UNSET_VAR"]}'
    unset UNSET_VAR
    MY_PASS=hunter2-host-value run "$COCO" run --runtime podman e
    assert_status 0
    ! grep -q 's3cr3t-config-value' "$FAKE_DIR/argv.0"
    ! grep -q 'hunter2-host-value' "$FAKE_DIR/argv.0"
    grep -qx 'SECRET_TOKEN' "$FAKE_DIR/argv.0"
    grep -qx 'MY_PASS' "$FAKE_DIR/argv.0"
    ! grep -q 'UNSET_VAR' "$FAKE_DIR/argv.0"
    [ "$(fake_env_value 0 SECRET_TOKEN)" = s3cr3t-config-value ]
    [ "$(fake_env_value 0 MY_PASS)" = hunter2-host-value ]
    # PATH is read by the engine itself: it goes through the env file on
    # fd 3, and the engine keeps its own PATH.
    [ "$(fake_env_value 0 PATH)" != /opt/tool/bin:/usr/bin ]
    grep -qx -- '--env-file=/dev/fd/3' "$FAKE_DIR/argv.0"
    grep -qx 'PATH=/opt/tool/bin:/usr/bin' "$FAKE_DIR/envfile.0"
    ! grep -q 's3cr3t-config-value' "$FAKE_DIR/envfile.0"
}

@test "dry run never prints env values" {
    install_fake_engine podman
    install_config e '{"command": "true", "env": {"SECRET_TOKEN": "s3cr3t-config-value"},
        "env_passthrough": ["MY_PASS"]}'
    MY_PASS=hunter2-host-value run "$COCO" run --runtime podman --dry-run e
    assert_status 0
    refute_contains s3cr3t-config-value
    refute_contains hunter2-host-value
}

@test "the tool's exit code passes through" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    local c rc
    for c in 0 1 3 42 124 126 127 200; do
        rc=0
        FAKE_EXIT=$c "$COCO" run --runtime podman eslint || rc=$?
        [ "$rc" -eq "$c" ]
    done
}

@test "the exit code passes through under supervision (limits set)" {
    install_fake_engine podman
    install_config slow '{"command": "true", "limits": {"timeout": "60s"}}'
    local c
    for c in 0 1 3 42; do
        FAKE_EXIT=$c run "$COCO" run --runtime podman slow
        assert_status "$c"
    done
}

@test "stdout of the tool passes through" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    FAKE_STDOUT='problem: no-undef' run "$COCO" run --runtime podman eslint
    assert_status 0
    assert_line 'problem: no-undef'
}

@test "SIGTERM to coco ends the run with 143" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    FAKE_SLEEP=30 "$COCO" run --runtime podman eslint >"$TEST_TMP/out" 2>&1 &
    local pid=$! rc=0
    wait_for_file "$FAKE_DIR/run.pid"
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    [ "$rc" -eq 143 ]
}

@test "SIGTERM and SIGHUP under supervision are forwarded: 143, 129" {
    install_fake_engine podman
    install_config slow '{"command": "true", "limits": {"timeout": "60s"}}'
    local sig want pid rc
    for sig in TERM HUP; do
        rm -f "$FAKE_DIR/run.pid"
        FAKE_SLEEP=30 "$COCO" run --runtime podman slow >"$TEST_TMP/out" 2>&1 &
        pid=$!
        rc=0
        wait_for_file "$FAKE_DIR/run.pid"
        kill -"$sig" "$pid"
        wait "$pid" || rc=$?
        want=$((128 + $(kill -l "$sig")))
        [ "$rc" -eq "$want" ] || {
            echo "SIG$sig: exit $rc, expected $want" >&2
            cat "$TEST_TMP/out" >&2
            return 1
        }
    done
}

# ---------------------------------------------------------------- coco killed (issue 6 item 7)

# kill_coco_run TOOL HOW: start `coco run TOOL` (the fake engine sleeps) in
# a process group of its own, SIGKILL coco (HOW=coco) or its whole group
# (HOW=group, as a CI runner does), and check from outside that within a
# bounded wait the guardian asked the engine to remove exactly this run's
# container, the engine client is gone (the fake does not end it on rm:
# only coco's death may), and no coco process of the run is left.
kill_coco_run() {
    local tool=$1 how=$2 pid client name guard gsid sid
    rm -f "$FAKE_DIR"/argv.* "$FAKE_DIR/calls" "$FAKE_DIR/run.pid"
    FAKE_SLEEP=60 FAKE_KEEP_RUN=1 "${IN_OWN_GROUP[@]}" "$COCO" run --runtime podman \
        "$tool" >"$TEST_TMP/out" 2>&1 &
    pid=$!
    wait_for_file "$FAKE_DIR/run.pid"
    client=$(cat "$FAKE_DIR/run.pid")
    name=$(sed -n 's/^--name=//p' "$FAKE_DIR/argv.0")
    [ -n "$name" ]
    # The guardian, and its session (checked last, after what matters).
    guard=$(proc_named coco-guard "$tool")
    gsid=
    [[ -n $guard ]] && gsid=$(ps -o sid= -p "$guard")
    sid=$(ps -o sid= -p "$pid")
    if [[ $how == group ]]; then
        kill -KILL -- "-$pid"
    else
        kill -KILL "$pid"
    fi
    wait "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -f $FAKE_DIR/calls ]] && grep -q "^rm " "$FAKE_DIR/calls" && break
        sleep 0.1
    done
    grep -qx "rm -f -v -t 0 $name" "$FAKE_DIR/calls" || {
        echo "no rm of $name recorded; calls:" >&2
        cat "$FAKE_DIR/calls" >&2
        return 1
    }
    for ((i = 0; i < 50; i++)); do
        kill -0 "$client" 2>/dev/null || break
        sleep 0.1
    done
    ! kill -0 "$client" 2>/dev/null
    # coco and its guardian, by the tool name in their command lines.
    wait_gone 50 "$tool"
    # There was a guardian, in a session of its own.
    [ -n "$guard" ] && [ -n "$gsid" ] && [ "$gsid" -ne "$sid" ]
}

@test "SIGKILL to coco: the client dies, the guardian removes the container" {
    skip_unless_cmd python3
    install_fake_engine podman
    local t=plain$$$RANDOM
    install_config "$t" '{"command": "true"}'
    kill_coco_run "$t" coco
}

@test "SIGKILL to coco under limits.timeout: nothing of the run survives" {
    skip_unless_cmd python3
    install_fake_engine podman
    local t=slow$$$RANDOM
    install_config "$t" '{"command": "true", "limits": {"timeout": "60s"}}'
    kill_coco_run "$t" coco
}

@test "SIGKILL to coco's process group does not reach the guardian" {
    skip_unless_cmd python3
    install_fake_engine podman
    local t=grp$$$RANDOM
    install_config "$t" '{"command": "true"}'
    kill_coco_run "$t" group
}

@test "a normal run leaves no guardian behind, and tells it nothing to do" {
    install_fake_engine podman
    local t=ok$$$RANDOM
    install_config "$t" '{"command": "true"}'
    FAKE_EXIT=3 run "$COCO" run --runtime podman "$t"
    assert_status 3
    # At once, no polling: coco reaps its guardian before it exits.
    [ -z "$(procs_with "$t")" ]
    # The engine ran once: the run, and no "rm".
    [ "$(wc -l <"$FAKE_DIR/calls")" -eq 1 ]
    grep -q '^run ' "$FAKE_DIR/calls"
}

@test "a run under a low descriptor limit (ulimit -n 12) still starts the engine" {
    install_fake_engine podman
    install_config lowfd '{"command": "true", "env": {"PATH": "/usr/bin:/bin"}}'
    # The env file on descriptor 3 too: the report pipe must move above it.
    run bash -c "ulimit -n 12; FAKE_EXIT=5 '$COCO' run --runtime podman lowfd"
    assert_status 5
    grep -qx 'PATH=/usr/bin:/bin' "$FAKE_DIR/envfile.0"
}

@test "job control: coco stops with the client and only with it" {
    skip_unless_cmd python3
    install_fake_engine podman
    local t=jc$$$RANDOM pid client i
    install_config "$t" '{"command": "true", "limits": {"timeout": "60s"}}'
    FAKE_SLEEP=60 FAKE_IGNORE_TSTP=1 "${IN_OWN_GROUP[@]}" "$COCO" run --runtime podman \
        "$t" >"$TEST_TMP/out" 2>&1 &
    pid=$!
    wait_for_file "$FAKE_DIR/run.pid"
    client=$(cat "$FAKE_DIR/run.pid")
    # ^Z to the group, and a client that runs on (podman passes it to the
    # container): coco must not stop either, or the shell would take the
    # terminal back from a running client.
    kill -TSTP -- "-$pid"
    sleep 0.5
    [ "$(proc_state "$pid")" != T ]
    [ "$(proc_state "$client")" != T ]
    # The client stops: so does coco, so the shell sees the job stopped.
    kill -STOP "$client"
    for ((i = 0; i < 50; i++)); do
        [[ $(proc_state "$pid") == T ]] && break
        sleep 0.1
    done
    [ "$(proc_state "$pid")" = T ]
    # coco continued alone (kill -CONT, not the shell's fg): it continues
    # the client.
    kill -CONT "$pid"
    for ((i = 0; i < 50; i++)); do
        [[ $(proc_state "$client") != T ]] && break
        sleep 0.1
    done
    [ "$(proc_state "$client")" != T ]
    [ "$(proc_state "$pid")" != T ]
    kill -TERM "$pid"
    wait "$pid" || true
}

@test "limits.timeout stops the run with 124 and stops the container" {
    install_fake_engine podman
    install_config slow '{"command": "true", "limits": {"timeout": "1s"}}'
    SECONDS=0
    FAKE_SLEEP=30 run "$COCO" run --runtime podman slow
    assert_status 124
    # Well before the fake engine's 30 s: the limit did it.
    [ "$SECONDS" -lt 25 ]
    assert_contains "coco:"
    local name
    name=$(sed -n 's/^--name=//p' "$FAKE_DIR/argv.0")
    [ -n "$name" ]
    # coco asked the engine to stop (or remove) exactly that container.
    grep -E "^(stop|kill|rm) .*$name" "$FAKE_DIR/calls"
}

@test "limits.output caps what the tool can print" {
    install_fake_engine podman
    install_config loud '{"command": "true", "limits": {"output": "4k"}}'
    FAKE_FLOOD=2000 "$COCO" run --runtime podman loud >"$TEST_TMP/out" 2>"$TEST_TMP/err" && rc=0 || rc=$?
    [ "$rc" -ne 0 ]
    [ "$(stat -c %s "$TEST_TMP/out")" -le 4096 ]
    grep -q 'coco:' "$TEST_TMP/err"
}

# ---------------------------------------------------------------- symlinks

@test "invoked through a symlink named TOOL, coco runs that tool" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    mkdir -p "$TEST_TMP/links"
    ln -s "$COCO" "$TEST_TMP/links/eslint"
    # Every argument belongs to the tool: --dry-run and --runtime too.
    COCO_RUNTIME=podman run "$TEST_TMP/links/eslint" --dry-run --runtime docker --fix x.js
    assert_status 0
    [ "$(tail -n 6 "$FAKE_DIR/argv.0")" = "$(printf '%s\n' eslint --dry-run --runtime docker --fix x.js)" ]
    grep -qx localhost/coco-eslint:9 "$FAKE_DIR/argv.0"
    FAKE_EXIT=3 COCO_RUNTIME=podman run "$TEST_TMP/links/eslint"
    assert_status 3
}

@test "a symlink whose tool has no config is a coco error naming the path" {
    mkdir -p "$TEST_TMP/links"
    ln -s "$COCO" "$TEST_TMP/links/nosuch"
    run "$TEST_TMP/links/nosuch" --help
    assert_coco_error "$CONFIG_DIR/nosuch.json"
}

# ---------------------------------------------------------------- get

make_store() {
    STORE=$TEST_TMP/store
    mkdir -p "$STORE"
    printf '%s\n' '{"command": "mytool", "mounts": [{"src": ".", "dst": "/workspace"}], "network": "host", "env_passthrough": ["TERM"]}' >"$STORE/mytool.json"
    printf '%s\n' '{"command": "x", "mounts": [{"src": "~", "dst": "/h"}]}' >"$TEST_TMP/x.json"
    printf '%s\n' '{"command": "x", "bogus_key": true}' >"$STORE/broken.json"
}

@test "get installs a config from COCO_STORE and shows what it grants" {
    make_store
    COCO_STORE=$STORE run "$COCO" get mytool
    assert_status 0
    cmp "$STORE/mytool.json" "$CONFIG_DIR/mytool.json"
    # shows the grants before saving
    assert_contains /workspace
    assert_contains host
    assert_contains TERM
    # not writable by group or others, and loadable
    local mode
    mode=$(stat -c %a "$CONFIG_DIR/mytool.json")
    (((8#$mode & 8#022) == 0))
    COCO_RUNTIME=podman run "$COCO" show mytool
    assert_status 0
    # atomic write: nothing but the config is left behind
    [ "$(ls -A "$CONFIG_DIR")" = mytool.json ]
}

@test "get and show mark an image that is not pinned by digest" {
    mkdir -p "$TEST_TMP/pinstore"
    printf '{"image": "docker.io/library/node:20", "command": "node"}\n' \
        >"$TEST_TMP/pinstore/unpinned.json"
    printf '{"image": "docker.io/library/node@sha256:%064d", "command": "node"}\n' 0 \
        >"$TEST_TMP/pinstore/pinned.json"
    COCO_STORE=$TEST_TMP/pinstore run "$COCO" get unpinned
    assert_status 0
    assert_contains "not pinned by digest"
    COCO_RUNTIME=podman run "$COCO" show unpinned
    assert_status 0
    assert_contains "RISK: image docker.io/library/node:20 is not pinned"
    COCO_STORE=$TEST_TMP/pinstore run "$COCO" get pinned
    assert_status 0
    [[ "$output" != *"not pinned"* ]]
    COCO_RUNTIME=podman run "$COCO" show pinned
    assert_status 0
    [[ "$output" != *"not pinned"* ]]
}

@test "get uses the store beside the binary when COCO_STORE is unset" {
    make_store
    mkdir -p "$TEST_TMP/inst"
    cp "$COCO" "$TEST_TMP/inst/coco"
    cp -R "$STORE" "$TEST_TMP/inst/store"
    run "$TEST_TMP/inst/coco" get mytool
    if [[ $status -ne 0 && -d /usr/local/share/coco/store ]]; then
        skip "an installed store in /usr/local/share/coco/store takes precedence"
    fi
    assert_status 0
    cmp "$STORE/mytool.json" "$CONFIG_DIR/mytool.json"
}

@test "get from the repository's store/ works offline" {
    [ -f "$(dirname "$COCO")/store/eslint.json" ] ||
        skip "no store/ beside $COCO (sanitizer build directory)"
    run "$COCO" get eslint
    assert_status 0
    cmp "$(dirname "$COCO")/store/eslint.json" "$CONFIG_DIR/eslint.json"
    COCO_RUNTIME=podman run "$COCO" show eslint
    assert_status 0
}

@test "every config in store/ loads and resolves" {
    local store=$REPO_ROOT/store f n
    install_fake_engine podman
    for f in "$store"/*.json; do
        n=$(basename "$f" .json)
        COCO_STORE=$store run "$COCO" get "$n"
        assert_status 0
        COCO_RUNTIME=podman run "$COCO" show "$n"
        assert_status 0
    done
}

@test "get refuses hostile names and writes nothing" {
    make_store
    local n
    for n in ../x a/b . .. '' /etc/passwd "$TEST_TMP/x" 'x/../../x' '-' ' x' $'a\tb'; do
        COCO_STORE=$STORE run "$COCO" get "$n"
        assert_coco_error
    done
    [ ! -e "$CONFIG_DIR" ] || [ -z "$(ls -A "$CONFIG_DIR")" ]
    [ ! -e "$XDG_DATA_HOME/coco/x.json" ]
}

@test "a name with a newline is refused with a one-line error" {
    make_store
    COCO_STORE=$STORE run "$COCO" get $'a\nb'
    assert_coco_error
    install_fake_engine podman
    run "$COCO" run --runtime podman $'a\nb'
    assert_coco_error
    run "$COCO" show $'a\nb'
    assert_coco_error
    [ ! -e "$CONFIG_DIR" ] || [ -z "$(ls -A "$CONFIG_DIR")" ]
}

@test "get refuses to overwrite without --force; --force replaces" {
    make_store
    COCO_STORE=$STORE run "$COCO" get mytool
    assert_status 0
    printf '{"command": "local-edit"}\n' >"$CONFIG_DIR/mytool.json"
    COCO_STORE=$STORE run "$COCO" get mytool
    assert_coco_error "$CONFIG_DIR/mytool.json"
    grep -q local-edit "$CONFIG_DIR/mytool.json"
    COCO_STORE=$STORE run "$COCO" get mytool --force
    assert_status 0
    cmp "$STORE/mytool.json" "$CONFIG_DIR/mytool.json"
    [ "$(ls -A "$CONFIG_DIR")" = mytool.json ]
}

@test "get does not replace a symlink planted at the destination" {
    make_store
    mkdir -p "$CONFIG_DIR"
    printf 'precious\n' >"$TEST_TMP/precious"
    ln -s "$TEST_TMP/precious" "$CONFIG_DIR/mytool.json"
    COCO_STORE=$STORE run "$COCO" get mytool
    assert_coco_error
    [ "$(cat "$TEST_TMP/precious")" = precious ]
    COCO_STORE=$STORE run "$COCO" get mytool --force
    # whatever --force does, it never writes through the link
    [ "$(cat "$TEST_TMP/precious")" = precious ]
}

@test "get refuses a store config that does not validate" {
    make_store
    COCO_STORE=$STORE run "$COCO" get broken
    assert_coco_error bogus_key
    [ ! -e "$CONFIG_DIR/broken.json" ]
}

@test "get names a missing store directory and a missing tool" {
    COCO_STORE=$TEST_TMP/no-such-store run "$COCO" get mytool
    assert_coco_error "$TEST_TMP/no-such-store"
    make_store
    COCO_STORE=$STORE run "$COCO" get nothere
    assert_coco_error nothere
    COCO_STORE=relative/dir run "$COCO" get mytool
    assert_coco_error COCO_STORE
}

@test "get fetches from an http COCO_STORE on loopback" {
    skip_unless_cmd curl
    make_store
    python3 -m http.server --bind 127.0.0.1 --directory "$STORE" 0 \
        >"$TEST_TMP/http.log" 2>&1 &
    local srv=$! port="" i
    for ((i = 0; i < 100; i++)); do
        port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$TEST_TMP/http.log" | head -n 1)
        [[ -n $port ]] && break
        sleep 0.1
    done
    [ -n "$port" ] || { kill "$srv"; false; }
    COCO_STORE=http://127.0.0.1:$port run "$COCO" get mytool
    local st=$status out=$output
    COCO_STORE=http://127.0.0.1:$port run "$COCO" get nothere
    local st2=$status
    kill "$srv"
    wait "$srv" 2>/dev/null || true
    status=$st output=$out
    assert_status 0
    cmp "$STORE/mytool.json" "$CONFIG_DIR/mytool.json"
    [ "$st2" -eq 125 ]
}

# ---------------------------------------------------------------- up / down

same_file() { [ "$(readlink -f "$1")" = "$(readlink -f "$2")" ]; }

@test "up links every configured tool to this coco" {
    install_config cocotest-alpha '{"command": "true"}'
    install_config cocotest-beta '{"command": "true"}'
    PATH=$COCO_BIN_DIR:$ORIG_PATH run "$COCO" up
    assert_status 0
    [ -L "$COCO_BIN_DIR/cocotest-alpha" ]
    [ -L "$COCO_BIN_DIR/cocotest-beta" ]
    same_file "$COCO_BIN_DIR/cocotest-alpha" "$COCO"
    same_file "$COCO_BIN_DIR/cocotest-beta" "$COCO"
    # on PATH, nothing shadows: no warning
    refute_contains "not on PATH"
    refute_contains shadow
    # idempotent
    PATH=$COCO_BIN_DIR:$ORIG_PATH run "$COCO" up
    assert_status 0
    same_file "$COCO_BIN_DIR/cocotest-alpha" "$COCO"
}

@test "up creates a missing COCO_BIN_DIR; default is ~/.local/bin" {
    install_config cocotest-alpha '{"command": "true"}'
    rm -rf "$COCO_BIN_DIR"
    run "$COCO" up
    [ -L "$COCO_BIN_DIR/cocotest-alpha" ]
    unset COCO_BIN_DIR
    run "$COCO" up
    [ -L "$HOME/.local/bin/cocotest-alpha" ]
    same_file "$HOME/.local/bin/cocotest-alpha" "$COCO"
}

@test "up never replaces a foreign file or link" {
    install_config cocotest-alpha '{"command": "true"}'
    install_config cocotest-file '{"command": "true"}'
    install_config cocotest-link '{"command": "true"}'
    install_config cocotest-dangling '{"command": "true"}'
    printf 'mine\n' >"$COCO_BIN_DIR/cocotest-file"
    ln -s /bin/true "$COCO_BIN_DIR/cocotest-link"
    ln -s "$TEST_TMP/nowhere" "$COCO_BIN_DIR/cocotest-dangling"
    PATH=$COCO_BIN_DIR:$ORIG_PATH run "$COCO" up
    [ -f "$COCO_BIN_DIR/cocotest-file" ] && [ ! -L "$COCO_BIN_DIR/cocotest-file" ]
    [ "$(cat "$COCO_BIN_DIR/cocotest-file")" = mine ]
    [ "$(readlink "$COCO_BIN_DIR/cocotest-link")" = /bin/true ]
    [ "$(readlink "$COCO_BIN_DIR/cocotest-dangling")" = "$TEST_TMP/nowhere" ]
    # it says so, and still links the others
    assert_contains "$COCO_BIN_DIR/cocotest-file"
    assert_contains "$COCO_BIN_DIR/cocotest-link"
    same_file "$COCO_BIN_DIR/cocotest-alpha" "$COCO"
}

@test "up warns when COCO_BIN_DIR is not on PATH" {
    install_config cocotest-alpha '{"command": "true"}'
    PATH=$ORIG_PATH run "$COCO" up
    assert_contains "$COCO_BIN_DIR"
    assert_contains PATH
    [ -L "$COCO_BIN_DIR/cocotest-alpha" ]
}

@test "up warns when an earlier PATH entry shadows a link" {
    install_config cocotest-alpha '{"command": "true"}'
    mkdir -p "$TEST_TMP/shadow"
    printf '#!/bin/sh\n' >"$TEST_TMP/shadow/cocotest-alpha"
    chmod 0755 "$TEST_TMP/shadow/cocotest-alpha"
    PATH=$TEST_TMP/shadow:$COCO_BIN_DIR:$ORIG_PATH run "$COCO" up
    assert_contains "$TEST_TMP/shadow/cocotest-alpha"
    [ -L "$COCO_BIN_DIR/cocotest-alpha" ]
}

@test "down removes only links that point to this coco" {
    install_config cocotest-alpha '{"command": "true"}'
    install_config cocotest-beta '{"command": "true"}'
    PATH=$COCO_BIN_DIR:$ORIG_PATH run "$COCO" up
    assert_status 0
    printf 'mine\n' >"$COCO_BIN_DIR/cocotest-file"
    ln -s /bin/true "$COCO_BIN_DIR/cocotest-link"
    mkdir -p "$TEST_TMP/other"
    cp "$COCO" "$TEST_TMP/other/coco"
    ln -s "$TEST_TMP/other/coco" "$COCO_BIN_DIR/cocotest-other"
    run "$COCO" down
    assert_status 0
    [ ! -e "$COCO_BIN_DIR/cocotest-alpha" ] && [ ! -L "$COCO_BIN_DIR/cocotest-alpha" ]
    [ ! -e "$COCO_BIN_DIR/cocotest-beta" ] && [ ! -L "$COCO_BIN_DIR/cocotest-beta" ]
    [ "$(cat "$COCO_BIN_DIR/cocotest-file")" = mine ]
    [ "$(readlink "$COCO_BIN_DIR/cocotest-link")" = /bin/true ]
    [ "$(readlink "$COCO_BIN_DIR/cocotest-other")" = "$TEST_TMP/other/coco" ]
    # idempotent
    run "$COCO" down
    assert_status 0
}

@test "a link made by up runs the tool" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    run "$COCO" up
    COCO_RUNTIME=podman run "$COCO_BIN_DIR/eslint" --fix .
    assert_status 0
    [ "$(tail -n 3 "$FAKE_DIR/argv.0")" = "$(printf '%s\n' eslint --fix .)" ]
}

# ---------------------------------------------------------------- prune / rebuild

@test "prune TOOL removes that tool's volume only; prune removes coco's" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    export FAKE_VOLUMES='coco-cache-eslint coco-cache-prettier mydata'
    COCO_RUNTIME=podman run "$COCO" prune eslint
    assert_status 0
    grep -E '^volume rm .*coco-cache-eslint' "$FAKE_DIR/calls"
    ! grep -E '^volume rm .*coco-cache-prettier' "$FAKE_DIR/calls"
    ! grep -q '^run' "$FAKE_DIR/calls"
    rm -f "$FAKE_DIR"/*
    COCO_RUNTIME=podman run "$COCO" prune
    assert_status 0
    grep -E '^volume rm .*coco-cache-eslint' "$FAKE_DIR/calls"
    grep -E '^volume rm .*coco-cache-prettier' "$FAKE_DIR/calls"
    ! grep -E '^volume rm .*mydata' "$FAKE_DIR/calls"
    run "$COCO" prune ../x
    assert_coco_error
}

@test "rebuild builds the image from coco's Containerfile" {
    install_fake_engine podman
    COCO_RUNTIME=podman run "$COCO" rebuild
    assert_status 0
    grep -qx build "$FAKE_DIR/argv.0"
    grep -q 'Containerfile' "$FAKE_DIR/argv.0"
    grep -q 'localhost/coco:latest' "$FAKE_DIR/argv.0"
    FAKE_EXIT=1 COCO_RUNTIME=podman run "$COCO" rebuild
    [ "$status" -ne 0 ]
}
