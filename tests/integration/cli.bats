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
    # A store server left by a failed test (issue 6 item 18), by PID.
    if [[ -n ${SRV_PID:-} ]]; then
        kill "$SRV_PID" 2>/dev/null || true
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

# bsrc PATH: the bind source --dry-run shows for PATH on rootful podman:
# PATH, or run by root (idmap.h) its idmapped attachment, named after it.
bsrc() {
    if (($(id -u) == 0)); then
        printf '/tmp/coco-idmap.XXXXXX%s\n' "$1"
    else
        printf '%s\n' "$1"
    fi
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

@test "COCO_ALLOW_NETWORK=1 lifts network none: full, through coco's egress proxy" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    COCO_ALLOW_NETWORK=1 run "$COCO" run --runtime podman --dry-run eslint
    assert_status 0
    # no network of its own: the relay on its loopback reaches the proxy
    assert_line --network=none
    assert_line --entrypoint=/run/coco/coco
    assert_line _egress-forward
    assert_line /run/coco/egress/proxy.sock
    assert_line "--mount=type=bind,src=$(bsrc "$COCO"),dst=/run/coco/coco,ro,nosuid,nodev"
    COCO_ALLOW_NETWORK=0 run "$COCO" run --runtime podman --dry-run eslint
    assert_line --network=none
    refute_contains _egress-forward
    refute_contains --entrypoint
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
    install_config shared '{"command": "true", "isolated": false}'
    if (($(id -u) == 0)); then
        # root: a directory of root's, not a volume (idmap.h)
        assert_contains "src=$(bsrc "$XDG_DATA_HOME/coco/envs/lim/cache/run"),dst=/coco/cache"
        refute_contains type=volume
        dry shared
        assert_contains "src=$(bsrc "$XDG_DATA_HOME/coco/cache-shared"),dst=/coco/cache"
    else
        assert_contains coco-cache-t-lim
        dry shared
        assert_contains src=coco-cache-shared,
        refute_contains coco-cache-t-lim
    fi
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

@test "show describes an allowed_hosts config, enforced on podman and docker too" {
    install_config claude '{"command": "claude", "allowed_hosts": ["api.anthropic.com"]}'
    local rt
    for rt in podman docker; do
        COCO_RUNTIME=$rt run "$COCO" show claude
        assert_status 0
        assert_contains api.anthropic.com
        refute_contains REFUSED
    done
    # "full" is filtered there too, unless published ports keep the
    # engine's network
    install_config web '{"command": "true", "network": "full"}'
    COCO_RUNTIME=podman run "$COCO" show web
    refute_contains "unfiltered egress"
    install_config web '{"command": "true", "network": "full", "ports": ["8080:80"]}'
    COCO_RUNTIME=podman run "$COCO" show web
    assert_contains "RISK: unfiltered egress on podman (published ports keep the engine's network)"
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

@test "bad config: allowed_hosts with published ports is refused on podman (the container has no network)" {
    bad_config '{"command": "x", "allowed_hosts": ["registry.npmjs.org"], "ports": ["8080:80"]}' \
        ports "needs the engine's network"
}

@test "bad config: private_ranges that are public, never openable, malformed or without egress" {
    bad_config '{"allowed_hosts": ["a.example.org"], "private_ranges": ["8.8.8.0/24"]}' \
        'private_ranges[0]' 'not inside a blocked range'
    bad_config '{"network": "full", "private_ranges": ["10.0.0.0/8", "127.0.0.0/8"]}' \
        'private_ranges[1]' 'loopback'
    bad_config '{"network": "full", "private_ranges": ["169.254.0.0/16"]}' \
        'private_ranges[0]' 'cloud metadata'
    bad_config '{"network": "full", "private_ranges": ["10.1.2.3/8"]}' 'private_ranges[0]'
    bad_config '{"network": "full", "private_ranges": ["10.1.2.3"]}' 'private_ranges[0]'
    bad_config '{"private_ranges": ["10.20.0.0/16"]}' private_ranges allowed_hosts
    bad_config '{"network": "host", "private_ranges": ["10.20.0.0/16"]}' private_ranges
}

@test "show marks private_ranges as a risk" {
    install_config lan '{"command": "true", "allowed_hosts": ["registry.corp.example"],
        "private_ranges": ["10.20.0.0/16"]}'
    COCO_RUNTIME=native run "$COCO" show lan
    assert_status 0
    assert_contains "! RISK: private_ranges opens part of your LAN to the tool: 10.20.0.0/16"
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

# podman_args is an allowlist (issue 6, items 3-6).  These went past the
# old denylist: host namespaces through "ns:", the sandbox replaced, host
# files written, host environment smuggled; the rest would undo the
# sandbox in other ways.  Every one is one line naming the file, the
# entry and the allowlist, exit 125, nothing run.
@test "bad config: podman_args outside the allowlist are refused" {
    local a
    for a in '"--pid=ns:/proc/self/ns/pid", "--init=false"' '"--network=ns:/proc/1/ns/net"' \
        '"--ipc=ns:/proc/1/ns/ipc"' '"--uts=ns:/x"' '"--security-opt=seccomp=prof.json"' \
        '"--security-opt", "no-new-privileges=0"' '"--conmon-pidfile=/root/.bashrc"' \
        '"--pidfile=/tmp/x"' '"--log-driver=k8s-file", "--log-opt=path=/root/.bashrc"' \
        '"--env=*"' '"-e", "TOKEN"' '"--env-file=/root/.env"' '"--privileged"' \
        '"--cap-add=ALL"' '"--device=/dev/sda"' '"-v", "/:/host"' '"--userns=host"' \
        '"--annotation=run.oci.keep_original_groups=1"' '"--user=0"'; do
        bad_config "{\"podman_args\": [$a]}" 'podman_args[' 'is refused' \
            'coco allows only these engine options in podman_args: --label'
    done
}

@test "bad config: a podman_args value that is invalid or itself an option is refused" {
    bad_config '{"podman_args": ["--label", "--privileged"]}' 'podman_args[0]' '--privileged'
    bad_config '{"podman_args": ["--tz=local"]}' 'podman_args[0]' '--tz=local'
    bad_config '{"podman_args": ["--cpu-shares=4096"]}' 'podman_args[0]' '2 to 1024'
    bad_config '{"podman_args": ["--label"]}' 'podman_args[0]' 'needs a value'
    bad_config '{"podman_args": ["-it"]}' 'podman_args[0]' 'combined short options'
    bad_config '{"podman_args": ["--shm-size=1g", "-v", "/var/run/docker.sock:/s"]}' 'podman_args[1]' '"-v"'
}

@test "podman_args: allowed options reach the engine as --opt=value, in either form" {
    install_fake_engine podman
    install_config extra '{"command": "x", "podman_args": [
        "--label", "org.example.team=web", "--tz=Europe/Berlin", "-h", "box",
        "--shm-size=256m", "--add-host", "db.internal:127.0.0.1",
        "-c", "512"]}'
    run "$COCO" run --runtime podman extra
    assert_status 0
    run fake_argv 0
    local want
    for want in --label=org.example.team=web --tz=Europe/Berlin --hostname=box \
        --shm-size=256m --add-host=db.internal:127.0.0.1 --cpu-shares=512; do
        assert_line "$want"
    done
    # after coco's own options, before the image
    local img lbl
    img=$(grep -nx 'localhost/coco:latest' "$FAKE_DIR/argv.0" | cut -d: -f1)
    lbl=$(grep -nx -- '--label=org.example.team=web' "$FAKE_DIR/argv.0" | cut -d: -f1)
    [ "$lbl" -lt "$img" ]
    refute_line "-h"
    refute_line "box"
}

@test "podman_args: an option the runtime lacks is refused when the runtime is chosen" {
    install_fake_engine docker
    install_config tz '{"command": "x", "podman_args": ["--tz=UTC"]}'
    run "$COCO" run --runtime docker tz
    assert_coco_error "$CONFIG_DIR/tz.json" podman_args --tz docker
    [ ! -e "$FAKE_DIR/calls" ]
    install_fake_engine podman
    run "$COCO" run --runtime podman tz
    assert_status 0
    # the native runtime takes no engine options at all
    run "$COCO" run --runtime native tz
    assert_coco_error "$CONFIG_DIR/tz.json" podman_args native
}

@test "show and get describe each podman_args option in plain words" {
    install_fake_engine podman
    mkdir -p "$TEST_TMP/argstore"
    printf '%s\n' '{"command": "x", "podman_args": ["--tz=Europe/Berlin", "--label=team=web"]}' \
        >"$TEST_TMP/argstore/extra.json"
    COCO_STORE=$TEST_TMP/argstore run "$COCO" get extra
    assert_status 0
    assert_contains "--tz=Europe/Berlin"
    assert_contains "time zone"
    grep -q -- '!.*--label=team=web' <<<"$output"
    COCO_RUNTIME=podman run "$COCO" show extra
    assert_status 0
    refute_contains "as they are"
    grep -- '--tz=Europe/Berlin' <<<"$output" | grep -q "time zone"
    grep -- '--tz=Europe/Berlin' <<<"$output" | grep -vq '!'
    grep -- '--label=team=web' <<<"$output" | grep -q '!'
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

# issue 6 item 19: the directories above a config, as ssh's StrictModes
@test "bad config: a tools directory writable by group or others is refused" {
    install_fake_engine podman
    install_config lint "$ESLINT_CFG"
    local dir
    dir=$(readlink -f "$CONFIG_DIR")
    chmod 0777 "$CONFIG_DIR"
    run "$COCO" run --runtime podman lint
    assert_coco_error "$CONFIG_DIR/lint.json" "the directory $dir is writable by group or others (mode 0777)" "chmod go-w $dir"
    run "$COCO" show lint
    assert_coco_error "chmod go-w $dir"
    run "$COCO" list -l
    assert_status 125
    assert_contains "chmod go-w $dir"
    # sticky is no excuse for the tools directory itself: others could add configs
    chmod 1777 "$CONFIG_DIR"
    run "$COCO" run --runtime podman lint
    assert_coco_error "chmod go-w $dir"
    chmod 0755 "$CONFIG_DIR"
    run "$COCO" run --runtime podman --dry-run lint
    assert_status 0
    [ ! -e "$FAKE_DIR/calls" ]
}

@test "bad config: a group-writable or foreign ancestor of the tools directory is refused" {
    install_fake_engine podman
    install_config lint "$ESLINT_CFG"
    local parent
    parent=$(readlink -f "$XDG_DATA_HOME/coco")
    chmod 0775 "$XDG_DATA_HOME/coco"
    run "$COCO" run --runtime podman --dry-run lint
    assert_coco_error "the directory $parent is writable by group or others (mode 0775)" "chmod go-w $parent"
    chmod 0755 "$XDG_DATA_HOME/coco"
    # a world-writable ancestor without the sticky bit
    chmod 0777 "$XDG_DATA_HOME"
    run "$COCO" run --runtime podman --dry-run lint
    assert_coco_error "chmod go-w $(readlink -f "$XDG_DATA_HOME")"
    chmod 0755 "$XDG_DATA_HOME"
    if [ "$(id -u)" -eq 0 ]; then
        chown nobody "$XDG_DATA_HOME/coco"
        run "$COCO" run --runtime podman --dry-run lint
        assert_coco_error "the directory $parent is owned by uid $(id -u nobody)"
        chown 0 "$XDG_DATA_HOME/coco"
    fi
    # a symbolic link on the way is judged by where it leads
    mkdir -p "$TEST_TMP/open"
    chmod 0777 "$TEST_TMP/open"
    mv "$XDG_DATA_HOME/coco" "$TEST_TMP/open/coco"
    ln -s "$TEST_TMP/open/coco" "$XDG_DATA_HOME/coco"
    run "$COCO" run --runtime podman --dry-run lint
    assert_coco_error "chmod go-w $(readlink -f "$TEST_TMP/open")"
    [ ! -e "$FAKE_DIR/calls" ]
}

@test "a sticky world-writable ancestor such as /tmp is fine" {
    install_fake_engine podman
    mkdir -p "$TEST_TMP/sticky"
    chmod 1777 "$TEST_TMP/sticky"
    export XDG_DATA_HOME=$TEST_TMP/sticky/data
    CONFIG_DIR=$XDG_DATA_HOME/coco/tools
    install_config lint "$ESLINT_CFG"
    run "$COCO" run --runtime podman --dry-run lint
    assert_status 0
    run "$COCO" list -l
    assert_status 0
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
    if (($(id -u) == 0)); then
        # root: bound from its idmapped attachment, detached since
        grep -q "^--mount=type=bind,src=/tmp/coco-idmap\.[^/]*/[0-9]*,dst=/data" "$FAKE_DIR/argv.0"
    else
        grep -q "$HOME/made/here" "$FAKE_DIR/argv.0"
    fi
}

@test "mount sources: ~, . and relative paths resolve; symlinks are refused" {
    install_fake_engine podman
    mkdir -p "$WORK/sub" "$HOME/cfg" "$TEST_TMP/real"
    ln -s "$TEST_TMP/real" "$WORK/link"
    install_config m '{"command": "true", "mounts": [
        {"src": ".", "dst": "/w"}, {"src": "sub", "dst": "/s", "opts": "ro"},
        {"src": "~/cfg", "dst": "/c"}]}'
    dry m
    assert_status 0
    assert_contains "src=$(bsrc "$WORK"),dst=/w"
    assert_contains "src=$(bsrc "$WORK/sub"),dst=/s,ro"
    assert_contains "src=$(bsrc "$HOME/cfg"),dst=/c"
    # issue 6 item 2: a symlink anywhere below the cwd or home is refused
    # (a tool that can write there would redirect the next run), on every
    # backend, with the component and its target named
    install_config m '{"command": "true", "mounts": [{"src": "link", "dst": "/l"}]}'
    run "$COCO" run --runtime podman m
    assert_coco_error "$CONFIG_DIR/m.json: mounts[0].src: $WORK/link: the component link is a symbolic link (to $TEST_TMP/real)"
    install_config m '{"command": "true", "mounts": [{"src": "./link/deeper", "dst": "/l"}]}'
    run "$COCO" run --runtime docker m
    assert_coco_error "the component link is a symbolic link"
    [ ! -e "$TEST_TMP/real/deeper" ]
    [ ! -e "$FAKE_DIR/calls" ]
    # an absolute source is walked from / the same way
    install_config m "{\"command\": \"true\", \"mounts\": [{\"src\": \"$WORK/link\", \"dst\": \"/l\"}]}"
    run "$COCO" run --runtime podman m
    assert_coco_error "is a symbolic link"
}

# Issue 6 item 12: describing must not change the file system (a hostile
# config would otherwise squat ~/.ssh with an empty directory).
@test "show and --dry-run create no missing mount source" {
    install_fake_engine podman
    install_config m '{"command": "true", "mounts": [{"src": "~/.ssh", "dst": "/s"}, {"src": "~/new/dir", "dst": "/n"}]}'
    run "$COCO" show m
    assert_status 0
    assert_contains "missing: a run creates it"
    run "$COCO" run --runtime podman --dry-run m
    assert_status 0
    run "$COCO" run --runtime native --dry-run m
    assert_status 0
    [ ! -e "$HOME/.ssh" ]
    [ ! -e "$HOME/new" ]
    run "$COCO" run --runtime podman m
    assert_status 0
    [ -d "$HOME/new/dir" ]
}

# Issue 6 item 13: a mount inside another needs its mount point to exist
# in the outer source: coco never writes one into the user's files; and
# parents are mounted before children whatever the config's order.
@test "a mount inside another mount: ordered, and never creates its mount point" {
    install_fake_engine podman
    mkdir -p "$HOME/cache"
    install_config m '{"command": "true", "mounts": [{"src": "~/cache", "dst": "/w/node_modules"}, {"src": ".", "dst": "/w"}]}'
    run "$COCO" run --runtime podman m
    assert_coco_error "mounts[0].dst: /w/node_modules lies inside mounts[1] (/w)" "does not exist"
    [ ! -e "$WORK/node_modules" ]
    mkdir "$WORK/node_modules"
    run "$COCO" run --runtime podman --dry-run m
    assert_status 0
    local outer inner
    outer=$(grep -n "dst=/w,\|dst=/w$" <<<"$output" | head -1 | cut -d: -f1)
    inner=$(grep -n "dst=/w/node_modules" <<<"$output" | head -1 | cut -d: -f1)
    [[ -n $outer && -n $inner && $outer -lt $inner ]]
}

# Issue 6 item 13, the engines' side: a destination above coco's own
# mounts (/home/coco, /coco/cache) would hide them and make the engine
# create their mount points in the source; a workdir inside a mount must
# exist there.  Refused before any engine runs; nothing is created.
@test "coco's own mounts and the workdir never create anything in your files" {
    install_fake_engine podman
    mkdir -p "$TEST_TMP/other"
    local d
    for d in /home /coco; do
        install_config m "{\"command\": \"true\", \"mounts\": [{\"src\": \"$TEST_TMP/other\", \"dst\": \"$d\"}]}"
        run "$COCO" run --runtime podman m
        assert_coco_error "mounts[0].dst: $d would hold coco's own"
    done
    install_config m '{"command": "true", "workdir": "/workspace/made/by/engine", "mounts": [{"src": ".", "dst": "/workspace"}]}'
    run "$COCO" run --runtime podman m
    assert_coco_error "workdir: /workspace/made/by/engine lies inside mounts[0] (/workspace)"
    [ ! -e "$WORK/made" ]
    [ -z "$(ls -A "$TEST_TMP/other")" ]
    [ ! -e "$FAKE_DIR/calls" ]
    mkdir -p "$WORK/made/by/engine"
    run "$COCO" run --runtime podman m
    assert_status 0
}

# The red team's F4: what a run accepts, show and --dry-run describe (a
# nested mount whose source a run would create).
@test "show and --dry-run accept a nested mount a run would create" {
    install_fake_engine podman
    install_config m '{"command": "true", "mounts": [{"src": ".", "dst": "/workspace"}, {"src": "./missing/dir", "dst": "/workspace/missing/dir"}]}'
    run "$COCO" show m
    assert_status 0
    run "$COCO" run --runtime podman --dry-run m
    assert_status 0
    [ ! -e "$WORK/missing" ]
    run "$COCO" run --runtime podman m
    assert_status 0
    [ -d "$WORK/missing/dir" ]
}

# Issue 6 item 16: the native runtime runs the host's programs; an image
# it would ignore is an error naming the key.
@test "--runtime native with a config naming an image is refused" {
    install_config m '{"command": "true", "image": "localhost/x:1"}'
    run "$COCO" run --runtime native m
    assert_coco_error "$CONFIG_DIR/m.json: image: the native runtime runs the host's programs"
    COCO_RUNTIME=native run "$COCO" run m
    assert_coco_error 'image:'
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
    # run by root the sources are idmapped attachments (idmap.h): shown
    # as IDMAP_DIR_SHOWN/SOURCE, made as a fresh directory's /N
    want=$(printf '%s\n' "${lines[@]:1}" | grep -v -- '^--name=' |
        sed -E 's#src=/tmp/coco-idmap\.[^,]*,#src=IDMAP,#')
    run "$COCO" run --runtime podman eslint --fix .
    assert_status 0
    [ "$(grep -v -- '^--name=' "$FAKE_DIR/argv.0" |
        sed -E 's#src=/tmp/coco-idmap\.[^,]*,#src=IDMAP,#')" = "$want" ]
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
    local sig want pid rc sigs=(TERM HUP)
    # Started under nohup, everything here ignores SIGHUP from the start
    # (and a shell cannot undo that): the fake engine would sleep on.
    if (($(printf '%d' "0x$(awk '/^SigIgn:/ {print $2}' /proc/$$/status)") & 1)); then
        echo "# SIGHUP is ignored by this test's caller (nohup?): only SIGTERM is checked" >&3
        sigs=(TERM)
    fi
    for sig in "${sigs[@]}"; do
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

@test "get marks protect.allow: the tool may write a file the host runs" {
    mkdir -p "$TEST_TMP/pstore"
    printf '{"command": "git", "runtime": "native", "protect": {"allow": [".git/config"]}}\n' \
        >"$TEST_TMP/pstore/gitc.json"
    printf '{"command": "git", "runtime": "native"}\n' >"$TEST_TMP/pstore/plain.json"
    COCO_STORE=$TEST_TMP/pstore run "$COCO" get gitc
    assert_status 0
    assert_contains "! protect.allow: the tool may write .git/config, which your host runs"
    COCO_STORE=$TEST_TMP/pstore run "$COCO" get plain
    assert_status 0
    refute_contains "protect.allow"
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

# ------------------------- issue 6 item 18: a URL store's errors in words

# start_store_server: a tiny HTTP store on 127.0.0.1 serving the cases
# below; it exits by itself after 60 s and the test kills it by PID.
start_store_server() {
    cat >"$TEST_TMP/store-server.py" <<'EOF'
import http.server, sys, time

OK = b'{"command": "mytool", "network": "none"}\n'

class Store(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunked(self, chunks):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for c in chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client hung up: what a size limit does

    def do_GET(self):
        port = self.server.server_port
        p = self.path
        if p == "/ok.json":
            self.reply(200, OK)
        elif p == "/chunked.json":
            self.chunked([OK[:10], OK[10:]])
        elif p == "/hugechunked.json":
            self.chunked([b" " * 65536] * 24)  # 1.5 MiB, no Content-Length
        elif p == "/huge.json":
            self.reply(200, b" " * (2 << 20))
        elif p == "/redirect.json":
            self.reply(302, b"", [("Location", "http://127.0.0.1:%d/ok.json" % port)])
        elif p == "/fails.json":
            self.reply(500, b"internal error")
        elif p == "/forbidden.json":
            self.reply(403, b"no")
        elif p == "/hangup.json":
            self.close_connection = True  # no reply at all
        else:
            self.reply(404, b"not found")

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Store)
server.daemon_threads = True
print("port", server.server_port, flush=True)
server.timeout = 0.5
end = time.monotonic() + 60
while time.monotonic() < end:
    server.handle_request()
EOF
    : >"$TEST_TMP/store-server.log"
    python3 "$TEST_TMP/store-server.py" >>"$TEST_TMP/store-server.log" 2>&1 &
    SRV_PID=$!
    local i
    SRV_PORT=
    for ((i = 0; i < 100; i++)); do
        SRV_PORT=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$TEST_TMP/store-server.log")
        [[ -n $SRV_PORT ]] && break
        sleep 0.1
    done
    [ -n "$SRV_PORT" ]
    SRV=http://127.0.0.1:$SRV_PORT
}

stop_store_server() {
    if [[ -n ${SRV_PID:-} ]]; then
        kill "$SRV_PID" 2>/dev/null || true
        wait "$SRV_PID" 2>/dev/null || true
        SRV_PID=
    fi
}

@test "get from a URL store: a chunked config is fetched, its trailer not saved" {
    skip_unless_cmd curl
    skip_unless_cmd python3
    start_store_server
    COCO_STORE=$SRV run "$COCO" get chunked
    assert_status 0
    assert_contains "chunked grants:"
    [ "$(cat "$CONFIG_DIR/chunked.json")" = '{"command": "mytool", "network": "none"}' ]
    COCO_STORE=$SRV/ run "$COCO" get ok
    assert_status 0
    [ "$(cat "$CONFIG_DIR/ok.json")" = '{"command": "mytool", "network": "none"}' ]
    stop_store_server
}

@test "get from a URL store: a reply over 1 MiB is called that, chunked or not" {
    skip_unless_cmd curl
    skip_unless_cmd python3
    start_store_server
    COCO_STORE=$SRV run "$COCO" get hugechunked
    assert_coco_error "get hugechunked: $SRV/hugechunked.json: the store's reply is larger than 1 MiB"
    refute_contains curl
    COCO_STORE=$SRV run "$COCO" get huge
    assert_coco_error "get huge: $SRV/huge.json: the store's reply is larger than 1 MiB"
    stop_store_server
    [ ! -e "$CONFIG_DIR/hugechunked.json" ] && [ ! -e "$CONFIG_DIR/huge.json" ]
}

@test "get from a URL store: a redirect to http is refused as such" {
    skip_unless_cmd curl
    skip_unless_cmd python3
    start_store_server
    COCO_STORE=$SRV run "$COCO" get redirect
    assert_coco_error "get redirect: $SRV/redirect.json: the store redirected to $SRV/ok.json; coco follows store redirects only to https:// URLs"
    refute_contains "protocol"
    stop_store_server
    [ ! -e "$CONFIG_DIR/redirect.json" ]
}

@test "get from a URL store: HTTP errors name the status" {
    skip_unless_cmd curl
    skip_unless_cmd python3
    start_store_server
    COCO_STORE=$SRV run "$COCO" get nothere
    assert_coco_error "get nothere: $SRV/nothere.json: the store has no tool \"nothere\" (HTTP 404)"
    COCO_STORE=$SRV run "$COCO" get fails
    assert_coco_error "the store answered HTTP 500 (a server error; try again later)"
    COCO_STORE=$SRV run "$COCO" get forbidden
    assert_coco_error "the store answered HTTP 403 (access refused)"
    COCO_STORE=$SRV run "$COCO" get hangup
    assert_coco_error "the store closed the connection without a reply (curl exit 52)"
    stop_store_server
    [ -z "$(ls -A "$CONFIG_DIR" 2>/dev/null)" ]
}

@test "get from a URL store: resolve and connect failures, and a missing curl, in words" {
    skip_unless_cmd curl
    # A free loopback port: bound and closed again, nothing listens there.
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    COCO_STORE=http://127.0.0.1:$port run "$COCO" get x
    assert_coco_error "cannot connect to the store: nothing listens there" "(curl exit 7)"
    # A label longer than 63 bytes fails in the resolver itself: no query
    # leaves the machine.
    local label
    label=$(printf 'a%.0s' {1..70})
    COCO_STORE=http://$label.example run "$COCO" get x
    assert_coco_error "cannot resolve the store's host name" "(curl exit 6)"
    PATH=$TEST_TMP/empty COCO_STORE=http://127.0.0.1:$port run "$COCO" get x
    assert_coco_error "needs curl, which is not installed"
}

# ------------------------------------------- issue 6 item 8: escaped output

# A store whose configs hold a screen-clearing escape sequence, a carriage
# return, a newline and U+202E (right-to-left override) in every string
# a config can carry.  The JSON escapes are decoded by coco's parser.
hostile_store() {
    HSTORE=$TEST_TMP/hstore
    mkdir -p "$HSTORE"
    cat >"$HSTORE/evil.json" <<'EOF'
{"command": "lint\u202etxt.exe",
 "mounts": [{"src": "./a\u202eb", "dst": "/w\u202ex"},
            {"src": "~/.ssh", "dst": "/keys", "opts": "ro"}],
 "env": {"A": "x\u001b[2Jy", "B": "1\r2", "C": "l1\nl2\u202e"},
 "network": "none"}
EOF
    printf '%s\n' '{"mounts": [{"src": "./a\u001b[2Jb\nc", "dst": "/w"}]}' >"$HSTORE/ctlsrc.json"
    printf '%s\n' '{"mounts": [{"src": ".", "dst": "/w\rx"}]}' >"$HSTORE/ctldst.json"
    printf '%s\n' '{"command": "a\u001b[2J\nb"}' >"$HSTORE/ctlcmd.json"
    printf '%s\n' '{"image": "x\u001b[2J\n\u202e"}' >"$HSTORE/ctlimage.json"
    printf '%s\n' '{"allowed_hosts": ["a.org\r\u001b[2Jb\n\u202e"]}' >"$HSTORE/ctlhosts.json"
}

# refute_raw_controls: $output holds no control byte but '\n', and no
# raw U+202E.
refute_raw_controls() {
    if printf '%s' "$output" | LC_ALL=C grep -qP '[\x00-\x09\x0b-\x1f\x7f]'; then
        echo "raw control byte in output:" >&2
        printf '%s\n' "$output" | od -c | head -n 40 >&2
        return 1
    fi
    if [[ $output == *$'\u202e'* ]]; then
        echo "raw U+202E in output: $output" >&2
        return 1
    fi
}

@test "get escapes control characters and bidi overrides in what it shows" {
    hostile_store
    COCO_STORE=$HSTORE run "$COCO" get evil
    assert_status 0
    refute_raw_controls
    # every value is on its own line, escaped
    assert_line '  command   lint\u{202e}txt.exe'
    assert_line '  files     ./a\u{202e}b -> /w\u{202e}x (read+write)'
    assert_line '  env       A=x\x1b[2Jy'
    assert_line '            B=1\r2'
    assert_line '            C=l1\nl2\u{202e}'
    [ "${#lines[@]}" -eq 9 ]
}

@test "get marks a sensitive mount source with ! as show does" {
    hostile_store
    COCO_STORE=$HSTORE run "$COCO" get evil
    assert_status 0
    assert_line '            ! ~/.ssh -> /keys (read-only): a sensitive host path'
    refute_contains '! ./a'
    printf '%s\n' '{"mounts": [{"src": ".", "dst": "/w"}, {"src": "/etc", "dst": "/e"}, {"src": "~", "dst": "/h"}]}' >"$HSTORE/wide.json"
    COCO_STORE=$HSTORE run "$COCO" get wide
    assert_status 0
    assert_line '  files     . -> /w (read+write)'
    assert_line '            ! /etc -> /e (read+write): a sensitive host path'
    assert_line '            ! ~ -> /h (read+write): a sensitive host path'
    # "." is the current directory: run from home, it is the home
    rm -f "$CONFIG_DIR/wide.json"
    cd "$HOME"
    COCO_STORE=$HSTORE run "$COCO" get wide
    assert_status 0
    assert_line '  files     ! . -> /w (read+write): a sensitive host path'
}

@test "show, list -l and --dry-run escape config strings, one line each" {
    hostile_store
    install_fake_engine podman
    COCO_STORE=$HSTORE run "$COCO" get evil
    assert_status 0
    COCO_RUNTIME=podman run "$COCO" show evil
    assert_status 0
    refute_raw_controls
    assert_line 'command    lint\u{202e}txt.exe'
    assert_contains 'a\u{202e}b -> /w\u{202e}x'
    run "$COCO" list -l
    assert_status 0
    refute_raw_controls
    [ "${#lines[@]}" -eq 1 ]
    assert_contains 'mounts=./a\u{202e}b:/w\u{202e}x,~/.ssh:/keys:ro'
    run "$COCO" run --runtime podman --dry-run evil $'arg\ntwo' $'\e[2J'
    assert_status 0
    refute_raw_controls
    # one argument per line: the tool's three words are the last three lines
    [ "${lines[-3]}" = 'lint\u{202e}txt.exe' ]
    [ "${lines[-2]}" = 'arg\ntwo' ]
    [ "${lines[-1]}" = '\x1b[2J' ]
    run "$COCO" run --runtime native --dry-run evil $'arg\ntwo'
    assert_status 0
    refute_raw_controls
    assert_contains 'lint\u{202e}txt.exe arg\ntwo'
    assert_contains '/w\u{202e}x'
}

@test "control characters in a mount, command, image or host are refused in one line" {
    hostile_store
    local n
    for n in ctlsrc ctldst ctlcmd ctlimage ctlhosts; do
        COCO_STORE=$HSTORE run "$COCO" get "$n"
        assert_coco_error "$n.json"
        refute_raw_controls
        [ ! -e "$CONFIG_DIR/$n.json" ]
    done
    COCO_STORE=$HSTORE run "$COCO" get ctlsrc
    assert_coco_error 'mounts[0].src: "./a\x1b[2Jb\nc" holds a control character'
    COCO_STORE=$HSTORE run "$COCO" get ctldst
    assert_coco_error 'mounts[0].dst: "/w\rx" holds a control character'
    # an installed config is refused the same way at run time
    install_config ctl '{"mounts": [{"src": "./x\ny", "dst": "/w"}]}'
    run "$COCO" run --runtime podman --dry-run ctl
    assert_coco_error 'mounts[0].src: "./x\ny" holds a control character'
    # and a command line argument in an error message
    run "$COCO" run $'--bogus\e[2J\nx' tool
    assert_coco_error '--bogus\x1b[2J\nx'
    run "$COCO" $'\e[2J\nbogus'
    assert_coco_error 'unknown command "\x1b[2J\nbogus"'
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

# issue 6 item 14: down removes only what up made; up does not silently
# stand in for system commands.

# fake_sys NAME...: executables NAME in $SYS (a directory for PATH).
fake_sys() {
    SYS=$TEST_TMP/sys
    mkdir -p "$SYS"
    local n
    for n in "$@"; do
        printf '#!/bin/sh\necho real %s\n' "$n" >"$SYS/$n"
        chmod 0755 "$SYS/$n"
    done
}

@test "down keeps the user's own coco link and aliases up did not make" {
    install_config cocotest-alpha '{"command": "true"}'
    install_config cocotest-beta '{"command": "true"}'
    install_config lint '{"command": "true"}'
    # made by hand before up: coco itself, an alias, and a tool's name
    ln -s "$COCO" "$COCO_BIN_DIR/coco"
    ln -s "$COCO" "$COCO_BIN_DIR/mylint"
    ln -s "$COCO" "$COCO_BIN_DIR/lint"
    PATH=$COCO_BIN_DIR:$ORIG_PATH run "$COCO" up
    assert_status 0
    assert_line "lint: already linked"
    # the record: up's own links only, private to the user
    [ "$(stat -c %a "$XDG_DATA_HOME/coco/links")" = 600 ]
    grep -q "$COCO_BIN_DIR/cocotest-alpha\$" "$XDG_DATA_HOME/coco/links"
    ! grep -q "$COCO_BIN_DIR/lint\$" "$XDG_DATA_HOME/coco/links"
    # a link up made, replaced by one made by hand, is the user's now
    rm "$COCO_BIN_DIR/cocotest-beta"
    ln -s "$COCO" "$COCO_BIN_DIR/cocotest-beta"
    run "$COCO" down
    assert_status 0
    assert_line "removed $COCO_BIN_DIR/cocotest-alpha"
    assert_line "kept $COCO_BIN_DIR/cocotest-beta: a link to coco that coco up did not make"
    [ ! -L "$COCO_BIN_DIR/cocotest-alpha" ]
    same_file "$COCO_BIN_DIR/coco" "$COCO"
    same_file "$COCO_BIN_DIR/mylint" "$COCO"
    same_file "$COCO_BIN_DIR/lint" "$COCO"
    same_file "$COCO_BIN_DIR/cocotest-beta" "$COCO"
    # the record is rewritten: nothing left to remove
    [ ! -e "$XDG_DATA_HOME/coco/links" ]
    run "$COCO" down
    assert_status 0
    [ -z "$output" ]
    same_file "$COCO_BIN_DIR/mylint" "$COCO"
}

@test "down never removes a link named coco, even one in its record" {
    install_config cocotest-alpha '{"command": "true"}'
    PATH=$COCO_BIN_DIR:$ORIG_PATH run "$COCO" up
    assert_status 0
    ln -s "$COCO" "$COCO_BIN_DIR/coco"
    # a record that names coco (tampered, or written by anything else)
    sed "s|cocotest-alpha\$|coco|" "$XDG_DATA_HOME/coco/links" >>"$XDG_DATA_HOME/coco/links"
    run "$COCO" down
    assert_status 0
    same_file "$COCO_BIN_DIR/coco" "$COCO"
    [ ! -L "$COCO_BIN_DIR/cocotest-alpha" ]
}

@test "up warns, one line per name, when a link stands in for a later PATH program" {
    fake_sys node npm
    install_config node '{"command": "node"}'
    install_config npm '{"command": "npm"}'
    install_config cocotest-alpha '{"command": "true"}'
    PATH=$COCO_BIN_DIR:$SYS:$ORIG_PATH run "$COCO" up
    assert_status 0
    assert_line "coco: warning: node now runs the sandboxed tool instead of $SYS/node"
    assert_line "coco: warning: npm now runs the sandboxed tool instead of $SYS/npm"
    [ "$(grep -c warning <<<"$output")" -eq 2 ]
    same_file "$COCO_BIN_DIR/node" "$COCO"
    same_file "$COCO_BIN_DIR/npm" "$COCO"
}

@test "up refuses to stand in for sudo, ls or a setuid program unless --force NAME" {
    fake_sys sudo ls priv node
    chmod 4755 "$SYS/priv"
    local t
    for t in sudo ls priv node doas; do
        install_config "$t" '{"command": "true"}'
    done
    PATH=$COCO_BIN_DIR:$SYS run "$COCO" up
    assert_status 125
    # one line per refused name, saying how to override
    assert_line "coco: up: not linking $COCO_BIN_DIR/sudo: it would stand in for $SYS/sudo, which asks for your password and runs commands as root; if you mean it, run \`coco up --force sudo\`"
    assert_contains "not linking $COCO_BIN_DIR/ls: it would stand in for $SYS/ls"
    assert_contains "not linking $COCO_BIN_DIR/priv: it would stand in for $SYS/priv, which is setuid or setgid"
    # refused by name even where no such program is installed yet
    assert_contains "not linking $COCO_BIN_DIR/doas"
    [ "$(grep -c 'not linking' <<<"$output")" -eq 4 ]
    for t in sudo ls priv doas; do
        [ ! -e "$COCO_BIN_DIR/$t" ] && [ ! -L "$COCO_BIN_DIR/$t" ]
    done
    # ordinary tools are still linked: that is the point of up
    same_file "$COCO_BIN_DIR/node" "$COCO"
    # --force NAME links that name only
    PATH=$COCO_BIN_DIR:$SYS run "$COCO" up --force sudo
    assert_status 125
    same_file "$COCO_BIN_DIR/sudo" "$COCO"
    assert_line "coco: warning: sudo now runs the sandboxed tool instead of $SYS/sudo"
    [ ! -L "$COCO_BIN_DIR/ls" ]
    PATH=$COCO_BIN_DIR:$SYS run "$COCO" up --force ls priv doas
    assert_status 0
    same_file "$COCO_BIN_DIR/priv" "$COCO"
    # and what up made, down removes
    run "$COCO" down
    assert_status 0
    for t in sudo ls priv node doas; do
        [ ! -L "$COCO_BIN_DIR/$t" ]
    done
    run "$COCO" up --force nosuch
    assert_coco_error "--force nosuch"
    run "$COCO" up --force
    assert_coco_error "--force needs"
}

# ---------------------------------------------------------------- prune / rebuild

@test "prune TOOL removes that tool's volume only; prune removes coco's" {
    install_fake_engine podman
    install_config eslint "$ESLINT_CFG"
    export FAKE_VOLUMES='coco-cache-t-eslint coco-cache-t-prettier mydata'
    COCO_RUNTIME=podman run "$COCO" prune eslint
    assert_status 0
    grep -E '^volume rm .*coco-cache-t-eslint' "$FAKE_DIR/calls"
    ! grep -E '^volume rm .*coco-cache-t-prettier' "$FAKE_DIR/calls"
    ! grep -q '^run' "$FAKE_DIR/calls"
    # what tools share stays for a prune of one tool
    mkdir -p "$XDG_DATA_HOME/coco/runtimes/node@22/bin" "$XDG_DATA_HOME/coco/cache-shared/x"
    ln -s / "$XDG_DATA_HOME/coco/runtimes/node@22/root-link"
    COCO_RUNTIME=podman run "$COCO" prune eslint
    assert_status 0
    [ -d "$XDG_DATA_HOME/coco/runtimes/node@22" ]
    [ -d "$XDG_DATA_HOME/coco/cache-shared/x" ]
    rm -f "$FAKE_DIR"/*
    COCO_RUNTIME=podman run "$COCO" prune
    assert_status 0
    assert_line "removed the shared cache of non-isolated tools"
    assert_line "removed the runtimes coco installed (install.runtime)"
    [ ! -e "$XDG_DATA_HOME/coco/runtimes" ]
    [ ! -e "$XDG_DATA_HOME/coco/cache-shared" ]
    [ -d /usr/bin ]  # the link was removed, never followed
    grep -E '^volume rm .*coco-cache-t-eslint' "$FAKE_DIR/calls"
    grep -E '^volume rm .*coco-cache-t-prettier' "$FAKE_DIR/calls"
    ! grep -E '^volume rm .*mydata' "$FAKE_DIR/calls"
    run "$COCO" prune ../x
    assert_coco_error
}

# issue 6 item 15: one volume per tool, whatever the names
@test "cache volumes never collide: a+b, a-b, A, shared and isolated false differ" {
    install_fake_engine podman
    local t v
    declare -A seen=()
    install_config shared '{"command": "true"}'
    install_config notiso '{"command": "true", "isolated": false}'
    for t in a+b a-b a_b A a shared notiso; do
        [[ -e $CONFIG_DIR/$t.json ]] || install_config "$t" '{"command": "true"}'
        dry "$t"
        assert_status 0
        # a volume, or run by root a directory of root's (idmap.h)
        v=$(sed -n -e 's/^--mount=type=volume,src=\([^,]*\),.*/\1/p' \
            -e 's#^--mount=type=bind,src=/tmp/coco-idmap\.XXXXXX\([^,]*\),dst=/coco/cache.*#\1#p' <<<"$output")
        [ -n "$v" ]
        [ -z "${seen[$v]:-}" ] || { echo "$t and ${seen[$v]} share $v" >&2; false; }
        seen[$v]=$t
    done
    if (($(id -u) == 0)); then
        local d=$XDG_DATA_HOME/coco
        [ "${seen[$d/cache-shared]}" = notiso ]
        [ "${seen[$d/envs/shared/cache/run]}" = shared ]
        [ "${seen[$d/envs/a+b/cache/run]}" = a+b ]
        [ "${seen[$d/envs/a-b/cache/run]}" = a-b ]
    else
        [ "${seen[coco-cache-shared]}" = notiso ]
        [ "${seen[coco-cache-t-shared]}" = shared ]
        [ "${seen[coco-cache-t-a_2bb]}" = a+b ]
        [ "${seen[coco-cache-t-a-b]}" = a-b ]
    fi
}

@test "prune removes exactly the volumes coco makes, never another program's" {
    install_fake_engine podman
    export FAKE_VOLUMES='coco-cache-t-a_2bb coco-cache-t-a-b coco-cache-shared coco-cache-t-shared coco-cache-t-_41 coco-cache-other coco-cache-t-A coco-cache-t-x_2d coco-cache-t-x_zz coco-cache-t- coco-cache-sharedx mydata'
    COCO_RUNTIME=podman run "$COCO" prune a+b
    assert_status 0
    [ "$(sed -n 's/^volume rm --force //p' "$FAKE_DIR/calls")" = coco-cache-t-a_2bb ]
    rm -f "$FAKE_DIR"/*
    COCO_RUNTIME=podman run "$COCO" prune A
    assert_status 0
    [ "$(sed -n 's/^volume rm --force //p' "$FAKE_DIR/calls")" = coco-cache-t-_41 ]
    rm -f "$FAKE_DIR"/*
    COCO_RUNTIME=podman run "$COCO" prune
    assert_status 0
    # the names coco makes, and not one more (an upper-case letter, a
    # plain byte written as an escape, a bad escape, an empty name or
    # another prefix is no name coco makes)
    [ "$(sed -n 's/^volume rm --force //p' "$FAKE_DIR/calls")" = \
      "coco-cache-t-a_2bb coco-cache-t-a-b coco-cache-shared coco-cache-t-shared coco-cache-t-_41" ]
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
