# python.withPackages: a venv-shaped directory. bin/python is a symlink to
# the interpreter; pyvenv.cfg makes it use this prefix, and a .pth file puts
# every package's site-packages on sys.path. It works under env -i and in a
# container, with no wrapper script and no shell.
#
# $packages is the closure of propagated Python modules. As buildEnv
# without ignoreCollisions (pkgs/build-support/buildenv/builder.pl), two
# packages with different files at one path under site-packages or bin
# fail the build; identical files do not.
set -eu
mkdir -p "$out/bin" "$out/$sitePackages"
ln -s "$python/bin/python3.11" "$out/bin/python"
ln -s python "$out/bin/python3"
printf 'home = %s/bin\ninclude-system-site-packages = false\nversion = 3.11\n' "$python" > "$out/pyvenv.cfg"
for p in $packages; do
	for dir in "$sitePackages" bin; do
		[ -d "$p/$dir" ] || continue
		(cd "$p/$dir" && find . ! -type d) | sed "s|^\./|$dir/|; s|\$|	$p|"
	done
done | sort > "$TMPDIR/files"
awk -F'\t' 'prev == $1 { print $1 "\t" prevpath "\t" $2 } { prev = $1; prevpath = $2 }' "$TMPDIR/files" |
while IFS='	' read -r rel a b; do
	if ! cmp -s "$a/$rel" "$b/$rel"; then
		echo "collision between \`$a/$rel' and \`$b/$rel'" >&2
		exit 1
	fi
done
for p in $packages; do
	echo "$p/$sitePackages"
	if [ -d "$p/bin" ]; then
		for b in "$p"/bin/*; do
			[ -e "$b" ] || continue # an empty bin/ leaves the pattern as is
			name=${b##*/}
			[ -e "$out/bin/$name" ] || [ -L "$out/bin/$name" ] || ln -s "$b" "$out/bin/$name"
		done
	fi
done | sort -u > "$out/$sitePackages/machnix-env.pth"
