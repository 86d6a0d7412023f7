package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
)

// TestDiagnoseLyingMetadataSize: a wheel of a few hundred bytes whose
// METADATA claims 15 GiB is refused as bad input, without the memory.
func TestDiagnoseLyingMetadataSize(t *testing.T) {
	w := testfixtures.Wheel{Name: "liar", Version: "1.0", Files: []testfixtures.File{{Path: "liar/__init__.py", Data: []byte("x = 1\n")}}}
	good, err := testfixtures.WriteWheel(t.TempDir(), w)
	if err != nil {
		t.Fatal(err)
	}
	meta := w.DistInfo() + "/METADATA"
	p := testfixtures.LieAboutSizes(t, good, map[string]uint64{meta: 15 << 30})
	for _, flags := range [][]string{{}, {"--no-verify"}, {"--json"}} {
		args := append(append([]string{"diagnose", "--nix-locate=false"}, flags...), p)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		code, out, stderr := runCLI(t, args...)
		runtime.ReadMemStats(&after)
		if code != exitBadInput {
			t.Errorf("%v: exit %d, want %d; stdout %q stderr %q", args, code, exitBadInput, out, stderr)
		}
		if !strings.Contains(stderr, p) || !strings.Contains(stderr, meta) {
			t.Errorf("%v: stderr %q does not name the wheel and %s", args, stderr, meta)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("%v: allocated %d MiB for a wheel of %d bytes", args, alloc>>20, len(mustRead(t, p)))
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// terminalControl returns the first character of s a terminal may act on:
// a control (C0, DEL, C1), a format character (bidi overrides among them),
// or a byte that is not UTF-8. Newlines are allowed.
func terminalControl(s string) (string, bool) {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return s[i : i+1], true
			}
		}
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			return string(r), true
		}
	}
	return "", false
}

// evilWheel builds, with gcc, a wheel holding an extension that needs a
// library whose soname carries an escape sequence, at a path that carries
// another and a bidi override.
func evilWheel(t *testing.T, soname, entry string) string {
	t.Helper()
	testfixtures.RequireTool(t, "gcc")
	dir := t.TempDir()
	for name, src := range map[string]string{"evil.c": "int evil(void) { return 1; }\n", "mod.c": "int evil(void);\nint PyInit_mod(void) { return evil(); }\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"-shared", "-fPIC", "-o", "libevil.so", "-Wl,-soname," + soname, "evil.c"},
		{"-shared", "-fPIC", "-o", "mod.so", "mod.c", "./libevil.so"},
	} {
		cmd := exec.Command("gcc", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %v: %v\n%s", args, err, out)
		}
	}
	p, err := testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "evil", Version: "1.0",
		Tags:  []string{"cp311-cp311-linux_" + native.Arch()},
		Files: []testfixtures.File{{Path: entry, Data: mustRead(t, filepath.Join(dir, "mod.so"))}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDiagnoseEscapesUntrustedText(t *testing.T) {
	soname := "lib\x1b[31mevil.so"
	entry := "evil/\x1b]0;owned\x07\u202emod.so"
	p := evilWheel(t, soname, entry)

	code, out, stderr := runCLI(t, "diagnose", "--nix-locate=false", p)
	if code != exitProblem {
		t.Fatalf("exit %d, want %d (the library is missing); stderr %q", code, exitProblem, stderr)
	}
	for what, text := range map[string]string{"report": out, "stderr": stderr} {
		if c, ok := terminalControl(text); ok {
			t.Errorf("%s carries %q raw:\n%s", what, c, text)
		}
	}
	for _, plain := range []string{"evil.so", "mod.so", "MISSING lib"} {
		if !strings.Contains(out, plain) {
			t.Errorf("report no longer shows %q:\n%s", plain, out)
		}
	}

	// JSON keeps the exact bytes, escaped by encoding/json.
	code, out, _ = runCLI(t, "diagnose", "--json", "--nix-locate=false", p)
	if code != exitProblem {
		t.Fatalf("--json: exit %d", code)
	}
	if c, ok := terminalControl(out); ok && c != "\u202e" {
		t.Errorf("JSON carries %q raw", c)
	}
	var rep autopatch.NativeReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if e := rep.Wheels[0].ELFs; len(e) != 1 || e[0].Path != entry || len(e[0].Needed) != 1 || e[0].Needed[0] != soname {
		t.Errorf("JSON report %+v, want %q needing %q", e, entry, soname)
	}

	// Errors too: the same entry, now failing RECORD.
	bad := filepath.Join(t.TempDir(), "evil-1.0-py3-none-any.whl")
	writeWithExtra(t, p, bad, "evil/\x1b[2Junlisted\u202e.py")
	code, _, stderr = runCLI(t, "diagnose", bad)
	if code != exitBadInput {
		t.Fatalf("unlisted entry: exit %d, want %d; stderr %q", code, exitBadInput, stderr)
	}
	if c, ok := terminalControl(stderr); ok {
		t.Errorf("error carries %q raw: %s", c, stderr)
	}
	if !strings.Contains(stderr, "unlisted") || !strings.Contains(stderr, bad) {
		t.Errorf("error %q does not name the entry and the wheel", stderr)
	}
}

// writeWithExtra copies the wheel at from to to, adding one entry that
// RECORD does not list.
func writeWithExtra(t *testing.T, from, to, extra string) {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, err := zw.Create(extra)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x = 1\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDiagnoseErrorsEscaped: errors that name an argument are printed with
// its controls escaped, like errors that name what is inside a wheel.
func TestDiagnoseErrorsEscaped(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone\x1b[8m\u202e-1.0-py3-none-any.whl")
	code, _, stderr := runCLI(t, "diagnose", missing)
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d", code, exitBadInput)
	}
	if c, ok := terminalControl(stderr); ok {
		t.Errorf("stderr carries %q raw: %s", c, stderr)
	}
	if !strings.Contains(stderr, "-1.0-py3-none-any.whl") {
		t.Errorf("stderr %q does not name the argument", stderr)
	}
}

// One wheel whose RECORD does not match is an error naming it, with the
// flag that skips RECORD; the other wheels of the run are still reported.
func TestDiagnoseReportsTheOtherWheelsBesideABadRecord(t *testing.T) {
	dir := t.TempDir()
	good, err := testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "goodone", Version: "1.0",
		Files: []testfixtures.File{{Path: "goodone/__init__.py", Data: []byte("x = 1\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := testfixtures.WriteWheel(t.TempDir(), testfixtures.Wheel{Name: "badrecord", Version: "1.0",
		Files: []testfixtures.File{{Path: "badrecord/__init__.py", Data: []byte("x = 1\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, filepath.Base(plain))
	writeWithExtra(t, plain, bad, "badrecord/unlisted.py")
	code, stdout, stderr := runCLI(t, "diagnose", "--nix-locate=false", dir)
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitBadInput, stderr)
	}
	if !strings.Contains(stdout, filepath.Base(good)) {
		t.Errorf("the readable wheel is not reported:\n%s", stdout)
	}
	for _, want := range []string{filepath.Base(bad), "--no-verify"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, stderr)
		}
	}
}

// diagnose DIR reads the wheels at DIR's top level and says which
// subdirectories it passed over, rather than leaving their wheels out
// silently.
func TestDiagnoseNamesSkippedSubdirectories(t *testing.T) {
	dir := t.TempDir()
	if _, err := testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "top", Version: "1.0",
		Files: []testfixtures.File{{Path: "top/__init__.py", Data: []byte("x = 1\n")}}}); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(dir, "more-wheels")
	if err := os.Mkdir(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "diagnose", "--nix-locate=false", dir)
	if code != exitOK || !strings.Contains(stdout, "top-1.0") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, nested) {
		t.Errorf("stderr does not name the skipped %s: %q", nested, stderr)
	}
}

// diagnose --python tells a wheel built against another Python's libpython
// from one that fits: the ELF (here a fixture library given a libpython3.10
// need with patchelf) is reported for that Python, and the run exits 1.
func TestDiagnoseNamesAWheelForAnotherPython(t *testing.T) {
	testfixtures.RequireTool(t, "patchelf")
	w := native.BuildT(t)
	zr, err := zip.OpenReader(w.Zcrc)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := filepath.Join(t.TempDir(), filepath.Base(w.Zcrc))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	patched := false
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".so") || patched {
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		so := filepath.Join(t.TempDir(), "lib.so")
		os.WriteFile(so, data, 0o755)
		if out, err := exec.Command("patchelf", "--add-needed", "libpython3.10.so.1.0", so).CombinedOutput(); err != nil {
			t.Fatalf("patchelf: %v %s", err, out)
		}
		data, _ = os.ReadFile(so)
		fw, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
		patched = true
	}
	zw.Close()
	os.WriteFile(out, buf.Bytes(), 0o644)
	code, stdout, stderr := runCLI(t, "diagnose", "--no-verify", "--nix-locate=false", "--python", "3.11", out)
	if code != exitProblem || !strings.Contains(stdout, "other_python") || !strings.Contains(stdout, "built for python3.10") {
		t.Errorf("exit %d, stdout %s, stderr %s; want the libpython3.10 need reported for another Python", code, stdout, stderr)
	}
}
