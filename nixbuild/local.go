package nixbuild

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/project"
)

// WithProjectBase gives the absolute directory the lock's local project
// paths are relative to: the lock file's directory. A lock with a local
// project needs it.
func WithProjectBase(dir string) GenerateOption {
	return func(g *generator) { g.projectBase = dir }
}

// writeLocal writes a local project: its directory copied into the store
// by builtins.path with project.Filter's rules and the lock's sha256 (so
// Nix refuses files other than the locked ones), built with pyproject =
// true, the locked build system and the locked dependencies. Console
// scripts come from the wheel's entry points, as pypaInstallHook
// installs them.
func writeLocal(b *bytes.Buffer, p resolve.Package, base string, buildSystem []string, tests, cut bool) error {
	if base == "" || !filepath.IsAbs(base) {
		return fmt.Errorf("%w: %s is a local project, and the lock's directory is not known", ErrCannotGenerate, p.Name)
	}
	if err := resolve.CheckProjectPath(p.Path); err != nil {
		return fmt.Errorf("%w: %s: path: %v", ErrCannotGenerate, p.Name, err)
	}
	if !resolve.IsSHA256Hex(p.SHA256) {
		return fmt.Errorf("%w: %s: sha256 %q is not 64 hex digits", ErrCannotGenerate, p.Name, p.SHA256)
	}
	root := filepath.ToSlash(filepath.Join(base, filepath.FromSlash(p.Path)))
	if root == "/" {
		return fmt.Errorf("%w: %s: a project at the file system's root", ErrCannotGenerate, p.Name)
	}
	name := nixString(p.Name)
	fmt.Fprintf(b, "    %s = let\n", name)
	fmt.Fprintf(b, "      # The local project at the lock's path %s.\n      root = %s;\n", nixString(p.Path), nixString(root))
	// The filter is project.Filter's, rule for rule; a test hashes trees
	// with both.
	fmt.Fprintf(b, "      excluded = [ %s ];\n", stringList(project.ExcludedNames()))
	b.WriteString(localFilter)
	b.WriteString("    in python.pkgs.buildPythonPackage {\n")
	fmt.Fprintf(b, "      pname = %s;\n      version = %s;\n      pyproject = true;\n", name, nixString(p.Version))
	fmt.Fprintf(b, "      src = builtins.path { name = %s; path = /. + root; inherit filter; sha256 = %s; };\n", nixString(p.Name+"-source"), nixString(p.SHA256))
	fmt.Fprintf(b, "      build-system = [ %s ];\n", strings.Join(buildSystem, " "))
	fmt.Fprintf(b, "      dependencies = [ %s ];\n", selfList(p.Dependencies))
	fmt.Fprintf(b, "      doCheck = %t;\n", tests)
	if cut {
		b.WriteString("      dontCheckRuntimeDeps = true;\n")
	}
	b.WriteString("    };\n")
	return nil
}

// localFilter is builtins.path's filter for a project under root: a path
// p arrives absolute, its type t as "regular", "directory", "symlink" or
// "unknown".
const localFilter = `      filter = p: t:
        let
          rel = builtins.substring (builtins.stringLength root + 1) (builtins.stringLength p) p;
          base = baseNameOf p;
          top = rel == base;
          len = builtins.stringLength base;
          endsWith = s: len >= builtins.stringLength s
            && builtins.substring (len - builtins.stringLength s) (builtins.stringLength s) base == s;
        in
        !(builtins.elem base excluded || endsWith ".pyc" || endsWith ".egg-info" || t == "unknown"
          || (t == "directory" && builtins.pathExists (p + "/machnix.lock"))
          || (top && t == "directory" && (base == "build" || base == "dist"))
          || (top && t == "symlink" && (base == "result" || builtins.substring 0 7 base == "result-")));
`
