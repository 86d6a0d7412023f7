package nixbuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// fixtureLock pins the gcc-built wheels as a resolver would, with the
// report autopatch gives for them.
func fixtureLock(t *testing.T) (*resolve.Lock, *autopatch.NativeReport, native.Wheels) {
	t.Helper()
	w := native.BuildT(t)
	report, err := autopatch.Inspect(context.Background(), w.All(), autopatch.WithNixLocate(false))
	if err != nil {
		t.Fatal(err)
	}
	lock := &resolve.Lock{Version: 1, Target: resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}}
	for _, wr := range report.Wheels {
		data, err := os.ReadFile(wr.File)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		p := resolve.Package{
			Name: pep508.NormalizeName(wr.Name), Version: wr.Version, Provider: resolve.ProviderWheel,
			Filename: filepath.Base(wr.File), URL: "http://127.0.0.1:9/files/" + filepath.Base(wr.File),
			SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
		}
		if p.Name == "consumer" {
			p.Dependencies = []string{"provider"}
		}
		lock.Packages = append(lock.Packages, p)
	}
	return lock, report, w
}

func TestGenerateParsesAndIsDeterministic(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	lock, report, _ := fixtureLock(t)
	a, err := Generate(lock, report)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(lock, report)
	if err != nil || string(a) != string(b) {
		t.Fatalf("two generations differ (err %v)", err)
	}
	path := writeGenerated(t, a, lock, report)
	if out, err := exec.Command("nix-instantiate", "--parse", path).CombinedOutput(); err != nil {
		t.Fatalf("nix-instantiate --parse: %v\n%s\n%s", err, out, a)
	}
	// What the library makes of the lock, evaluated with stand-ins that
	// return their arguments.
	got, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-E", fmt.Sprintf(`
		let
		  e = import %s { pkgs = { fetchurl = x: x.name; autoPatchelfHook = "autoPatchelfHook"; zlib = "zlib"; stdenv.cc.cc.lib = "gcclib"; };
		    python = { pkgs.buildPythonPackage = a: a // { outPath = "/out/${a.pname}"; }; withPackages = g: g; sitePackages = "lib"; }; } { };
		  by = builtins.listToAttrs (map (p: { name = p.pname; value = p; }) e);
		in { inherit (by.zcrc) format buildInputs dontStrip pythonImportsCheck src; consumerPreFixup = by.consumer.preFixup; }`, path)).CombinedOutput()
	if err != nil {
		t.Fatalf("evaluating: %v\n%s", err, got)
	}
	var zcrc struct {
		Format, Src, ConsumerPreFixup   string
		BuildInputs, PythonImportsCheck []string
		DontStrip                       bool
	}
	if err := json.Unmarshal(got, &zcrc); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if zcrc.Format != "wheel" || !zcrc.DontStrip || !slices.Contains(zcrc.BuildInputs, "zlib") || !slices.Equal(zcrc.PythonImportsCheck, []string{"zcrc"}) ||
		!strings.HasSuffix(zcrc.Src, ".whl") || zcrc.ConsumerPreFixup != "addAutoPatchelfSearchPath /out/provider/lib\n" {
		t.Errorf("the library made %+v of the lock", zcrc)
	}
}

func TestNixStringEscapesInterpolation(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	for _, s := range []string{`plain`, `a"quote`, `back\slash`, "${builtins.abort \"x\"}", "new\nline", `$notinterp`} {
		expr := nixString(s)
		out, err := exec.Command("nix-instantiate", "--eval", "--json", "-E", expr).Output()
		if err != nil {
			t.Fatalf("%q → %s: %v", s, expr, err)
		}
		want := fmt.Sprintf("%q", s)
		if strings.TrimSpace(string(out)) != want {
			t.Errorf("%q → %s evaluates to %s", s, expr, out)
		}
	}
}

func TestGenerateRefusesMissingLibraries(t *testing.T) {
	lock, report, _ := fixtureLock(t)
	for i := range report.Wheels {
		if report.Wheels[i].Name == "zcrc" {
			report.Wheels[i].Missing = []string{"libnowhere.so.1"}
		}
	}
	_, err := Generate(lock, report)
	if !errors.Is(err, ErrCannotGenerate) || !strings.Contains(err.Error(), "libnowhere.so.1") {
		t.Fatalf("err %v, want ErrCannotGenerate naming the soname", err)
	}
}

// The generated expression, built by real nix-build against the fixture
// nixpkgs, gives an environment whose python imports the autopatched
// extensions under env -i and prints what the fixtures compute. zcrc's
// zlib is named as a soname row may name it, "a or b": the fixture nixpkgs
// has only b, which must be the one taken.
func TestGeneratedEnvironmentBuildsAndImports(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	lock, report, w := fixtureLock(t)
	for i, wr := range report.Wheels {
		for j, in := range wr.NixInputs {
			if in == "zlib" {
				report.Wheels[i].NixInputs[j] = "zlib_of_a_later_nixpkgs or zlib"
			}
		}
	}
	expr, err := Generate(lock, report)
	if err != nil {
		t.Fatal(err)
	}
	// machnix has the wheels already: adding them as fixed-output paths
	// means fetchurl downloads nothing.
	for _, whl := range w.All() {
		if out, err := exec.Command("nix-store", "--add-fixed", "sha256", whl).CombinedOutput(); err != nil {
			t.Fatalf("nix-store --add-fixed: %v\n%s", err, out)
		}
	}
	cmd := exec.Command("nix-build", "--option", "substituters", "", "--no-out-link",
		"-I", "nixpkgs="+nixpkgs.Dir(), writeGenerated(t, expr, lock, report))
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("nix-build: %v\n%s\n%s", err, stderr, expr)
	}
	env := strings.TrimSpace(string(out))
	script := fmt.Sprintf("import zcrc, bundled, consumer; print(zcrc.crc32(%q.encode())); print(zcrc.rev(%q)); print(bundled.greet()); print(consumer.value())",
		native.ZcrcInput, native.RevInput)
	got, err := exec.Command("env", "-i", env+"/bin/python", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("importing from the environment: %v\n%s", err, got)
	}
	want := fmt.Sprintf("%d\n%s\n%s\n%d", native.ZcrcCRC32(), native.RevOutput(), native.GreetMessage, native.ProviderValue)
	if strings.TrimSpace(string(got)) != want {
		t.Errorf("printed\n%s\nwant\n%s", got, want)
	}
	if hello, err := exec.Command("env", "-i", env+"/bin/zcrc-hello").CombinedOutput(); err != nil || strings.TrimSpace(string(hello)) != native.ExeOutput {
		t.Errorf("the wheel's script printed %q (%v), want %q", hello, err, native.ExeOutput)
	}
}

// Overrides land in the expression, which still parses; shell text with
// ${...} and ” stays literal shell, and an empty pythonImportsCheck turns
// the check off while an absent one keeps machnix's modules.
func TestGenerateOverrides(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	lock, report, _ := fixtureLock(t)
	none := []string{}
	expr, err := Generate(lock, report, WithOverrides(map[string]Override{
		"Bundled": {
			BuildInputs:        ListEdit{Add: []string{"xorg.libX11"}},
			NativeBuildInputs:  ListEdit{Remove: []string{"autoPatchelfHook"}},
			PythonImportsCheck: &none,
			PostFixup:          "echo ${out##*/} ''quoted''",
			Env:                map[string]any{"NIX_DEBUG": "1"},
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	path := writeGenerated(t, expr, lock, report)
	if out, err := exec.Command("nix-instantiate", "--parse", path).CombinedOutput(); err != nil {
		t.Fatalf("nix-instantiate --parse: %v\n%s\n%s", err, out, expr)
	}
	// The postFixup string, as Nix reads it, is the shell text given.
	got, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-E",
		fmt.Sprintf(`let f = import %s; e = f { pkgs = { fetchurl = x: x; autoPatchelfHook = null; zlib = null; "stdenv" = { cc.cc.lib = null; }; xorg.libX11 = "x11"; mkShell = x: x; }; python = { pkgs.buildPythonPackage = a: a; withPackages = g: g; sitePackages = "lib"; }; }; in (builtins.head (builtins.filter (p: p.pname == "bundled") (e {}))).postFixup`, path)).CombinedOutput()
	if err != nil {
		t.Fatalf("evaluating postFixup: %v\n%s", err, got)
	}
	if want := `"echo ${out##*/} ''quoted''\n"`; strings.TrimSpace(string(got)) != want {
		t.Errorf("postFixup evaluates to %s, want %s", got, want)
	}
	attrs, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-E",
		fmt.Sprintf(`let f = import %s; e = f { pkgs = { fetchurl = x: x; autoPatchelfHook = "autoPatchelfHook"; zlib = null; "stdenv" = { cc.cc.lib = null; }; xorg.libX11 = "x11"; mkShell = x: x; }; python = { pkgs.buildPythonPackage = a: a; withPackages = g: g; sitePackages = "lib"; }; }; b = builtins.head (builtins.filter (p: p.pname == "bundled") (e {})); in { inherit (b) buildInputs nativeBuildInputs pythonImportsCheck NIX_DEBUG; }`, path)).CombinedOutput()
	if err != nil {
		t.Fatalf("evaluating bundled: %v\n%s", err, attrs)
	}
	var bundled struct {
		BuildInputs, NativeBuildInputs, PythonImportsCheck []any
		NixDebug                                           string `json:"NIX_DEBUG"`
	}
	if err := json.Unmarshal(attrs, &bundled); err != nil {
		t.Fatalf("%v: %s", err, attrs)
	}
	if !slices.Contains(bundled.BuildInputs, any("x11")) || len(bundled.NativeBuildInputs) != 0 || len(bundled.PythonImportsCheck) != 0 || bundled.NixDebug != "1" {
		t.Errorf("bundled's derivation has %+v, want x11 added, autoPatchelfHook removed, no import check, NIX_DEBUG 1", bundled)
	}
	text := string(expr)
	if !strings.Contains(text, "# machnix.toml [overrides.bundled]") {
		t.Error("the override is not recorded in the expression")
	}

	for name, o := range map[string]Override{
		"absent":  {},
		"bundled": {BuildInputs: ListEdit{Add: []string{"pkgs; evil"}}},
		"zcrc":    {Env: map[string]any{"src": "elsewhere"}},
	} {
		if _, err := Generate(lock, report, WithOverrides(map[string]Override{name: o})); !errors.Is(err, ErrBadOverride) {
			t.Errorf("override %s %+v: %v, want ErrBadOverride", name, o, err)
		}
	}
}
