package nixbuild

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/machnix/machnix/testfixtures"
)

// hostileShellText holds every sequence that is special inside a Nix
// indented string, alone and next to each other: quotes before and after
// interpolations, escapes written by hand, dollar runs of both parities.
var hostileShellText = []string{
	`echo '${builtins.readFile /etc/hostname}'`,
	`echo '${out}'`,
	`echo ${out}`,
	`''`, `'''`, `''''`, `'`, `a'`, `'a`, `'$`, `$'`, `$''`, `'${x}`, `''${x}`, `'''${x}`,
	`$${x}`, `$$${x}`, `$$$${x}`, `${`, `$`, `$$`, `''$`, `''\n`, `''\'`, `''\\`, `\${x}`,
	`${'x'}`, "line one'\nline two ${x}'\n  indented ''", "tab\there'", "x = ''${''${y}''}'';",
}

// evalAttr evaluates one attribute of the expression e (a function taking
// stub packages) with nix-instantiate, returning the string Nix reads.
func evalString(t *testing.T, expr string) (string, error) {
	t.Helper()
	out, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-E", expr).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	var s string
	if err := json.Unmarshal(bytes.TrimSpace(out), &s); err != nil {
		return "", fmt.Errorf("nix printed %s", out)
	}
	return s, nil
}

// Shell text from machnix.toml reaches Nix as exactly that text: nothing
// in it is evaluated, and the expression always parses. Before complete
// escaping, '${...} ran Nix code and '${out} broke the file.
func TestOverrideShellTextIsLiteral(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	lock, report, _ := fixtureLock(t)
	for _, text := range hostileShellText {
		expr, err := Generate(lock, report, WithOverrides(map[string]Override{
			"bundled": {PreFixup: text, PostFixup: "x\n" + text},
		}))
		if err != nil {
			t.Fatal(err)
		}
		path := writeGenerated(t, expr, lock, report)
		for attr, want := range map[string]string{"preFixup": text, "postFixup": "x\n" + text} {
			got, err := evalString(t, fmt.Sprintf(`let f = import %s; e = f { pkgs = { fetchurl = x: x; autoPatchelfHook = null; zlib = null; "stdenv" = { cc.cc.lib = null; }; mkShell = x: x; }; python = { pkgs.buildPythonPackage = a: a; withPackages = g: g; sitePackages = "lib"; }; }; in (builtins.head (builtins.filter (p: p.pname == "bundled") (e {}))).%s`, path, attr))
			if err != nil {
				t.Errorf("%s = %q: the expression does not evaluate: %v", attr, text, err)
				continue
			}
			// Nix strips the indentation common to all lines; machnix's
			// own prefix is all of it when a line of the text starts in
			// its first column, which "x" does and the first line of
			// every case does.
			if want = strings.TrimRight(want, "\n") + "\n"; got != want {
				t.Errorf("%s = %q: Nix reads %q", attr, text, got)
			}
		}
	}
}

// The escaping on its own, for sdists' phases too, which are appended to
// the recipe's: every case evaluates to itself.
func TestEscapeIndentedRoundTrips(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	var b strings.Builder
	b.WriteString("[\n")
	for _, text := range hostileShellText {
		b.WriteString("''\n" + escapeIndented(text) + "''\n")
	}
	b.WriteString("]")
	out, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-E", b.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s\n%s", err, out, b.String())
	}
	var got []string
	if err := json.Unmarshal(bytes.TrimSpace(out), &got); err != nil || len(got) != len(hostileShellText) {
		t.Fatalf("nix printed %s (%v)", out, err)
	}
	for i, text := range hostileShellText {
		if got[i] != text {
			t.Errorf("%q reads back as %q", text, got[i])
		}
	}
}

// A Lock value that never went through ReadLock still cannot put Nix code
// into the expression: the generator checks the interpreter and the names
// it pastes itself.
func TestGenerateRefusesHostileLockValues(t *testing.T) {
	lock, report, _ := fixtureLock(t)
	for _, python := range []string{"3.11 or (builtins.readFile /etc/hostname)", "311, evil ? import /etc/passwd", "3", "2.7", "3.x"} {
		l := *lock
		l.Target.Python = python
		if _, err := Generate(&l, report); !errors.Is(err, ErrCannotGenerate) {
			t.Errorf("python %q: %v, want ErrCannotGenerate", python, err)
		}
		if _, err := Shell(&l); !errors.Is(err, ErrCannotGenerate) {
			t.Errorf("shell.nix with python %q: %v, want ErrCannotGenerate", python, err)
		}
	}
	l := *lock
	l.Packages = append(l.Packages[:0:0], lock.Packages...)
	l.Packages[0].Name = "x\n} // import /etc/passwd // {"
	if _, err := Generate(&l, report); !errors.Is(err, ErrCannotGenerate) {
		t.Errorf("a name with a newline: %v, want ErrCannotGenerate", err)
	}
	l.Packages = append(l.Packages[:0:0], lock.Packages...)
	l.Packages[0].Dependencies = []string{"x\n} // import /etc/passwd // {"}
	if _, err := Generate(&l, report); !errors.Is(err, ErrCannotGenerate) {
		t.Errorf("a dependency name with a newline: %v, want ErrCannotGenerate", err)
	}
}

// FuzzEscapeIndented checks escapeIndented against Nix itself: any text,
// escaped and put in an indented string, evaluates to exactly that text.
// Each input costs one nix-instantiate run.
func FuzzEscapeIndented(f *testing.F) {
	testfixtures.RequireTool(f, "nix-instantiate")
	for _, s := range hostileShellText {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		// Nix strings are bytes without NUL. Indentation stripping and
		// dropping a last line of blanks are the indented string's own
		// rules, not escaping, so every line starts and the text ends
		// with an x.
		if strings.ContainsRune(text, 0) || !utf8.ValidString(text) {
			t.Skip()
		}
		text = "x" + strings.ReplaceAll(strings.ReplaceAll(text, "\r", ""), "\n", "\nx") + "x"
		got, err := evalString(t, "''"+escapeIndented(text)+"''")
		if err != nil {
			t.Fatalf("%q escaped as %q: %v", text, escapeIndented(text), err)
		}
		if got != text {
			t.Fatalf("%q escaped as %q reads back as %q", text, escapeIndented(text), got)
		}
	})
}

// Typed override values reach Nix as the values they are: negative
// numbers (which Nix reads as a minus applied, not allowed bare in a list),
// floats with an exponent (Nix wants a dot before it), and lists of them;
// NaN and infinities, which TOML allows and Nix has no literal for, are
// refused.
func TestOverrideValuesEvaluateToThemselves(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	for _, v := range []any{int64(-3), -1.5, 1e300, 1.5e-7, -2e-300, float64(7), []any{int64(-3), 2.5, "x", true}, []any{-1e21}} {
		expr, err := nixValue(v)
		if err != nil {
			t.Errorf("%v: %v", v, err)
			continue
		}
		got, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-E", expr).Output()
		if err != nil {
			t.Errorf("%v rendered as %s does not evaluate: %v", v, expr, err)
			continue
		}
		var back any
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(v)
		var wantBack any
		json.Unmarshal(want, &wantBack)
		if !reflect.DeepEqual(back, wantBack) {
			t.Errorf("%v rendered as %s evaluates to %s", v, expr, got)
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(1), []any{math.Inf(-1)}} {
		if expr, err := nixValue(v); err == nil {
			t.Errorf("%v rendered as %s", v, expr)
		}
	}
}

// An env key reaches default.nix as an attribute name, and a component of
// an attribute path as a selector: a Nix keyword there does not parse
// unquoted, and the library's own keys of `_` (tests, ignoreMissing)
// would be read as machnix's settings instead of the derivation's
// variables. Before, env.with broke the file and env.tests = "yes" set
// doCheck to a string.
func TestKeywordsAndOwnKeysInOverrides(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	keywords := []string{"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"}
	for _, k := range append(slices.Clone(keywords), "tests", "ignoreMissing") {
		if err := (Override{Env: map[string]any{k: "1"}}).Validate("p"); !errors.Is(err, ErrBadOverride) {
			t.Errorf("env key %q accepted: %v", k, err)
		}
	}
	for _, k := range keywords {
		expr := fmt.Sprintf(`let pkgs = { a = { %s = "found"; }; }; in %s`, nixString(k), pkgExpr("a."+k))
		if got, err := evalString(t, expr); err != nil || got != "found" {
			t.Errorf("attribute path a.%s rendered as %s: %q, %v", k, pkgExpr("a."+k), got, err)
		}
	}
}
