# pypi_registry.bash — a fake PyPI of test packages we control, served by
# the egress fixture (egress_net.bash) as http://registry.test:8081/pypi/.
# Load after egress_net; a test calls pypi_registry_require first (it
# builds the index once per file into $EG_DIR/registry/pypi, which
# webserv's files mode already serves).
#
# The index is PEP 503's "simple" HTML (DIR/simple/NAME/index.html, one
# link per file with its #sha256=), the files under DIR/files/.  Wheels
# are written by python3's zipfile here (no build backend, no network):
#   coco-t-pydep    1.0, a library: coco_t_pydep.V = "pydep 1.0"
#   coco-t-pyhello  1.0 and 1.1 (latest): script coco-t-pyhello prints
#                   "pyhello VERSION pydep 1.0 ARGS..." and whether
#                   sys.prefix is coco's install mount; needs
#                   coco-t-pydep>=1
#   coco-t-pysdist  only an sdist (.tar.gz) whose setup.py would write
#                   SDIST-RAN into /opt/coco/env and $HOME: never fetched
#   coco-t-pymixed  a wheel that needs coco-t-pysdist
#   coco-t-pypth    a wheel with a .pth file that, if Python ever started
#                   with it installed during the install, would write
#                   PTH-RAN into /opt/coco/env (the install's root)
#   coco-t-pyescape a wheel with a file "../../../../ESCAPED" in it
# shellcheck disable=SC2034  # used by the .bats files that load this
PYPI_INDEX_URL=http://registry.test:8081/pypi/simple/

pypi_registry_build() {
    python3 - "$1" <<'PY'
import base64, hashlib, io, os, sys, tarfile, zipfile
out = sys.argv[1]
os.makedirs(out + "/files", exist_ok=True)

def b64(d):
    return base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode()

def wheel(name, ver, files, deps=(), scripts=None):
    dist = "%s-%s" % (name.replace("-", "_"), ver)
    fn = "%s-py3-none-any.whl" % dist
    meta = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, ver)
    meta += "".join("Requires-Dist: %s\n" % d for d in deps)
    ent = dict(files)
    ent[dist + ".dist-info/METADATA"] = meta
    ent[dist + ".dist-info/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: coco-test\n"
                                      "Root-Is-Purelib: true\nTag: py3-none-any\n")
    if scripts:
        ent[dist + ".dist-info/entry_points.txt"] = "[console_scripts]\n" + "".join(
            "%s = %s\n" % kv for kv in scripts.items())
    rec = []
    with zipfile.ZipFile(out + "/files/" + fn, "w") as z:
        for p, c in ent.items():
            d = c.encode()
            z.writestr(p, d)
            rec.append("%s,sha256=%s,%d" % (p, b64(d), len(d)))
        rp = dist + ".dist-info/RECORD"
        rec.append(rp + ",,")
        z.writestr(rp, "\n".join(rec) + "\n")
    return fn

def sdist(name, ver, setup_py):
    fn = "%s-%s.tar.gz" % (name, ver)
    with tarfile.open(out + "/files/" + fn, "w:gz") as t:
        for p, c in (("setup.py", setup_py), ("PKG-INFO",
                     "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, ver))):
            d = c.encode()
            ti = tarfile.TarInfo("%s-%s/%s" % (name, ver, p))
            ti.size = len(d)
            t.addfile(ti, io.BytesIO(d))
    return fn

pkgs = {}
def add(name, fn):
    pkgs.setdefault(name, []).append(fn)

add("coco-t-pydep", wheel("coco-t-pydep", "1.0", {"coco_t_pydep/__init__.py": "V = 'pydep 1.0'\n"}))
for v in ("1.0", "1.1"):
    add("coco-t-pyhello", wheel("coco-t-pyhello", v, {"coco_t_pyhello/__init__.py":
        "import sys\nfrom coco_t_pydep import V\n"
        "def main():\n"
        "    print('pyhello %s', V, *sys.argv[1:])\n"
        "    print('prefix', sys.prefix)\n" % v},
        deps=["coco-t-pydep>=1"], scripts={"coco-t-pyhello": "coco_t_pyhello:main"}))
evil = ("import os\n"
        "for d in ('/opt/coco/env', os.environ.get('HOME', '/nonexistent')):\n"
        "    try:\n"
        "        open(os.path.join(d, '%s'), 'w').write('ran')\n"
        "    except OSError:\n"
        "        pass\n")
add("coco-t-pysdist", sdist("coco-t-pysdist", "1.0", evil % "SDIST-RAN" +
    "from setuptools import setup\nsetup(name='coco-t-pysdist', version='1.0')\n"))
add("coco-t-pymixed", wheel("coco-t-pymixed", "1.0", {"coco_t_pymixed/__init__.py": ""},
    deps=["coco-t-pysdist"]))
add("coco-t-pypth", wheel("coco-t-pypth", "1.0", {
    "coco_t_pypth/__init__.py": "",
    "coco_t_pypth.pth": "import os; open('/opt/coco/env/PTH-RAN', 'w').write('ran')\n"}))
add("coco-t-pyescape", wheel("coco-t-pyescape", "1.0", {
    "coco_t_pyescape/__init__.py": "",
    "../../../../ESCAPED": "escaped\n"}))

for name, files in pkgs.items():
    d = out + "/simple/" + name
    os.makedirs(d, exist_ok=True)
    links = []
    for fn in files:
        h = hashlib.sha256(open(out + "/files/" + fn, "rb").read()).hexdigest()
        links.append('<a href="../../files/%s#sha256=%s">%s</a><br>' % (fn, h, fn))
    open(d + "/index.html", "w").write(
        "<!DOCTYPE html><html><body>\n%s\n</body></html>\n" % "\n".join(links))
PY
}

# pypi_registry_require: build the index once (python3 is needed on the
# test side only); skip with the reason when python3 is missing.
pypi_registry_require() {
    command -v python3 >/dev/null || skip "python3 is not installed (it writes the test wheels)"
    [[ -x /usr/bin/python3 ]] || skip "/usr/bin/python3 is missing (pipx: builds its venv on it)"
    local dir=$EG_DIR/registry/pypi
    if [[ ! -f $dir/simple/coco-t-pyhello/index.html ]]; then
        pypi_registry_build "$dir.tmp" && mv "$dir.tmp" "$dir"
        chmod -R a+rX "$dir"
    fi
}
