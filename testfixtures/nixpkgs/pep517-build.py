# Builds a wheel from the unpacked sdist in the current directory with the
# PEP 517 backend it declares (setuptools' legacy backend without a
# pyproject.toml), as nixpkgs' pypaBuildHook does with `python -m build
# --no-isolation`: the build system comes from build-system on PYTHONPATH,
# nothing is downloaded.
import importlib
import os
import sys
import tomllib

out = sys.argv[1]
backend = "setuptools.build_meta:__legacy__"
if os.path.exists("pyproject.toml"):
    with open("pyproject.toml", "rb") as f:
        backend = tomllib.load(f).get("build-system", {}).get("build-backend", backend)
module, _, attr = backend.partition(":")
hooks = importlib.import_module(module)
for part in filter(None, attr.split(".")):
    hooks = getattr(hooks, part)
os.makedirs(out, exist_ok=True)
print("built", hooks.build_wheel(out))
