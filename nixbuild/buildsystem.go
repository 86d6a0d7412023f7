package nixbuild

import (
	"fmt"
	"slices"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
)

// checkBuildPins refuses a build package the library (nix/locked.nix)
// could not build: what an sdist's build-system is made of is a wheel,
// which becomes a derivation of its own there, or python.pkgs' attribute
// as it is.
func checkBuildPins(pkgs []resolve.Package) error {
	for _, p := range pkgs {
		if !resolve.IsNormalizedName(p.Name) {
			return fmt.Errorf("%w: build package name %q is not a normalised project name", ErrCannotGenerate, p.Name)
		}
		switch p.Provider {
		case resolve.ProviderWheel:
		case resolve.ProviderNixpkgs:
			if !resolve.IsAttrPath(p.NixAttr) {
				return fmt.Errorf("%w: build package %s comes from nixpkgs but names no attribute", ErrCannotGenerate, p.Name)
			}
		default:
			return fmt.Errorf("%w: build package %s: provider %q (a build package is a wheel or comes from nixpkgs)", ErrCannotGenerate, p.Name, p.Provider)
		}
	}
	return nil
}

// nixpkgsBuildSystem is the build-system of an sdist whose lock records
// no build requirements (a lock from before they were): nixpkgs'
// package of each name the sdist declares.
func nixpkgsBuildSystem(sdist string, requires []string) ([]string, error) {
	var out, names []string
	seen := map[string]bool{}
	for _, r := range requires {
		req, err := pep508.ParseRequirement(r)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: build-system requirement %q: %v", ErrCannotGenerate, sdist, r, err)
		}
		if n := req.Normalized(); !seen[n] {
			seen[n] = true
			names = append(names, n)
			out = append(out, "python.pkgs."+attrPath(n))
		}
	}
	return withSetuptoolsWheel(out, names), nil
}

// withSetuptoolsWheel adds nixpkgs' wheel beside setuptools: setuptools
// before 70.1 asks for wheel only through PEP 517's
// get_requires_for_build_wheel, which a build without isolation cannot
// satisfy then; nixpkgs has wheel either way.
func withSetuptoolsWheel(buildSystem, names []string) []string {
	if slices.Contains(names, "setuptools") && !slices.Contains(names, "wheel") {
		return append(buildSystem, "python.pkgs.wheel")
	}
	return buildSystem
}
