package resolve

import (
	"errors"
	"fmt"
	"github.com/machnix/machnix/resolve/pep508"
	"sort"
	"strings"
)

// DefaultProviders is the preference order used for a package nobody
// configured: a wheel when one fits the target, else build the sdist, else
// take the package from nixpkgs.
var DefaultProviders = []Provider{ProviderWheel, ProviderSdist, ProviderNixpkgs}

// DefaultKey is the package name that sets the order for every package not
// named explicitly ("--provider _default=sdist,wheel").
const DefaultKey = "_default"

// ErrBadProvider is wrapped by errors about provider settings.
var ErrBadProvider = errors.New("bad provider setting")

// ProviderPrefs maps a normalised package name (or DefaultKey) to its
// provider preference order.
type ProviderPrefs map[string][]Provider

// For returns the preference order for one package.
func (p ProviderPrefs) For(name string) []Provider {
	if o, ok := p[pep508.NormalizeName(name)]; ok {
		return o
	}
	if o, ok := p[DefaultKey]; ok {
		return o
	}
	return DefaultProviders
}

// ParseProviderFlags reads "--provider" values of the form
// "numpy=sdist,nixpkgs" or "_default=wheel,nixpkgs". Later flags for the same
// package win.
func ParseProviderFlags(flags []string) (ProviderPrefs, error) {
	m := map[string]string{}
	for _, f := range flags {
		name, list, ok := strings.Cut(f, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("%w: --provider %q: want NAME=PROVIDER[,PROVIDER...], e.g. numpy=sdist,nixpkgs", ErrBadProvider, f)
		}
		m[name] = list
	}
	return ProvidersFromMap(m)
}

// ProvidersFromMap turns a machnix.toml [providers] table (package name to
// a comma-separated order) into ProviderPrefs.
func ProvidersFromMap(m map[string]string) (ProviderPrefs, error) {
	out := ProviderPrefs{}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		key := strings.TrimSpace(n)
		if key != DefaultKey {
			key = pep508.NormalizeName(key)
		}
		var order []Provider
		seen := map[Provider]bool{}
		for _, s := range strings.Split(m[n], ",") {
			p := Provider(strings.TrimSpace(s))
			switch p {
			case ProviderWheel, ProviderSdist, ProviderNixpkgs:
			default:
				return nil, fmt.Errorf("%w: %s: unknown provider %q (want wheel, sdist or nixpkgs)", ErrBadProvider, n, s)
			}
			if seen[p] {
				return nil, fmt.Errorf("%w: %s: provider %s listed twice", ErrBadProvider, n, p)
			}
			seen[p] = true
			order = append(order, p)
		}
		out[key] = order
	}
	return out, nil
}
