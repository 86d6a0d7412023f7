package solver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// memSource is a test double: versions are integers, requirements are
// "name", "name==N", "name>=N" or "name<N" (one clause), and a missing
// project has no candidates.
type memSource struct {
	deps      map[string]map[int][]string
	depCalls  int
	prefetchd []string
}

func (m *memSource) Candidates(_ context.Context, name string) ([]Candidate, error) {
	var vs []int
	for v := range m.deps[name] {
		vs = append(vs, v)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(vs)))
	var out []Candidate
	for _, v := range vs {
		out = append(out, Candidate{Version: strconv.Itoa(v)})
	}
	return out, nil
}

func (m *memSource) Dependencies(_ context.Context, name, version string) ([]Dep, error) {
	m.depCalls++
	var reqs []string
	if name == Root {
		reqs = m.deps[Root][0]
	} else {
		v, _ := strconv.Atoi(version)
		reqs = m.deps[name][v]
	}
	var out []Dep
	for _, r := range reqs {
		out = append(out, parseDep(r))
	}
	return out, nil
}

func (m *memSource) Prefetch(name string, vs []string) {
	m.prefetchd = append(m.prefetchd, name)
}

func parseDep(r string) Dep {
	for _, op := range []string{"==", ">=", "<"} {
		if i := strings.Index(r, op); i > 0 {
			n, _ := strconv.Atoi(r[i+len(op):])
			op := op
			return Dep{Name: r[:i], Text: r, Match: func(v string) bool {
				x, _ := strconv.Atoi(v)
				switch op {
				case "==":
					return x == n
				case ">=":
					return x >= n
				}
				return x < n
			}}
		}
	}
	return Dep{Name: r, Text: r}
}

func src(root []string, pkgs map[string]map[int][]string) *memSource {
	m := &memSource{deps: map[string]map[int][]string{Root: {0: root}}}
	for k, v := range pkgs {
		m.deps[k] = v
	}
	return m
}

// brute enumerates every assignment to find whether any solution exists,
// an independent oracle for the solver's satisfiability answers.
func brute(m *memSource) bool {
	var names []string
	for n := range m.deps {
		if n != Root {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	pick := map[string]int{}
	var rec func(i int) bool
	ok := func() bool {
		check := func(reqs []string) bool {
			for _, r := range reqs {
				d := parseDep(r)
				v, has := pick[d.Name]
				if !has || v < 0 {
					return false
				}
				if d.Match != nil && !d.Match(strconv.Itoa(v)) {
					return false
				}
			}
			return true
		}
		if !check(m.deps[Root][0]) {
			return false
		}
		for n, v := range pick {
			if v >= 0 && !check(m.deps[n][v]) {
				return false
			}
		}
		return true
	}
	rec = func(i int) bool {
		if i == len(names) {
			return ok()
		}
		pick[names[i]] = -1 // not installed
		if rec(i + 1) {
			return true
		}
		for v := range m.deps[names[i]] {
			pick[names[i]] = v
			if rec(i + 1) {
				return true
			}
		}
		return false
	}
	return rec(0)
}

func TestNewestWithoutConflict(t *testing.T) {
	m := src([]string{"a"}, map[string]map[int][]string{
		"a": {1: nil, 2: {"b>=2"}},
		"b": {1: nil, 2: nil, 3: nil},
	})
	pins, deps, err := Solve(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if pins["a"] != "2" || pins["b"] != "3" || len(pins) != 2 {
		t.Fatalf("pins %v", pins)
	}
	if fmt.Sprint(deps["a"]) != "[b]" {
		t.Fatalf("deps %v", deps)
	}
	if len(m.prefetchd) != 0 {
		t.Fatalf("Prefetch called for %v although every first choice worked", m.prefetchd)
	}
}

func TestBacktracksToOlderVersion(t *testing.T) {
	// a 3 needs c<2 but b (any) needs c>=2, so a must go back to 2; then
	// a 1 is likely next, and warmed.
	m := src([]string{"a", "b"}, map[string]map[int][]string{
		"a": {1: nil, 2: nil, 3: {"c<2"}},
		"b": {1: {"c>=2"}},
		"c": {1: nil, 2: nil},
	})
	pins, _, err := Solve(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if pins["a"] != "2" || pins["c"] != "2" || pins["b"] != "1" {
		t.Fatalf("pins %v", pins)
	}
	if !slices.Contains(m.prefetchd, "a") {
		t.Fatalf("Prefetch not called for a, whose first choice failed: %v", m.prefetchd)
	}
}

func TestUnsatisfiableExplains(t *testing.T) {
	m := src([]string{"a==1"}, map[string]map[int][]string{
		"a": {1: {"b>=2"}},
		"b": {1: nil},
	})
	_, _, err := Solve(context.Background(), m)
	var ns *NoSolutionError
	if !errors.As(err, &ns) || !errors.Is(err, ErrNoSolution) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{"a==1 depends on b>=2, which no version of b matches (the only version is 1)", "unsatisfiable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("explanation %q lacks %q", err, want)
		}
	}
}

func TestMissingProject(t *testing.T) {
	m := src([]string{"nothere"}, nil)
	_, _, err := Solve(context.Background(), m)
	if !errors.Is(err, ErrNoSolution) || !strings.Contains(err.Error(), "nothere") {
		t.Fatalf("got %v", err)
	}
}

// Backjumping: x has many versions that are all irrelevant to the clash
// between a and c; the solver must not retry every x version per a version.
func TestBackjumpSkipsIrrelevantLevels(t *testing.T) {
	x := map[int][]string{}
	for i := 1; i <= 50; i++ {
		x[i] = nil
	}
	a := map[int][]string{}
	for i := 1; i <= 50; i++ {
		a[i] = []string{"c>=2"}
	}
	m := src([]string{"x", "a", "c<2"}, map[string]map[int][]string{"x": x, "a": a, "c": {1: nil, 2: nil}})
	_, _, err := Solve(context.Background(), m)
	if !errors.Is(err, ErrNoSolution) {
		t.Fatalf("got %v", err)
	}
	if m.depCalls > 200 {
		t.Fatalf("%d dependency lookups: no backjumping", m.depCalls)
	}
}

// Random small universes checked against brute-force enumeration, and
// every returned solution verified against all its constraints.
func TestAgainstBruteForce(t *testing.T) {
	seed := uint64(1)
	rnd := func(n int) int {
		seed = seed*6364136223846793005 + 1442695040888963407
		return int((seed >> 33) % uint64(n))
	}
	names := []string{"a", "b", "c", "d", "e"}
	ops := []string{"==", ">=", "<"}
	for iter := 0; iter < 400; iter++ {
		pk := map[string]map[int][]string{}
		for _, n := range names {
			pk[n] = map[int][]string{}
			for v := 1; v <= 1+rnd(3); v++ {
				var reqs []string
				for k := rnd(3); k > 0; k-- {
					d := names[rnd(len(names))]
					if d != n {
						reqs = append(reqs, d+ops[rnd(3)]+strconv.Itoa(1+rnd(3)))
					}
				}
				pk[n][v] = reqs
			}
		}
		root := []string{names[rnd(5)] + ops[rnd(3)] + strconv.Itoa(1+rnd(3)), names[rnd(5)]}
		m := src(root, pk)
		pins, _, err := Solve(context.Background(), m)
		want := brute(m)
		if (err == nil) != want {
			t.Fatalf("iter %d: solver err=%v, brute force satisfiable=%v; root %v pkgs %v", iter, err, want, root, pk)
		}
		if err != nil && !errors.Is(err, ErrNoSolution) {
			t.Fatal(err)
		}
		// The other orders find a solution exactly when one exists too.
		for _, r := range []Resolution{Lowest, LowestDirect} {
			other, _, oerr := Solve(context.Background(), src(root, pk), WithResolution(r))
			if (oerr == nil) != want {
				t.Fatalf("iter %d: resolution %d: err=%v, brute force satisfiable=%v", iter, r, oerr, want)
			}
			if oerr == nil {
				for n, v := range other {
					x, _ := strconv.Atoi(v)
					for _, req := range append(pk[n][x], root...) {
						d := parseDep(req)
						if w, ok := other[d.Name]; !ok || (d.Match != nil && !d.Match(w)) {
							t.Fatalf("iter %d: resolution %d: %v violates %s", iter, r, other, req)
						}
					}
				}
			}
		}
		if err == nil {
			check := func(reqs []string) {
				for _, r := range reqs {
					d := parseDep(r)
					v, ok := pins[d.Name]
					if !ok || (d.Match != nil && !d.Match(v)) {
						t.Fatalf("iter %d: %v violates %s", iter, pins, r)
					}
				}
			}
			check(root)
			for n, v := range pins {
				x, _ := strconv.Atoi(v)
				check(pk[n][x])
			}
			again, _, _ := Solve(context.Background(), src(root, pk))
			if fmt.Sprint(again) != fmt.Sprint(pins) {
				t.Fatalf("not deterministic: %v vs %v", pins, again)
			}
		}
	}
}

// lines splits an explanation into its sentences, one per line, and checks
// the shape every explanation has: each line a "Because"/"And because"/
// "So, because"/"Thus" sentence ending in a full stop, the last one the
// conclusion about the user's requirements.
func lines(t *testing.T, err error) []string {
	t.Helper()
	if !errors.Is(err, ErrNoSolution) {
		t.Fatalf("want ErrNoSolution, got %v", err)
	}
	ls := strings.Split(err.Error(), "\n")
	for _, l := range ls {
		ok := false
		for _, p := range []string{"Because ", "And because ", "So, because ", "Thus, "} {
			ok = ok || strings.HasPrefix(l, p)
		}
		if !ok || !(strings.HasSuffix(l, ".") || strings.HasSuffix(l, ")")) {
			t.Errorf("line %q is not one sentence of a derivation", l)
		}
	}
	if last := ls[len(ls)-1]; !strings.Contains(last, "we can conclude that your requirements are unsatisfiable.") {
		t.Errorf("last line %q does not conclude", last)
	}
	return ls
}

func TestExplanationsNameTheChain(t *testing.T) {
	// Both versions of a need c<2, b needs c>=2: the facts are stated,
	// what follows from them, and then the conclusion from the root.
	_, _, err := Solve(context.Background(), src([]string{"a", "b"}, map[string]map[int][]string{"a": {1: {"c<2"}, 2: {"c<2"}}, "b": {1: {"c>=2"}}, "c": {1: nil, 2: nil}}))
	ls := lines(t, err)
	if len(ls) != 2 {
		t.Fatalf("want two steps, got %q", ls)
	}
	for _, want := range []string{"every version of a depends on c<2", "b==1 depends on c>=2", "are incompatible"} {
		if !strings.Contains(ls[0], want) {
			t.Errorf("first step %q lacks %q", ls[0], want)
		}
	}
	if !strings.Contains(ls[1], "you require a and b") {
		t.Errorf("conclusion %q does not name the requirements", ls[1])
	}

	_, _, err = Solve(context.Background(), src([]string{"a", "c<1"}, map[string]map[int][]string{"a": {1: {"c>=2"}}, "c": {1: nil, 2: nil}}))
	ls = lines(t, err)
	if len(ls) != 1 || !strings.HasPrefix(ls[0], "Because you require c<1, which no version of c matches (the versions are 2, 1),") {
		t.Errorf("a requirement nothing matches: %q", ls)
	}
}

// A chain of derivations reads as one step per line, each true alone:
// a needs b, every b needs c>=2, c>=2 needs d, which has no versions.
func TestExplanationFollowsTheDerivation(t *testing.T) {
	m := src([]string{"a"}, map[string]map[int][]string{
		"a": {1: {"b"}},
		"b": {1: {"c>=2"}, 2: {"c>=2"}, 3: {"c>=2"}},
		"c": {1: nil, 2: {"d"}, 3: {"d"}},
	})
	_, _, err := Solve(context.Background(), m)
	ls := lines(t, err)
	msg := strings.Join(ls, "\n")
	// Every fact the failure rests on is stated, each range as the
	// versions that share it.
	for _, fact := range []string{"a==1 depends on b, which depends on c>=2", "c>=2 depends on d, which has no usable versions", "you require a"} {
		if !strings.Contains(msg, fact) {
			t.Errorf("%q lacks the fact %q", msg, fact)
		}
	}
	// c==1 needs nothing; no step may claim it cannot be used.
	if strings.Contains(msg, "c==1") || strings.Contains(msg, "no version of c") {
		t.Errorf("%q says something untrue of c==1", msg)
	}
	if len(ls) < 2 {
		t.Errorf("a three-level failure told in %d steps: %q", len(ls), ls)
	}
}

// PubGrub's branching example: both halves of foo fail for their own
// reasons; the first half's conclusion is numbered and referred to by its
// number when the halves are put together.
func TestExplanationNumbersSharedSteps(t *testing.T) {
	m := src([]string{"foo"}, map[string]map[int][]string{
		"foo": {1: {"a", "b<2"}, 2: {"x", "y<2"}},
		"a":   {1: {"b>=2"}},
		"b":   {1: nil, 2: nil},
		"x":   {1: {"y>=2"}},
		"y":   {1: nil, 2: nil},
	})
	_, _, err := Solve(context.Background(), m)
	ls := lines(t, err)
	msg := strings.Join(ls, "\n")
	numbered := -1
	for i, l := range ls {
		if strings.HasSuffix(l, " (1)") {
			numbered = i
		}
	}
	if numbered < 0 {
		t.Fatalf("no numbered step in %q", msg)
	}
	referred := false
	for _, l := range ls[numbered+1:] {
		referred = referred || strings.Contains(l, "(1),") || strings.Contains(l, "(1) and")
	}
	if !referred {
		t.Errorf("step (1) is never referred to: %q", msg)
	}
	for _, fact := range []string{"foo==1 depends on a, which depends on b>=2", "foo==2 depends on x, which depends on y>=2",
		"foo==1 depends on b<2", "foo==2 depends on y<2", "you require foo"} {
		if !strings.Contains(msg, fact) {
			t.Errorf("%q lacks the fact %q", msg, fact)
		}
	}
}

// Consecutive versions that share a fact are told once, as a range, and a
// pin nobody can satisfy lists the versions there are.
func TestExplanationMergesVersionRanges(t *testing.T) {
	m := src([]string{"k", "c==1"}, map[string]map[int][]string{
		"k": {1: {"c>=3"}, 2: {"c>=2"}, 3: {"c>=2"}, 4: {"c>=2"}, 5: {"c>=2"}, 6: {"c>=3"}},
		"c": {1: nil, 2: nil, 3: nil},
	})
	_, _, err := Solve(context.Background(), m)
	msg := strings.Join(lines(t, err), "\n")
	for _, want := range []string{"k>=2,<=5 depends on c>=2", "k==1 | ==6 depends on c>=3", "c==1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	for _, v := range []string{"k==3", "k==4"} {
		if strings.Contains(msg, v) {
			t.Errorf("%q tells a merged version on its own", msg)
		}
	}
	_, _, err = Solve(context.Background(), src([]string{"c==7"}, map[string]map[int][]string{"c": {1: nil, 2: nil, 3: nil}}))
	if !errors.Is(err, ErrNoSolution) || !strings.Contains(err.Error(), "you require c==7, which no version of c matches (the versions are 3, 2, 1)") {
		t.Errorf("a pin nobody can satisfy: %v", err)
	}
}

// lateSource marks some versions late (pre-releases to package resolve).
type lateSource struct {
	*memSource
	late map[string]int
}

func (l lateSource) Candidates(ctx context.Context, name string) ([]Candidate, error) {
	cs, err := l.memSource.Candidates(ctx, name)
	for i := range cs {
		if v, ok := l.late[name]; ok && cs[i].Version == strconv.Itoa(v) {
			cs[i].Late = true
		}
	}
	return cs, err
}

func TestResolutionStrategies(t *testing.T) {
	pk := map[string]map[int][]string{
		"a": {1: {"b>=2"}, 2: {"b"}, 3: {"b"}},
		"b": {1: nil, 2: nil, 3: nil, 4: nil},
		"c": {1: nil, 2: nil},
	}
	// c's oldest is late (a pre-release): it comes last in every order.
	late := map[string]int{"c": 1}
	for _, c := range []struct {
		r    Resolution
		want string
	}{
		{Highest, "map[a:3 b:4 c:2]"},
		{Lowest, "map[a:1 b:2 c:2]"},       // b>=2 is a's oldest's bound
		{LowestDirect, "map[a:1 b:4 c:2]"}, // b is not required by the root
	} {
		pins, _, err := Solve(context.Background(), lateSource{src([]string{"a", "c"}, pk), late}, WithResolution(c.r))
		if err != nil || fmt.Sprint(pins) != c.want {
			t.Errorf("resolution %d: %v %v, want %s", c.r, pins, err, c.want)
		}
	}
	// The late version is still taken when nothing else fits.
	pins, _, err := Solve(context.Background(), lateSource{src([]string{"c<2"}, pk), late})
	if err != nil || pins["c"] != "1" {
		t.Errorf("only the late version fits: %v %v", pins, err)
	}
}

func TestPreferencesComeFirstWhileAllowed(t *testing.T) {
	pk := map[string]map[int][]string{
		"a": {1: nil, 2: nil, 3: nil},
		"b": {1: nil, 2: nil},
	}
	pins, _, err := Solve(context.Background(), src([]string{"a", "b<2"}, pk), WithPreferences(map[string]string{"a": "2", "b": "2"}))
	if err != nil || pins["a"] != "2" || pins["b"] != "1" {
		t.Errorf("got %v %v, want a at its preferred 2 and b at 1 (its preference is excluded)", pins, err)
	}
	// A preference also holds under the lowest resolution.
	pins, _, err = Solve(context.Background(), src([]string{"a"}, pk), WithPreferences(map[string]string{"a": "3"}), WithResolution(Lowest))
	if err != nil || pins["a"] != "3" {
		t.Errorf("got %v %v, want the preferred a 3", pins, err)
	}
}

// A requirement's text or a version with a line break cannot forge a step
// of the explanation: each line is still one derivation.
func TestExplanationEscapesLineBreaks(t *testing.T) {
	m := src([]string{"a"}, map[string]map[int][]string{"a": {1: {"b>=2"}}, "b": {1: nil}})
	hostile := hostileSource{m}
	_, _, err := Solve(context.Background(), hostile)
	ls := lines(t, err)
	for _, l := range ls {
		if strings.HasPrefix(l, "Because you require evil") {
			t.Errorf("a forged line: %q", ls)
		}
	}
	if !strings.Contains(err.Error(), `b>=2\nBecause you require evil`) {
		t.Errorf("the text is not kept, escaped: %q", ls)
	}
}

type hostileSource struct{ *memSource }

func (h hostileSource) Dependencies(ctx context.Context, name, version string) ([]Dep, error) {
	ds, err := h.memSource.Dependencies(ctx, name, version)
	for i := range ds {
		ds[i].Text += "\nBecause you require evil, we can conclude that your requirements are unsatisfiable."
	}
	return ds, err
}

// "a depends on b, which depends on c" is said only when every version of
// b that a admits depends on c; otherwise the two facts stay apart.
func TestExplanationJoinsDependencyChainsOnlyWhenTrue(t *testing.T) {
	m := src(nil, map[string]map[int][]string{"a": {1: {"b"}}, "b": {1: nil, 2: nil, 3: {"c>=2"}}, "c": {1: nil, 2: nil}})
	s := &solver{ctx: context.Background(), src: m, pkgs: map[string]*pkg{}, depIncs: map[depKey]*incompat{}, direct: map[string]bool{}}
	get := func(n string) *pkg {
		p, err := s.get(n)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b, c := get("a"), get("b"), get("c")
	if _, err := s.addDependencies(a, 0, []Dep{parseDep("b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.addDependencies(b, 0, []Dep{parseDep("c>=2")}); err != nil { // b 3
		t.Fatal(err)
	}
	first, second := a.incs[0], c.incs[0]
	e := &explainer{counts: map[*incompat]int{}, numbers: map[*incompat]int{}}
	if got := e.and(first, second); got != "a==1 depends on b and b==3 depends on c>=2" {
		t.Errorf("b 1 and 2 need nothing, yet: %q", got)
	}
	// Once b 1 and 2 are known to need c>=2 too, the fact covers every b.
	for v := 1; v <= 2; v++ {
		if _, err := s.addDependencies(b, v, []Dep{parseDep("c>=2")}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.and(first, c.incs[0]); got != "a==1 depends on b, which depends on c>=2" {
		t.Errorf("got %q", got)
	}
}
