package options

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// nix-build's --arg NAME EXPR, --argstr NAME VALUE and --option NAME VALUE
// take two words; machnix's flags of those names take them the same way,
// and also as one word NAME=VALUE. A first word that holds "=" with a
// valid NAME before it is the one-word form (a NAME never holds "="); any
// other first word is a NAME and the next word its value.
var (
	nixIdent   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*$`) })
	optionName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`) })
)

// pairFlags are the two-word flags, with what their NAME must match and
// what their second word is called.
var pairFlags = map[string]struct {
	valid func() *regexp.Regexp
	value string
}{
	"arg":    {nixIdent, "EXPR"},
	"argstr": {nixIdent, "VALUE"},
	"option": {optionName, "VALUE"},
}

// JoinNixPairs rewrites each two-word --arg, --argstr and --option of the
// command args name into the one-word NAME=VALUE the flags hold, so that
// flag parsing sees one value per flag. It knows which flags take a value,
// so a value that looks like one of these flags is left alone, and nothing
// after "--" is touched.
func JoinNixPairs(root *cobra.Command, args []string) ([]string, error) {
	c, _, err := root.Find(args)
	if err != nil {
		return args, nil // the command's own parsing reports it
	}
	lookup := func(name string) *pflag.Flag {
		if f := c.Flags().Lookup(name); f != nil {
			return f
		}
		return c.InheritedFlags().Lookup(name)
	}
	short := func(s string) *pflag.Flag {
		if f := c.Flags().ShorthandLookup(s); f != nil {
			return f
		}
		return c.InheritedFlags().ShorthandLookup(s)
	}
	takesValue := func(f *pflag.Flag) bool { return f != nil && f.NoOptDefVal == "" }
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i:]...), nil
		case strings.HasPrefix(a, "--"):
			name, _, inline := strings.Cut(a[2:], "=")
			out = append(out, a)
			f := lookup(name)
			if inline || !takesValue(f) || i+1 >= len(args) {
				continue
			}
			i++
			pair, ok := pairFlags[name]
			if !ok {
				out = append(out, args[i])
				continue
			}
			first := args[i]
			if k, _, has := strings.Cut(first, "="); has && pair.valid().MatchString(k) {
				out = append(out, first)
				continue
			}
			if !pair.valid().MatchString(first) {
				return nil, fmt.Errorf("--%s %q: want NAME %s (or NAME=%s), where NAME is %s", name, first, pair.value, pair.value, nameRule(name))
			}
			if i+1 >= len(args) {
				return nil, fmt.Errorf("--%s %s: no %s follows; want --%s NAME %s (or NAME=%s)", name, first, pair.value, name, pair.value, pair.value)
			}
			i++
			out = append(out, first+"="+args[i])
		case strings.HasPrefix(a, "-") && len(a) > 1:
			out = append(out, a)
			// Shorthands may be combined (-ab); one that takes a value
			// takes the rest of the word, or the next word when it is
			// last.
			for j := 1; j < len(a); j++ {
				if takesValue(short(a[j : j+1])) {
					if j == len(a)-1 && i+1 < len(args) {
						i++
						out = append(out, args[i])
					}
					break
				}
			}
		default:
			out = append(out, a)
		}
	}
	return out, nil
}

func nameRule(flag string) string {
	if flag == "option" {
		return "a Nix setting's name, such as substituters"
	}
	return "a Nix identifier, such as pkgs"
}

// splitPairs turns the values of a two-word flag, each NAME=VALUE, into
// pairs, checking each NAME.
func splitPairs(flag string, values []string) ([][2]string, error) {
	pair := pairFlags[flag]
	var out [][2]string
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !pair.valid().MatchString(k) {
			return nil, fmt.Errorf("--%s %q: want NAME %s (or NAME=%s), where NAME is %s", flag, kv, pair.value, pair.value, nameRule(flag))
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}
