# Copies a pure-Python package from the host's Debian dist-packages into
# site-packages: the fixture's stand-in for python.pkgs.setuptools and
# python.pkgs.wheel, the build system of sdists.
set -eu
mkdir -p "$out/$sitePackages"
for m in $modules; do
	cp -R "/usr/lib/python3/dist-packages/$m" "$out/$sitePackages/"
done
# The distribution's metadata too: setuptools finds wheel's bdist_wheel
# command through its entry points.
for info in /usr/lib/python3/dist-packages/"$pname"-*.egg-info /usr/lib/python3/dist-packages/"$pname"-*.dist-info; do
	if [ -e "$info" ]; then cp -R "$info" "$out/$sitePackages/"; fi
done
find "$out" -name __pycache__ -type d -prune -exec rm -rf {} +
# Bytecode compiled here, as installer compiles it in nixpkgs' package
# (levels 0 and 1, hash-checked: see wheel-builder.sh); Debian's
# python3.11 writes the same format as the fixture's interpreter.
for opt in "" -O; do
	/usr/bin/python3.11 $opt -m compileall -q -f --invalidation-mode checked-hash "$out/$sitePackages"
done
