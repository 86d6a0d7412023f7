package autopatch

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"github.com/machnix/machnix/testfixtures"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures/native"
)

// The gcc-built fixtures cover the same code paths as the shared real
// wheels, so the suite stands on its own without ../shared.

func TestNativeFixtures(t *testing.T) {
	w := native.BuildT(t)
	rep, err := Inspect(context.Background(), w.All(), WithNixLocate(false), WithSystem(HostSystem()))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]WheelReport{}
	for _, wr := range rep.Wheels {
		byName[wr.Name] = wr
		crossCheckReadelf(t, wr)
		if wr.NotForTarget != "" {
			t.Errorf("%s: built on the host, yet not for target: %s", wr.Name, wr.NotForTarget)
		}
	}

	z := byName["zcrc"]
	ds := deps(z)
	if ds["libz.so.1"].Provider != "zlib" || ds["libstdc++.so.6"].Provider != "stdenv.cc.cc.lib" || ds["libc.so.6"].Status != StatusLibc {
		t.Errorf("zcrc deps %+v; want zlib, stdenv.cc.cc.lib and glibc", ds)
	}
	if !equal(z.NixInputs, []string{"stdenv.cc.cc.lib", "zlib"}) || len(z.Missing) != 0 {
		t.Errorf("zcrc nix inputs %v missing %v", z.NixInputs, z.Missing)
	}
	if !equal(z.TopLevelModules, []string{"zcrc"}) {
		t.Errorf("zcrc modules %v", z.TopLevelModules)
	}
	var sawScript, sawExt bool
	for _, e := range z.ELFs {
		switch {
		case strings.HasPrefix(e.Path, "zcrc-1.0.data/scripts/"):
			sawScript = true
			if e.PythonExtension || e.Interpreter == "" {
				t.Errorf("script %s: python extension %v, interpreter %q", e.Path, e.PythonExtension, e.Interpreter)
			}
		case strings.HasPrefix(e.Path, "zcrc."):
			sawExt = true
			if !e.PythonExtension || e.Machine != native.Arch() || e.Class != "64" {
				t.Errorf("extension %s: python %v machine %s class %s", e.Path, e.PythonExtension, e.Machine, e.Class)
			}
		}
	}
	if !sawScript || !sawExt {
		t.Errorf("zcrc ELFs: script %v extension %v", sawScript, sawExt)
	}

	b := byName["bundled"]
	if d := deps(b)["libgreet.so"]; d.Status != StatusBundled || d.Provider != "bundled.libs/libgreet.so" {
		t.Errorf("libgreet.so → %+v; want bundled in bundled.libs/ through $ORIGIN", d)
	}
	if !equal(b.TopLevelModules, []string{"bundled"}) {
		t.Errorf("bundled modules %v: *.libs must be excluded", b.TopLevelModules)
	}
	for _, e := range b.ELFs {
		if e.PythonExtension && !equal(e.RPath, []string{"$ORIGIN/bundled.libs"}) {
			t.Errorf("rpath %v as written", e.RPath)
		}
	}

	c := byName["consumer"]
	if d := deps(c)["libprovider.so.1"]; d.Status != StatusWheel || d.Provider != "provider" {
		t.Errorf("libprovider.so.1 → %+v; want the provider wheel", d)
	}
	if !equal(c.WheelDeps, []string{"provider"}) {
		t.Errorf("wheel deps %v", c.WheelDeps)
	}

	// Alone, the consumer misses its library.
	alone := inspectOne(t, w.Consumer, WithSystem(HostSystem()))
	if !equal(alone.Missing, []string{"libprovider.so.1"}) {
		t.Errorf("consumer alone: missing %v", alone.Missing)
	}
	// A user row resolves it, overriding everything after the wheels.
	row := inspectOne(t, w.Consumer, WithSystem(HostSystem()), WithSonames(map[string]string{"libprovider.so.1": "myprovider"}))
	if d := deps(row)["libprovider.so.1"]; d.Status != StatusNixpkgs || d.Provider != "myprovider" || d.Guess {
		t.Errorf("with a [sonames] row: %+v", d)
	}
}

func TestNixLocateGuess(t *testing.T) {
	w := native.BuildT(t)
	bin := t.TempDir()
	script := "#!/bin/sh\nfor a; do last=$a; done\n[ \"$last\" = /lib/libprovider.so.1 ] && echo fakeprovider.out\nexit 0\n"
	if err := os.WriteFile(filepath.Join(bin, "nix-locate"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	rep, err := Inspect(context.Background(), []string{w.Consumer}, WithSystem(HostSystem()))
	if err != nil {
		t.Fatal(err)
	}
	d := deps(rep.Wheels[0])["libprovider.so.1"]
	if d.Status != StatusNixpkgs || d.Provider != "fakeprovider" || !d.Guess {
		t.Errorf("nix-locate answer → %+v; want nixpkgs fakeprovider marked as a guess", d)
	}
	if len(rep.Wheels[0].Missing) != 0 {
		t.Errorf("missing %v", rep.Wheels[0].Missing)
	}
}

func TestSystemMismatchNeverMapped(t *testing.T) {
	w := native.BuildT(t)
	other := "aarch64-linux"
	if native.Arch() == "aarch64" {
		other = "x86_64-linux"
	}
	wr := inspectOne(t, w.Zcrc, WithSystem(other))
	if wr.NotForTarget == "" || len(wr.NixInputs) != 0 {
		t.Errorf("host wheel on %s: not for target %q, nix inputs %v", other, wr.NotForTarget, wr.NixInputs)
	}
	if _, err := Inspect(context.Background(), []string{w.Zcrc}, WithSystem("mips-linux")); err == nil {
		t.Error("an unknown system must be refused")
	}
}

// TestLazyMatchesFull checks the program-header reader used without RECORD
// verification against debug/elf on whole files: the reports must agree.
func TestLazyMatchesFull(t *testing.T) {
	w := native.BuildT(t)
	files := w.All()
	for _, name := range []string{"cffi-1.5.0-cp27-none-linux_x86_64.whl", "python_snappy-0.5.2-pp260-pypy_41-linux_x86_64.whl",
		"fpewheel-0.0.0-cp35-cp35m-linux_x86_64.whl", "testzlib-0.0.1-cp310-cp310-linux_x86_64.whl",
		"python_mscl-67.0.1.0-cp313-cp313-manylinux2014_aarch64.whl", "spam-0.1.0-cp313-cp313-android_24_arm64_v8a.whl",
		"gepetto_example_adder-3.0.2-cp39-cp39-linux_x86_64.whl"} {
		p := filepath.Join(testfixtures.RepoRoot(t), "..", "shared", "wheels", name)
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	full, err := Inspect(context.Background(), files, WithNixLocate(false))
	if err != nil {
		t.Fatal(err)
	}
	lazy, err := Inspect(context.Background(), files, WithNixLocate(false), WithVerifyRecord(false))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(full)
	b, _ := json.Marshal(lazy)
	if string(a) != string(b) {
		t.Errorf("program-header reader disagrees with debug/elf:\nfull %s\nlazy %s", a, b)
	}
}

// TestHostileVersionTable is the regression test for the FuzzInspectELF
// finding: a version-needs table whose entries each claim 65535 aux records
// made debug/elf's DynamicVersionNeeds (and DynamicSymbols) run for minutes.
// It must be read with bounded work.
func TestHostileVersionTable(t *testing.T) {
	w := native.BuildT(t)
	data, err := os.ReadFile(extractEntry(t, w.Zcrc, "zcrc"+extSuffix(t, w.Zcrc)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	vn := f.SectionByType(elf.SHT_GNU_VERNEED)
	if vn == nil || vn.Size < 32 {
		t.Fatal("the fixture has no version needs to corrupt")
	}
	for off := vn.Offset; off+16 <= vn.Offset+vn.Size; off += 16 {
		rec := data[off : off+16]
		f.ByteOrder.PutUint16(rec[0:], 1)
		f.ByteOrder.PutUint16(rec[2:], 0xffff)
		f.ByteOrder.PutUint32(rec[8:], 0)
		f.ByteOrder.PutUint32(rec[12:], 16)
	}
	if _, err := inspectELF(bytes.NewReader(data), "zcrc.so"); err != nil && !errors.Is(err, ErrBadELF) {
		t.Errorf("error %v is not ErrBadELF", err)
	}
	if _, err := inspectELFDynamic(bytes.NewReader(data), "zcrc.so"); err != nil && !errors.Is(err, ErrBadELF) {
		t.Errorf("error %v is not ErrBadELF", err)
	}
}

func extSuffix(t *testing.T, wheel string) string {
	wr := inspectOne(t, wheel, WithSystem(HostSystem()))
	for _, e := range wr.ELFs {
		if strings.HasPrefix(e.Path, "zcrc.") {
			return strings.TrimPrefix(e.Path, "zcrc")
		}
	}
	t.Fatal("no extension in the zcrc wheel")
	return ""
}
