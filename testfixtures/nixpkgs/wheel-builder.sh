# Builds a Python package the way nixpkgs' buildPythonPackage does
# (pkgs/development/interpreters/python/mk-python-derivation.nix and its
# hooks): format = "wheel" installs the wheel as is (wheelUnpackHook,
# pypaInstallHook); "pyproject" and "setuptools" unpack the source, apply
# patches and postPatch, build a wheel (pypaBuildHook, setuptoolsBuildHook)
# and install it. Then the fixture's autoPatchelfHook, the runtime
# dependency check (pyproject only, as nixpkgs adds
# pythonRuntimeDepsCheckHook for that format), the conflict check
# (pythonCatchConflictsHook), the tests when doCheck is set (the
# installCheckPhase, with the check inputs) and pythonImportsCheck.
set -eu
export PYTHONDONTWRITEBYTECODE=1
site="$out/$sitePackages"
mkdir -p "$site" "$out/bin" "$out/nix-support"
work=$(mktemp -d)

# The site-packages of every propagated dependency, transitively: what
# the setup hooks put on PYTHONPATH in nixpkgs.
: > "$work/deps"
for dep in $dependencies; do
	echo "$dep/$sitePackages" >> "$work/deps"
	[ -f "$dep/.machnix-site-dirs" ] && cat "$dep/.machnix-site-dirs" >> "$work/deps"
done
sort -u -o "$work/deps" "$work/deps"
depsPath=$(tr '\n' ':' < "$work/deps")

wheel=$src
if [ "$format" != wheel ]; then
	case "$src" in
	*.zip) "$python/bin/python3" -m zipfile -e "$src" "$work/src" ;;
	*.tar*) mkdir -p "$work/src" && tar -xf "$src" -C "$work/src" ;;
	*) mkdir -p "$work/src/source" && cp -R "$src"/. "$work/src/source/" ;;
	esac
	chmod -R u+w "$work/src"
	cd "$work"/src/*/
	sourceRoot=$PWD
	for p in $patches; do
		patch -p1 < "$p"
	done
	eval "${postPatch:-}"
	buildPath=""
	for p in $buildSystem; do buildPath="$buildPath $p/$sitePackages"; done
	check=""
	[ "$format" = pyproject ] && check=1
	HOME="$work" "$python/bin/python3" "$pep517" "$work/dist" "$check" $buildPath
	wheel=$(ls "$work"/dist/*.whl)
	if [ "$format" = pyproject ] && [ -z "${dontCheckRuntimeDeps:-}" ]; then
		"$python/bin/python3" "$hooks" runtime-deps "$wheel" $(cat "$work/deps")
	fi
	cd "$work"
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
# pypaInstallHook runs installer, which compiles the bytecode of every
# module it puts in site-packages at optimisation levels 0 and 1 (its
# default) and ignores a file that does not compile. Hash-checked pycs
# (PEP 552) as nixpkgs gets them with SOURCE_DATE_EPOCH set, so that they
# stay valid after Nix resets the output's mtimes. Nothing is written into
# the store at run time then, as the store is read-only on a real system.
for opt in "" -O; do
	"$python/bin/python3" $opt -m compileall -q -f --invalidation-mode checked-hash "$site" >&2 || true
done
# Console scripts: pypaInstallHook (installer) writes one per entry of the
# wheel's entry_points.txt, and wrapPythonPrograms puts the dependencies'
# site-packages on its path (python-hooks.py scripts).
"$python/bin/python3" "$hooks" scripts "$out" "$site" "$python/bin/python3" "$work/deps"

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

case " $nativeBuildInputs " in
*"-auto-add-driver-runpath "*)
	# pkgs/by-name/au/autoAddDriverRunpath: a postFixup hook that runs
	# addDriverRunpath on every dynamically linked ELF file of the output,
	# putting the driver's directory first in its RUNPATH.
	find "$out" -type f | while read -r f; do
		[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
		old=$(patchelf --print-rpath "$f" 2>/dev/null) || continue
		patchelf --set-rpath "/run/opengl-driver/lib${old:+:$old}" "$f"
	done
	;;
esac

cp "$work/deps" "$out/.machnix-site-dirs"
echo $dependencies > "$out/nix-support/propagated-build-inputs"
"$python/bin/python3" "$hooks" conflicts "$out" "$sitePackages"

eval "${postFixup:-}"

if [ -n "${doCheck:-}" ]; then
	checkPath="$site:$depsPath"
	for c in $checkInputs; do
		checkPath="$checkPath:$c/$sitePackages"
		[ -f "$c/.machnix-site-dirs" ] && checkPath="$checkPath:$(tr '\n' ':' < "$c/.machnix-site-dirs")"
	done
	mkdir -p "$work/checkbin" && ln -sf "$python/bin/python3" "$work/checkbin/python"
	(
		cd "${sourceRoot:-$work}"
		export PATH="$work/checkbin:$PATH" PYTHONPATH="$checkPath"
		eval "${checkPhase:-}"
	)
fi

for module in $pythonImportsCheck; do
	PYTHONPATH="$site:$depsPath" "$python/bin/python3" -c "import $module" || {
		echo "pythonImportsCheck: import $module failed" >&2
		exit 1
	}
done
