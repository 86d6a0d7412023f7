package resolve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/machnix/machnix/resolve/pep508"
)

// fakeRules is a minimal stand-in for pep440/pep508/tags: integer versions
// with an optional "rc" suffix, one-clause specifiers, markers of the form
// `extra == "x"`, wheels tagged py3 (rank 1) or manylinux (rank 0, better),
// cp27 wheels incompatible.
type fakeRules struct{}

func num(v string) (int, bool) {
	n, _ := strconv.Atoi(strings.SplitN(v, "rc", 2)[0])
	return n, strings.Contains(v, "rc")
}

func (fakeRules) Compare(a, b string) int {
	x, xp := num(a)
	y, yp := num(b)
	switch {
	case x != y:
		if x < y {
			return -1
		}
		return 1
	case xp == yp:
		return 0
	case xp:
		return -1
	}
	return 1
}
func (fakeRules) IsPrerelease(v string) bool { _, p := num(v); return p }
func (r fakeRules) Matches(spec, v string, pre bool) bool {
	if r.IsPrerelease(v) && !pre && !strings.Contains(spec, "rc") {
		return false
	}
	spec, _, _ = strings.Cut(spec, ",") // one clause is enough for these tests
	spec = strings.TrimSuffix(spec, ".*")
	if spec == "" {
		return true
	}
	for _, op := range []string{"==", ">=", "<"} {
		if strings.HasPrefix(spec, op) {
			c := r.Compare(v, spec[len(op):])
			return (op == "==" && c == 0) || (op == ">=" && c >= 0) || (op == "<" && c < 0)
		}
	}
	return false
}
func (fakeRules) PythonMatches(rp string) bool { return rp != ">=4" }
func (fakeRules) ParseFilename(f string) (string, string, Provider, int, bool) {
	if s, ok := strings.CutSuffix(f, ".tar.gz"); ok {
		n, v, _ := strings.Cut(s, "-")
		return n, v, ProviderSdist, 0, true
	}
	parts := strings.Split(strings.TrimSuffix(f, ".whl"), "-")
	if len(parts) != 5 || parts[2] == "cp27" {
		return "", "", "", 0, false
	}
	rank := 1
	if strings.HasPrefix(parts[4], "manylinux") {
		rank = 0
	}
	return parts[0], parts[1], ProviderWheel, rank, true
}
func (fakeRules) ParseRequirement(s string) (Requirement, error) {
	req, marker, _ := strings.Cut(s, ";")
	req = strings.TrimSpace(req)
	r := Requirement{Text: req}
	if i := strings.IndexAny(req, "=<>"); i >= 0 {
		r.Specifier = req[i:]
		req = req[:i]
	}
	if i := strings.IndexByte(req, '['); i >= 0 {
		r.Extras = strings.Split(strings.TrimSuffix(req[i+1:], "]"), ",")
		req = req[:i]
	}
	if req == "" {
		return r, errors.New("no name")
	}
	r.Name = pep508.NormalizeName(req)
	if m := strings.TrimSpace(marker); m != "" {
		want := strings.Trim(strings.TrimPrefix(m, "extra == "), `"`)
		r.Applies = func(extra string) bool { return extra == want }
	}
	return r, nil
}

type memIndex struct {
	files map[string][]File
	deps  map[string][]string // by filename
	mu    sync.Mutex
	calls map[string]int
}

func (m *memIndex) Project(_ context.Context, name string) (*ProjectFiles, error) {
	fs, ok := m.files[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrProjectNotFound)
	}
	return &ProjectFiles{Name: name, Files: fs}, nil
}
func (m *memIndex) Metadata(_ context.Context, f File) (*Metadata, error) {
	m.mu.Lock()
	if m.calls == nil {
		m.calls = map[string]int{}
	}
	m.calls[f.Filename]++
	m.mu.Unlock()
	return &Metadata{RequiresDist: m.deps[f.Filename]}, nil
}

func idx(spec map[string][]string) *memIndex {
	m := &memIndex{files: map[string][]File{}, deps: map[string][]string{}}
	for fn, deps := range spec {
		fn, yanked := strings.CutPrefix(fn, "!")
		n, _, _, _, _ := fakeRules{}.ParseFilename(fn)
		if n == "" {
			n = strings.SplitN(fn, "-", 2)[0]
		}
		rp := ""
		if strings.Contains(fn, "py4") {
			fn, rp = strings.Replace(fn, "py4", "py3", 1), ">=4"
		}
		sum := sha256.Sum256([]byte(fn))
		m.files[n] = append(m.files[n], File{Filename: fn, URL: "http://x/" + fn, SHA256: hex.EncodeToString(sum[:]), Yanked: yanked, RequiresPython: rp})
		m.deps[fn] = deps
	}
	return m
}

func pinsOf(l *Lock) string {
	var s []string
	for _, p := range l.Packages {
		s = append(s, p.Name+"=="+p.Version+"("+p.Filename+")")
	}
	return strings.Join(s, " ")
}

func resolveT(t *testing.T, reqs []string, ix *memIndex, mod Option) (*Lock, error) {
	t.Helper()
	opts := []Option{WithRules(fakeRules{}), WithIndex(ix), WithTarget(Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"})}
	if mod != nil {
		opts = append(opts, mod)
	}
	return Resolve(context.Background(), reqs, opts...)
}

func TestResolveScenarios(t *testing.T) {
	cases := []struct {
		name  string
		reqs  []string
		index map[string][]string
		mod   Option
		want  string // "" when unsatisfiable
	}{
		{"best wheel tag wins", []string{"a"}, map[string][]string{
			"a-1-py3-none-any.whl": nil, "a-1-cp311-cp311-manylinux_2_28_x86_64.whl": nil, "a-1.tar.gz": nil},
			nil, "a==1(a-1-cp311-cp311-manylinux_2_28_x86_64.whl)"},
		{"incompatible wheel falls back to sdist", []string{"a"}, map[string][]string{
			"a-2-cp27-cp27-any.whl": nil, "a-2.tar.gz": nil}, nil, "a==2(a-2.tar.gz)"},
		{"only-binary drops sdist-only version", []string{"a"}, map[string][]string{
			"a-2.tar.gz": nil, "a-1-py3-none-any.whl": nil}, func(o *settings) { o.OnlyBinary = []string{":all:"} }, "a==1(a-1-py3-none-any.whl)"},
		{"no-binary picks sdist", []string{"a"}, map[string][]string{
			"a-1.tar.gz": nil, "a-1-py3-none-any.whl": nil}, func(o *settings) { o.NoBinary = []string{"a"} }, "a==1(a-1.tar.gz)"},
		{"provider order prefers sdist", []string{"a"}, map[string][]string{
			"a-1.tar.gz": nil, "a-1-py3-none-any.whl": nil}, func(o *settings) { o.Providers = ProviderPrefs{"a": {ProviderSdist, ProviderWheel}} }, "a==1(a-1.tar.gz)"},
		{"requires-python excludes file", []string{"a"}, map[string][]string{
			"a-2-py4-none-any.whl": nil, "a-1-py3-none-any.whl": nil}, nil, "a==1(a-1-py3-none-any.whl)"},
		{"yanked skipped", []string{"a"}, map[string][]string{
			"!a-2-py3-none-any.whl": nil, "a-1-py3-none-any.whl": nil}, nil, "a==1(a-1-py3-none-any.whl)"},
		{"yanked allowed when pinned", []string{"a==2"}, map[string][]string{
			"!a-2-py3-none-any.whl": nil, "a-1-py3-none-any.whl": nil}, nil, "a==2(a-2-py3-none-any.whl)"},
		{"yanked not allowed for a wildcard pin", []string{"a==2.*"}, map[string][]string{
			"!a-2-py3-none-any.whl": nil}, nil, ""},
		{"pre-release skipped", []string{"a"}, map[string][]string{
			"a-2rc1-py3-none-any.whl": nil, "a-1-py3-none-any.whl": nil}, nil, "a==1(a-1-py3-none-any.whl)"},
		{"--pre takes pre-release", []string{"a"}, map[string][]string{
			"a-2rc1-py3-none-any.whl": nil, "a-1-py3-none-any.whl": nil}, func(o *settings) { o.Pre = true }, "a==2rc1(a-2rc1-py3-none-any.whl)"},
		{"only pre-releases exist", []string{"a"}, map[string][]string{
			"a-2rc1-py3-none-any.whl": nil}, nil, "a==2rc1(a-2rc1-py3-none-any.whl)"},
		{"extras pull extra deps at same version", []string{"a[x]"}, map[string][]string{
			"a-1-py3-none-any.whl": {`b; extra == "x"`}, "a-2-py3-none-any.whl": {`b>=2; extra == "x"`, `c; extra == "y"`},
			"b-1-py3-none-any.whl": nil}, nil, "a==1(a-1-py3-none-any.whl) b==1(b-1-py3-none-any.whl)"},
		{"marker false drops dep", []string{"a"}, map[string][]string{
			"a-1-py3-none-any.whl": {`b; extra == "x"`}}, nil, "a==1(a-1-py3-none-any.whl)"},
		{"backtracks", []string{"a", "b"}, map[string][]string{
			"a-2-py3-none-any.whl": {"c<2"}, "a-1-py3-none-any.whl": nil, "b-1-py3-none-any.whl": {"c>=2"},
			"c-1-py3-none-any.whl": nil, "c-2-py3-none-any.whl": nil}, nil,
			"a==1(a-1-py3-none-any.whl) b==1(b-1-py3-none-any.whl) c==2(c-2-py3-none-any.whl)"},
		{"unsatisfiable", []string{"a==1"}, map[string][]string{
			"a-1-py3-none-any.whl": {"b>=2"}, "b-1-py3-none-any.whl": nil}, nil, ""},
		{"previous lock pin kept", []string{"a"}, map[string][]string{
			"a-1-py3-none-any.whl": nil, "a-2-py3-none-any.whl": nil},
			func(o *settings) { o.Previous = &Lock{Packages: []Package{{Name: "a", Version: "1"}}} }, "a==1(a-1-py3-none-any.whl)"},
		{"upgrade-package moves pin", []string{"a"}, map[string][]string{
			"a-1-py3-none-any.whl": nil, "a-2-py3-none-any.whl": nil},
			func(o *settings) {
				o.Previous = &Lock{Packages: []Package{{Name: "a", Version: "1"}}}
				o.Upgrade = []string{"A"}
			}, "a==2(a-2-py3-none-any.whl)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := resolveT(t, c.reqs, idx(c.index), c.mod)
			if c.want == "" {
				if !errors.Is(err, ErrNoSolution) || (c.name == "unsatisfiable" && !strings.Contains(err.Error(), "a==1 depends on b>=2")) {
					t.Fatalf("want explained ErrNoSolution, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := pinsOf(l); got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestResolveLockFields(t *testing.T) {
	l, err := resolveT(t, []string{"a[x]"}, idx(map[string][]string{
		"a-1-py3-none-any.whl": {`b; extra == "x"`}, "b-1-py3-none-any.whl": nil}), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := l.Packages[0]
	if fmt.Sprint(a.Extras) != "[x]" || fmt.Sprint(a.Dependencies) != "[b]" || a.URL != "http://x/a-1-py3-none-any.whl" || a.Provider != ProviderWheel {
		t.Fatalf("%+v", a)
	}
	if l.Version != LockVersion || fmt.Sprint(l.Requirements) != "[a[x]]" {
		t.Fatalf("%+v", l)
	}
	if err := WriteLock(t.TempDir()+"/l.json", l); err != nil {
		t.Fatal(err)
	}
}

type fakeCatalog map[string][]NixPackage

func (f fakeCatalog) Packages(_ context.Context, name string) ([]NixPackage, error) {
	return f[name], nil
}

func TestResolveNixpkgsAndHashes(t *testing.T) {
	ix := idx(map[string][]string{"a-1-py3-none-any.whl": {"b"}, "a-2.tar.gz": {"b"}})
	for i := range ix.files["a"] {
		ix.files["a"][i].SHA256 = fmt.Sprintf("%064d", i+1)
	}
	cat := fakeCatalog{"b": {{Attr: "b_py", Name: "b", Version: "5"}}, "a": {{Attr: "a", Name: "a", Version: "3"}}}
	// a's nixpkgs 3 is the newest version and provider order only ranks
	// files of one version, so it wins; it brings no solver-visible deps.
	l, err := resolveT(t, []string{"a"}, ix, func(o *settings) { o.Nixpkgs = cat })
	if err != nil {
		t.Fatal(err)
	}
	if got := pinsOf(l); got != "a==3()" || l.Packages[0].NixAttr != "a" || l.Packages[0].Provider != ProviderNixpkgs {
		t.Fatalf("got %s %+v", got, l.Packages)
	}
	// Without nixpkgs in the order for a, a==2 (sdist) wins and its
	// dependency b exists only in nixpkgs.
	l, err = resolveT(t, []string{"a"}, ix, func(o *settings) {
		o.Nixpkgs = cat
		o.Providers = ProviderPrefs{"a": {ProviderWheel, ProviderSdist}}
	})
	if err != nil || pinsOf(l) != "a==2(a-2.tar.gz) b==5()" {
		t.Fatalf("got %v %v", l, err)
	}
	// Hash-checking: only a-1's hash given, so a==1 must be chosen.
	wheelHash := ""
	for _, f := range ix.files["a"] {
		if strings.HasSuffix(f.Filename, ".whl") {
			wheelHash = f.SHA256
		}
	}
	l, err = resolveT(t, []string{"a"}, ix, func(o *settings) {
		o.Nixpkgs = cat
		o.Hashes = map[string][]string{"a": {"sha256:" + wheelHash}}
	})
	if err != nil || pinsOf(l) != "a==1(a-1-py3-none-any.whl) b==5()" || l.Packages[0].SHA256 != wheelHash {
		t.Fatalf("got %v %v", l, err)
	}
	// A hash matching nothing leaves no candidate.
	_, err = resolveT(t, []string{"a"}, ix, func(o *settings) { o.Hashes = map[string][]string{"a": {"00"}} })
	if !errors.Is(err, ErrNoSolution) {
		t.Fatalf("got %v", err)
	}
}

func TestMetadataFetchedOncePerFile(t *testing.T) {
	spec := map[string][]string{"b-1-py3-none-any.whl": nil}
	for i := 1; i <= 20; i++ {
		spec["a-"+strconv.Itoa(i)+"-py3-none-any.whl"] = []string{"b>=2"}
	}
	spec["a-0-py3-none-any.whl"] = []string{"b"}
	ix := idx(spec)
	l, err := resolveT(t, []string{"a"}, ix, nil)
	if err != nil || pinsOf(l) != "a==0(a-0-py3-none-any.whl) b==1(b-1-py3-none-any.whl)" {
		t.Fatalf("%v %v", l, err)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for f, n := range ix.calls {
		if n != 1 {
			t.Errorf("%s fetched %d times", f, n)
		}
	}
	if len(ix.calls) < 2 {
		t.Errorf("only %d metadata fetches", len(ix.calls))
	}
}

// Credentials in a direct URL are used while resolving but never written:
// a lock is shared, and its URLs are fetched with netrc's credentials.
func TestResolveKeepsDirectURLCredentialsOutOfTheLock(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	req := "a @ http://user:hunter2@x/a-1-py3-none-any.whl#sha256=" + sum
	target := Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}
	rules, err := NewRules(target)
	if err != nil {
		t.Fatal(err)
	}
	l, err := resolveT(t, []string{req}, idx(map[string][]string{"a-1-py3-none-any.whl": nil}), func(o *settings) { o.Rules = rules })
	if err != nil {
		t.Fatal(err)
	}
	data, err := MarshalLock(l)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "hunter2") || strings.Contains(string(data), "user:") {
		t.Fatalf("the lock holds the credentials:\n%s", data)
	}
	if got := l.Packages[0]; got.URL != "http://x/a-1-py3-none-any.whl" || got.SHA256 != sum {
		t.Errorf("pinned %s %s, want the URL without credentials and the fragment's hash", got.URL, got.SHA256)
	}
	if want := "a @ http://x/a-1-py3-none-any.whl#sha256=" + sum; len(l.Requirements) != 1 || l.Requirements[0] != want {
		t.Errorf("requirements %q, want %q", l.Requirements, want)
	}
	if err := WriteLock(filepath.Join(t.TempDir(), "machnix.lock"), l); err != nil {
		t.Fatal(err)
	}
}

// No message of the resolver repeats a credential given in a direct URL,
// whether the URL parses or not and whatever fails about it.
func TestResolveErrorsHideDirectURLCredentials(t *testing.T) {
	target := Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}
	rules, err := NewRules(target)
	if err != nil {
		t.Fatal(err)
	}
	withRules := func(o *settings) { o.Rules = rules }
	ix := idx(map[string][]string{"a-1-py3-none-any.whl": {"b>=2"}, "b-1-py3-none-any.whl": nil})
	for _, req := range []string{
		"a @ http://user:hunter2@x/a-1-py3-none-any.whl#sha256=" + strings.Repeat("ab", 32), // b>=2 has no version
		"a @ http://user:hunter2@x/a-1-py3-none-any.whl",                                    // no hash
		"a @ http://user:hunter2@x/a-1-py3-none-any.whl#sha256=../../etc/passwd",            // a bad hash
		"a @ http://user:hunter2@x/other-1-py3-none-any.whl#sha256=" + strings.Repeat("ab", 32),
		"a @ http://user:hunter2@x:zz/a-1-py3-none-any.whl#sha256=" + strings.Repeat("ab", 32), // does not parse
		"a @ http://us@er:hun@ter2@x/a-1-py3-none-any.whl#sha256=" + strings.Repeat("ab", 32),
	} {
		_, err := resolveT(t, []string{req}, ix, withRules)
		if err == nil {
			t.Errorf("%s: resolved", req)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "hunter2") || strings.Contains(msg, "ter2") {
			t.Errorf("%s: the message holds the password: %s", req, msg)
		}
	}
}

// A direct URL's digest becomes the lock's, and later a path in the
// cache: what is not hex is refused, from the fragment or from --hash.
func TestDirectURLHashMustBeHex(t *testing.T) {
	probe := "../" + strings.Repeat("./", 25) + "victim.txtx"
	url := "http://h/a-1.0-py3-none-any.whl"
	rules, err := NewRules(Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		req    string
		hashes map[string][]string
	}{
		{"a @ " + url + "#sha256=" + probe, nil},
		{"a @ " + url + "#sha256=" + strings.Repeat("g", 64), nil},
		{"a @ " + url, map[string][]string{"a": {probe}}},
	} {
		lock, err := resolveT(t, []string{tc.req}, idx(nil), func(o *settings) { o.Rules, o.Hashes = rules, tc.hashes })
		if err == nil || !strings.Contains(err.Error(), "sha256") || !errors.Is(err, ErrBadRequirement) {
			t.Errorf("%s %v: want an error about its sha256, got %v and %+v", tc.req, tc.hashes, err, lock)
		}
	}
	upper := strings.Repeat("AB", 32)
	lock, err := resolveT(t, []string{"a @ " + url + "#sha256=" + upper}, idx(nil), func(o *settings) { o.Rules = rules })
	if err != nil {
		t.Fatal(err)
	}
	if got := lock.Packages[0].SHA256; got != strings.ToLower(upper) {
		t.Errorf("sha256 %q, want %q", got, strings.ToLower(upper))
	}
}

// A package taken from nixpkgs brings the Python packages it propagates
// into the environment, so the lock pins them with the rest: one version of
// each, the one the other requirements allow, or no solution at all.
func TestNixpkgsCandidatesCarryTheirDependencies(t *testing.T) {
	cat := fakeCatalog{"a": {{Attr: "a_py", Name: "a", Version: "3", Dependencies: []string{"b"}}}}
	ix := idx(map[string][]string{"b-1-py3-none-any.whl": nil, "b-2-py3-none-any.whl": nil})
	l, err := resolveT(t, []string{"a", "b<2"}, ix, func(o *settings) { o.Nixpkgs = cat })
	if err != nil {
		t.Fatal(err)
	}
	if got := pinsOf(l); got != "a==3() b==1(b-1-py3-none-any.whl)" {
		t.Fatalf("pins %s", got)
	}
	if a := l.Packages[0]; a.Provider != ProviderNixpkgs || fmt.Sprint(a.Dependencies) != "[b]" {
		t.Fatalf("a from nixpkgs %+v, want its dependency b in the lock", a)
	}
	_, err = resolveT(t, []string{"a"}, idx(nil), func(o *settings) { o.Nixpkgs = cat })
	if !errors.Is(err, ErrNoSolution) || !strings.Contains(err.Error(), "b") {
		t.Fatalf("a dependency nothing offers: %v, want no solution naming b", err)
	}
}
