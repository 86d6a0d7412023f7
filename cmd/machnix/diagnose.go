package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/internal/options"
	"github.com/machnix/machnix/internal/progress"
	"github.com/machnix/machnix/internal/termsafe"
)

func newDiagnoseCmd(g *options.Global) *cobra.Command {
	var fl options.Diagnose
	cmd := &cobra.Command{
		Use:   "diagnose WHEEL...|DIR",
		Short: "Report the native libraries wheels need and where each comes from",
		Long: `diagnose reads wheels (or every *.whl in a directory) without unpacking them,
inspects each ELF file inside, and resolves every needed shared library to one
status, first match wins:

  bundled   inside the same wheel (RUNPATH/RPATH with $ORIGIN, <pkg>.libs/)
  libc      part of glibc, which comes with the interpreter
  python    libpython of the target interpreter
  wheel     shipped by another wheel among the inputs
  lib_path  found in a --lib-path directory
  nixpkgs   mapped to a nixpkgs attribute (embedded table, --soname rows,
            or a nix-locate guess when nix-locate is on PATH)
  driver    supplied by the GPU driver at run time
  missing   nothing provides it

Wheels built for another architecture, musl or Android are reported as not for
the target and never mapped to nixpkgs.

With --lock, the wheels a lock installs are fetched and inspected per target.

Exit codes: 0 every library is provided; 1 something is missing or a wheel is
not for the target; 2 bad usage or an unreadable wheel.`,
		Example: `  machnix diagnose dist/
  machnix diagnose --json numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.whl
  machnix diagnose --lib-path ./support --soname libfoo.so.1=foo app.whl`,
		Args: fl.Args,
		RunE: func(cmd *cobra.Command, args []string) error {
			if fl.Lock != "" {
				problem, err := fl.RunLock(cmd.Context(), g, cmd.OutOrStdout())
				if err == nil && problem {
					return errSilentProblem
				}
				return err
			}
			return runDiagnose(cmd, g, args, &fl)
		},
	}
	options.AddDiagnoseFlags(cmd, &fl)
	return cmd
}

func runDiagnose(cmd *cobra.Command, g *options.Global, args []string, fl *options.Diagnose) error {
	files, skipped, err := autopatch.WheelFiles(args...)
	for _, d := range skipped {
		fmt.Fprintf(cmd.ErrOrStderr(), "machnix: skipped the subdirectory %s; name it to read its wheels\n", termsafe.String(d))
	}
	if err != nil {
		return err
	}
	cfg, err := g.LoadConfig()
	if err != nil {
		return err
	}
	opts, err := fl.InspectOptions(cfg)
	if err != nil {
		return err
	}
	if bar := progress.Bar(cmd.ErrOrStderr(), len(files), "reading wheels"); bar != nil {
		opts = append(opts, autopatch.WithProgress(func(done, total int) { _ = bar.Set(done) }))
		defer func() { _ = bar.Finish() }()
	}
	rep, inspectErr := autopatch.Inspect(cmd.Context(), files, opts...)
	if rep == nil {
		return inspectErr
	}
	out := cmd.OutOrStdout()
	if fl.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		if err := rep.WriteText(out); err != nil {
			return err
		}
	}
	if errors.Is(inspectErr, autopatch.ErrRecordMismatch) && !fl.NoVerify {
		return fmt.Errorf("%w\n(a wheel whose own sha256 is already checked can be read with --no-verify, which skips RECORD)", inspectErr)
	}
	if inspectErr != nil {
		return inspectErr
	}
	for _, w := range rep.Wheels {
		if len(w.Missing) > 0 || w.NotForTarget != "" {
			return errSilentProblem
		}
	}
	return nil
}
