package nixbuild

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
)

// buildPins are the lock's build packages: what an sdist's build-system
// is made of. A wheel pin becomes a derivation of its own in buildFixed,
// apart from the environment's packages; a nixpkgs pin is python.pkgs'
// attribute as it is.
type buildPins struct {
	pins map[string]resolve.Package
	// kept are each pin's dependencies with the back edges of cycles
	// left out, as for the environment's packages.
	kept, dropped map[string][]string
	names         []string
}

func newBuildPins(pkgs []resolve.Package) (*buildPins, error) {
	bp := &buildPins{pins: map[string]resolve.Package{}}
	for _, p := range pkgs {
		if !resolve.IsNormalizedName(p.Name) {
			return nil, fmt.Errorf("%w: build package name %q is not a normalised project name", ErrCannotGenerate, p.Name)
		}
		switch p.Provider {
		case resolve.ProviderWheel:
		case resolve.ProviderNixpkgs:
			if !resolve.IsAttrPath(p.NixAttr) {
				return nil, fmt.Errorf("%w: build package %s comes from nixpkgs but names no attribute", ErrCannotGenerate, p.Name)
			}
		default:
			return nil, fmt.Errorf("%w: build package %s: provider %q (a build package is a wheel or comes from nixpkgs)", ErrCannotGenerate, p.Name, p.Provider)
		}
		bp.pins[p.Name] = p
		bp.names = append(bp.names, p.Name)
	}
	slices.Sort(bp.names)
	sorted := make([]resolve.Package, len(bp.names))
	for i, n := range bp.names {
		sorted[i] = bp.pins[n]
	}
	bp.kept, bp.dropped = breakCycles(sorted)
	return bp, nil
}

// ref is the Nix expression of a build pin.
func (bp *buildPins) ref(name string) string {
	p := bp.pins[name]
	if p.Provider == resolve.ProviderNixpkgs {
		return "python.pkgs." + attrPath(p.NixAttr)
	}
	return "buildFixed." + nixString(name)
}

// write opens buildPackages, the wheels an sdist build needs, installed
// as nixpkgs installs any wheel; their tests and import checks are off,
// since they only run inside builds.
func (bp *buildPins) write(b *bytes.Buffer) error {
	var wheels []resolve.Package
	for _, n := range bp.names {
		if bp.pins[n].Provider == resolve.ProviderWheel {
			wheels = append(wheels, bp.pins[n])
		}
	}
	if len(wheels) == 0 {
		return nil
	}
	b.WriteString("  # What the sdists' builds need (build_packages of the lock), never in\n  # the environment itself.\n")
	b.WriteString("  buildPackages = self: {\n")
	for _, p := range wheels {
		for _, d := range bp.dropped[p.Name] {
			fmt.Fprintf(b, "    # %s needs %s, which needs it back: that edge is left out here.\n", p.Name, d)
		}
		sri, err := sriHash(p.SHA256)
		if err != nil {
			return fmt.Errorf("%w: build package %s: %v", ErrCannotGenerate, p.Name, err)
		}
		deps := make([]string, 0, len(bp.kept[p.Name]))
		for _, d := range bp.kept[p.Name] {
			if _, ok := bp.pins[d]; !ok {
				return fmt.Errorf("%w: build package %s depends on %s, which build_packages does not pin", ErrCannotGenerate, p.Name, d)
			}
			deps = append(deps, bp.ref(d))
		}
		fmt.Fprintf(b, "    %s = python.pkgs.buildPythonPackage {\n", nixString(p.Name))
		fmt.Fprintf(b, "      pname = %s;\n      version = %s;\n      format = \"wheel\";\n", nixString(p.Name), nixString(p.Version))
		fmt.Fprintf(b, "      src = pkgs.fetchurl { name = %s; url = %s; hash = %s; };\n", nixString(StoreName(p)), nixString(p.URL), nixString(sri))
		fmt.Fprintf(b, "      dependencies = [ %s ];\n", strings.Join(deps, " "))
		b.WriteString("      dontStrip = true;\n      doCheck = false;\n      pythonImportsCheck = [ ];\n    };\n")
	}
	b.WriteString("  };\n  buildFixed = buildPackages buildFixed;\n")
	return nil
}

// buildSystem is an sdist's build-system from the build requirements the
// lock records for it: each requirement's pin and the pins it depends
// on (a build puts only build-system itself on its path), or nixpkgs'
// package of that name when the lock pins none.
func (bp *buildPins) buildSystem(sdist string, requires []string) ([]string, error) {
	var out, names []string
	seen := map[string]bool{}
	add := func(ref string) {
		if !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	var walk func(string)
	walk = func(n string) {
		ref := bp.ref(n)
		if seen[ref] {
			return
		}
		add(ref)
		deps := slices.Clone(bp.pins[n].Dependencies)
		slices.Sort(deps)
		for _, d := range deps {
			if _, ok := bp.pins[d]; ok {
				walk(d)
			}
		}
	}
	for _, r := range requires {
		req, err := pep508.ParseRequirement(r)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: build requirement %q: %v", ErrCannotGenerate, sdist, r, err)
		}
		n := req.Normalized()
		names = append(names, n)
		if _, ok := bp.pins[n]; ok {
			walk(n)
		} else {
			add("python.pkgs." + attrPath(n))
		}
	}
	return withSetuptoolsWheel(out, names), nil
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
