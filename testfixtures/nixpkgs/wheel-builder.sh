# Installs a wheel the way nixpkgs' buildPythonPackage with format = "wheel"
# does (wheelUnpackHook, pypaInstallHook), then runs the fixture's
# autoPatchelfHook and pythonImportsCheck.
set -eu
site="$out/$sitePackages"
mkdir -p "$site" "$out/bin"
wheel=$src
if [ -n "${buildFromSource:-}" ]; then
	# An sdist: unpack it, build a wheel with its PEP 517 backend and the
	# build-system packages on PYTHONPATH (pypaBuildHook), then install
	# that wheel like any other.
	work=$(mktemp -d)
	case "$src" in
	*.zip) "$python/bin/python3" -m zipfile -e "$src" "$work/src" ;;
	*) mkdir -p "$work/src" && tar -xf "$src" -C "$work/src" ;;
	esac
	buildPath=""
	for p in $buildSystem; do buildPath="$buildPath${buildPath:+:}$p/$sitePackages"; done
	(cd "$work"/src/*/ && HOME="$work" PYTHONPATH="$buildPath" "$python/bin/python3" "$pep517" "$work/dist")
	wheel=$(ls "$work"/dist/*.whl)
fi
"$python/bin/python3" -m zipfile -e "$wheel" "$site"
for data in "$site"/*.data; do
	[ -d "$data" ] || continue
	[ -d "$data/scripts" ] && { cp -R "$data/scripts/." "$out/bin/"; chmod +x "$out"/bin/*; }
	for lib in purelib platlib; do
		[ -d "$data/$lib" ] && cp -R "$data/$lib/." "$site/"
	done
	[ -d "$data/data" ] && cp -R "$data/data/." "$out/"
	rm -rf "$data"
done
chmod -R u+w "$out"

extraSearchPaths=""
addAutoPatchelfSearchPath() { extraSearchPaths="$extraSearchPaths $*"; }
eval "${preFixup:-}"

case " $nativeBuildInputs " in
*"-auto-patchelf-hook "*)
	# What auto-patchelf.py does: every buildInputs entry contributes its lib/;
	# names in glibc's lib dir (here: the interpreter's) count as found; the
	# RPATH is replaced by the directories that were found; a missing soname
	# fails the build unless it matches autoPatchelfIgnoreMissingDeps.
	searchDirs=""
	for input in $buildInputs; do [ -d "$input/lib" ] && searchDirs="$searchDirs $input/lib"; done
	# addAutoPatchelfSearchPath searches its directories recursively unless
	# told --no-recurse, as the real setup hook does.
	for d in $extraSearchPaths; do
		searchDirs="$searchDirs $(find "$d" -name '*.so*' -exec dirname {} \; | sort -u | tr '\n' ' ')"
	done
	ownDirs=$(find "$out" -type f -name '*.so*' -exec dirname {} \; | sort -u)
	loader=$(ls "$python"/lib/ld-linux-*.so.* | head -n 1)
	find "$out" -type f | while read -r f; do
		[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
		rpath=""
		for needed in $(patchelf --print-needed "$f"); do
			found=""
			for d in $searchDirs $ownDirs; do
				if [ -e "$d/$needed" ]; then found="$d"; break; fi
			done
			if [ -z "$found" ] && [ -e "$python/lib/$needed" ]; then found="$python/lib"; fi
			if [ -z "$found" ]; then
				ignored=""
				for pattern in $autoPatchelfIgnoreMissingDeps; do
					case "$needed" in $pattern) ignored=1 ;; esac
				done
				if [ -n "$ignored" ]; then continue; fi
				echo "auto-patchelf: could not satisfy dependency $needed wanted by $f" >&2
				exit 1
			fi
			case ":$rpath:" in *":$found:"*) ;; *) rpath="${rpath:+$rpath:}$found" ;; esac
		done
		patchelf --set-rpath "$rpath" "$f"
		if patchelf --print-interpreter "$f" >/dev/null 2>&1; then
			patchelf --set-interpreter "$loader" "$f"
		fi
	done
	;;
esac

# The site-packages of every dependency, for the import check and for
# withPackages.
: > "$out/.machnix-site-dirs"
for dep in $dependencies; do
	echo "$dep/$sitePackages" >> "$out/.machnix-site-dirs"
	[ -f "$dep/.machnix-site-dirs" ] && cat "$dep/.machnix-site-dirs" >> "$out/.machnix-site-dirs"
done
sort -u -o "$out/.machnix-site-dirs" "$out/.machnix-site-dirs"

eval "${postFixup:-}"

for module in $pythonImportsCheck; do
	PYTHONPATH="$site$(sed 's/^/:/' "$out/.machnix-site-dirs" | tr -d '\n')" \
		"$python/bin/python3" -c "import $module" || {
		echo "pythonImportsCheck: import $module failed" >&2
		exit 1
	}
done
