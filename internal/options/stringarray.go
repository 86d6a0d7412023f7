package options

import (
	"strings"

	"github.com/spf13/pflag"
)

// stringArray is pflag's stringArray flag (each use adds one value, commas
// and all) without its start-up cost: pflag renders every such flag's
// default through an encoding/csv writer with a 4 KB buffer as the flag
// is defined, and machnix defines about fifty on every run, whatever the
// subcommand (a millisecond of a resolution).
type stringArray struct {
	p       *[]string
	changed bool
}

// stringArrayVarP is pflag's StringArrayVarP.
func stringArrayVarP(f *pflag.FlagSet, p *[]string, name, shorthand string, value []string, usage string) {
	*p = value
	f.VarP(&stringArray{p: p}, name, shorthand, usage)
}

// stringArrayVar is pflag's StringArrayVar.
func stringArrayVar(f *pflag.FlagSet, p *[]string, name string, value []string, usage string) {
	stringArrayVarP(f, p, name, "", value, usage)
}

func (s *stringArray) Set(v string) error {
	if !s.changed {
		*s.p, s.changed = []string{v}, true
	} else {
		*s.p = append(*s.p, v)
	}
	return nil
}

func (s *stringArray) Append(v string) error {
	*s.p = append(*s.p, v)
	return nil
}

func (s *stringArray) Replace(vs []string) error {
	*s.p = append([]string(nil), vs...)
	return nil
}

func (s *stringArray) GetSlice() []string { return append([]string(nil), *s.p...) }

// Type names the flag's type in help as pflag's own does.
func (s *stringArray) Type() string { return "stringArray" }

// String is empty without values, so help shows no default, as for
// pflag's own.
func (s *stringArray) String() string {
	if len(*s.p) == 0 {
		return ""
	}
	return "[" + strings.Join(*s.p, ",") + "]"
}
