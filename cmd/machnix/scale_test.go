package main

import (
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
// The shared /nix/store is no good as a fleet's first machine here: tests
// run its python as root, which writes bytecode into the store path, so
// its contents no longer match its recorded hash.
func asMachine(t *testing.T) string {
	t.Helper()
	store := filepath.Join(t.TempDir(), "store")
	t.Setenv("NIX_REMOTE", store)
	t.Setenv("NIX_CONFIG", "sandbox-paths = /bin /usr /lib /lib64 /etc")
	return store
}

// greetingScript prints the greeting package's version.
const greetingScript = "import greeting, zcrc; print(greeting.VERSION)"

// machnix build --builders builds on a remote machine reached over ssh (a
// real sshd on 127.0.0.1), whose store is a directory of its own: progress
// and the summary name the machine, the remote store holds the
// environment and the wheel machnix fetched (copied there with the
// closure), and the environment copied back runs.
func TestBuildOnRemoteBuilder(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	sshd := testfixtures.StartSSHD(t)
	t.Setenv("NIX_SSHOPTS", sshd.SSHOpts())
	root, machine := sshd.RemoteStore(t, "ssh", "x86_64-linux")
	lock, version := uniqueLock(t)
	local := asMachine(t)
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
	if _, err := os.Stat(filepath.Join(local, env, "bin", "python")); err != nil {
		t.Errorf("the environment was not copied back: %v", err)
	}
	// The environment runs: the local store is a chroot store, so Nix's
	// sandbox runs it, from a derivation that imports the package.
	check := filepath.Join(t.TempDir(), "check.nix")
	expr := fmt.Sprintf(`derivation { name = "check"; system = "x86_64-linux"; builder = "/bin/sh"; env = builtins.storePath %q; args = [ "-c" "$env/bin/python -c '%s' > $out" ]; }`, env, greetingScript)
	if err := os.WriteFile(check, []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command("nix-build", check, "--no-out-link", "--option", "substituters", "").Output()
	if err != nil {
		t.Fatalf("running the environment: %v %s", err, stderrOf(err))
	}
	printed, err := os.ReadFile(filepath.Join(local, strings.TrimSpace(string(got))))
	if err != nil || strings.TrimSpace(string(printed)) != version {
		t.Errorf("python printed %q (%v), want %s", printed, err, version)
	}
}

// One machine builds and pushes to a signed binary cache; a second,
// empty store (a chroot store, standing for another machine) builds the
// same lock with --max-jobs 0 and substitutes everything, from the cache
// as file:// and over HTTP; a store that trusts another key is refused,
// and machnix says which cache, which keys and what to pass.
func TestCacheFleet(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "nix", "patchelf")
	lock, _ := uniqueLock(t)
	secret, public := testfixtures.BinaryCacheKey(t, "fleet-1")
	asMachine(t)
	_, otherPublic := testfixtures.BinaryCacheKey(t, "fleet-other")
	dir := filepath.Join(t.TempDir(), "cache")
	cache := "file://" + dir
	out := filepath.Join(t.TempDir(), "result")
	build := []string{"build", "--lock", lock, "-o", out, "-I", "nixpkgs=" + nixpkgs.Dir(), "--option", "substituters="}
	code, stdout, stderr := runCLI(t, append(build, "--cache", cache, "--cache-key", secret)...)
	if code != exitOK {
		t.Fatalf("build --cache: exit %d\n%s", code, stderr)
	}
	env := strings.TrimSpace(stdout)
	pushed := regexp.MustCompile(`machnix: pushed ([0-9]+) new of ([0-9]+) paths to ` + regexp.QuoteMeta(cache) + `, signed with the key "fleet-1"`)
	m := pushed.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("build --cache does not say what it pushed:\n%s", stderr)
	}
	closure, err := exec.Command("nix-store", "-qR", env).Output()
	if err != nil {
		t.Fatal(err)
	}
	total := len(strings.Fields(string(closure)))
	if m[2] != strconv.Itoa(total) || m[1] != m[2] {
		t.Errorf("pushed %s new of %s, want all %d paths of the closure new", m[1], m[2], total)
	}
	// Unchanged: nothing to build, and the cache already has everything.
	// (The out-link points into the chroot store, so it is no proof of an
	// earlier build here, and nix-build runs again.)
	code, _, stderr = runCLI(t, append(build, "--cache", cache, "--cache-key", secret)...)
	if code != exitOK || !strings.Contains(stderr, fmt.Sprintf("pushed 0 new of %d paths", total)) || !strings.Contains(stderr, "built 0 derivations") {
		t.Errorf("second build --cache: exit %d, want nothing built and nothing new pushed:\n%s", code, stderr)
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
// the binary cache: machine A (a store of its own) builds and pushes;
// this machine lacks the environment, machnix image --store copies it from
// the cache, checked against the cache's key, and the image runs in runc.
func TestImageFromBinaryCache(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "nix", "patchelf", "umoci", "runc")
	lock, version := uniqueLock(t)
	secret, public := testfixtures.BinaryCacheKey(t, "fleet-image")
	cache := "file://" + filepath.Join(t.TempDir(), "cache")
	storeA := asMachine(t)
	code, stdout, stderr := runCLI(t, "build", "--lock", lock, "-o", filepath.Join(t.TempDir(), "result"), "-I", "nixpkgs="+nixpkgs.Dir(),
		"--option", "substituters=", "--cache", cache, "--cache-key", secret)
	if code != exitOK {
		t.Fatalf("build --cache: exit %d\n%s", code, stderr)
	}
	env := strings.TrimSpace(stdout)
	if _, err := os.Stat(filepath.Join(storeA, env)); err != nil {
		t.Fatalf("machine A's store lacks %s: %v", env, err)
	}
	// This machine: the default store, which never built the environment.
	os.Unsetenv("NIX_REMOTE")
	os.Unsetenv("NIX_CONFIG")
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
	if !regexp.MustCompile(`copied [1-9][0-9]* paths? from the store`).MatchString(stderr) {
		t.Errorf("image does not say what it copied:\n%s", stderr)
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
