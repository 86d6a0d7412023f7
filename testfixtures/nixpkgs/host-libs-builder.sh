# Copies the named host libraries into $out/lib: the fixture's stand-in for
# nixpkgs packages such as zlib or stdenv.cc.cc.lib.
set -eu
mkdir -p "$out/lib"
for name in $libs; do
	cp -L "/usr/lib/$hostTriple/$name" "$out/lib/$name"
done
