package scenario

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// Every case under ../shared/scenarios: all non-universal packse scenarios
// and all resolvelib cases must pass; the 36 universal ones are counted
// apart, and all must pass but lock-without-metadata, skipped with the
// reason: its expected pins come from a workspace and groups its file
// does not hold (uv generates no test from it either: [testgen] disable).
func TestSharedScenarios(t *testing.T) {
	root := testfixtures.SharedDir(t, "scenarios")
	cases, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	results := RunAll(context.Background(), cases)
	var packse, resolvelib int
	for _, r := range results {
		switch {
		case r.Status == Fail:
			t.Errorf("%s (%s): %s", r.Name, r.Source, r.Reason)
		case r.Status == Skip && !r.Universal:
			t.Errorf("%s (%s) was skipped: %s", r.Name, r.Source, r.Reason)
		}
		if r.Universal {
			continue
		}
		if strings.HasSuffix(r.Source, ".toml") {
			packse++
		} else {
			resolvelib++
		}
	}
	c := Count(results)
	t.Logf("%d passed, %d failed, %d skipped (%d universal)", c.Passed, c.Failed, c.Skipped, c.Universal)
	if c.Universal != 36 || c.UniversalPassed < 35 {
		t.Errorf("universal scenarios: %d passed of %d; want 35 of 36 at least (lock-without-metadata expects pins its file cannot reach)", c.UniversalPassed, c.Universal)
	}
	if packse != 90 || resolvelib == 0 {
		t.Errorf("ran %d non-universal packse scenarios and %d resolvelib cases; want 90 and all of them", packse, resolvelib)
	}
}

// Cases written here, so that a fresh clone without ../shared still checks
// the semantics the suites pin down, and that the harness itself tells a
// wrong expectation from a right one.
var hermetic = map[string]string{
	// Universal: the forks' versions of one package read "v1|v2", and a
	// dependency whose marker contradicts its fork's is left out.
	"universal-fork-inherit.toml": `
name = "universal-fork-inherit"
[resolver_options]
universal = true
[root]
requires = ["a>=2 ; sys_platform == 'linux'", "a<2 ; sys_platform == 'darwin'"]
[expected]
satisfiable = true
[expected.packages]
a = "1.0.0|2.0.0"
[packages.a.versions."1.0.0"]
requires = ["b ; sys_platform == 'linux'"]
[packages.a.versions."2.0.0"]
[packages.b.versions."1.0.0"]
`,
	// The same markers with contradicting requirements: no fork can
	// hold both, so there is no solution.
	"universal-disjoint-conflict.toml": `
name = "universal-disjoint-conflict"
[resolver_options]
universal = true
[root]
requires = ["a>=2 ; os_name == 'nt'", "a<2 ; sys_platform == 'win32'"]
[expected]
satisfiable = false
[packages.a.versions."1.0.0"]
[packages.a.versions."2.0.0"]
`,
	// A pin matches only when every fork that installs the package chose
	// it: this expectation is wrong and must fail.
	"universal-wrong-pin.toml": `
name = "universal-wrong-pin"
[resolver_options]
universal = true
[root]
requires = ["a>=2 ; sys_platform == 'linux'", "a<2 ; sys_platform == 'darwin'"]
[expected]
satisfiable = true
[expected.packages]
a = "2.0.0"
[packages.a.versions."1.0.0"]
[packages.a.versions."2.0.0"]
`,
	// Final releases come first; a pre-release only when none works.
	"prerelease-fallback.toml": `
name = "prerelease-fallback"
[root]
requires = ["a==1.0.0", "c>=1.0.0"]
[expected]
satisfiable = true
[expected.packages]
a = "1.0.0"
c = "1.5.0a1"
[packages.a.versions."1.0.0"]
[packages.a.versions."2.0.0"]
[packages.c.versions."1.0.0"]
requires = ["a>=2.0.0"]
[packages.c.versions."1.5.0a1"]
[packages.c.versions."0.9.0"]
requires = ["a>=2.0.0"]
`,
	"prerelease-explicit-still-prefers-final.toml": `
name = "prerelease-explicit-still-prefers-final"
[root]
requires = ["a>=0.1.0a1"]
[expected]
satisfiable = true
[expected.packages]
a = "0.3.0"
[packages.a.versions."0.1.0"]
[packages.a.versions."0.3.0"]
[packages.a.versions."1.0.0a1"]
`,
	// A root pin on a yanked version makes it eligible everywhere.
	"yanked-root-pin.toml": `
name = "yanked-root-pin"
[root]
requires = ["a", "b==1.0.0"]
[expected]
satisfiable = true
[expected.packages]
a = "0.1.0"
b = "1.0.0"
[packages.a.versions."0.1.0"]
requires = ["b>0.1"]
[packages.b.versions."0.1.0"]
[packages.b.versions."1.0.0"]
yanked = true
`,
	"yanked-transitive-only.toml": `
name = "yanked-transitive-only"
[root]
requires = ["a"]
[expected]
satisfiable = false
[packages.a.versions."0.1.0"]
requires = ["b"]
[packages.b.versions."1.0.0"]
yanked = true
`,
	// Requires-Python upper bounds are ignored; lower bounds are not.
	"requires-python-bounds.toml": `
name = "requires-python-bounds"
[root]
requires = ["a", "b"]
[expected]
satisfiable = true
[expected.packages]
a = "1.0.0"
b = "1.0.0"
[packages.a.versions."1.0.0"]
requires_python = "<=3.8"
[packages.b.versions."1.0.0"]
[packages.b.versions."2.0.0"]
requires_python = ">=3.12"
[environment]
python = "3.9"
`,
	// Only an sdist, and only a wheel for another platform; no_build
	// turns the sdist away.
	"sdist-only-and-no-build.toml": `
name = "sdist-only-and-no-build"
[root]
requires = ["a", "b"]
[expected]
satisfiable = true
[expected.packages]
a = "1.0.0"
b = "1.0.0"
[packages.a.versions."1.0.0"]
wheel = false
[packages.b.versions."1.0.0"]
[packages.b.versions."2.0.0"]
wheel_tags = ["cp312-abi3-win_amd64"]
[resolver_options]
no_build = ["b"]
`,
	// The harness must report a wrong expectation as a failure.
	"wrong-expectation.toml": `
name = "wrong-expectation"
[root]
requires = ["a"]
[expected]
satisfiable = true
[expected.packages]
a = "1.0.0"
[packages.a.versions."1.0.0"]
[packages.a.versions."2.0.0"]
`,
}

func TestHermeticCases(t *testing.T) {
	dir := t.TempDir()
	for name, text := range hermetic {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != len(hermetic) {
		t.Fatalf("loaded %d cases from %d files", len(cases), len(hermetic))
	}
	for _, r := range RunAll(context.Background(), cases) {
		want := Pass
		if r.Name == "wrong-expectation" || r.Name == "universal-wrong-pin" {
			want = Fail
		}
		if r.Status != want {
			t.Errorf("%s: %s (%s), want %s", r.Name, r.Status, r.Reason, want)
		}
	}
}

func TestLoadRejectsUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.toml")
	if err := os.WriteFile(path, []byte("name = \"x\"\nsurprise = 1\n[root]\n[expected]\nsatisfiable = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "surprise") {
		t.Errorf("err %v, want one naming the unknown key", err)
	}
}

// resolvelib's case files write conflicted as a list or as a mapping of
// names to specifiers, unvisited likewise, and a resolved entry as a
// version or as an object with a marker: every form is read, and a marker
// that does not hold on the target means the package must not be pinned.
func TestResolvelibCaseForms(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "case"), 0o755)
	os.MkdirAll(filepath.Join(dir, "index"), 0o755)
	index := `{"a": {"1": {"dependencies": ["b<2"]}}, "b": {"1": {"dependencies": []}, "2": {"dependencies": []}},
	  "old": {"1": {"dependencies": []}}, "c": {"1": {"dependencies": ["b>=2"]}}}`
	os.WriteFile(filepath.Join(dir, "index", "forms.json"), []byte(index), 0o644)
	cases := map[string]struct {
		text string
		want Status
	}{
		"conflict-list":     {`{"index": "forms", "requested": ["a", "c"], "resolved": {}, "conflicted": ["b"]}`, Pass},
		"conflict-mapping":  {`{"index": "forms", "requested": ["a", "c"], "resolved": {}, "conflicted": {"b": ["<2", ">=2"]}}`, Pass},
		"unvisited-mapping": {`{"index": "forms", "requested": ["a"], "resolved": {"a": "1", "b": "1"}, "unvisited": {"b": ["2"]}}`, Pass},
		"unvisited-list":    {`{"index": "forms", "requested": ["a"], "resolved": {"a": "1", "b": "1"}, "unvisited": ["c"]}`, Pass},
		"marker-false": {`{"index": "forms", "requested": ["a", "old; python_version < '3'"],
			"resolved": {"a": "1", "b": "1", "old": {"version": "1", "marker": "python_version < '3'"}}}`, Pass},
		"marker-true": {`{"index": "forms", "requested": ["a", "old; python_version >= '3'"],
			"resolved": {"a": "1", "b": "1", "old": {"version": "1", "marker": "python_version >= '3'"}}}`, Pass},
		// The harness must fail a case whose marker says the package is
		// pinned when it is not.
		"marker-wrong": {`{"index": "forms", "requested": ["a"],
			"resolved": {"a": "1", "b": "1", "old": {"version": "1", "marker": "python_version >= '3'"}}}`, Fail},
	}
	for name, c := range cases {
		os.WriteFile(filepath.Join(dir, "case", name+".json"), []byte(c.text), 0o644)
	}
	loaded, err := Load(filepath.Join(dir, "case"))
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != len(cases) {
		t.Fatalf("loaded %d cases of %d", len(loaded), len(cases))
	}
	for _, r := range RunAll(context.Background(), loaded) {
		if want := cases[r.Name].want; r.Status != want {
			t.Errorf("%s: %s (%s), want %s", r.Name, r.Status, r.Reason, want)
		}
	}
	os.WriteFile(filepath.Join(dir, "case", "bad.json"), []byte(`{"index": "forms", "requested": ["a"], "conflicted": 3}`), 0o644)
	if _, err := Load(filepath.Join(dir, "case", "bad.json")); err == nil {
		t.Error("a conflicted that is neither a list nor a mapping was accepted")
	}
}
