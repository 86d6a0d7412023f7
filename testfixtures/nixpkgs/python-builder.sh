# Builds a self-contained CPython from the host's Debian python3.11: the
# interpreter, its standard library and every shared library they load, all
# under $out and patched so that nothing is loaded from outside /nix/store.
# It needs sandbox = false (scripts/install-deps configures Nix so) to read
# /usr. Only the fixture does this; real nixpkgs builds python from source.
set -eu
hostPython=/usr/bin/python3.11
mkdir -p "$out/bin" "$out/lib"
cp -L "$hostPython" "$out/bin/python3.11"
ln -s python3.11 "$out/bin/python3"
ln -s python3.11 "$out/bin/python"
# The standard library; Debian's dist-packages and the test suite stay out.
cp -R /usr/lib/python3.11 "$out/lib/python3.11"
rm -rf "$out/lib/python3.11/test" "$out/lib/python3.11/EXTERNALLY-MANAGED"
# Debian's sitecustomize is a link to /etc; ours is written below.
rm -f "$out/lib/python3.11/sitecustomize.py"
find "$out/lib/python3.11" -name __pycache__ -type d -prune -exec rm -rf {} +
chmod -R u+w "$out"

# Every library ldd resolves for the interpreter and the extension modules.
for elf in "$out/bin/python3.11" "$out"/lib/python3.11/lib-dynload/*.so; do
	ldd "$elf"
done | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' | sort -u |
while read -r lib; do
	cp -L "$lib" "$out/lib/"
done
chmod -R u+w "$out/lib"
loader=$(ls "$out"/lib/ld-linux-*.so.* | head -n 1)
patchelf --set-interpreter "$loader" --set-rpath "$out/lib" "$out/bin/python3.11"
for so in "$out"/lib/python3.11/lib-dynload/*.so "$out"/lib/*.so*; do
	case "$so" in */ld-linux-*) continue ;; esac
	patchelf --set-rpath "$out/lib" "$so"
done

# The store is read-only on a real system (multi-user Nix mounts it so),
# and Python silently skips caching bytecode it cannot write. Tests run
# this interpreter as root, where the write would succeed and change a
# store path after Nix recorded its hash (nix-store --verify-path then
# fails, Nix refuses to copy the path to a builder, a binary cache pushed
# from it serves a hash mismatch). This sitecustomize stands in for the
# read-only mount: the importer's bytecode cache writes nothing under the
# store directory and carries on as on a read-only file system; elsewhere
# Python caches bytecode as usual. (nixpkgs' own sitecustomize.py, in
# site-packages, reads NIX_PYTHONPATH; the stand-in needs none of that.)
cat > "$out/lib/python3.11/sitecustomize.py" <<EOF
import os
from importlib.machinery import SourceFileLoader

_store = "$NIX_STORE" + os.sep
_set_data = SourceFileLoader.set_data


def _set_data_outside_store(self, path, data, *, _mode=0o666):
    if os.path.abspath(path).startswith(_store):
        return
    _set_data(self, path, data, _mode=_mode)


SourceFileLoader.set_data = _set_data_outside_store
EOF

# The bytecode of the whole output at the three optimisation levels, as
# cpython/default.nix does in postInstall (rebuildBytecode), excluding
# lib2to3 as it does. nixpkgs gets hash-checked pycs (PEP 552) from
# compileall because stdenv sets SOURCE_DATE_EPOCH; this builder has no
# stdenv, so it asks for them: a timestamp pyc would be stale once Nix
# resets every mtime in the output, and Python would compile the module
# again on each import.
for opt in "" -O -OO; do
	find "$out" -name '*.py' |
		"$out/bin/python3.11" $opt -m compileall -q -f -x lib2to3 --invalidation-mode checked-hash -i -
done
