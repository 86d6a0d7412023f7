package main

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"

	"github.com/machnix/machnix/nixbuild"
)

// defaultConfigFile is read from the working directory when --config is not
// given; it is optional.
const defaultConfigFile = "machnix.toml"

// config is the project file machnix.toml. Each table feeds one stage:
//
//	[sonames]            soname → nixpkgs attribute, extends autopatch's table
//	[providers]          package (or _default) → "wheel,sdist,nixpkgs" order
//	[overrides.<pkg>]    per-package changes to the generated Nix expression
type config struct {
	path      string
	Sonames   map[string]string        `toml:"sonames"`
	Providers map[string]string        `toml:"providers"`
	Overrides map[string]overrideTable `toml:"overrides"`
}

// overrideTable is one [overrides.<package>] table: the changes to the
// package's derivation, and optionally its provider order (the same as a
// [providers] row, kept beside the package's other settings).
type overrideTable struct {
	nixbuild.Override
	Provider string `toml:"provider"`
}

// nixOverrides are the overrides that change derivations.
func (c *config) nixOverrides() map[string]nixbuild.Override {
	out := map[string]nixbuild.Override{}
	for name, o := range c.Overrides {
		if !reflect.DeepEqual(o.Override, nixbuild.Override{}) {
			out[name] = o.Override
		}
	}
	return out
}

// providerTable merges [providers] with the provider rows of [overrides.*];
// naming a package in both is an error rather than a silent choice.
func (c *config) providerTable() (map[string]string, error) {
	out := map[string]string{}
	for k, v := range c.Providers {
		out[k] = v
	}
	for name, o := range c.Overrides {
		if o.Provider == "" {
			continue
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%s: %s has a provider in both [providers] and [overrides.%s]; keep one", c.path, name, name)
		}
		out[name] = o.Provider
	}
	return out, nil
}

// loadConfig reads the file named by --config, or machnix.toml when present.
// Unknown keys are errors: a misspelt table would otherwise be ignored
// silently and the build would differ from what the user wrote.
func loadConfig(path string) (*config, error) {
	explicit := path != ""
	if !explicit {
		path = defaultConfigFile
	}
	cfg := &config{path: path}
	md, err := toml.DecodeFile(path, cfg)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return &config{}, nil
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var unknown []string
	for _, key := range md.Undecoded() {
		unknown = append(unknown, key.String())
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%s: unknown keys %s (known tables: [sonames], [providers], [overrides.<package>])", path, strings.Join(unknown, ", "))
	}
	return cfg, nil
}

// configFor loads the configuration named by the persistent --config flag.
func configFor(cmd *cobra.Command) (*config, error) {
	path, _ := cmd.Flags().GetString("config")
	return loadConfig(path)
}
