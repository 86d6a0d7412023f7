# Runs a PEP 517 backend's prepare_metadata_for_build_wheel for machnix,
# or build_wheel where the backend has no such hook, and writes the name
# of the .dist-info directory it left in the output directory to the file
# .machnix-dist-info-name there (not to stdout, which the backend shares).
# argv: backend ("module:object"), backend-path as JSON, output directory.
import importlib
import json
import os
import sys
import zipfile


def main():
    spec, backend_path, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    for p in reversed(backend_path):
        sys.path.insert(0, os.path.abspath(p))
    module, _, obj = spec.partition(":")
    try:
        backend = importlib.import_module(module)
    except ImportError as e:
        print("machnix-backend-missing: %s" % e, file=sys.stderr)
        sys.exit(3)
    for part in obj.split(".") if obj else []:
        backend = getattr(backend, part)
    hook = getattr(backend, "prepare_metadata_for_build_wheel", None)
    if hook is not None:
        name = hook(out, {})
    else:
        wheels = os.path.join(out, ".wheel")
        os.mkdir(wheels)
        whl = backend.build_wheel(wheels, {})
        with zipfile.ZipFile(os.path.join(wheels, whl)) as z:
            dirs = sorted({n.split("/")[0] for n in z.namelist() if n.split("/")[0].endswith(".dist-info")})
            if len(dirs) != 1:
                print("the built wheel has %d .dist-info directories" % len(dirs), file=sys.stderr)
                sys.exit(1)
            name = dirs[0]
            os.mkdir(os.path.join(out, name))
            with open(os.path.join(out, name, "METADATA"), "wb") as f:
                f.write(z.read(name + "/METADATA"))
    with open(os.path.join(out, ".machnix-dist-info-name"), "w", encoding="utf-8") as f:
        f.write(name)


main()
