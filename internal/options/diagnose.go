package options

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
)

// Diagnose are diagnose's flags.
type Diagnose struct {
	JSON      bool
	LibPath   []string
	System    string
	Sonames   []string
	NoVerify  bool
	NixLocate bool
	Python    string
	// Lock, when set, diagnoses the wheels of a lock, per target, instead
	// of wheels named on the command line.
	Lock string
}

// AddDiagnoseFlags adds them to cmd.
func AddDiagnoseFlags(cmd *cobra.Command, d *Diagnose) {
	f := cmd.Flags()
	f.BoolVar(&d.JSON, "json", false, "print the report as JSON")
	stringArrayVar(f, &d.LibPath, "lib-path", nil, "directory searched for libraries before the soname table (repeatable)")
	f.StringVar(&d.System, "system", autopatch.HostSystem(), "target Nix system: x86_64-linux or aarch64-linux")
	stringArrayVar(f, &d.Sonames, "soname", nil, "extra soname=nixpkgs-attribute row, overriding the table (repeatable)")
	f.BoolVar(&d.NoVerify, "no-verify", false, "do not hash entries against RECORD (for wheels whose own hash is already checked)")
	f.BoolVar(&d.NixLocate, "nix-locate", true, "look unknown sonames up with nix-locate when it is on PATH")
	f.StringVar(&d.Python, "python", "", "target Python version, e.g. 3.11: a libpython of another version is reported as such")
	f.StringVar(&d.Lock, "lock", "", "diagnose the wheels this lock installs, fetched into the cache, with a report per target (each system of a universal lock)")
	completeValues(cmd, "system", resolve.SupportedSystems...)
}

// Args checks diagnose's arguments: wheels or directories, or none with
// --lock.
func (d *Diagnose) Args(cmd *cobra.Command, args []string) error {
	if d.Lock != "" {
		if len(args) > 0 {
			return fmt.Errorf("give wheels or --lock, not both")
		}
		return nil
	}
	return cobra.MinimumNArgs(1)(cmd, args)
}

// RunLock diagnoses the wheels --lock installs, per target, and writes the
// reports to out; problem says whether a library is missing anywhere.
// The command's Args (d.Args) has refused wheels given beside --lock.
func (d *Diagnose) RunLock(ctx context.Context, g *Global, out io.Writer) (problem bool, err error) {
	lock, err := resolve.ReadLock(d.Lock)
	if err != nil {
		return false, err
	}
	cfg, err := g.LoadConfig()
	if err != nil {
		return false, err
	}
	opts, err := d.InspectOptions(cfg)
	if err != nil {
		return false, err
	}
	reports, err := pipeline.DiagnoseLock(ctx, lock, pipeline.Settings{Timeout: g.NetTimeout(), Config: cfg}, opts)
	problem, werr := pipeline.WriteReports(out, reports, d.JSON)
	return problem, errors.Join(err, werr)
}

// InspectOptions are the flags as autopatch.Inspect takes them. Rows from
// the config come first, so a --soname flag can override one for a single
// run.
func (d *Diagnose) InspectOptions(cfg *pipeline.Config) ([]autopatch.Option, error) {
	rows := map[string]string{}
	if cfg != nil {
		maps.Copy(rows, cfg.Sonames)
	}
	for _, s := range d.Sonames {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("--soname %q: want SONAME=ATTR, e.g. libfoo.so.1=foo", s)
		}
		rows[k] = v
	}
	return []autopatch.Option{
		autopatch.WithSystem(d.System), autopatch.WithLibPath(d.LibPath...),
		autopatch.WithSonames(rows), autopatch.WithVerifyRecord(!d.NoVerify),
		autopatch.WithNixLocate(d.NixLocate), autopatch.WithPython(d.Python),
	}, nil
}
