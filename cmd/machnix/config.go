package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"
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
	Sonames   map[string]string         `toml:"sonames"`
	Providers map[string]string         `toml:"providers"`
	Overrides map[string]toml.Primitive `toml:"overrides"`
	meta      toml.MetaData
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
	cfg.meta = md
	var unknown []string
	for _, key := range md.Undecoded() {
		if len(key) > 0 && key[0] == "overrides" {
			continue // decoded by the stage that owns overrides
		}
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
