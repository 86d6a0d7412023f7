package testfixtures

import "strings"

// backendSource is a PEP 517 backend: build_wheel packs the sdist's src/
// with its PKG-INFO as METADATA, and adds a module {name}_build_info
// saying which backend built it.
const backendSource = `import base64, hashlib, os, re, tomllib, zipfile

VERSION = "@version@"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open("pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    name = re.sub(r"[-_.]+", "_", project["name"]).lower()
    dist_info = "%s-%s.dist-info" % (name, project["version"])
    files = {}
    for root, _, names in os.walk("src"):
        for n in names:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                files[os.path.relpath(p, "src")] = f.read()
    files[name + "_build_info.py"] = ("BACKEND = 'mybackend %s'\n" % VERSION).encode()
    with open("PKG-INFO", "rb") as f:
        files[dist_info + "/METADATA"] = f.read()
    files[dist_info + "/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: mybackend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for path, data in sorted(files.items()):
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
    record.append(dist_info + "/RECORD,,")
    files[dist_info + "/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = "%s-%s-py3-none-any.whl" % (name, project["version"])
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as z:
        for path in sorted(files):
            z.writestr(path, files[path])
    return wheel
`

// BackendWheel is the wheel of mybackend at version: a PEP 517 backend
// (BuildBackend "mybackend") for sdists whose build requirements tests pin.
func BackendWheel(version string) Wheel {
	return Wheel{Name: "mybackend", Version: version, Files: []File{
		{Path: "mybackend/__init__.py", Data: []byte(strings.ReplaceAll(backendSource, "@version@", version))}}}
}
