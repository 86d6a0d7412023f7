package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// listingIndex is a memIndex that can list its projects, as a PEP 503/691
// root page does, and counts how often it was asked to.
type listingIndex struct {
	*memIndex
	extra []string // listed, with no files
	lists int
}

func (l *listingIndex) ListProjects(context.Context) ([]string, error) {
	l.lists++
	out := append([]string(nil), l.extra...)
	for n := range l.files {
		out = append(out, n)
	}
	return out, nil
}

func withOrigins(kv ...string) Option {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return WithOrigins(m)
}

func TestUnknownProjectNamesOriginAndSuggests(t *testing.T) {
	ix := &listingIndex{memIndex: idx(map[string][]string{"requests-1-py3-none-any.whl": nil, "flask-1-py3-none-any.whl": nil}),
		extra: []string{"request", "reqeust-toolbelt", "numpy"}}
	opts := []Option{WithRules(fakeRules{}), WithIndex(ix), withOrigins("reqeusts", "requirements.txt:3")}
	_, err := Resolve(context.Background(), []string{"flask", "reqeusts"}, opts...)
	if !errors.Is(err, ErrProjectNotFound) {
		t.Fatalf("want ErrProjectNotFound, got %v", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "requirements.txt:3: ") {
		t.Errorf("%q should start with the requirement's file:line", msg)
	}
	// requests is one transposition away, request two edits; numpy and
	// flask are not close.
	if !strings.Contains(msg, "did you mean requests or request?") {
		t.Errorf("%q should suggest requests, then request", msg)
	}
	if strings.Contains(msg, "numpy") || strings.Contains(msg, "flask") {
		t.Errorf("%q suggests names that are not close", msg)
	}
	if ix.lists != 1 {
		t.Errorf("the index was asked for its projects %d times, want once", ix.lists)
	}
	// Nothing is missing: the list is never asked for.
	ix.lists = 0
	if _, err := Resolve(context.Background(), []string{"flask"}, opts...); err != nil || ix.lists != 0 {
		t.Errorf("resolving known projects: err %v, %d lists", err, ix.lists)
	}
}

func TestUnknownProjectWithoutListGivesNormalisedName(t *testing.T) {
	_, err := resolveT(t, []string{"Reqeusts_Extra>=1"}, idx(map[string][]string{"a-1-py3-none-any.whl": nil}), withOrigins("Reqeusts_Extra>=1", "reqs/dev.txt:7"))
	if !errors.Is(err, ErrProjectNotFound) {
		t.Fatalf("want ErrProjectNotFound, got %v", err)
	}
	for _, want := range []string{"reqs/dev.txt:7: ", `"Reqeusts_Extra" was looked up as reqeusts-extra`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

// A missing dependency (not a root) only rules out what needs it.
func TestMissingDependencyIsNotAnError(t *testing.T) {
	l, err := resolveT(t, []string{"a"}, idx(map[string][]string{"a-2-py3-none-any.whl": {"gone"}, "a-1-py3-none-any.whl": nil}), nil)
	if err != nil || pinsOf(l) != "a==1(a-1-py3-none-any.whl)" {
		t.Fatalf("got %v, %v", l, err)
	}
}

func TestConflictNamesBothSidesAndOrigin(t *testing.T) {
	ix := idx(map[string][]string{"a-1-py3-none-any.whl": {"b>=2"}, "b-1-py3-none-any.whl": nil, "b-2-py3-none-any.whl": nil})
	_, err := resolveT(t, []string{"a", "b==1"}, ix, withOrigins("a", "requirements.txt:1", "b==1", "constraints/pins.txt:4"))
	if !errors.Is(err, ErrNoSolution) {
		t.Fatalf("want ErrNoSolution, got %v", err)
	}
	for _, want := range []string{"a==1 depends on b>=2", "you require b==1 (constraints/pins.txt:4)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

type brokenIndex struct{ *memIndex }

func (b brokenIndex) Project(ctx context.Context, name string) (*ProjectFiles, error) {
	if name == "b" {
		return nil, fmt.Errorf("https://idx.example/simple/b/: the index answered HTTP 503; check the index URL, or try again later")
	}
	return b.memIndex.Project(ctx, name)
}

func TestIndexFailureNamesOrigin(t *testing.T) {
	ix := brokenIndex{idx(map[string][]string{"a-1-py3-none-any.whl": nil})}
	_, err := Resolve(context.Background(), []string{"a", "b"}, WithRules(fakeRules{}), WithIndex(ix), withOrigins("b", "requirements.txt:2"))
	if err == nil || !strings.HasPrefix(err.Error(), "requirements.txt:2: project b: ") || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("want the failure at requirements.txt:2, got %v", err)
	}
}

func TestCloseNames(t *testing.T) {
	names := []string{"requests", "Request", "requests-oauthlib", "numpy", "nump", "numpy-stl", "six"}
	for _, c := range []struct{ name, want string }{
		{"reqeusts", "requests request"},
		{"numpi", "nump numpy"},
		{"sx", "six"},
		{"django", ""},
	} {
		if got := strings.Join(closeNames(c.name, names), " "); got != c.want {
			t.Errorf("closeNames(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}
