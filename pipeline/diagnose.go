package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/internal/termsafe"
	"github.com/machnix/machnix/resolve"
)

// TargetReport is the native-library report of the wheels one target of a
// lock installs.
type TargetReport struct {
	Target string                  `json:"target"`
	Report *autopatch.NativeReport `json:"report"`
}

// DiagnoseLock fetches the wheels each target of the lock installs and
// inspects them for that target's system and Python, after the inspect
// options given, keeping each wheel's facts in the cache as Prepare does:
// a universal lock gets one report per target (every system's files,
// whatever machine this is), a single-target lock one.
func DiagnoseLock(ctx context.Context, lock *resolve.Lock, s Settings, inspect []autopatch.Option, opts ...Option) ([]TargetReport, error) {
	targets := lock.Targets
	if !lock.Universal() {
		targets = []resolve.Target{lock.Target}
	}
	var out []TargetReport
	for _, t := range targets {
		tl, err := lock.ForTarget(t.System, t.Python)
		if err != nil {
			return out, err
		}
		arts, err := Fetch(ctx, tl, s, opts...)
		if err != nil {
			return out, err
		}
		rep, err := inspectWheels(ctx, arts, t, s, inspect...)
		if rep != nil {
			out = append(out, TargetReport{Target: t.Key(), Report: rep})
		}
		if err != nil {
			return out, fmt.Errorf("target %s: %w", t.Key(), err)
		}
	}
	return out, nil
}

// WriteReports writes the reports as JSON, or as text with a heading per
// target; problem says whether a library is missing or a wheel is not for
// its target anywhere.
func WriteReports(w io.Writer, reports []TargetReport, asJSON bool) (problem bool, err error) {
	for _, r := range reports {
		for _, wr := range r.Report.Wheels {
			problem = problem || len(wr.Missing) > 0 || wr.NotForTarget != ""
		}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return problem, enc.Encode(reports)
	}
	for _, r := range reports {
		if _, err := fmt.Fprintf(w, "== %s\n", termsafe.String(r.Target)); err != nil {
			return problem, err
		}
		if err := r.Report.WriteText(w); err != nil {
			return problem, err
		}
	}
	return problem, nil
}
