package stress_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/machnix/machnix/bench/resolve/stress"
	"github.com/machnix/machnix/resolve"
)

// memIndex serves a case's releases as py3-none-any wheels from memory.
type memIndex struct {
	files map[string][]resolve.File
	deps  map[string][]string // by filename
}

func newIndex(c stress.Case) *memIndex {
	m := &memIndex{files: map[string][]resolve.File{}, deps: map[string][]string{}}
	for _, r := range c.Releases {
		fn := strings.ReplaceAll(r.Name, "-", "_") + "-" + r.Version + "-py3-none-any.whl"
		m.files[r.Name] = append(m.files[r.Name], resolve.File{Filename: fn, URL: "https://files.invalid/" + fn,
			SHA256: strings.Repeat("0", 64)})
		m.deps[fn] = r.Requires
	}
	return m
}

func (m *memIndex) Project(_ context.Context, name string) (*resolve.ProjectFiles, error) {
	fs, ok := m.files[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, resolve.ErrProjectNotFound)
	}
	return &resolve.ProjectFiles{Name: name, Files: fs}, nil
}

func (m *memIndex) Metadata(_ context.Context, f resolve.File) (*resolve.Metadata, error) {
	return &resolve.Metadata{RequiresDist: m.deps[f.Filename]}, nil
}

func solve(tb testing.TB, c stress.Case) (*resolve.Lock, error) {
	target := resolve.Target{Python: "3.11", System: resolve.DefaultSystem, Glibc: resolve.DefaultGlibc}
	rules, err := resolve.NewRules(target)
	if err != nil {
		tb.Fatal(err)
	}
	return resolve.Resolve(context.Background(), c.Requires, resolve.WithRules(rules), resolve.WithIndex(newIndex(c)), resolve.WithTarget(target))
}

// Each case gives its known answer, or no solution with an explanation
// that reaches the cause.
func TestStressCases(t *testing.T) {
	for _, name := range stress.Names {
		t.Run(name, func(t *testing.T) {
			c, err := stress.ByName(name)
			if err != nil {
				t.Fatal(err)
			}
			lock, err := solve(t, c)
			if c.Expected == nil {
				if !errors.Is(err, resolve.ErrNoSolution) {
					t.Fatalf("want no solution, got %v", err)
				}
				// The cause lies three levels below the root's names: the
				// explanation must get there, and end with the root.
				msg := err.Error()
				for _, want := range []string{"depends on base>=2", "you require", "base<2", "we can conclude that your requirements are unsatisfiable"} {
					if !strings.Contains(msg, want) {
						t.Errorf("explanation lacks %q:\n%s", want, msg)
					}
				}
				if n := strings.Count(msg, "\n") + 1; n > 60 {
					t.Errorf("explanation takes %d lines", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, p := range lock.Packages {
				got[p.Name] = p.Version
			}
			if fmt.Sprint(got) != fmt.Sprint(c.Expected) {
				t.Errorf("pins %v\nwant %v", got, c.Expected)
			}
		})
	}
}

// BenchmarkStress resolves each stress case from memory with the real
// rules: the solver's work, without the network.
func BenchmarkStress(b *testing.B) {
	for _, name := range stress.Names {
		c, err := stress.ByName(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, err := solve(b, c)
				if (err == nil) != (c.Expected != nil) {
					b.Fatal(err)
				}
			}
		})
	}
}

// The pin conflict three levels down, made unavoidable by a root bound:
// the explanation follows the chain once, with every release of each
// level told as one range, instead of a sentence per version.
func TestPinConflictExplainedAsOneChain(t *testing.T) {
	c := stress.Pins(40, 60)
	c.Requires = append(c.Requires, "app07>=1.1")
	_, err := solve(t, c)
	if !errors.Is(err, resolve.ErrNoSolution) {
		t.Fatalf("want no solution, got %v", err)
	}
	msg := err.Error()
	for _, fact := range []string{"app07>=1.1 depends on mid07>=1.0, which depends on low07>=1.0",
		"every version of low07 depends on pin==2.0", "you require pin==1.0 and app07>=1.1"} {
		if !strings.Contains(msg, fact) {
			t.Errorf("explanation lacks %q:\n%s", fact, msg)
		}
	}
	// Nothing about the other 39 apps, and no single versions of the 60.
	if strings.Contains(msg, "app08") || strings.Contains(msg, "app07==") {
		t.Errorf("explanation strays from the chain:\n%s", msg)
	}
}
