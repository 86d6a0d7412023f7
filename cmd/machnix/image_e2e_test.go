package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
	"github.com/machnix/machnix/testfixtures/registry"
)

const imageGreeting = "hello from a machnix image"

// staticStorePath compiles a static program with gcc and adds it to the Nix
// store, so the image needs nothing but that one path to run.
func staticStorePath(t *testing.T) string {
	t.Helper()
	testfixtures.RequireTool(t, "gcc", "nix-store")
	src := filepath.Join(t.TempDir(), "hello.c")
	if err := os.WriteFile(src, []byte(fmt.Sprintf("#include <stdio.h>\nint main(void){puts(%q);return 0;}\n", imageGreeting)), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "machnix-e2e-hello")
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-static", "-O2", "-o", filepath.Join(dir, "bin", "hello"), src).CombinedOutput(); err != nil {
		t.Fatalf("gcc -static: %v\n%s", err, out)
	}
	return testfixtures.AddDirToStore(t, dir)
}

// dockerConfig points the Docker keychain at credentials for host.
func dockerConfig(t *testing.T, host, user, password string) {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// go-containerregistry prefers $HOME/.docker/config.json over
	// $DOCKER_CONFIG, so HOME moves too.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", dir)
}

// blobUploads counts the blob upload requests the registry has served.
func blobUploads(t *testing.T, r *registry.Registry) int {
	t.Helper()
	log, err := os.ReadFile(r.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, `http.request.method=PUT`) && strings.Contains(line, "/blobs/uploads/") && strings.Contains(line, "response completed") {
			n++
		}
	}
	return n
}

// servedLockWith is servedLock plus a pure-Python package "greeting" at
// version, so that two locks can differ in exactly one package.
func servedLockWith(t *testing.T, version string) string {
	t.Helper()
	greeting := testfixtures.Wheel{Name: "greeting", Version: version,
		Files: []testfixtures.File{{Path: "greeting/__init__.py", Data: []byte(fmt.Sprintf("VERSION = %q\n", version))}}}
	return servedLockOf(t, []testfixtures.Wheel{greeting}, "bundled", "consumer", "provider", "zcrc", "greeting")
}

// manifestLayers reads an image's layer digests from the registry.
func manifestLayers(t *testing.T, ref, creds string) map[string]bool {
	t.Helper()
	raw, err := exec.Command("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", creds, "docker://"+ref).Output()
	if err != nil {
		t.Fatalf("skopeo inspect --raw %s: %v", ref, err)
	}
	var m struct{ Layers []struct{ Digest string } }
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, l := range m.Layers {
		out[l.Digest] = true
	}
	return out
}

// TestDockerPushEndToEnd is the whole path with real parts: machnix docker
// builds the fixture environment with nix-build and pushes it to a real
// docker-registry with basic auth; skopeo reads it back, umoci unpacks it
// and runc runs its python, which imports the autopatched extensions with
// nothing from the host. Pushing again uploads nothing; changing one
// package uploads only the layers that hold it; a wrong password gives a
// clear error without the secret.
func TestDockerPushEndToEnd(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf", "skopeo", "umoci", "runc")
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	const user, password = "machnix", "s3cret-Pa55"
	reg := registry.Start(t, user, password)
	dockerConfig(t, reg.Host, user, password)
	creds := user + ":" + password
	tag := reg.Host + "/team/app:v1"
	layerCache := t.TempDir()
	script := fmt.Sprintf("import zcrc, bundled, consumer, greeting; print(zcrc.crc32(%q.encode()), bundled.greet(), consumer.value(), greeting.VERSION)", native.ZcrcInput)
	docker := func(lock, tag string) (int, string, string) {
		return runCLI(t, "docker", "--lock", lock, "-o", filepath.Join(filepath.Dir(lock), "result"),
			"-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters=",
			"--tag", tag, "--push", "--cache-dir", layerCache, "--cmd", "-c", "--cmd", script)
	}

	lockV1 := servedLockWith(t, "1.0")
	code, out, stderr := docker(lockV1, tag)
	if code != exitOK {
		t.Fatalf("docker --push: exit %d: %s", code, stderr)
	}
	digest := strings.TrimSpace(out)
	// stderr names the pushed reference with its digest, and the build.
	for _, want := range []string{"machnix: pushed " + tag + "@" + digest + "\n", " derivations in ", "image " + digest} {
		if !strings.Contains(stderr, want) {
			t.Errorf("docker's stderr lacks %q:\n%s", want, stderr)
		}
	}
	uploads := blobUploads(t, reg)
	v1Layers := manifestLayers(t, tag, creds)
	if uploads != len(v1Layers)+1 {
		t.Errorf("the first push uploaded %d blobs, want %d layers and the config", uploads, len(v1Layers))
	}

	inspect, err := exec.Command("skopeo", "inspect", "--tls-verify=false", "--creds", creds, "docker://"+tag).Output()
	if err != nil {
		t.Fatalf("skopeo inspect: %v", err)
	}
	var info struct{ Digest, Architecture string }
	if err := json.Unmarshal(inspect, &info); err != nil {
		t.Fatal(err)
	}
	if info.Digest != digest || info.Architecture != "amd64" {
		t.Errorf("skopeo sees %s/%s, machnix printed %s for amd64", info.Digest, info.Architecture, digest)
	}
	work := t.TempDir()
	layoutRef := "oci:" + filepath.Join(work, "oci") + ":v1"
	if out, err := exec.Command("skopeo", "copy", "--src-tls-verify=false", "--src-creds", creds, "docker://"+tag, layoutRef).CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy: %v\n%s", err, out)
	}
	bundle := filepath.Join(work, "bundle")
	if out, err := exec.Command("umoci", "unpack", "--image", strings.TrimPrefix(layoutRef, "oci:"), bundle).CombinedOutput(); err != nil {
		t.Fatalf("umoci unpack: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(bundle, "rootfs", "usr")); err == nil {
		t.Error("the rootfs has /usr: something from outside the closure got in")
	}
	got := strings.TrimSpace(string(runBundle(t, bundle)))
	if want := fmt.Sprintf("%d %s %d 1.0", native.ZcrcCRC32(), native.GreetMessage, native.ProviderValue); got != want {
		t.Errorf("the container printed %q, want %q", got, want)
	}

	// Nothing changed: the registry has every blob, so none is uploaded.
	if code, _, stderr := docker(lockV1, tag); code != exitOK {
		t.Fatalf("second push: exit %d: %s", code, stderr)
	}
	if again := blobUploads(t, reg); again != uploads {
		t.Errorf("an unchanged push uploaded %d blobs", again-uploads)
	}

	// One package changes: only the layers that hold it (its own store
	// path, and the environment's) and the config are uploaded.
	tagV2 := reg.Host + "/team/app:v2"
	if code, _, stderr := docker(servedLockWith(t, "1.1"), tagV2); code != exitOK {
		t.Fatalf("push of the changed environment: exit %d: %s", code, stderr)
	}
	v2Layers := manifestLayers(t, tagV2, creds)
	changed := 0
	for d := range v2Layers {
		if !v1Layers[d] {
			changed++
		}
	}
	if changed == 0 || changed > 2 || changed >= len(v2Layers) {
		t.Errorf("%d of %d layers changed with one package; want its own layer and the environment's", changed, len(v2Layers))
	}
	if got := blobUploads(t, reg) - uploads; got != changed+1 {
		t.Errorf("the changed push uploaded %d blobs, want the %d changed layers and the config", got, changed)
	}

	// A wrong password: a clear error that never shows the secret.
	const wrong = "not-the-Pa55word"
	dockerConfig(t, reg.Host, user, wrong)
	code, out, stderr = docker(lockV1, reg.Host+"/team/app:v3")
	if code != exitProblem {
		t.Fatalf("wrong password: exit %d, want %d", code, exitProblem)
	}
	if strings.Contains(out+stderr, wrong) || strings.Contains(out+stderr, base64.StdEncoding.EncodeToString([]byte(user+":"+wrong))) {
		t.Errorf("the output shows the secret: %s", stderr)
	}
	if !strings.Contains(strings.ToUpper(stderr), "UNAUTHORIZED") {
		t.Errorf("the error should say the registry refused the credentials: %s", stderr)
	}
}

func setNoTerminal(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	proc, _ := spec["process"].(map[string]any)
	if proc == nil {
		t.Fatal("runtime config has no process")
	}
	proc["terminal"] = false
	raw, err = json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runBundle runs an unpacked image with runc and returns what it printed.
func runBundle(t *testing.T, bundle string) []byte {
	t.Helper()
	setNoTerminal(t, filepath.Join(bundle, "config.json"))
	id := fmt.Sprintf("machnix-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())
	got, err := exec.Command("runc", "run", "--bundle", bundle, id).CombinedOutput()
	if err != nil {
		t.Fatalf("runc run: %v\n%s", err, got)
	}
	return got
}

// TestImageOfFixturePythonRunsInRunc builds an image of the fixture
// nixpkgs' self-contained python3 and runs it: the interpreter imports the
// modules that need zlib, OpenSSL and SQLite from the image alone.
func TestImageOfFixturePythonRunsInRunc(t *testing.T) {
	testfixtures.RequireTool(t, "umoci", "runc")
	py := nixpkgs.Build(t, "python3")
	layoutDir := filepath.Join(t.TempDir(), "oci")
	const input = "machnix in runc"
	code, out, stderr := runCLI(t, "image", py, "--oci-layout", layoutDir, "--tag", "python", "--cache-dir", t.TempDir(),
		"--cmd", "-c", "--cmd", "import sys, zlib, ssl, sqlite3; print(sys.prefix, zlib.crc32(b'"+input+"'))")
	if code != exitOK {
		t.Fatalf("image: exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(strings.TrimSpace(out), "sha256:") {
		t.Fatalf("printed %q, want a manifest digest", out)
	}
	bundle := filepath.Join(t.TempDir(), "bundle")
	if out, err := exec.Command("umoci", "unpack", "--image", layoutDir+":python", bundle).CombinedOutput(); err != nil {
		t.Fatalf("umoci unpack: %v\n%s", err, out)
	}
	got := strings.TrimSpace(string(runBundle(t, bundle)))
	want := fmt.Sprintf("%s %d", py, crc32.ChecksumIEEE([]byte(input)))
	if got != want {
		t.Errorf("the container printed %q, want %q", got, want)
	}
}

// A registry that fails the first uploads (500s and dropped connections,
// through a proxy on 127.0.0.1): the push retries and succeeds, and the
// registry then serves the image machnix printed.
func TestImagePushRetriesTransientFailures(t *testing.T) {
	testfixtures.RequireTool(t, "skopeo")
	sp := staticStorePath(t)
	reg := registry.Start(t, "", "")
	proxy := registry.StartFaultProxy(t, reg.Host, 3)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())

	code, out, stderr := runCLI(t, "image", sp, "--tag", proxy.Host+"/team/hello:v1", "--push", "--cache-dir", t.TempDir(), "--jobs", "1")
	if code != exitOK {
		t.Fatalf("push through the faulty proxy: exit %d: %s", code, stderr)
	}
	if proxy.Injected() != 3 {
		t.Fatalf("the proxy injected %d failures, want 3: the push did not meet them", proxy.Injected())
	}
	inspect, err := exec.Command("skopeo", "inspect", "--tls-verify=false", "docker://"+reg.Host+"/team/hello:v1").Output()
	if err != nil {
		t.Fatalf("skopeo inspect: %v", err)
	}
	var info struct{ Digest string }
	if err := json.Unmarshal(inspect, &info); err != nil {
		t.Fatal(err)
	}
	if info.Digest != strings.TrimSpace(out) {
		t.Errorf("the registry holds %s, machnix printed %s", info.Digest, strings.TrimSpace(out))
	}
}
