package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/machnix/machnix/internal/suggest"
	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/resolve"
)

// DefaultConfigFile is read from the working directory when no config file
// is named; it is optional.
const DefaultConfigFile = "machnix.toml"

// Config is the project file machnix.toml. Each table feeds one stage:
//
//	[sonames]            soname → nixpkgs attribute, extends autopatch's table
//	[providers]          package (or _default) → "wheel,sdist,nixpkgs" order
//	[overrides.<pkg>]    per-package changes to the generated Nix expression
//	tests = true         run every package's tests (doCheck); an override's
//	                     tests = true|false wins for its package
//	allowUnfree = true   let packages need unfree nixpkgs packages (CUDA's):
//	                     the generated expressions import nixpkgs with
//	                     config.allowUnfree = true
type Config struct {
	// Path is the file the config was read from, "" when there was none.
	Path      string                   `toml:"-" json:"path,omitempty"`
	Sonames   map[string]string        `toml:"sonames" json:"sonames,omitempty"`
	Providers map[string]string        `toml:"providers" json:"providers,omitempty"`
	Overrides map[string]OverrideTable `toml:"overrides" json:"overrides,omitempty"`
	Tests     bool                     `toml:"tests" json:"tests,omitempty"`
	// AllowUnfree is the same as the --allow-unfree flag.
	AllowUnfree bool `toml:"allowUnfree" json:"allow_unfree,omitempty"`
}

// OverrideTable is one [overrides.<package>] table: the changes to the
// package's derivation, and optionally its provider order (the same as a
// [providers] row, kept beside the package's other settings).
type OverrideTable struct {
	nixbuild.Override
	Provider string `toml:"provider" json:"provider,omitempty"`
}

// LoadConfig reads path, or machnix.toml when path is "" and that file
// exists. Unknown keys are errors: a misspelt table would otherwise be
// ignored silently and the build would differ from what the user wrote.
func LoadConfig(path string) (*Config, error) {
	explicit := path != ""
	if !explicit {
		path = DefaultConfigFile
	}
	cfg := &Config{Path: path}
	md, err := toml.DecodeFile(path, cfg)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return &Config{}, nil
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var unknown []string
	for _, key := range md.Undecoded() {
		u := key.String()
		if best := suggest.Closest(key[len(key)-1], knownKeys(key)); best != "" {
			u += " (did you mean " + best + "?)"
		}
		unknown = append(unknown, u)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%s: unknown keys %s (known: tests, allowUnfree, [sonames], [providers], [overrides.<package>])", path, strings.Join(unknown, ", "))
	}
	return cfg, nil
}

// knownKeys are the keys machnix.toml may hold where key's last part is:
// the top level's, an [overrides.<package>] table's, or a list edit's.
func knownKeys(key toml.Key) []string {
	switch {
	case len(key) == 1:
		return []string{"tests", "allowUnfree", "sonames", "providers", "overrides"}
	case len(key) == 3 && key[0] == "overrides":
		return append(jsonNames(reflect.TypeFor[nixbuild.Override]()), "provider")
	case len(key) == 4 && key[0] == "overrides" && strings.HasSuffix(key[2], "uildInputs"):
		return jsonNames(reflect.TypeFor[nixbuild.ListEdit]())
	}
	return nil
}

// jsonNames are the names t's fields go by in machnix.toml (their json
// names, which toml matches regardless of case).
func jsonNames(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// overrides are the overrides that change derivations.
func (c *Config) overrides() map[string]nixbuild.Override {
	out := map[string]nixbuild.Override{}
	if c == nil {
		return out
	}
	for name, o := range c.Overrides {
		if !reflect.DeepEqual(o.Override, nixbuild.Override{}) {
			out[name] = o.Override
		}
	}
	return out
}

// providers merges [providers] with the provider rows of [overrides.*]
// and then with rows given on the command line, which win; naming a
// package in both tables is an error rather than a silent choice.
func (c *Config) providers(flagRows []string) (resolve.ProviderPrefs, error) {
	table := map[string]string{}
	if c != nil {
		maps.Copy(table, c.Providers)
		for name, o := range c.Overrides {
			if o.Provider == "" {
				continue
			}
			if _, dup := table[name]; dup {
				return nil, fmt.Errorf("%s: %s has a provider in both [providers] and [overrides.%s]; keep one", c.Path, name, name)
			}
			table[name] = o.Provider
		}
	}
	prefs, err := resolve.ProvidersFromMap(table)
	if err != nil {
		return nil, fmt.Errorf("%s [providers]: %w", c.Path, err) // only a config has rows
	}
	fromFlags, err := resolve.ParseProviderFlags(flagRows)
	if err != nil {
		return nil, err
	}
	for k, v := range fromFlags {
		if prefs == nil {
			prefs = resolve.ProviderPrefs{}
		}
		prefs[k] = v
	}
	return prefs, nil
}

// sonames are the [sonames] rows, or none.
func (c *Config) sonames() map[string]string {
	if c == nil {
		return nil
	}
	return c.Sonames
}
