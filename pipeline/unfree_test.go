package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/resolve"
)

// TestAllowUnfreeFromConfigOrFlag: a wheel mapped to a cudaPackages
// library stops Generate unless allowUnfree is set in machnix.toml or in
// the settings (the --allow-unfree flag); then all three expressions
// import nixpkgs with config.allowUnfree = true, and the stamp differs.
func TestAllowUnfreeFromConfigOrFlag(t *testing.T) {
	dir := t.TempDir()
	toml := filepath.Join(dir, "machnix.toml")
	if err := os.WriteFile(toml, []byte("allowUnfree = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(toml)
	if err != nil {
		t.Fatal(err)
	}
	lock := &resolve.Lock{Version: resolve.LockVersion, Target: resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"},
		Packages: []resolve.Package{{Name: "gpu", Version: "1.0", Provider: resolve.ProviderWheel, Filename: "gpu-1.0-py3-none-any.whl",
			URL: "https://example.org/gpu-1.0-py3-none-any.whl", SHA256: strings.Repeat("ab", 32), Size: 1}}}
	report := &autopatch.NativeReport{Wheels: []autopatch.WheelReport{{File: "gpu-1.0-py3-none-any.whl", Name: "gpu", Version: "1.0",
		NixInputs: []string{"cudaPackages.libcublas"}, Missing: []string{}}}}
	prepared := func(s Settings) *Prepared { return &Prepared{Lock: lock, Report: report, Settings: s} }

	if _, err := Generate(prepared(Settings{})); err == nil || !strings.Contains(err.Error(), "--allow-unfree") {
		t.Errorf("without allowUnfree: %v, want an error naming --allow-unfree", err)
	}
	for name, s := range map[string]Settings{"machnix.toml": {Config: cfg}, "flag": {AllowUnfree: true}} {
		e, err := Generate(prepared(s))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for file, text := range map[string]string{"default.nix": e.Default, "shell.nix": e.Shell, "nixpkgs.nix": e.Nixpkgs} {
			if !strings.Contains(text, "import <nixpkgs> { config.allowUnfree = true; }") {
				t.Errorf("%s: %s does not allow unfree packages:\n%s", name, file, text)
			}
		}
	}
	a, _ := Stamp(lock, Settings{}, NixOptions{})
	b, _ := Stamp(lock, Settings{AllowUnfree: true}, NixOptions{})
	if a == b {
		t.Error("--allow-unfree does not change the build stamp")
	}
}
