package resolve

import (
	"errors"
	"strings"
	"testing"
)

// --resolution lowest takes the oldest version of everything, within the
// bounds; lowest-direct only of the root's own requirements.
func TestResolutionLowestAndLowestDirect(t *testing.T) {
	ix := idx(map[string][]string{
		"a-1-py3-none-any.whl": {"b>=2"}, "a-2-py3-none-any.whl": {"b"},
		"b-1-py3-none-any.whl": nil, "b-2-py3-none-any.whl": nil, "b-3-py3-none-any.whl": nil,
		"c-1rc1-py3-none-any.whl": nil, "c-1-py3-none-any.whl": nil, "c-2-py3-none-any.whl": nil,
	})
	for _, c := range []struct {
		r    Resolution
		want string
	}{
		{ResolutionHighest, "a==2(a-2-py3-none-any.whl) b==3(b-3-py3-none-any.whl) c==2(c-2-py3-none-any.whl)"},
		// c's pre-release is older than 1 but still comes after every
		// final release.
		{ResolutionLowest, "a==1(a-1-py3-none-any.whl) b==2(b-2-py3-none-any.whl) c==1(c-1-py3-none-any.whl)"},
		{ResolutionLowestDirect, "a==1(a-1-py3-none-any.whl) b==3(b-3-py3-none-any.whl) c==1(c-1-py3-none-any.whl)"},
	} {
		l, err := resolveT(t, []string{"a", "c"}, ix, WithResolution(c.r))
		if err != nil || pinsOf(l) != c.want {
			t.Errorf("%s: got %v %v\nwant %s", c.r, l, err, c.want)
			continue
		}
	}
}

func TestParseResolution(t *testing.T) {
	for in, want := range map[string]Resolution{"": ResolutionHighest, "highest": ResolutionHighest, "lowest": ResolutionLowest, "lowest-direct": ResolutionLowestDirect} {
		if got, err := ParseResolution(in); err != nil || got != want {
			t.Errorf("ParseResolution(%q) = %q, %v", in, got, err)
		}
	}
	// A hostile value is refused, and quoted so that no terminal control
	// sequence reaches the user's screen.
	_, err := ParseResolution("lowest\x1b[2J")
	if !errors.Is(err, ErrBadResolution) || strings.ContainsRune(err.Error(), '\x1b') {
		t.Errorf("got %q", err)
	}
}
