package reqfile

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseLocalProjects(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "app/pyproject.toml", "")
	write(t, dir, "lib/pyproject.toml", "")
	write(t, dir, "reqs/requirements.txt", strings.Join([]string{
		"../app[Fast_Json, test]",
		"mylib @ file://" + filepath.ToSlash(filepath.Join(dir, "lib")),
		"six",
		"..",
	}, "\n"))
	f, err := Parse(filepath.Join(dir, "reqs/requirements.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Project{
		{Dir: filepath.Join(dir, "app"), Extras: []string{"fast-json", "test"}, Line: 1},
		{Dir: filepath.Join(dir, "lib"), Name: "mylib", Line: 2},
		{Dir: dir, Line: 4},
	}
	if len(f.Projects) != len(want) {
		t.Fatalf("projects = %+v", f.Projects)
	}
	for i, w := range want {
		got := f.Projects[i]
		if got.Dir != w.Dir || !slices.Equal(got.Extras, w.Extras) || got.Name != w.Name || got.Line != w.Line {
			t.Errorf("project %d = %+v, want %+v", i, got, w)
		}
	}
	if got := f.RequirementStrings(); !slices.Equal(got, []string{"six"}) {
		t.Errorf("requirements = %q", got)
	}
}

func TestParseLocalProjectsRefused(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "app/pyproject.toml", "")
	libURL := "file://" + filepath.ToSlash(filepath.Join(dir, "app"))
	for name, tc := range map[string]struct {
		line string
		want error
		says string
	}{
		"editable":        {"-e .", ErrUnsupported, "machnix env DIR ."},
		"editable long":   {"--editable=./app", ErrUnsupported, "non-editable"},
		"hash":            {"./app --hash=sha256:" + hexA, ErrHashes, "tree"},
		"bad extras":      {"./app[a b]", ErrSyntax, "path[extra1,extra2]"},
		"unclosed extras": {"./app[x", ErrSyntax, "path[extra1,extra2]"},
		"marker":          {"app @ " + libURL + " ; python_version > '3'", ErrUnsupported, "marker"},
		"archive no hash": {"./app.tar.gz", ErrUnsupported, "cannot tell"},
	} {
		t.Run(name, func(t *testing.T) {
			p := write(t, dir, "requirements.txt", tc.line+"\n")
			_, err := Parse(p)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want %v saying %q", err, tc.want, tc.says)
			}
		})
	}
	c := write(t, dir, "constraints.txt", "./app\n")
	p := write(t, dir, "requirements.txt", "-c constraints.txt\n")
	if _, err := Parse(p); !errors.Is(err, ErrUnsupported) {
		t.Errorf("a project in %s: %v", c, err)
	}
}

func TestSplitProjectArg(t *testing.T) {
	for arg, want := range map[string]string{".": ". []", ".[a,B_c]": ". [a b-c]", "../x[y]": "../x [y]"} {
		p, extras, ok := SplitProjectArg(arg)
		if got := p + " " + "[" + strings.Join(extras, " ") + "]"; !ok || got != want {
			t.Errorf("%q: %q %v, want %q", arg, got, ok, want)
		}
	}
	for _, bad := range []string{"", "[x]", ".[x", ".[x]]", ".[../y]", ".[]"} {
		if _, _, ok := SplitProjectArg(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}
