package options

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/machnix/machnix/internal/suggest"
	"github.com/machnix/machnix/resolve/reqfile"
)

// SuggestFlags makes an unknown flag's error name the closest flag the
// command has, as cobra does for a misspelt subcommand: "unknown flag:
// --ofline; did you mean --offline?". Every subcommand inherits it.
func SuggestFlags(root *cobra.Command) {
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if msg := err.Error(); strings.HasPrefix(msg, "unknown shorthand flag: 'e'") || strings.HasPrefix(msg, "unknown flag: --editable") {
			return fmt.Errorf("%w: %s", err, reqfile.EditableHint)
		}
		name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
		if !ok {
			return err
		}
		if hint, ok := envBuildsNothing[strings.SplitN(name, "=", 2)[0]]; ok && c.Name() == "env" {
			return fmt.Errorf("%w: machnix env builds nothing; %s", err, hint)
		}
		if best := closestFlag(c, name); best != "" {
			return fmt.Errorf("%w; did you mean --%s?", err, best)
		}
		return err
	})
}

// envBuildsNothing explains the fleet flags of build, which env does not
// take: the folder env writes is built later by nix-build or nix-shell,
// which take Nix's own flags for the same settings.
var envBuildsNothing = map[string]string{
	"builders":            "pass --builders to the nix-build or nix-shell that builds DIR",
	"substituters":        "pass --option extra-substituters URL to the nix-build or nix-shell that builds DIR",
	"trusted-public-keys": "pass --option extra-trusted-public-keys KEY to the nix-build or nix-shell that builds DIR",
	"cache":               "push what nix-build DIR built with nix copy --to URL?secret-key=FILE, or build with machnix build --cache",
	"cache-key":           "push what nix-build DIR built with nix copy --to URL?secret-key=FILE, or build with machnix build --cache",
}

// closestFlag is the flag of c nearest to name (suggest.Closest).
func closestFlag(c *cobra.Command, name string) string {
	var names []string
	visit := func(f *pflag.Flag) { names = append(names, f.Name) }
	c.Flags().VisitAll(visit)
	c.InheritedFlags().VisitAll(visit)
	return suggest.Closest(name, names)
}

// AddVersion gives root --version and a version subcommand, both printing
// the version and the commit machnix was built from.
func AddVersion(root *cobra.Command) {
	bi, _ := debug.ReadBuildInfo()
	root.Version = Version(bi)
	root.SetVersionTemplate("machnix {{.Version}}\n")
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print machnix's version and the commit it was built from",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "machnix %s\n", cmd.Root().Version)
		},
	})
}

// Version is the module version ("(devel)" when built from a checkout)
// and the commit (vcs.revision), marked when the tree had changes
// (vcs.modified).
func Version(bi *debug.BuildInfo) string {
	if bi == nil {
		return "(unknown), commit unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	rev, modified := "unknown", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	v += ", commit " + rev
	if modified {
		v += " with uncommitted changes"
	}
	return v
}
