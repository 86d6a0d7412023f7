package scenario

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep440"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// Case is one conformance case in the harness's terms, whatever suite it
// came from.
type Case struct {
	Name   string `json:"name"`
	Source string `json:"source"` // the file it was read from
	// Requires are the root requirements.
	Requires []string        `json:"requires"`
	Dists    []pyindex.Wheel `json:"-"`
	Target   resolve.Target  `json:"target"`
	// Pre allows pre-releases everywhere; OnlyBinary and NoBinary hold
	// normalised names.
	Pre bool `json:"pre,omitempty"`
	// Resolution is packse's resolution option ("lowest", ...), or "".
	Resolution string   `json:"resolution,omitempty"`
	OnlyBinary []string `json:"onlyBinary,omitempty"`
	NoBinary   []string `json:"noBinary,omitempty"`
	Expected   Expected `json:"expected"`
	// Universal cases expect one resolution for every environment: they
	// are resolved with resolve.ResolveUniversal over every platform and
	// implementation, with Python from Target.Python up (and within
	// RequiresPython), restricted to Environments when given, and
	// reported apart.
	Universal      bool     `json:"universal,omitempty"`
	RequiresPython string   `json:"requiresPython,omitempty"`
	Environments   []string `json:"environments,omitempty"`
	// Unsupported, when set, says which of the case's options the harness
	// cannot express; the case is skipped with that reason.
	Unsupported string `json:"unsupported,omitempty"`
}

// Expected is a case's expected outcome.
type Expected struct {
	Satisfiable bool `json:"satisfiable"`
	// Pins are every package of the resolution (normalised name →
	// version), or empty when the suite does not say.
	Pins        map[string]string `json:"pins,omitempty"`
	Explanation string            `json:"explanation,omitempty"`
	// Absent are packages a solution must not pin: resolvelib's resolved
	// entries whose marker does not hold on the target.
	Absent []string `json:"absent,omitempty"`
}

// Status is how a case ended.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is the outcome of running one case.
type Result struct {
	Name      string            `json:"name"`
	Source    string            `json:"source"`
	Status    Status            `json:"status"`
	Universal bool              `json:"universal,omitempty"`
	Reason    string            `json:"reason,omitempty"` // why it failed or was skipped
	Pins      map[string]string `json:"pins,omitempty"`
}

// Load reads the cases at path: a packse .toml, a resolvelib case .json
// (its index is looked up in the sibling index/ folder), or a folder
// searched for both.
func Load(path string) ([]*Case, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		c, err := loadFile(path)
		if err != nil {
			return nil, err
		}
		return []*Case{c}, nil
	}
	var cases []*Case
	err = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".toml") || (strings.HasSuffix(p, ".json") && filepath.Base(filepath.Dir(p)) == "case") {
			c, err := loadFile(p)
			if err != nil {
				return err
			}
			cases = append(cases, c)
		}
		return nil
	})
	return cases, err
}

func loadFile(path string) (*Case, error) {
	switch {
	case strings.HasSuffix(path, ".toml"):
		return loadPackse(path)
	case strings.HasSuffix(path, ".json"):
		return loadResolvelib(path)
	}
	return nil, fmt.Errorf("%s: want a packse .toml or a resolvelib case .json", path)
}

// Run resolves the case against a fresh local index and compares the
// outcome with what it expects.
func Run(ctx context.Context, c *Case) Result {
	res := Result{Name: c.Name, Source: c.Source, Universal: c.Universal}
	if c.Unsupported != "" {
		res.Status, res.Reason = Skip, c.Unsupported
		return res
	}
	lock, err := resolveCase(ctx, c)
	if err != nil && !errors.Is(err, resolve.ErrNoSolution) {
		res.Status, res.Reason = Fail, "error: "+err.Error()
		return res
	}
	if lock != nil {
		res.Pins = lockPins(lock)
	}
	switch {
	case !c.Expected.Satisfiable && err == nil:
		res.Status, res.Reason = Fail, "expected no solution, got "+formatPins(res.Pins)
	case !c.Expected.Satisfiable:
		res.Status = Pass
	case err != nil:
		res.Status, res.Reason = Fail, "expected a solution, got: "+oneLine(err.Error())
	case len(c.Expected.Pins) > 0 && !samePins(c.Expected.Pins, res.Pins):
		res.Status, res.Reason = Fail, fmt.Sprintf("pins %s, want %s", formatPins(res.Pins), formatPins(c.Expected.Pins))
	case slices.ContainsFunc(c.Expected.Absent, func(n string) bool { _, ok := res.Pins[n]; return ok }):
		res.Status, res.Reason = Fail, fmt.Sprintf("pins %s, want none of %v", formatPins(res.Pins), c.Expected.Absent)
	default:
		res.Status = Pass
	}
	return res
}

func resolveCase(ctx context.Context, c *Case) (*resolve.Lock, error) {
	dir, err := os.MkdirTemp("", "machnix-scenario-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	srv, err := pyindex.New(filepath.Join(dir, "index"), c.Dists)
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	srv.Delay.Store(0)
	rules, err := resolve.NewRules(c.Target)
	if err != nil {
		return nil, err
	}
	resolution, err := resolve.ParseResolution(c.Resolution)
	if err != nil {
		return nil, err
	}
	idx := &fetch.Indexes{Strategy: fetch.FirstIndex, List: []resolve.Index{fetch.NewClient(srv.URL + "/simple")}}
	opts := []resolve.Option{resolve.WithRules(rules), resolve.WithIndex(idx), resolve.WithPre(c.Pre),
		resolve.WithBinaryRules(c.OnlyBinary, c.NoBinary), resolve.WithTarget(c.Target), resolve.WithResolution(resolution),
		resolve.WithProviders(resolve.ProviderPrefs{resolve.DefaultKey: {resolve.ProviderWheel, resolve.ProviderSdist}})}
	if c.Universal {
		opts = append(opts, resolve.WithUniverse(resolve.Universe{Python: c.Target.Python, RequiresPython: c.RequiresPython, Environments: c.Environments}))
		return resolve.ResolveUniversal(ctx, c.Requires, opts...)
	}
	return resolve.Resolve(ctx, c.Requires, opts...)
}

// lockPins are a lock's pins by name. A universal lock may pin a package
// at several versions, one per fork; the pin then reads "v1|v2" (sorted),
// so that an expected pin matches only when every fork that installs the
// package chose that version.
func lockPins(lock *resolve.Lock) map[string]string {
	versions := map[string][]string{}
	for _, p := range lock.Packages {
		if !slices.Contains(versions[p.Name], p.Version) {
			versions[p.Name] = append(versions[p.Name], p.Version)
		}
	}
	pins := make(map[string]string, len(versions))
	for n, vs := range versions {
		sort.Strings(vs)
		pins[n] = strings.Join(vs, "|")
	}
	return pins
}

// samePins compares two pin sets by normalised name and PEP 440 equality
// (suites write "19.3" for 19.3.0).
func samePins(want, got map[string]string) bool {
	if len(want) != len(got) {
		return false
	}
	for name, v := range want {
		g, ok := got[pep508.NormalizeName(name)]
		if !ok {
			return false
		}
		a, errA := pep440.Parse(v)
		b, errB := pep440.Parse(g)
		if errA != nil || errB != nil {
			if v != g {
				return false
			}
			continue
		}
		if a.Compare(b) != 0 {
			return false
		}
	}
	return true
}

func formatPins(pins map[string]string) string {
	if len(pins) == 0 {
		return "{}"
	}
	names := make([]string, 0, len(pins))
	for n := range pins {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "==" + pins[n]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
