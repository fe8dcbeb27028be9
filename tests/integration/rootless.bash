# tests/integration/rootless.bash — the rootless podman user and how the
# suites run coco and podman as it (podman-rootless.bats,
# conformance-podman-rootless.bats).  Load after helpers; the suite sets
# RL_TOOLS, the tool (config) names its tests use, whose containers and
# cache volumes (coco-cache-t-NAME) rl_teardown_file removes, and calls
# rl_setup_file / rl_teardown_file from setup_file / teardown_file.
#
# rl_setup_file (as root) prepares a dedicated user, $RL_USER:
#   * useradd -m when missing, with /etc/subuid and /etc/subgid ranges
#     (newuidmap needs them to map the container's other ids);
#   * ~/.config/containers/storage.conf: the overlay driver (vfs copies the
#     whole image per container) with an explicit graphroot, so that the
#     per-test XDG_DATA_HOME the tests give coco does not move podman's
#     storage; containers.conf as tests/images/containers.conf (runc,
#     cgroupfs, file events: no systemd, no journald here);
#   * XDG_RUNTIME_DIR /run/user/UID (0700, the user's): no systemd-logind
#     creates it here;
#   * the eslint image in the user's own storage, without any network:
#     `podman save` from root's storage, `podman load` as the user.
#
# Kept on purpose between runs (rl_teardown_file does NOT remove them):
# the user, its subordinate id ranges, its podman config and its image
# store.  Loading the image takes ~20 s and the first keep-id run another
# ~20 s (podman 4.3 chowns a copy of the image's layers for the keep-id
# mapping once); with them cached a whole file runs in seconds.  The image
# is reloaded only when root's image id differs from the user's.
# rl_teardown_file removes what the tests made: containers and cache
# volumes of RL_TOOLS, and the user's rootless pause process when this
# run started it.  bats 1.8 cannot skip from setup_file: RL_SKIP says why
# for setup().

RL_USER=${COCO_ROOTLESS_USER:-coco-rl}

# rl_env: the user's whole environment, nothing of root's (env -i).
rl_env() {
    printf '%s\n' "HOME=$RL_HOME" "USER=$RL_USER" "LOGNAME=$RL_USER" \
        "PATH=/usr/local/bin:/usr/bin:/bin" \
        "XDG_RUNTIME_DIR=$RL_RUNTIME" \
        "CONTAINERS_CONF=$RL_HOME/.config/containers/containers.conf"
}

# rl_podman ARGS...: podman as the user, from a directory it can enter.
rl_podman() {
    local -a e
    mapfile -t e < <(rl_env)
    (cd / && runuser -u "$RL_USER" -- env -i "${e[@]}" podman "$@")
}

# rl_coco ARGS...: coco as the user, in $WORK, with this test's
# XDG_DATA_HOME (its configs) and the podman runtime.
rl_coco() {
    local -a e
    mapfile -t e < <(rl_env)
    (cd "$WORK" && runuser -u "$RL_USER" -- env -i "${e[@]}" \
        "XDG_DATA_HOME=$XDG_DATA_HOME" COCO_RUNTIME=podman "$RL_COCO" "$@")
}

# rl_coco_pidfile FILE ARGS...: rl_coco that writes coco's pid to FILE
# first (a shell of the user's that then execs coco).
rl_coco_pidfile() {
    local f=$1
    shift
    local -a e
    mapfile -t e < <(rl_env)
    (cd "$WORK" && runuser -u "$RL_USER" -- env -i "${e[@]}" \
        "XDG_DATA_HOME=$XDG_DATA_HOME" COCO_RUNTIME=podman \
        /bin/sh -c 'echo $$ >"$0" && exec "$@"' "$f" "$RL_COCO" "$@")
}

# The rootless pause process (catatonit -P) that keeps the user's
# namespace alive between podman calls; prints its pid when it runs.
rl_pause_pid() {
    local f=$RL_RUNTIME/libpod/tmp/pause.pid pid
    [[ -r $f ]] || return 1
    pid=$(<"$f")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    # Only a live process of that user named catatonit: never kill a pid
    # that was reused by something else.
    [[ $(ps -o user= -o comm= -p "$pid" 2>/dev/null) == "$RL_USER "*catatonit* ]] ||
        return 1
    printf '%s\n' "$pid"
}

# Give USER a subordinate id range in FILE (/etc/subuid or /etc/subgid)
# when it has none: 65536 ids after the highest range in use.
ensure_subids() {
    local file=$1 flag=$2 start=100000 s c
    grep -q "^$RL_USER:" "$file" 2>/dev/null && return 0
    while IFS=: read -r _ s c; do
        [[ $s =~ ^[0-9]+$ && $c =~ ^[0-9]+$ ]] || continue
        ((s + c > start)) && start=$((s + c))
    done <"$file"
    usermod "$flag" "$start-$((start + 65535))" "$RL_USER"
}

rl_prepare() {
    id -u "$RL_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$RL_USER"
    ensure_subids /etc/subuid --add-subuids
    ensure_subids /etc/subgid --add-subgids
    RL_UID=$(id -u "$RL_USER")
    RL_GID=$(id -g "$RL_USER")
    RL_HOME=$(getent passwd "$RL_USER" | cut -d: -f6)
    RL_RUNTIME=/run/user/$RL_UID
    export RL_UID RL_GID RL_HOME RL_RUNTIME
    [[ -d $RL_HOME ]] || { echo "# $RL_USER has no home $RL_HOME" >&3; return 1; }

    # No systemd-logind: make the runtime directory it would make.
    install -d -m 0700 -o "$RL_USER" -g "$RL_GID" /run/user "$RL_RUNTIME"
    chmod 0755 /run/user

    local conf=$RL_HOME/.config/containers
    install -d -m 0700 -o "$RL_USER" -g "$RL_GID" \
        "$RL_HOME/.config" "$conf"
    # An explicit graphroot: the tests change XDG_DATA_HOME, podman's
    # default storage location.
    printf '%s\n' '[storage]' 'driver = "overlay"' \
        "graphroot = \"$RL_HOME/.local/share/containers/storage\"" \
        "runroot = \"$RL_RUNTIME/containers\"" >"$conf/storage.conf.tmp"
    mv -f -- "$conf/storage.conf.tmp" "$conf/storage.conf"
    cp -- "$REPO_ROOT/tests/images/containers.conf" "$conf/containers.conf.tmp"
    mv -f -- "$conf/containers.conf.tmp" "$conf/containers.conf"
    chown "$RL_USER:$RL_GID" "$conf/storage.conf" "$conf/containers.conf"
    chmod 0644 "$conf/storage.conf" "$conf/containers.conf"

    # The pause process: teardown_file ends it only if this run starts it.
    RL_PAUSE_BEFORE=$(rl_pause_pid || true)
    export RL_PAUSE_BEFORE

    # The coco binary must be executable by the user along its whole path;
    # if it is not (a private work tree), run a copy from a temp dir.
    RL_COCO=$COCO
    RL_COCO_DIR=
    if ! runuser -u "$RL_USER" -- test -x "$COCO"; then
        RL_COCO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/coco-rl-bin.XXXXXX")
        chmod 0755 "$RL_COCO_DIR"
        install -m 0755 -- "$COCO" "$RL_COCO_DIR/coco"
        RL_COCO=$RL_COCO_DIR/coco
        echo "# $COCO is not reachable by $RL_USER; running a copy" >&3
    fi
    export RL_COCO RL_COCO_DIR

    # The image: root's (built offline by build.sh when missing) into the
    # user's store, unless the user already has the same image id.
    if ! podman image exists "$TEST_ESLINT_IMAGE"; then
        "$REPO_ROOT/tests/images/build.sh" podman all 2>&1 | tap_comment || {
            echo "# tests/images/build.sh podman all failed" >&3
            return 1
        }
    fi
    local want have dir
    want=$(podman image inspect --format '{{.Id}}' "$TEST_ESLINT_IMAGE")
    have=$(rl_podman image inspect --format '{{.Id}}' "$TEST_ESLINT_IMAGE" 2>/dev/null || true)
    if [[ $want != "$have" ]]; then
        echo "# loading $TEST_ESLINT_IMAGE into $RL_USER's storage" >&3
        dir=$(mktemp -d "${TMPDIR:-/tmp}/coco-rl-img.XXXXXX")
        chmod 0755 "$dir"
        if ! podman save -q -o "$dir/image.tar" "$TEST_ESLINT_IMAGE" ||
            ! chmod 0644 "$dir/image.tar" ||
            ! rl_podman load -q -i "$dir/image.tar" 2>&1 | tap_comment; then
            rm -rf -- "$dir"
            echo "# podman save/load of $TEST_ESLINT_IMAGE failed" >&3
            return 1
        fi
        rm -rf -- "$dir"
        # An older copy under the same tag is now dangling: drop it.
        rl_podman image prune -f >/dev/null 2>&1 || true
    fi
    have=$(rl_podman image inspect --format '{{.Id}}' "$TEST_ESLINT_IMAGE")
    [[ $have == "$want" ]] || {
        echo "# $RL_USER's $TEST_ESLINT_IMAGE is $have, not $want" >&3
        return 1
    }
}

rl_setup_file() {
    set -o pipefail
    # bats 1.8 cannot skip from setup_file: leave the reason for setup().
    local c
    for c in podman runuser useradd usermod newuidmap newgidmap; do
        if ! command -v "$c" >/dev/null; then
            export RL_SKIP="$c is not installed"
            return 0
        fi
    done
    if [[ $(id -u) -ne 0 ]]; then
        export RL_SKIP="needs root to create the rootless test user $RL_USER"
        return 0
    fi
    rl_prepare
}

rl_teardown_file() {
    [[ -z ${RL_SKIP:-} && -n ${RL_HOME:-} ]] || return 0
    local t n pid
    # --rm removes every container; one left by a failed run goes here.
    while read -r n; do
        for t in "${RL_TOOLS[@]}"; do
            [[ $n == "coco-$t-"* ]] && rl_podman rm -f "$n" >/dev/null 2>&1
        done
    done < <(rl_podman ps -a --format '{{.Names}}' 2>/dev/null)
    for t in "${RL_TOOLS[@]}"; do
        rl_podman volume rm -f "coco-cache-t-$t" >/dev/null 2>&1 || true
    done
    # Last, since every podman call above may start it again.
    if [[ -z ${RL_PAUSE_BEFORE:-} ]] && pid=$(rl_pause_pid); then
        kill "$pid" 2>/dev/null || true
    fi
    if [[ -n ${RL_COCO_DIR:-} ]]; then
        rm -rf -- "$RL_COCO_DIR"
    fi
}
