package nixbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/machnix/machnix/testfixtures"
)

// writeExpr writes a Nix expression into a temporary default.nix.
func writeExpr(t *testing.T, expr string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "default.nix")
	if err := os.WriteFile(path, []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A file added to the local store as a fixed-output path (as AddToStore
// adds fetched wheels) and two derivations using it, built with --max-jobs
// 0 on a remote builder reached over ssh (nix-store --serve) and ssh-ng
// (nix-daemon --stdio) whose store is a directory of its own: progress
// names the machine, the remote store holds both outputs and the input
// file (copied with the closure, never fetched there), and the result is
// copied back.
func TestRemoteBuilderBuildsInItsOwnStore(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store")
	sshd := testfixtures.StartSSHD(t)
	t.Setenv("NIX_SSHOPTS", sshd.SSHOpts())
	for _, scheme := range []string{"ssh", "ssh-ng"} {
		t.Run(scheme, func(t *testing.T) { remoteBuild(t, sshd, scheme) })
	}
}

func remoteBuild(t *testing.T, sshd *testfixtures.SSHD, scheme string) {
	root, machine := sshd.RemoteStore(t, scheme, "x86_64-linux")
	host := scheme + "://127.0.0.1"
	token := fmt.Sprintf("%d", time.Now().UnixNano())
	input := filepath.Join(t.TempDir(), "input-"+token+".txt")
	if err := os.WriteFile(input, []byte("wheel bytes "+token+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	added, err := nixStoreLines(context.Background(), "--add-fixed", "sha256", input)
	if err != nil {
		t.Fatal(err)
	}
	expr := fmt.Sprintf(`let
  input = builtins.storePath %q;
  mk = name: deps: derivation {
    inherit name deps input;
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo building ${name} where the store is $NIX_STORE; /bin/cat $input > $out" ];
  };
in mk "machnix-remote-b-%[2]s" [ (mk "machnix-remote-a-%[2]s" [ ]) ]
`, added[0], token)
	var log bytes.Buffer
	var last Progress
	var building []string
	bare := false
	out, err := Build(context.Background(), writeExpr(t, expr), WithLog(&log), WithOption("substituters", ""),
		WithMaxJobs("0"), WithBuilders(machine), WithProgress(func(p Progress) {
			last = p
			building = append(building, p.Building...)
			for _, b := range p.Building {
				bare = bare || !strings.Contains(b, " on ")
			}
		}))
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "on '"+scheme+"://root@127.0.0.1") {
		t.Errorf("the log does not say the builds ran on the builder:\n%s", log.String())
	}
	if last.Remote[host] != 2 || len(last.Remote) != 1 {
		t.Errorf("remote builds %v, want 2 on %s", last.Remote, host)
	}
	for _, name := range []string{"machnix-remote-a-" + token, "machnix-remote-b-" + token} {
		if !contains(building, name+" on "+host) {
			t.Errorf("progress never showed %s building on the builder: %v", name, building)
		}
	}
	if bare {
		t.Errorf("progress showed a remote build without its machine: %v", building)
	}
	for _, p := range []string{out, added[0]} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("the builder's store lacks %s: %v", p, err)
		}
	}
	if got, err := os.ReadFile(out); err != nil || !strings.Contains(string(got), token) {
		t.Errorf("the result %s was not copied back: %q, %v", out, got, err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A derivation that fails on the remote builder is diagnosed as a local
// one is (here the missing-library diagnosis), naming the builder.
func TestRemoteBuildFailureIsDiagnosed(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store")
	sshd := testfixtures.StartSSHD(t)
	t.Setenv("NIX_SSHOPTS", sshd.SSHOpts())
	_, machine := sshd.RemoteStore(t, "ssh", "x86_64-linux")
	expr := fmt.Sprintf(`derivation {
  name = "machnix-remote-fail-%d";
  system = "x86_64-linux";
  builder = "/bin/sh";
  args = [ "-c" "echo 'auto-patchelf: could not satisfy dependency libgone.so.3 wanted by /nix/store/x-lib/foo.so'; exit 1" ];
}
`, time.Now().UnixNano())
	_, err := Build(context.Background(), writeExpr(t, expr), WithOption("substituters", ""), WithMaxJobs("0"), WithBuilders(machine))
	if !errors.Is(err, ErrBuildFailed) {
		t.Fatalf("err = %v, want a failed build", err)
	}
	for _, want := range []string{"failed on the remote builder ssh://127.0.0.1", "libgone.so.3 (wanted by /nix/store/x-lib/foo.so) is not mapped", "[sonames]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("diagnosis lacks %q:\n%v", want, err)
		}
	}
}

// A builder that cannot be reached is named, with what to check.
func TestUnreachableBuilderIsDiagnosed(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "ssh")
	sshd := testfixtures.StartSSHD(t)
	opts := strings.Replace(sshd.SSHOpts(), fmt.Sprintf("-p %d", sshd.Port), "-p 1", 1) // nothing listens there
	t.Setenv("NIX_SSHOPTS", opts)
	_, machine := sshd.RemoteStore(t, "ssh", "x86_64-linux")
	expr := fmt.Sprintf(`derivation { name = "machnix-unreachable-%d"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; }`, time.Now().UnixNano())
	_, err := Build(context.Background(), writeExpr(t, expr), WithOption("substituters", ""), WithMaxJobs("0"), WithBuilders(machine))
	if !errors.Is(err, ErrBuildFailed) {
		t.Fatalf("err = %v, want a failed build", err)
	}
	for _, want := range []string{"could not use the remote builder ssh://127.0.0.1", "Connection refused", "NIX_SSHOPTS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("diagnosis lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "none (--builders) takes this system") {
		t.Errorf("an unreachable builder is diagnosed as a missing one:\n%v", err)
	}
}

// An input changed in the local store after it was added (as a program
// run as root may do) cannot be sent to the builder: Nix stops the copy
// half way, and the diagnosis says what to look for.
func TestRemoteBuildWithChangedInputIsDiagnosed(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store")
	sshd := testfixtures.StartSSHD(t)
	t.Setenv("NIX_SSHOPTS", sshd.SSHOpts())
	_, machine := sshd.RemoteStore(t, "ssh", "x86_64-linux")
	local := filepath.Join(t.TempDir(), "store") // not the shared store, which this test damages
	t.Setenv("NIX_REMOTE", local)
	token := fmt.Sprintf("%d", time.Now().UnixNano())
	input := filepath.Join(t.TempDir(), "input-"+token)
	if err := os.WriteFile(input, []byte(strings.Repeat("x", 1<<16)), 0o644); err != nil {
		t.Fatal(err)
	}
	added, err := nixStoreLines(context.Background(), "--add", input)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, added[0]), []byte("changed after it was added"), 0o644); err != nil {
		t.Fatal(err)
	}
	expr := fmt.Sprintf(`derivation { name = "machnix-changed-%s"; input = builtins.storePath %q; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "/bin/cat $input > $out" ]; }`, token, added[0])
	_, err = Build(context.Background(), writeExpr(t, expr), WithOption("substituters", ""), WithMaxJobs("0"), WithBuilders(machine))
	if !errors.Is(err, ErrBuildFailed) {
		t.Fatalf("err = %v, want a failed build", err)
	}
	for _, want := range []string{"on the remote builder ssh://127.0.0.1", "the copy of the build's inputs", "nix-store --verify --check-contents"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("diagnosis lacks %q:\n%v", want, err)
		}
	}
}
