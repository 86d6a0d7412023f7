# Copies the named host libraries into $out/lib: the fixture's stand-in for
# nixpkgs packages such as zlib or stdenv.cc.cc.lib. Their RUNPATH is set to
# $out/lib, as nixpkgs' own libraries point into the store: libstdc++ must
# find libgcc_s beside it, not on the host. With optional set, a library
# the host lacks is left out.
set -eu
mkdir -p "$out/lib"
for name in $libs; do
	if [ -n "${optional:-}" ] && [ ! -e "/usr/lib/$hostTriple/$name" ]; then continue; fi
	cp -L "/usr/lib/$hostTriple/$name" "$out/lib/$name"
	chmod u+w "$out/lib/$name"
	patchelf --set-rpath "$out/lib" "$out/lib/$name"
done
