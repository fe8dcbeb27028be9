#!/usr/bin/env bats
# install-pypi.bats — pipx:/uv: installs (issue 9): binary wheels only,
# fetched with no package code running, installed without network into a
# venv of the tool's own; attacked and judged from the host, as root and
# as a normal user, native backend.
#
# The fake PyPI of pypi_registry.bash is served by the egress fixture as
# http://registry.test:8081/pypi/simple/; each config names it in its env
# (PIP_INDEX_URL, PIP_TRUSTED_HOST: plain http) and install.allowed_hosts.
#
# Walls, and the break each was seen to fail with: --only-binary dropped
# from phase F (the index serves the sdist: the test fails on its log);
# pip run a second time in phase B, so the venv's python starts with the
# wheels in (the .pth runs and PTH-RAN appears in the install).

bats_require_minimum_version 1.5.0
load helpers

load egress_net
load pypi_registry

PY_ENV='"env": {"PIP_INDEX_URL": "http://registry.test:8081/pypi/simple/", "PIP_TRUSTED_HOST": "registry.test"}'

tool_config() {
    install_config "$1" "$2"
    printf '%s\n' "$2" >"$UDATA/coco/tools/$1.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/$1.json"
    chmod 0644 "$UDATA/coco/tools/$1.json"
}

# py_config NAME SPEC COMMAND [MORE-JSON]: a native config installing
# SPEC from the test index.
py_config() {
    tool_config "$1" '{"tool": "'"$2"'", "command": "'"$3"'",
      "runtime": "native", '"$PY_ENV"',
      "install": {"allowed_hosts": ["registry.test:8081"]},
      "mounts": [{"src": ".", "dst": "/workspace"}]'"${4:+, $4}"'}'
}

envs_of() { if [[ $1 == root ]]; then echo "$XDG_DATA_HOME/coco/envs"; else echo "$UDATA/coco/envs"; fi; }
home_of() { if [[ $1 == root ]]; then echo "$HOME"; else echo "$UHOME"; fi; }

# gets PATTERN: how often the index served a path matching PATTERN.
gets() { grep -c "got GET /pypi/$1" "$EG_DIR/webserv.log" || true; }

# nothing_ran WHO NAME: no file NAME anywhere the test's code could
# have reached on the host.
nothing_ran() {
    run find "$(envs_of "$1")" "$(home_of "$1")" "$TEST_TMP" -name "$2"
    [[ -z $output ]] || { echo "found: $output"; return 1; }
}

eval "$(declare -f setup | sed '1s/setup/egress_net_setup/')"
setup() {
    egress_net_setup
    pypi_registry_require
}

@test "pipx: installs wheels into a venv of its own and runs; the second run reuses it; @1.0 pins; the lock holds every wheel's SHA-256" {
    local who envs n f h
    py_config pyhello pipx:coco-t-pyhello coco-t-pyhello
    py_config pyhello1 uv:coco-t-pyhello@1.0 coco-t-pyhello
    for who in root user; do
        envs=$(envs_of "$who")
        run --separate-stderr as "$who" "$COCO" run pyhello world
        assert_status 0
        assert_line "pyhello 1.1 pydep 1.0 world"
        # the venv at the install's mount is the interpreter's prefix
        assert_line "prefix /opt/coco/env"
        [[ $stderr == *"installing pipx:coco-t-pyhello"* ]] || { echo "$stderr"; return 1; }
        [[ $(readlink "$envs/pyhello/current") == v/1.1-* ]]
        [[ -f $envs/pyhello/current/root/pyvenv.cfg ]]
        # the downloads are gone from the tree; the lock pins each
        # wheel by the hash of the very file the index served
        [[ ! -e $envs/pyhello/current/root/.wheels ]]
        for f in coco_t_pyhello-1.1 coco_t_pydep-1.0; do
            h=$(sha256sum "$EG_DIR/registry/pypi/files/$f-py3-none-any.whl" | cut -d' ' -f1)
            n=${f%-*}
            grep -qx "${n//_/-}==${f##*-} --hash=sha256:$h" "$envs/pyhello/current/pypi-lock.txt" ||
                { cat "$envs/pyhello/current/pypi-lock.txt"; return 1; }
        done
        if [[ $who == user ]]; then
            [[ $(stat -c %U "$envs/pyhello/current/root/bin/coco-t-pyhello") == "$TESTUSER" ]]
        fi
        n=$(gets simple/coco-t-pyhello)
        run --separate-stderr as "$who" "$COCO" run pyhello again
        assert_status 0
        assert_line "pyhello 1.1 pydep 1.0 again"
        [[ $stderr != *installing* ]] || { echo "$stderr"; return 1; }
        [[ $(gets simple/coco-t-pyhello) == "$n" ]]
        # uv: is the same install; @1.0 is 1.0.*
        run --separate-stderr as "$who" "$COCO" run pyhello1 x
        assert_status 0
        assert_line "pyhello 1.0 pydep 1.0 x"
        run "$COCO" list -l
    done
}

@test "pipx: an sdist is never fetched nor built: a package, or a dependency, that has only one fails naming it and leaves nothing" {
    local who envs t
    py_config pysdist pipx:coco-t-pysdist true
    py_config pymixed pipx:coco-t-pymixed true
    for who in root user; do
        envs=$(envs_of "$who")
        for t in pysdist pymixed; do
            run --separate-stderr as "$who" "$COCO" install "$t"
            [[ $status -ne 0 ]] || { echo "$stderr"; return 1; }
            [[ $stderr == *"coco-t-pysdist"* ]] || { echo "$stderr"; return 1; }
            [[ ! -e $envs/$t/current ]]
            run ls -A "$envs/$t/v"
            [[ -z $output ]] || { echo "left: $output"; return 1; }
        done
        nothing_ran "$who" SDIST-RAN
    done
    # judged from the index's side: the source archive was never asked for
    [[ $(gets 'files/coco-t-pysdist') == 0 ]] || { grep pysdist "$EG_DIR/webserv.log"; return 1; }
}

@test "pipx: a wheel's .pth never runs during the install; a wheel with a path out of the venv is refused and writes nothing" {
    local who envs
    py_config pypth pipx:coco-t-pypth python3
    py_config pyescape pipx:coco-t-pyescape true
    for who in root user; do
        envs=$(envs_of "$who")
        run --separate-stderr as "$who" "$COCO" install pypth
        assert_status 0
        # the .pth is installed (a venv's site-packages: lib/python3.X/)
        compgen -G "$envs/pypth/current/root/lib/python3.*/site-packages/coco_t_pypth.pth" >/dev/null
        nothing_ran "$who" PTH-RAN
        # at run time it is the tool's own code, and the install is
        # read-only to it
        run --separate-stderr as "$who" "$COCO" run pypth -c 'print("ok")'
        assert_status 0
        assert_line ok
        nothing_ran "$who" PTH-RAN
        run --separate-stderr as "$who" "$COCO" install pyescape
        [[ $status -ne 0 ]] || { echo "$stderr"; return 1; }
        [[ ! -e $envs/pyescape/current ]]
        nothing_ran "$who" ESCAPED
    done
}

@test "pipx: a reinstall takes exactly the locked wheels: one whose bytes changed on the index is refused, and the install in use stays" {
    local who envs before f=$EG_DIR/registry/pypi/files/coco_t_pydep-1.0-py3-none-any.whl
    py_config pylock pipx:coco-t-pyhello@1.0 coco-t-pyhello
    for who in root user; do
        envs=$(envs_of "$who")
        run --separate-stderr as "$who" "$COCO" install pylock
        assert_status 0
        # from the lock again: fine, and the same tree
        run --separate-stderr as "$who" "$COCO" install pylock
        assert_status 0
        [[ $stderr == *"again, from its lock"* ]] || { echo "$stderr"; return 1; }
    done
    # the index now serves other bytes under the same name (its page's
    # hash updated too: only the lock can tell)
    cp "$f" "$TEST_TMP/pydep.whl"
    python3 - "$f" <<'PY'
import sys, zipfile
p = sys.argv[1]
zin = zipfile.ZipFile(p + ".orig" if False else p)
items = [(i, zin.read(i)) for i in zin.infolist()]
zin.close()
with zipfile.ZipFile(p, "w") as z:
    for i, d in items:
        z.writestr(i, d.replace(b"pydep 1.0", b"EVIL 6.6") if i.filename.endswith("__init__.py") else d)
PY
    local h
    h=$(sha256sum "$f" | cut -d' ' -f1)
    sed -i "s/coco_t_pydep-1.0-py3-none-any.whl#sha256=[0-9a-f]*/coco_t_pydep-1.0-py3-none-any.whl#sha256=$h/" \
        "$EG_DIR/registry/pypi/simple/coco-t-pydep/index.html"
    for who in root user; do
        envs=$(envs_of "$who")
        before=$(readlink "$envs/pylock/current")
        rm -rf "$envs/pylock/cache"
        run --separate-stderr as "$who" "$COCO" install pylock
        [[ $status -ne 0 ]] || { echo "$stderr"; return 1; }
        [[ $(readlink "$envs/pylock/current") == "$before" ]]
        run --separate-stderr as "$who" "$COCO" run pylock z
        assert_status 0
        assert_line "pyhello 1.0 pydep 1.0 z"
    done
    cp "$TEST_TMP/pydep.whl" "$f"
}

@test "pipx: a registry that cannot be reached fails in seconds naming it; a host the installer wants that is not allowed is named with the key" {
    local who start
    # the real PyPI: this test network has no such name
    tool_config pyreal '{"tool": "pipx:coco-t-pyhello", "runtime": "native"}'
    # the test index, without install.allowed_hosts
    tool_config pynohost '{"tool": "pipx:coco-t-pyhello", "runtime": "native", '"$PY_ENV"'}'
    for who in root user; do
        start=$SECONDS
        run --separate-stderr as "$who" "$COCO" install pyreal
        [[ $status -ne 0 ]] || { echo "$stderr"; return 1; }
        [[ $stderr == *"the registry pypi.org could not be reached on port 443 (its name does not resolve from this machine)"* ]] ||
            { echo "$stderr"; return 1; }
        # seconds, not retries (bounded generously for a loaded machine)
        ((SECONDS - start < 30)) || { echo "took $((SECONDS - start)) s"; return 1; }
        run --separate-stderr as "$who" "$COCO" install pynohost
        [[ $status -ne 0 ]] || { echo "$stderr"; return 1; }
        [[ $stderr == *"asked for registry.test:8081, which fetch does not allow"*'"install": {"allowed_hosts"'* ]] ||
            { echo "$stderr"; return 1; }
    done
}

@test "pipx: show describes the install (the index's hosts); podman/docker refuse it plainly" {
    py_config pyhello pipx:coco-t-pyhello coco-t-pyhello
    run --separate-stderr "$COCO" show pyhello
    assert_status 0
    [[ $output == *"fetch from pypi.org, files.pythonhosted.org, registry.test:8081 (no package code runs)"* ]] || { echo "$output"; return 1; }
    tool_config pypod '{"tool": "pipx:coco-t-pyhello", "runtime": "podman"}'
    run --separate-stderr env -u COCO_RUNTIME "$COCO" install pypod
    [[ $status -ne 0 ]]
    [[ $stderr == *"native runtime only"* ]] || { echo "$stderr"; return 1; }
}

@test "python@3.N: the host's /usr/bin/python3.N runs; a missing one fails in one line saying what the host has" {
    local who have
    have=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    tool_config pyhost '{"tool": "python@'"$have"'", "command": "python3", "runtime": "native"}'
    tool_config pynone '{"tool": "python@3.99", "command": "python3", "runtime": "native"}'
    for who in root user; do
        run --separate-stderr as "$who" "$COCO" run pyhost -c 'import sys; print(sys.executable)'
        assert_status 0
        assert_line /usr/bin/python3
        run --separate-stderr as "$who" "$COCO" run pynone -c 'print("ran")'
        [[ $status -ne 0 && $output != *ran* ]] || { echo "$output $stderr"; return 1; }
        [[ $stderr == *"python@3.99: this host has no /usr/bin/python3.99 (it has "*"$have"*")"* ]] || { echo "$stderr"; return 1; }
        [[ $(wc -l <<<"$stderr") -eq 1 ]] || { echo "$stderr"; return 1; }
    done
    run --separate-stderr "$COCO" show pynone
    [[ $output == *"cannot run here"* ]] || { echo "$output"; return 1; }
}
