package nixpkgs

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// nixRun runs nix-instantiate or nix-build on an expression evaluated with
// the fixture's attributes in scope (config may be "{ }"), and returns its
// combined output and whether it succeeded.
func nixRun(t *testing.T, tool, config, expr string) (string, bool) {
	t.Helper()
	testfixtures.RequireTool(t, "nix-build", "nix-instantiate", "patchelf")
	args := []string{"--option", "substituters", "", "-E", "let pkgs = import " + Dir() + " { config = " + config + "; }; in with pkgs; " + expr}
	switch tool {
	case "nix-build":
		args = append(args, "--no-out-link")
	case "eval":
		tool = "nix-instantiate"
		args = append(args, "--eval", "--strict", "--json")
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	return string(out), err == nil
}

// mustFail checks that the expression fails, saying want.
func mustFail(t *testing.T, tool, config, expr, want string) {
	t.Helper()
	out, ok := nixRun(t, tool, config, expr)
	if ok || !strings.Contains(out, want) {
		t.Errorf("%s %s: succeeded %v, want a failure saying %q:\n%s", tool, expr, ok, want, out)
	}
}

func mustPass(t *testing.T, tool, config, expr string) string {
	t.Helper()
	out, ok := nixRun(t, tool, config, expr)
	if !ok {
		t.Fatalf("%s %s failed:\n%s", tool, expr, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

// mk-python-derivation.nix: pyproject and format together are an
// assertion failure; a format no hook builds fails; an unknown argument
// is an environment variable (no failure), unless its value cannot be one.
func TestBuildPythonPackageIsStrict(t *testing.T) {
	const base = `python3.pkgs.buildPythonPackage { pname = "x"; version = "1"; src = ./.; `
	mustFail(t, "nix-instantiate", "{ }", base+`pyproject = true; format = "setuptools"; }`, "assertion")
	mustFail(t, "nix-instantiate", "{ }", base+`format = "wheels"; }`, "format wheels")
	mustFail(t, "nix-instantiate", "{ }", base+`format = "wheel"; dependecies = { a = 1; }; }`, "cannot coerce")
	mustFail(t, "nix-instantiate", "{ }", base+`format = "wheel"; disabled = true; }`, "not supported")
	mustPass(t, "nix-instantiate", "{ }", base+`format = "wheel"; dependecies = [ ]; }`)
	// overridePythonAttrs keeps the recipe's format: adding pyproject to
	// a format = "setuptools" recipe is the same assertion.
	mustFail(t, "nix-instantiate", "{ }", `python3.pkgs.nixonly.overridePythonAttrs { pyproject = true; }`, "assertion")
}

// withPackages takes the closure of propagated Python modules and fails on
// two different files at one path; a package whose closure holds two
// versions of one distribution fails pythonCatchConflictsHook.
func TestWithPackagesClosureAndConflicts(t *testing.T) {
	env := mustPass(t, "nix-build", "{ }", `python3.withPackages (ps: [ ps.nixonly ])`)
	if out, err := exec.Command("env", "-i", env+"/bin/python", "-c", "import nixonly, nixhelper; print(nixonly.VALUE, nixhelper.VERSION)").CombinedOutput(); err != nil ||
		strings.TrimSpace(string(out)) != "from nixpkgs 1.0 from nixpkgs" {
		t.Errorf("nixonly's propagated nixhelper is not in the environment: %s %v", out, err)
	}
	const other = `(python3.pkgs.nixhelper.overridePythonAttrs (old: { version = "1.1"; postPatch = "sed -i s/1.0/1.1/ setup.py nixhelper/__init__.py"; }))`
	mustFail(t, "nix-build", "{ }", `python3.withPackages (ps: [ ps.nixhelper `+other+` ])`, "collision between")
	mustFail(t, "nix-build", "{ }", `python3.pkgs.nixonly.overridePythonAttrs (old: { doCheck = false; propagatedBuildInputs = [ python3.pkgs.nixhelper `+other+` ]; })`,
		"Found duplicated packages in closure for dependency 'nixhelper'")
}

// pypaBuildHook's "Missing dependencies" and pythonRuntimeDepsCheckHook.
func TestSdistBuildChecksDependencies(t *testing.T) {
	mustFail(t, "nix-build", "{ }", `python3.pkgs.nixhelper.overridePythonAttrs { build-system = [ python3.pkgs.wheel ]; }`, "Missing dependencies")
	mustFail(t, "nix-build", "{ }", `python3.pkgs.nixonly.overridePythonAttrs { format = null; pyproject = true; build-system = [ python3.pkgs.setuptools python3.pkgs.wheel ]; propagatedBuildInputs = [ ]; doCheck = false; }`,
		"nixhelper not installed")
	mustPass(t, "nix-build", "{ }", `python3.pkgs.nixonly.overridePythonAttrs { format = null; pyproject = true; build-system = [ python3.pkgs.setuptools python3.pkgs.wheel ]; }`)
}

// check-meta.nix: unfree and insecure packages refuse to evaluate unless
// config allows them.
func TestUnfreeAndInsecureNeedConfig(t *testing.T) {
	mustFail(t, "nix-instantiate", "{ }", `cudaPackages.libcublas`, "unfree license")
	mustPass(t, "nix-instantiate", "{ allowUnfree = true; }", `cudaPackages.libcublas`)
	mustFail(t, "nix-instantiate", "{ }", `openssl_1_1`, "marked as insecure")
	mustPass(t, "nix-instantiate", `{ permittedInsecurePackages = [ "openssl-1.1.1w" ]; }`, `openssl_1_1`)
	// Used as an input, the package fails too.
	mustFail(t, "nix-instantiate", "{ }", `mkShell { packages = [ cudaPackages.cudnn ]; }`, "unfree license")
}

// fetchurl names the file after the URL's last component unless name is
// given, and Nix refuses what a store name cannot hold.
func TestFetchurlStoreNames(t *testing.T) {
	const hash = `hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";`
	mustFail(t, "nix-instantiate", "{ }", `fetchurl { url = "http://127.0.0.1:9/a-1.0%2Blocal-py3-none-any.whl"; `+hash+` }`, "illegal character")
	mustFail(t, "nix-instantiate", "{ }", `fetchurl { url = "http://127.0.0.1:9/a-1.0-py3-none-any.whl?x=1&y=2"; `+hash+` }`, "illegal character")
	drv := mustPass(t, "nix-instantiate", "{ }", `fetchurl { name = "a-1.0+local-py3-none-any.whl"; url = "http://127.0.0.1:9/a-1.0%2Blocal-py3-none-any.whl"; `+hash+` }`)
	if !strings.HasSuffix(drv, "-a-1.0+local-py3-none-any.whl.drv") {
		t.Errorf("fetchurl with a name gave %s", drv)
	}
	drv = mustPass(t, "nix-instantiate", "{ }", `fetchurl { url = "http://127.0.0.1:9/b-2.0.tar.gz"; `+hash+` }`)
	if !strings.HasSuffix(drv, "-b-2.0.tar.gz.drv") {
		t.Errorf("fetchurl without a name gave %s, want the URL's last component", drv)
	}
}

// The recipes look like nixpkgs' own: tests run by default and fail on a
// source they do not fit, toPythonModule packages have no
// overridePythonAttrs, and a renamed attribute throws.
func TestRecipesLikeNixpkgs(t *testing.T) {
	// The recipe's test file is absent from nixhelper's source.
	mustFail(t, "nix-build", "{ }", `python3.pkgs.nixonly.overridePythonAttrs { src = ./recipes/nixhelper; propagatedBuildInputs = [ ]; }`, "tests/test_recipe.py")
	mustPass(t, "nix-build", "{ }", `python3.pkgs.nixonly.overridePythonAttrs { src = ./recipes/nixhelper; doCheck = false; propagatedBuildInputs = [ ]; pythonImportsCheck = [ ]; }`)
	if out := mustPass(t, "eval", "{ }", `[ (python3.pkgs.nixmodule ? overridePythonAttrs) (python3.pkgs.nixmodule ? overrideAttrs) (python3.pkgs.nixonly ? overridePythonAttrs) ]`); out != "[false,true,true]" {
		t.Errorf("nixmodule has overridePythonAttrs, overrideAttrs; nixonly has overridePythonAttrs: %s, want [false,true,true]", out)
	}
	mustFail(t, "nix-instantiate", "{ }", `python3.pkgs.nix-only`, "renamed")
}

// mkShell builds, as the real one does: it writes $out.
func TestMkShellBuilds(t *testing.T) {
	out := mustPass(t, "nix-build", "{ }", `mkShell { packages = [ zlib ]; }`)
	data, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(data), "zlib-fixture") {
		t.Errorf("mkShell's output %s: %v, want it to record its packages:\n%s", out, err, data)
	}
}

// Every attribute the soname table names (each alternative of an "a or b"
// row) is an attribute of the stand-in, with nixpkgs' name, and
// evaluates to a derivation; a misspelt one fails.
func TestSonameTableAttributesEvaluate(t *testing.T) {
	f, err := os.Open(filepath.Join(testfixtures.RepoRoot(t), "autopatch", "sonames.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	var attrs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if strings.HasPrefix(cols[0], "#") || len(cols) < 3 || cols[1] != "nixpkgs" {
			continue
		}
		for _, alt := range strings.Split(cols[2], " or ") {
			if alt = strings.TrimSpace(alt); !seen[alt] {
				seen[alt] = true
				attrs = append(attrs, alt)
			}
		}
	}
	if len(attrs) < 50 {
		t.Fatalf("only %d attributes read from the table", len(attrs))
	}
	const config = `{ allowUnfree = true; permittedInsecurePackages = [ "openssl-1.1.1w" ]; }`
	var list []string
	for _, a := range attrs {
		list = append(list, "(pkgs."+quoteAttrPath(a)+").drvPath")
	}
	if out, ok := nixRun(t, "eval", config, "[ "+strings.Join(list, " ")+" ]"); !ok {
		t.Errorf("an attribute of the soname table does not evaluate in the stand-in:\n%s", out)
	} else if n := strings.Count(out, ".drv"); n != len(attrs) {
		t.Errorf("%d derivations for %d attributes:\n%s", n, len(attrs), out)
	}
	mustFail(t, "eval", config, "xorg.libx11.drvPath", "attribute 'libx11' missing")
}

func quoteAttrPath(a string) string {
	parts := strings.Split(a, ".")
	for i, p := range parts {
		if strings.ContainsAny(p, "-") {
			parts[i] = `"` + p + `"`
		}
	}
	return strings.Join(parts, ".")
}

// The soname table's X11 rows name the by-name package first and the old
// xorg.* name as the fallback, so they evaluate in a nixpkgs that has only
// the new names and in one that has only the old ones.
func TestSonameTableXorgRowsHaveBothNames(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testfixtures.RepoRoot(t), "autopatch", "sonames.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, line := range strings.Split(string(data), "\n") {
		cols := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(cols) < 3 || !strings.Contains(cols[2], "xorg.") {
			continue
		}
		alts := strings.Split(cols[2], " or ")
		for i := range alts {
			alts[i] = "pkgs." + quoteAttrPath(strings.TrimSpace(alts[i]))
		}
		exprs = append(exprs, "("+strings.Join(alts, " or ")+").drvPath")
	}
	if len(exprs) < 20 {
		t.Fatalf("only %d X11 rows", len(exprs))
	}
	list := "[ " + strings.Join(exprs, " ") + " ]"
	// Only the new names: the xorg set is gone.
	if out, ok := nixRun(t, "eval", "{ }", "let pkgs = removeAttrs (import "+Dir()+" { }) [ \"xorg\" ]; in "+list); !ok {
		t.Errorf("with only the by-name packages: %s", out)
	}
	// Only the old names.
	if out, ok := nixRun(t, "eval", "{ }", "let all = import "+Dir()+" { }; pkgs = { inherit (all) xorg; }; in "+list); !ok {
		t.Errorf("with only the xorg set: %s", out)
	}
}

// pypaInstallHook writes a console script per entry point, which runs
// with an empty environment; installer refuses an entry point without its
// object part (a bare module), and so does the stand-in.
func TestConsoleScripts(t *testing.T) {
	for name, tc := range map[string]struct {
		spec string
		ok   bool
	}{
		"module:object": {"cli_mod:main", true},
		"bare module":   {"cli_mod", false},
		"code":          {"cli_mod:main()", false},
	} {
		t.Run(strings.ReplaceAll(name, " ", "-"), func(t *testing.T) {
			dir := t.TempDir()
			whl, err := testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "clitool", Version: "1.0", Files: []testfixtures.File{
				{Path: "cli_mod.py", Data: []byte("def main():\n    print('cli ran')\n")},
				{Path: "clitool-1.0.dist-info/entry_points.txt", Data: []byte("[console_scripts]\nclitool = " + tc.spec + "\n")},
			}})
			if err != nil {
				t.Fatal(err)
			}
			expr := `python3.pkgs.buildPythonPackage { pname = "clitool"; version = "1.0"; format = "wheel"; src = ` + whl + `; }`
			if !tc.ok {
				mustFail(t, "nix-build", "{ }", expr, "is not module:object")
				return
			}
			out := mustPass(t, "nix-build", "{ }", expr)
			cmd := exec.Command(filepath.Join(out, "bin", "clitool"))
			cmd.Env = []string{}
			got, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(got)) != "cli ran" {
				t.Errorf("clitool: %v, %q", err, got)
			}
		})
	}
}
