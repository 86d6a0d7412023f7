# The checks nixpkgs' Python hooks run, for the stand-in's builder:
#
#   runtime-deps WHEEL DIR...  pythonRuntimeDepsCheckHook
#       (pkgs/development/interpreters/python/hooks/python-runtime-deps-check-hook.py):
#       every Requires-Dist of the built wheel whose marker holds must be
#       installed in DIR... (the propagated Python inputs) at a version
#       its specifier allows (pre-releases allowed).
#   conflicts OUT SITE         pythonCatchConflictsHook
#       (pkgs/development/interpreters/python/catch_conflicts/catch_conflicts.py):
#       walking nix-support/propagated-build-inputs from OUT, one
#       distribution name found in two store paths fails the build.
#   scripts OUT SITE PYTHON DEPSFILE
#       pypaInstallHook's console_scripts and gui_scripts (installer writes
#       them from entry_points.txt) with what wrapPythonPrograms adds
#       (pkgs/development/interpreters/python/wrap.sh): the package's own
#       site-packages and its propagated dependencies' are put on sys.path.
#
# packaging comes from the directory named by $packaging.
import os
import re
import sys
import zipfile
from email.parser import Parser
from importlib.metadata import PathDistribution, distributions

sys.path.insert(0, os.environ["packaging"])
from packaging.requirements import Requirement  # noqa: E402


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_deps(wheel, dirs):
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        msg = Parser().parsestr(z.read(meta).decode())
    installed = {}
    for d in distributions(path=dirs):
        installed.setdefault(normalize(d.metadata["Name"]), d.version)
    ok = True
    for line in msg.get_all("Requires-Dist") or []:
        req = Requirement(line)
        if req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        name = normalize(req.name)
        if name not in installed:
            print(f"  - {name} not installed", file=sys.stderr)
            ok = False
            continue
        req.specifier.prereleases = True
        if req.specifier and installed[name] not in req.specifier:
            print(f"  - {name}{req.specifier} not satisfied by version {installed[name]}", file=sys.stderr)
            ok = False
    if not ok:
        print("pythonRuntimeDepsCheck: unmet runtime dependencies (above)", file=sys.stderr)
        sys.exit(1)


def conflicts(out, site):
    found = {}

    def walk(path, chain, seen):
        if path in seen:
            return
        seen.add(path)
        sp = os.path.join(path, site)
        if os.path.isdir(sp):
            for entry in os.listdir(sp):
                if entry.endswith(".dist-info"):
                    dist = PathDistribution(__import__("pathlib").Path(sp, entry))
                    name = normalize(dist.metadata["Name"])
                    found.setdefault(name, {}).setdefault(path, (dist.version, chain))
        pbi = os.path.join(path, "nix-support", "propagated-build-inputs")
        if os.path.exists(pbi):
            for dep in open(pbi).read().split():
                walk(dep, chain + [dep], seen)

    walk(out, [f"this derivation: {out}"], set())
    bad = False
    for name, paths in sorted(found.items()):
        if len(paths) > 1:
            bad = True
            print(f"Found duplicated packages in closure for dependency '{name}': ", file=sys.stderr)
            for path, (version, chain) in sorted(paths.items()):
                print(f"  {name} {version} ({path})", file=sys.stderr)
                print("    dependency chain:\n      " + "\n      ...depending on: ".join(chain), file=sys.stderr)
    if bad:
        print("\nPackage duplicates found in closure, see above. Usually this happens if two packages depend on different version of the same dependency.", file=sys.stderr)
        sys.exit(1)


def scripts(out, site, python, depsfile):
    import configparser
    with open(depsfile) as f:
        dirs = [site] + [line.strip() for line in f if line.strip()]
    for info in sorted(os.listdir(site)):
        path = os.path.join(site, info, "entry_points.txt")
        if not info.endswith(".dist-info") or not os.path.exists(path):
            continue
        cp = configparser.ConfigParser(delimiters=("=",))
        cp.optionxform = str
        cp.read(path)
        for section in ("console_scripts", "gui_scripts"):
            if not cp.has_section(section):
                continue
            for name, spec in cp.items(section):
                if "/" in name or name in ("", ".", ".."):
                    sys.exit(f"{info}: script name {name!r} is not a file name")
                module, _, attr = spec.split("[")[0].strip().partition(":")
                # installer (parse_entrypoints) asserts the object part:
                # a bare module is refused, as here.
                if not re.fullmatch(r"[A-Za-z_][\w.]*", module) or not re.fullmatch(r"[A-Za-z_][\w.]*", attr):
                    sys.exit(f"{info}: entry point {spec!r} is not module:object")
                call = f"{module}.{attr}"
                text = (f"#!{python}\nimport site, sys\nfor p in {dirs!r}:\n    site.addsitedir(p)\n"
                        f"import {module}\nsys.exit({call}())\n")
                target = os.path.join(out, "bin", name)
                with open(target, "w") as f:
                    f.write(text)
                os.chmod(target, 0o755)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "runtime-deps":
        runtime_deps(sys.argv[2], sys.argv[3:])
    elif cmd == "conflicts":
        conflicts(sys.argv[2], sys.argv[3])
    elif cmd == "scripts":
        scripts(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        sys.exit(f"unknown command {cmd}")
