# python.withPackages: a venv-shaped directory. bin/python is a symlink to
# the interpreter; pyvenv.cfg makes it use this prefix, and a .pth file puts
# every package's site-packages on sys.path. It works under env -i and in a
# container, with no wrapper script and no shell.
set -eu
mkdir -p "$out/bin" "$out/$sitePackages"
ln -s "$python/bin/python3.11" "$out/bin/python"
ln -s python "$out/bin/python3"
printf 'home = %s/bin\ninclude-system-site-packages = false\nversion = 3.11\n' "$python" > "$out/pyvenv.cfg"
for p in $packages; do
	echo "$p/$sitePackages"
	[ -f "$p/.machnix-site-dirs" ] && cat "$p/.machnix-site-dirs"
	if [ -d "$p/bin" ]; then
		for b in "$p"/bin/*; do
			[ -e "$b" ] || continue # an empty bin/ leaves the pattern as is
			name=${b##*/}
			[ -e "$out/bin/$name" ] || [ -L "$out/bin/$name" ] || ln -s "$b" "$out/bin/$name"
		done
	fi
done | sort -u > "$out/$sitePackages/machnix-env.pth"
