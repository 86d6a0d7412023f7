# Builds a wheel from the unpacked sdist in the current directory with the
# PEP 517 backend it declares (setuptools' legacy backend without a
# pyproject.toml), as nixpkgs' pypaBuildHook does with `python -m build
# --no-isolation` (pkgs/development/interpreters/python/hooks/pypa-build-hook.sh):
# the build system comes from build-system on PYTHONPATH, nothing is
# downloaded, and, as pypa/build does without --skip-dependency-check, the
# build fails with "Missing dependencies" when the installed packages do
# not satisfy [build-system] requires or the backend's
# get_requires_for_build_wheel.
#
# usage: pep517-build.py OUTDIR CHECK(1|"") BUILDPATH...
import importlib
import os
import re
import sys
import tomllib
from importlib.metadata import distributions

out, check, build_path = sys.argv[1], sys.argv[2], sys.argv[3:]
backend = "setuptools.build_meta:__legacy__"
requires = ["setuptools >= 40.8.0"]
if os.path.exists("pyproject.toml"):
    with open("pyproject.toml", "rb") as f:
        table = tomllib.load(f).get("build-system", {})
    if "build-backend" in table:
        backend = table["build-backend"]
    requires = table.get("requires", requires)

sys.path.insert(0, os.environ["packaging"])
from packaging.requirements import Requirement  # noqa: E402

installed = {}
for d in distributions(path=build_path):
    installed.setdefault(re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(), d.version)


def missing(reqs):
    bad = []
    for r in reqs:
        req = Requirement(r)
        if req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        version = installed.get(re.sub(r"[-_.]+", "-", req.name).lower())
        req.specifier.prereleases = True
        if version is None or (req.specifier and version not in req.specifier):
            bad.append(r)
    if bad and check:
        print("ERROR Missing dependencies:", file=sys.stderr)
        for r in bad:
            print("\t" + r, file=sys.stderr)
        sys.exit(1)


missing(requires)
sys.path[0:0] = build_path
module, _, attr = backend.partition(":")
hooks = importlib.import_module(module)
for part in filter(None, attr.split(".")):
    hooks = getattr(hooks, part)
if hasattr(hooks, "get_requires_for_build_wheel"):
    missing(hooks.get_requires_for_build_wheel())
os.makedirs(out, exist_ok=True)
print("built", hooks.build_wheel(out))
