# The stand-in's dockerTools.buildLayeredImage: a docker archive (what
# `docker load` and skopeo's docker-archive: read), gzipped, as nixpkgs'
# pkgs/build-support/docker/default.nix makes it: the contents' closure in
# layers (one store path each while maxLayers allows, the rest in one),
# then a layer with the contents' top-level entries linked at /. Entries
# are sorted, owned by root, dated 1970-01-01T00:00:01Z, /nix and
# /nix/store first.
import gzip, hashlib, io, json, os, sys, tarfile

out = os.environ["out"]
contents = os.environ.get("contents", "").split()
max_layers = int(os.environ["maxLayers"])
name, tag = os.environ["imageName"], os.environ.get("imageTag", "")
if not tag:
    tag = os.path.basename(out).split("-")[0]

closure = set()
for f in sorted(os.listdir(".")):
    if not f.startswith("closure-"):
        continue
    lines = open(f).read().split("\n")
    i = 0
    while i < len(lines) and lines[i]:
        closure.add(lines[i])
        n = int(lines[i + 2])
        i += 3 + n
paths = sorted(closure)

MTIME = 1


def info(name, **kw):
    ti = tarfile.TarInfo(name)
    ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = MTIME, 0, 0, "root", "root"
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti


def add_tree(tar, path):
    entries = [path]
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for n in sorted(dirs + files):
            entries.append(os.path.join(root, n))
    for p in sorted(entries):
        st = os.lstat(p)
        arc = p.lstrip("/")
        if os.path.islink(p):
            tar.addfile(info(arc, type=tarfile.SYMTYPE, linkname=os.readlink(p), mode=0o777))
        elif os.path.isdir(p):
            tar.addfile(info(arc, type=tarfile.DIRTYPE, mode=0o555))
        else:
            with open(p, "rb") as f:
                tar.addfile(info(arc, size=st.st_size, mode=0o555 if st.st_mode & 0o111 else 0o444), f)


def layer(store_paths, links=()):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if store_paths:
            tar.addfile(info("nix", type=tarfile.DIRTYPE, mode=0o555))
            tar.addfile(info("nix/store", type=tarfile.DIRTYPE, mode=0o555))
        for p in store_paths:
            add_tree(tar, p)
        for link, target in sorted(links):
            tar.addfile(info(link, type=tarfile.SYMTYPE, linkname=target, mode=0o777))
    return buf.getvalue()


groups = [[p] for p in paths[: max_layers - 2]]
if paths[max_layers - 2 :]:
    groups.append(paths[max_layers - 2 :])
links = {}
for c in contents:
    if os.path.isdir(c):
        for entry in sorted(os.listdir(c)):
            links.setdefault(entry, os.path.join(c, entry))
layers = [layer(g) for g in groups] + [layer([], links.items())]

archive = io.BytesIO()
with tarfile.open(fileobj=archive, mode="w", format=tarfile.PAX_FORMAT) as tar:
    def put(arc, data):
        tar.addfile(info(arc, size=len(data), mode=0o444), io.BytesIO(data))
    diff_ids, names = [], []
    for data in layers:
        digest = hashlib.sha256(data).hexdigest()
        diff_ids.append("sha256:" + digest)
        names.append(digest + "/layer.tar")
        put(digest + "/layer.tar", data)
    config = {
        "architecture": os.environ["architecture"],
        "os": "linux",
        "created": os.environ["created"],
        "config": json.loads(os.environ["imageConfig"]),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    config_data = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_data).hexdigest() + ".json"
    put(config_name, config_data)
    manifest = [{"Config": config_name, "RepoTags": ["%s:%s" % (name, tag)], "Layers": names}]
    put("manifest.json", json.dumps(manifest).encode())

with open(out, "wb") as f:
    with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as gz:
        gz.write(archive.getvalue())
