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
