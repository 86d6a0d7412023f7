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


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "runtime-deps":
        runtime_deps(sys.argv[2], sys.argv[3:])
    elif cmd == "conflicts":
        conflicts(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"unknown command {cmd}")
