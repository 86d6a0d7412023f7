package nixbuild

import (
	"fmt"
	"slices"
	"strings"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/resolve/pep508"
)

// ErrMissingLibrary is wrapped when a wheel needs a native library that
// nothing provides: the build would fail in auto-patchelf, or import would.
var ErrMissingLibrary = fmt.Errorf("%w: native libraries are missing", ErrCannotGenerate)

// checkMissing describes every needed library that nothing provides, with
// the fix, leaving out the sonames ignored for every wheel and those a
// package's override ignores. It is the one rule for what may stay
// unresolved, so the diagnosis before Nix and the generated
// autoPatchelfIgnoreMissingDeps agree.
func checkMissing(report *autopatch.NativeReport, ignore map[string]bool, overrides map[string]Override) error {
	if report == nil {
		return nil
	}
	var b strings.Builder
	for _, w := range report.Wheels {
		name := pep508.NormalizeName(w.Name)
		for _, soname := range w.Missing {
			if ignoredFor(soname, name, ignore, overrides) {
				continue
			}
			var needers []string
			for _, e := range w.ELFs {
				if slices.ContainsFunc(e.Deps, func(d autopatch.Dep) bool {
					return d.Soname == soname && (d.Status == autopatch.StatusMissing || d.Status == autopatch.StatusOtherPython)
				}) {
					needers = append(needers, e.Path)
				}
			}
			if len(needers) == 0 {
				needers = []string{"a library of it"}
			}
			for _, path := range needers {
				fmt.Fprintf(&b, "  %s %s: %s needs %s, which nothing provides\n", w.Name, w.Version, path, soname)
			}
			if other := w.OtherPython(soname); other != "" {
				fmt.Fprintf(&b, "    the wheel was built for %s, not for the lock's Python: pin a wheel built for it (machnix resolve --python)\n", other)
				continue
			}
			fmt.Fprintf(&b, "    fix: add to machnix.toml\n      [sonames]\n      %q = \"<nixpkgs attribute>\"\n", soname)
			fmt.Fprintf(&b, "    or, if it comes at run time, pass --ignore-missing %s or add to machnix.toml\n      [overrides.%s]\n      ignoreMissing = [%q]\n",
				soname, name, soname)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return fmt.Errorf("%w; stopping before Nix:\n%s", ErrMissingLibrary, strings.TrimRight(b.String(), "\n"))
}

func ignoredFor(soname, pkg string, ignore map[string]bool, overrides map[string]Override) bool {
	return ignore[soname] || slices.Contains(overrides[pkg].IgnoreMissing, soname)
}
