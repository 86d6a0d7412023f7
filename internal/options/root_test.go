package options

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestUnknownFlagSuggestsClosest(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "--ofline"}, "unknown flag: --ofline; did you mean --offline?"},
		{[]string{"build", "--confg", "x"}, "unknown flag: --confg; did you mean --config?"}, // inherited
		{[]string{"build", "--argstrr", "a=b"}, "did you mean --argstr?"},
	} {
		root, _ := nixRoot()
		SuggestFlags(root)
		root.SetArgs(tc.args)
		root.SetOut(&bytes.Buffer{})
		root.SetErr(&bytes.Buffer{})
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
	}
	root, _ := nixRoot()
	SuggestFlags(root)
	root.SetArgs([]string{"build", "--zzzzzzzz"})
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	if err := root.Execute(); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("a flag like no other got %v, want no suggestion", err)
	}
}

func TestVersionNamesModuleVersionAndCommit(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := Version(bi), "(devel), commit 0123456789abcdef0123456789abcdef01234567 with uncommitted changes"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	bi = &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}}
	if got, want := Version(bi), "v1.2.3, commit abc"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Version(&debug.BuildInfo{}); got != "(devel), commit unknown" {
		t.Errorf("no build info: %q", got)
	}
}
