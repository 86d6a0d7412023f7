package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// uniqueLock is the fixture lock plus a pure-Python package "greeting" at
// a version no other test uses, so that its wheel, its package and the
// environment are in no store yet. It returns the lock and the version.
func uniqueLock(t *testing.T) (string, string) {
	t.Helper()
	version := fmt.Sprintf("1.%d", time.Now().UnixNano())
	return servedLockWith(t, version), version
}

// asMachine makes the test's Nix commands use a store of their own, empty
// at first, as on another machine: a chroot store under a temporary
// directory, which Nix builds in with its sandbox. The sandbox sees the
// host's /bin, /usr and /lib, where the fixture nixpkgs finds its tools.
// The machine that builds first is this one, with the shared store.
func asMachine(t *testing.T) string {
	t.Helper()
	store := filepath.Join(t.TempDir(), "store")
	t.Setenv("NIX_REMOTE", store)
	t.Setenv("NIX_CONFIG", "sandbox-paths = /bin /usr /lib /lib64 /etc")
	return store
}

// zstd is the caches' compression (the cache store's compression
// setting): the closure holds the fixture python, which Nix's default,
// xz, takes most of a minute to compress.
const zstd = "?compression=zstd"

// greetingScript prints the greeting package's version.
const greetingScript = "import greeting, zcrc; print(greeting.VERSION)"

// machnix build --builders builds on a remote machine reached over ssh (a
// real sshd on 127.0.0.1), whose store is a directory of its own: progress
// and the summary name the machine, the remote store holds the
// environment and the wheel machnix fetched (copied there with the
// closure, the fixture python among it, from this machine's store), and
// the environment copied back runs.
func TestBuildOnRemoteBuilder(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	sshd := testfixtures.StartSSHD(t)
	t.Setenv("NIX_SSHOPTS", sshd.SSHOpts())
	root, machine := sshd.RemoteStore(t, "ssh", "x86_64-linux")
	lock, version := uniqueLock(t)
	code, stdout, stderr := runCLI(t, "build", "--lock", lock, "-o", filepath.Join(t.TempDir(), "result"),
		"-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters=", "--max-jobs", "0", "--builders", machine)
	if code != exitOK {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	env := strings.TrimSpace(stdout)
	if !regexp.MustCompile(`machnix: building \S+greeting\S* on ssh://127\.0\.0\.1 \(`).MatchString(stderr) {
		t.Errorf("progress does not show the greeting package building on the builder:\n%s", stderr)
	}
	if !regexp.MustCompile(`built [0-9]+ derivations \([0-9]+ on ssh://127\.0\.0\.1\)`).MatchString(stderr) {
		t.Errorf("the summary does not say what the builder built:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(root, env)); err != nil {
		t.Errorf("the builder's store lacks the environment %s: %v", env, err)
	}
	wheels, _ := filepath.Glob(filepath.Join(root, "nix/store", "*-greeting-"+version+"-*.whl"))
	if len(wheels) != 1 {
		t.Errorf("the builder's store holds %v, want the fetched greeting wheel", wheels)
	}
	got, err := exec.Command(env+"/bin/python", "-c", greetingScript).Output()
	if err != nil {
		t.Fatalf("the environment copied back does not run: %v %s", err, stderrOf(err))
	}
	if strings.TrimSpace(string(got)) != version {
		t.Errorf("python printed %q, want %s", got, version)
	}
}

// This machine builds; run again with --cache while the out-link is up to
// date, machnix builds nothing and pushes the closure to a binary cache,
// every path signed, and a third run finds nothing new to push. A second,
// empty store (a chroot store, standing for another machine) builds the
// same lock with --max-jobs 0 and substitutes everything, from the cache
// as file:// and over HTTP; a store that trusts another key is refused,
// and machnix says which cache, which keys and what to pass.
func TestCacheFleet(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "nix", "patchelf")
	lock, _ := uniqueLock(t)
	secret, public := testfixtures.BinaryCacheKey(t, "fleet-1")
	_, otherPublic := testfixtures.BinaryCacheKey(t, "fleet-other")
	dir := filepath.Join(t.TempDir(), "cache")
	cache := "file://" + dir + zstd
	out := filepath.Join(t.TempDir(), "result")
	build := []string{"build", "--lock", lock, "-o", out, "-I", "nixpkgs=" + nixpkgs.Dir(), "--option", "substituters="}
	code, stdout, stderr := runCLI(t, build...)
	if code != exitOK {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	env := strings.TrimSpace(stdout)
	closure, err := exec.Command("nix-store", "-qR", env).Output()
	if err != nil {
		t.Fatal(err)
	}
	paths := strings.Fields(string(closure))

	push := func() (string, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, append(build, "--cache", cache, "--cache-key", secret)...)
		if code != exitOK {
			t.Fatalf("build --cache: exit %d\n%s", code, stderr)
		}
		if got := strings.TrimSpace(stdout); got != env {
			t.Errorf("build --cache printed %s, want %s", got, env)
		}
		if !strings.Contains(stderr, "build up to date") {
			t.Errorf("build --cache with the out-link in place is not up to date:\n%s", stderr)
		}
		pushed := regexp.MustCompile(`machnix: pushed ([0-9]+) new of ([0-9]+) paths to ` + regexp.QuoteMeta(cache) + `, signed with the key "fleet-1"`)
		m := pushed.FindStringSubmatch(stderr)
		if m == nil {
			t.Fatalf("build --cache does not say what it pushed:\n%s", stderr)
		}
		if m[2] != strconv.Itoa(len(paths)) {
			t.Errorf("pushed of %s paths, want the closure's %d", m[2], len(paths))
		}
		return m[1], stderr
	}
	if n, stderr := push(); n != strconv.Itoa(len(paths)) {
		t.Errorf("the first push: %s new, want all %d paths of the closure:\n%s", n, len(paths), stderr)
	}
	for _, p := range paths {
		checkSigned(t, dir, p, public)
	}
	if n, stderr := push(); n != "0" {
		t.Errorf("the second push: %s new, want 0:\n%s", n, stderr)
	}

	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	for _, url := range []string{cache, srv.URL} {
		t.Run("substitute from "+strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			store := asMachine(t)
			code, stdout, stderr := runCLI(t, "build", "--lock", lock, "-o", filepath.Join(t.TempDir(), "result"), "-I", "nixpkgs="+nixpkgs.Dir(),
				"--option", "substituters=", "--max-jobs", "0", "--substituters", url, "--trusted-public-keys", public)
			if code != exitOK {
				t.Fatalf("build --substituters: exit %d\n%s", code, stderr)
			}
			if got := strings.TrimSpace(stdout); got != env {
				t.Errorf("built %s, want %s", got, env)
			}
			if !regexp.MustCompile(`built 0 derivations, substituted [1-9][0-9]* paths from binary caches`).MatchString(stderr) {
				t.Errorf("the summary does not say everything was substituted:\n%s", stderr)
			}
			if _, err := os.Stat(filepath.Join(store, env, "bin", "python")); err != nil {
				t.Errorf("the second store lacks the environment: %v", err)
			}
		})
	}

	t.Run("untrusted key", func(t *testing.T) {
		asMachine(t)
		code, _, stderr := runCLI(t, "build", "--lock", lock, "-o", filepath.Join(t.TempDir(), "result"), "-I", "nixpkgs="+nixpkgs.Dir(),
			"--option", "substituters=", "--max-jobs", "0", "--substituters", srv.URL, "--trusted-public-keys", otherPublic)
		if code != exitProblem {
			t.Fatalf("exit %d, want %d:\n%s", code, exitProblem, stderr)
		}
		for _, want := range []string{"the binary cache " + srv.URL + " offered", `signed them with the key "fleet-1"`, `trusted were "fleet-other"`, "--trusted-public-keys NAME:KEY"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("the error lacks %q:\n%s", want, stderr)
			}
		}
	})
}

// A machine that did not build the environment assembles its image from
// the binary cache: machine A builds and pushes, then loses the
// environment and the package only it uses (deleted from the store, as a
// machine that never built them lacks them); machnix image --store copies
// them from the cache, checked against the cache's key, and the image
// runs in runc.
func TestImageFromBinaryCache(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "nix", "patchelf", "umoci", "runc")
	lock, version := uniqueLock(t)
	secret, public := testfixtures.BinaryCacheKey(t, "fleet-image")
	cache := "file://" + filepath.Join(t.TempDir(), "cache") + zstd
	out := filepath.Join(t.TempDir(), "result")
	code, stdout, stderr := runCLI(t, "build", "--lock", lock, "-o", out, "-I", "nixpkgs="+nixpkgs.Dir(),
		"--option", "substituters=", "--cache", cache, "--cache-key", secret)
	if code != exitOK {
		t.Fatalf("build --cache: exit %d\n%s", code, stderr)
	}
	env := strings.TrimSpace(stdout)
	// The environment and the greeting package are this test's alone (a
	// version no other test builds); with the out-link gone nothing keeps
	// them alive.
	closure, err := exec.Command("nix-store", "-qR", env).Output()
	if err != nil {
		t.Fatal(err)
	}
	gone := []string{env}
	for _, p := range strings.Fields(string(closure)) {
		if strings.Contains(p, "-greeting-"+version) {
			gone = append(gone, p)
		}
	}
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("nix-store", append([]string{"--delete"}, gone...)...).CombinedOutput(); err != nil {
		t.Fatalf("nix-store --delete %v: %v\n%s", gone, err, b)
	}
	if _, err := os.Stat(env); err == nil {
		t.Fatalf("%s is in this machine's store before the copy", env)
	}
	image := func(extra ...string) (int, string, string) {
		return runCLI(t, append([]string{"image", env, "--store", cache, "--tag", "app", "--cache-dir", t.TempDir()}, extra...)...)
	}
	// Signed by a key this machine does not trust: refused.
	_, otherPublic := testfixtures.BinaryCacheKey(t, "not-the-cache")
	if code, _, stderr := image("--oci-layout", filepath.Join(t.TempDir(), "oci"), "--trusted-public-keys", otherPublic); code != exitProblem || !strings.Contains(stderr, "pass --trusted-public-keys") {
		t.Errorf("an untrusted cache: exit %d, want %d and advice:\n%s", code, exitProblem, stderr)
	}
	layout := filepath.Join(t.TempDir(), "oci")
	code, _, stderr = image("--oci-layout", layout, "--trusted-public-keys", public, "--cmd", "-c", "--cmd", greetingScript)
	if code != exitOK {
		t.Fatalf("image --store: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, fmt.Sprintf("copied %d paths from the store", len(gone))) {
		t.Errorf("image does not say it copied the %d deleted paths:\n%s", len(gone), stderr)
	}
	bundle := filepath.Join(t.TempDir(), "bundle")
	if b, err := exec.Command("umoci", "unpack", "--image", layout+":app", bundle).CombinedOutput(); err != nil {
		t.Fatalf("umoci unpack: %v\n%s", err, b)
	}
	if got := strings.TrimSpace(string(runBundle(t, bundle))); got != version {
		t.Errorf("the container printed %q, want %s", got, version)
	}
}

// With --store the arguments must be store paths: an out-link names a file
// of the machine that built it, and a hostile path reaches no Nix command.
func TestImageStoreWantsStorePaths(t *testing.T) {
	for _, arg := range []string{"./result", "/nix/store/short-x", "/nix/store/" + strings.Repeat("a", 32) + "-x/../../etc"} {
		code, _, stderr := runCLI(t, "image", arg, "--store", "file:///tmp/cache", "--oci-layout", t.TempDir(), "--tag", "app")
		if code == exitOK || !strings.Contains(stderr, "give store paths") {
			t.Errorf("image %s --store: exit %d:\n%s", arg, code, stderr)
		}
	}
	code, _, stderr := runCLI(t, "image", "/nix/store/"+strings.Repeat("a", 32)+"-x", "--store", "file://relative", "--oci-layout", t.TempDir(), "--tag", "app")
	if code != exitBadInput || !strings.Contains(stderr, "absolute directory") {
		t.Errorf("a relative file:// store: exit %d:\n%s", code, stderr)
	}
}

// Fleet flags are checked before anything is fetched: a cache needs a key
// to sign with, a key file must hold a secret key, and a URL or key that
// would split Nix's settings is refused; none of it needs Nix.
func TestFleetFlagsAreCheckedFirst(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // nothing reaches Nix
	pub := filepath.Join(t.TempDir(), "public.key")
	if err := os.WriteFile(pub, []byte("ci-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cache", "file:///tmp/c"}, "--cache needs --cache-key"},
		{[]string{"--cache-key", pub}, "give --cache too"},
		{[]string{"--cache", "file:///tmp/c", "--cache-key", pub}, "it holds a public key"},
		{[]string{"--cache", "file:///tmp/c https://evil.example", "--cache-key", pub}, "white space"},
		{[]string{"--substituters", "gopher://x"}, "the scheme must be one of"},
		{[]string{"--trusted-public-keys", "ci-1:abc"}, "not a base64 Ed25519 public key"},
	} {
		code, _, stderr := runCLI(t, append([]string{"build", "--lock", "machnix.lock"}, tc.args...)...)
		if code != exitBadInput || !strings.Contains(stderr, tc.want) {
			t.Errorf("build %v: exit %d, want %d and %q:\n%s", tc.args, code, exitBadInput, tc.want, stderr)
		}
	}
}

// checkSigned reads the cache's narinfo for path and checks its signature
// with the public key NAME:BASE64, over the fingerprint Nix signs:
// 1;PATH;NARHASH;NARSIZE;REFERENCES (full paths, comma-separated).
func checkSigned(t *testing.T, cacheDir, path, public string) {
	t.Helper()
	base := filepath.Base(path)
	data, err := os.ReadFile(filepath.Join(cacheDir, base[:32]+".narinfo"))
	if err != nil {
		t.Errorf("the cache lacks %s: %v", path, err)
		return
	}
	fields := map[string]string{}
	var sigs []string
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		if k == "Sig" {
			sigs = append(sigs, v)
		}
		fields[k] = v
	}
	if fields["StorePath"] != path {
		t.Errorf("%s.narinfo names %q", base[:32], fields["StorePath"])
		return
	}
	var refs []string
	for _, r := range strings.Fields(fields["References"]) {
		refs = append(refs, filepath.Join(filepath.Dir(path), r))
	}
	fingerprint := "1;" + path + ";" + fields["NarHash"] + ";" + fields["NarSize"] + ";" + strings.Join(refs, ",")
	name, key, _ := strings.Cut(public, ":")
	pub, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		t.Fatalf("bad public key %q", public)
	}
	for _, sig := range sigs {
		signer, b64, _ := strings.Cut(sig, ":")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if signer == name && err == nil && ed25519.Verify(pub, []byte(fingerprint), raw) {
			return
		}
	}
	t.Errorf("%s: no valid signature by %s among %q", path, name, sigs)
}
