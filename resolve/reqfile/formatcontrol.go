package reqfile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/machnix/machnix/resolve/pep508"
)

// formatControl mirrors pip's FormatControl: --only-binary and
// --no-binary each hold names or ":all:", and naming a package in one
// removes it from the other.
type formatControl struct {
	only, no map[string]bool
}

func newFormatControl() *formatControl {
	return &formatControl{only: map[string]bool{}, no: map[string]bool{}}
}

// add applies one --only-binary (only true) or --no-binary value: a
// comma list where ":all:" replaces both sets and ":none:" clears the
// target.
func (f *formatControl) add(value string, only bool) error {
	if value == "" || strings.HasPrefix(value, "-") {
		return fmt.Errorf("%w: --no-binary / --only-binary need a value such as :all:, :none: or package names", ErrSyntax)
	}
	target, other := f.no, f.only
	if only {
		target, other = f.only, f.no
	}
	items := strings.Split(value, ",")
	for {
		i := slices.Index(items, ":all:")
		if i < 0 {
			break
		}
		clear(other)
		clear(target)
		target[":all:"] = true
		items = items[i+1:]
		if !slices.Contains(items, ":none:") {
			return nil
		}
	}
	for _, name := range items {
		if name == ":none:" {
			clear(target)
			continue
		}
		name = pep508.NormalizeName(strings.TrimSpace(name))
		delete(other, name)
		target[name] = true
	}
	return nil
}

func (f *formatControl) lists() (only, no []string) {
	for k := range f.only {
		only = append(only, k)
	}
	for k := range f.no {
		no = append(no, k)
	}
	slices.Sort(only)
	slices.Sort(no)
	return only, no
}
