package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDiagnoseFixturesJSON(t *testing.T) {
	w := native.BuildT(t)
	code, out, stderr := runCLI(t, "diagnose", "--json", "--nix-locate=false", w.Dir)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	// The field names of the JSON shape, checked on the raw JSON.
	var raw struct {
		Wheels []map[string]json.RawMessage `json:"wheels"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Wheels) != 4 {
		t.Fatalf("%d wheels, want the 4 fixtures", len(raw.Wheels))
	}
	for _, key := range []string{"file", "name", "version", "tags", "elfs", "nix_inputs", "missing"} {
		if _, ok := raw.Wheels[0][key]; !ok {
			t.Errorf("wheel object lacks %q", key)
		}
	}
	var elfs []map[string]json.RawMessage
	if err := json.Unmarshal(raw.Wheels[0]["elfs"], &elfs); err != nil || len(elfs) == 0 {
		t.Fatalf("elfs: %v", err)
	}
	for _, key := range []string{"path", "machine", "needed", "rpath", "runpath", "version_needs", "python_extension", "deps"} {
		if _, ok := elfs[0][key]; !ok {
			t.Errorf("elf object lacks %q", key)
		}
	}
	var rep autopatch.NativeReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	for _, wr := range rep.Wheels {
		if wr.Name == "zcrc" && strings.Join(wr.NixInputs, " ") != "stdenv.cc.cc.lib zlib" {
			t.Errorf("zcrc nix inputs %v", wr.NixInputs)
		}
	}
	// Deterministic: a second run prints the same bytes.
	if _, again, _ := runCLI(t, "diagnose", "--json", "--nix-locate=false", w.Dir); again != out {
		t.Error("two runs gave different JSON")
	}
}

func TestDiagnoseExitCodes(t *testing.T) {
	w := native.BuildT(t)
	code, out, _ := runCLI(t, "diagnose", "--nix-locate=false", w.Consumer)
	if code != exitProblem || !strings.Contains(out, "MISSING libprovider.so.1") || !strings.Contains(out, "--lib-path") {
		t.Errorf("consumer alone: exit %d, output:\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "diagnose", "--nix-locate=false", "--soname", "libprovider.so.1=provider", w.Consumer); code != exitOK {
		t.Errorf("with --soname: exit %d, want 0", code)
	}
	if code, _, stderr := runCLI(t, "diagnose", "--soname", "nonsense", w.Consumer); code != exitBadInput || !strings.Contains(stderr, "SONAME=ATTR") {
		t.Errorf("bad --soname: exit %d, %s", code, stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad-1.0-py3-none-any.whl")
	os.WriteFile(bad, []byte("not a zip"), 0o644)
	if code, _, stderr := runCLI(t, "diagnose", bad); code != exitBadInput || !strings.Contains(stderr, bad) {
		t.Errorf("not a zip: exit %d, stderr %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "diagnose"); code != exitBadInput {
		t.Errorf("no arguments: exit %d", code)
	}
	if code, _, stderr := runCLI(t, "diagnose", "--lock", filepath.Join(t.TempDir(), "machnix.lock"), w.Zcrc); code != exitBadInput || !strings.Contains(stderr, "not both") {
		t.Errorf("wheels beside --lock: exit %d, stderr %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "diagnose", "--system", "sparc-linux", w.Zcrc); code != exitBadInput {
		t.Errorf("bad --system: exit %d", code)
	}
	if code, _, _ := runCLI(t, "diagnose", t.TempDir()); code != exitBadInput {
		t.Errorf("a directory without wheels: exit %d", code)
	}
}

func TestDiagnoseSharedCffi(t *testing.T) {
	file := testfixtures.SharedDir(t, "wheels", "cffi-1.5.0-cp27-none-linux_x86_64.whl")
	support := testfixtures.SharedDir(t, "wheels", "support")
	if code, _, _ := runCLI(t, "diagnose", "--nix-locate=false", "--system", "x86_64-linux", file); code != exitProblem {
		t.Errorf("cffi without support/: exit %d, want 1 (libffi.so.5 missing)", code)
	}
	code, out, stderr := runCLI(t, "diagnose", "--json", "--nix-locate=false", "--system", "x86_64-linux", "--lib-path", support, file)
	if code != exitOK {
		t.Fatalf("cffi with --lib-path support/: exit %d %s", code, stderr)
	}
	if !strings.Contains(out, `"status": "lib_path"`) {
		t.Errorf("libffi.so.5 should be found on the lib path:\n%s", out)
	}
}
