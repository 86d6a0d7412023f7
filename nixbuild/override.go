package nixbuild

import (
	"fmt"
	"strings"

	"github.com/machnix/machnix/resolve"
)

// Override changes one wheel's derivation, as mach-nix's `_` argument did.
// machnix.toml holds them as [overrides.<package>] tables; the generated
// expression records each one beside the package it changes.
type Override struct {
	// BuildInputs and NativeBuildInputs edit the lists machnix derives:
	// attribute paths of pkgs (e.g. "libGL", "xorg.libX11") to add or
	// remove.
	BuildInputs       ListEdit `json:"buildInputs,omitzero"`
	NativeBuildInputs ListEdit `json:"nativeBuildInputs,omitzero"`
	// IgnoreMissing are sonames of this package allowed to stay
	// unresolved (autoPatchelfIgnoreMissingDeps), for libraries that come
	// at run time.
	IgnoreMissing []string `json:"ignoreMissing,omitempty"`
	// PythonImportsCheck, when set, replaces the modules machnix found;
	// an empty list turns the check off.
	PythonImportsCheck *[]string `json:"pythonImportsCheck,omitempty"`
	// PreFixup and PostFixup are shell snippets for those phases.
	PreFixup  string `json:"preFixup,omitempty"`
	PostFixup string `json:"postFixup,omitempty"`
	// Env sets further attributes of the derivation, which the builder
	// sees as environment variables: strings, booleans, numbers and lists
	// of them, each keeping its type in the expression.
	Env map[string]any `json:"env,omitempty"`
	// Tests, when set, turns the package's tests (doCheck) on or off,
	// whatever the global setting.
	Tests *bool `json:"tests,omitempty"`
}

// ErrBadOverride wraps problems with an override itself, as opposed to
// the lock it is applied to.
var ErrBadOverride = fmt.Errorf("%w: bad override", ErrCannotGenerate)

// ListEdit adds to and removes from a list of pkgs attribute paths.
type ListEdit struct {
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
}

// reservedAttrs are the attributes machnix writes itself; Env may not
// replace them, or the override would silently undo the diagnosis; tests
// and ignoreMissing are the library's own keys of `_`, read as machnix's
// settings rather than the derivation's.
var reservedAttrs = map[string]bool{
	"pname": true, "version": true, "format": true, "src": true, "nativeBuildInputs": true,
	"buildInputs": true, "dependencies": true, "dontStrip": true, "autoPatchelfIgnoreMissingDeps": true,
	"preFixup": true, "postFixup": true, "pythonImportsCheck": true,
	"doCheck": true, "pyproject": true, "build-system": true, "propagatedBuildInputs": true,
	"dontCheckRuntimeDeps": true, "tests": true, "ignoreMissing": true,
}

// Validate reports the first problem with o, naming the package.
func (o Override) Validate(pkg string) error {
	for what, list := range map[string][]string{
		"buildInputs.add": o.BuildInputs.Add, "buildInputs.remove": o.BuildInputs.Remove,
		"nativeBuildInputs.add": o.NativeBuildInputs.Add, "nativeBuildInputs.remove": o.NativeBuildInputs.Remove,
	} {
		for _, attr := range list {
			if !resolve.IsAttrPath(attr) {
				return fmt.Errorf("%w: [overrides.%s] %s: %q is not a nixpkgs attribute path", ErrBadOverride, pkg, what, attr)
			}
		}
	}
	for _, so := range o.IgnoreMissing {
		if so == "" || strings.ContainsAny(so, "/ \t\n") {
			return fmt.Errorf("%w: [overrides.%s] ignoreMissing: %q is not a soname", ErrBadOverride, pkg, so)
		}
	}
	for k, v := range o.Env {
		if !isIdentifier(k) || reservedAttrs[k] {
			return fmt.Errorf("%w: [overrides.%s] env: %q cannot be set (not an identifier, or written by machnix; use tests = true for doCheck)", ErrBadOverride, pkg, k)
		}
		if _, err := nixValue(v); err != nil {
			return fmt.Errorf("%w: [overrides.%s] env.%s: %v", ErrBadOverride, pkg, k, err)
		}
	}
	return nil
}

// edit applies a ListEdit to a list of attribute paths, keeping order and
// dropping duplicates.
func (e ListEdit) edit(list []string) []string {
	drop := map[string]bool{}
	for _, r := range e.Remove {
		drop[r] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, a := range append(append([]string(nil), list...), e.Add...) {
		if !drop[a] && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}
