package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/machnix/machnix/testfixtures"
)

// Every flag of every command is in the README, and every flag the README
// names for machnix exists: help and documentation cannot drift apart.
func TestREADMEDocumentsEveryFlag(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testfixtures.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	flags := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			flags[f.Name] = true
		}
		c.LocalFlags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root := newRootCmd(io.Discard, io.Discard)
	walk(root)
	if root.Version != "" {
		flags["version"] = true // cobra adds the flag when it runs
	}
	var undocumented []string
	for name := range flags {
		if !regexp.MustCompile(`--` + regexp.QuoteMeta(name) + `\b`).MatchString(readme) {
			undocumented = append(undocumented, "--"+name)
		}
	}
	sort.Strings(undocumented)
	if len(undocumented) > 0 {
		t.Errorf("flags the README does not mention: %v", undocumented)
	}

	// Flags named in the README's command sections that no command has.
	// Flags of other programs (nix-build, pip, fuzzing) are named with
	// their program, outside machnix's command lines.
	var unknown []string
	for _, line := range strings.Split(readme, "\n") {
		if !strings.Contains(line, "machnix ") && !strings.HasPrefix(line, "Flags:") {
			continue
		}
		for _, m := range regexp.MustCompile(`(\S*)\s+--([a-z][a-z0-9-]+)`).FindAllStringSubmatch(line, -1) {
			m = []string{m[0], m[2], m[1]}
			if strings.HasPrefix(strings.Trim(m[2], "`("), "nix-") {
				continue // nix-build's or nix-store's own flag
			}
			if !flags[m[1]] && !slices.Contains(unknown, "--"+m[1]) {
				unknown = append(unknown, "--"+m[1])
			}
		}
	}
	if len(unknown) > 0 {
		t.Errorf("the README names flags no command has: %v", unknown)
	}
}
