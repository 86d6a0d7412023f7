package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/testfixtures/native"
)

// The consumer wheel needs libprovider.so.1, which no table row maps; a
// [sonames] row in machnix.toml must make diagnose map it, and a --soname
// flag must win over the file.
func TestDiagnoseReadsSonamesFromConfig(t *testing.T) {
	w := native.BuildT(t)
	consumer, err := filepath.Glob(filepath.Join(w.Dir, "consumer-*.whl"))
	if err != nil || len(consumer) != 1 {
		t.Fatalf("consumer wheel: %v %v", consumer, err)
	}
	cfg := filepath.Join(t.TempDir(), "machnix.toml")
	if err := os.WriteFile(cfg, []byte("[sonames]\n\"libprovider.so.1\" = \"fromConfig.lib\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	code, _, _ := runCLI(t, "diagnose", "--json", "--nix-locate=false", consumer[0])
	if code != exitProblem {
		t.Fatalf("without the config: exit %d, want %d (missing library)", code, exitProblem)
	}

	providerOf := func(args ...string) string {
		t.Helper()
		code, out, stderr := runCLI(t, append([]string{"diagnose", "--json", "--nix-locate=false", "--config", cfg}, args...)...)
		if code != exitOK {
			t.Fatalf("exit %d, stderr %s", code, stderr)
		}
		var rep autopatch.NativeReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		for _, e := range rep.Wheels[0].ELFs {
			for _, d := range e.Deps {
				if d.Soname == "libprovider.so.1" {
					if d.Status != autopatch.StatusNixpkgs {
						t.Fatalf("status %s, want nixpkgs", d.Status)
					}
					return d.Provider
				}
			}
		}
		t.Fatal("libprovider.so.1 not among the deps")
		return ""
	}
	if got := providerOf(consumer[0]); got != "fromConfig.lib" {
		t.Errorf("provider %q, want the config's fromConfig.lib", got)
	}
	if got := providerOf("--soname", "libprovider.so.1=fromFlag", consumer[0]); got != "fromFlag" {
		t.Errorf("provider %q, want the flag's fromFlag", got)
	}
}

func TestConfigRejectsUnknownKeys(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "machnix.toml")
	if err := os.WriteFile(cfg, []byte("[sonmes]\n\"libx.so.1\" = \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := native.BuildT(t)
	code, _, stderr := runCLI(t, "diagnose", "--config", cfg, w.Dir)
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d", code, exitBadInput)
	}
	if !strings.Contains(stderr, cfg) || !strings.Contains(stderr, "sonmes") {
		t.Errorf("error should name the file and the key: %s", stderr)
	}
}
