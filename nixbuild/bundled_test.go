package nixbuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// wheelLock pins wheel files as a resolver would, with autopatch's report.
func wheelLock(t *testing.T, files ...string) (*resolve.Lock, *autopatch.NativeReport) {
	t.Helper()
	report, err := autopatch.Inspect(context.Background(), files, autopatch.WithNixLocate(false))
	if err != nil {
		t.Fatal(err)
	}
	lock := &resolve.Lock{Version: 1, Target: resolve.Target{Python: "3.11", System: native.Arch() + "-linux", Glibc: "2.28"}}
	for _, wr := range report.Wheels {
		data, err := os.ReadFile(wr.File)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		lock.Packages = append(lock.Packages, resolve.Package{
			Name: pep508.NormalizeName(wr.Name), Version: wr.Version, Provider: resolve.ProviderWheel,
			Filename: filepath.Base(wr.File), URL: "http://127.0.0.1:9/files/" + filepath.Base(wr.File),
			SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
		})
	}
	return lock, report
}

// nixBuildFixture adds the wheels to the store (so fetchurl downloads
// nothing) and builds expr with real nix-build against the stand-in
// nixpkgs, returning the output path.
func nixBuildFixture(t *testing.T, expr []byte, lock *resolve.Lock, report *autopatch.NativeReport, wheels []string, args ...string) string {
	t.Helper()
	for _, whl := range wheels {
		if out, err := exec.Command("nix-store", "--add-fixed", "sha256", whl).CombinedOutput(); err != nil {
			t.Fatalf("nix-store --add-fixed: %v\n%s", err, out)
		}
	}
	cmd := exec.Command("nix-build", append([]string{"--option", "substituters", "", "--no-out-link",
		"-I", "nixpkgs=" + nixpkgs.Dir(), writeGenerated(t, expr, lock, report)}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("nix-build: %v\n%s\n%s", err, stderr, expr)
	}
	return strings.TrimSpace(string(out))
}

// TestBundledWithoutRPathBuildsAndImports: a wheel whose bundled libraries
// sit in a nested .libs/ and another directory and need each other without
// RPATH passes the check before Nix (every library is bundled), and
// auto-patchelf (the stand-in's, which searches the package's own output
// as the real one does) patches it so that it imports under env -i.
func TestBundledWithoutRPathBuildsAndImports(t *testing.T) {
	testfixtures.RequireTool(t, "gcc", native.PythonConfig, "nix-build", "nix-store", "patchelf")
	whl, err := native.OldAuditwheel(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lock, report := wheelLock(t, whl)
	expr, err := Generate(lock, report)
	if err != nil {
		t.Fatalf("the check before Nix refuses a wheel whose libraries are all inside it: %v", err)
	}
	env := nixBuildFixture(t, expr, lock, report, []string{whl})
	got, err := exec.Command("env", "-i", env+"/bin/python", "-c", "import oldaw; print(oldaw.value())").CombinedOutput()
	if err != nil {
		t.Fatalf("importing from the environment: %v\n%s", err, got)
	}
	if want := fmt.Sprint(native.OldAuditwheelValue); strings.TrimSpace(string(got)) != want {
		t.Errorf("printed %q, want %s", got, want)
	}
}
