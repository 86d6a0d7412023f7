package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/internal/termsafe"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

type diagnoseFlags struct {
	json      bool
	libPath   []string
	system    string
	sonames   []string
	noVerify  bool
	nixLocate bool
}

func newDiagnoseCmd() *cobra.Command {
	var fl diagnoseFlags
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

Exit codes: 0 every library is provided; 1 something is missing or a wheel is
not for the target; 2 bad usage or an unreadable wheel.`,
		Example: `  machnix diagnose dist/
  machnix diagnose --json numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.whl
  machnix diagnose --lib-path ./support --soname libfoo.so.1=foo app.whl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiagnose(cmd, args, fl)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&fl.json, "json", false, "print the report as JSON")
	stringArrayVar(f, &fl.libPath, "lib-path", nil, "directory searched for libraries before the soname table (repeatable)")
	f.StringVar(&fl.system, "system", autopatch.HostSystem(), "target Nix system: x86_64-linux or aarch64-linux")
	stringArrayVar(f, &fl.sonames, "soname", nil, "extra soname=nixpkgs-attribute row, overriding the table (repeatable)")
	f.BoolVar(&fl.noVerify, "no-verify", false, "do not hash entries against RECORD (for wheels whose own hash is already checked)")
	f.BoolVar(&fl.nixLocate, "nix-locate", true, "look unknown sonames up with nix-locate when it is on PATH")
	return cmd
}

func runDiagnose(cmd *cobra.Command, args []string, fl diagnoseFlags) error {
	files, err := wheelArgs(args)
	if err != nil {
		return err
	}
	cfg, err := configFor(cmd)
	if err != nil {
		return err
	}
	// Rows from machnix.toml first, so a --soname flag can override one for
	// a single run.
	extra := map[string]string{}
	for k, v := range cfg.Sonames {
		extra[k] = v
	}
	for _, s := range fl.sonames {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" || v == "" {
			return fmt.Errorf("--soname %q: want SONAME=ATTR, e.g. libfoo.so.1=foo", s)
		}
		extra[k] = v
	}
	opts := []autopatch.Option{
		autopatch.WithSystem(fl.system), autopatch.WithLibPath(fl.libPath...),
		autopatch.WithSonames(extra), autopatch.WithVerifyRecord(!fl.noVerify),
		autopatch.WithNixLocate(fl.nixLocate),
	}
	if bar := newProgress(cmd.ErrOrStderr(), len(files), "reading wheels"); bar != nil {
		opts = append(opts, autopatch.WithProgress(func(done, total int) { _ = bar.Set(done) }))
		defer func() { _ = bar.Finish() }()
	}
	rep, err := autopatch.Inspect(cmd.Context(), files, opts...)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if fl.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(out, rep)
	}
	for _, w := range rep.Wheels {
		if len(w.Missing) > 0 || w.NotForTarget != "" {
			return errSilentProblem
		}
	}
	return nil
}

// wheelArgs expands directories to the *.whl files in them, sorted.
func wheelArgs(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, errors.Unwrap(err))
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		found, err := filepath.Glob(filepath.Join(a, "*.whl"))
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no *.whl files in this directory", a)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// printReport prints the report for a person. Names, versions, paths,
// sonames and tags come from the wheels, so each goes through termsafe.
func printReport(out io.Writer, rep *autopatch.NativeReport) {
	q := termsafe.String
	for i, w := range rep.Wheels {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "%s (%s %s)\n", q(filepath.Base(w.File)), q(w.Name), q(w.Version))
		if w.NotForTarget != "" {
			fmt.Fprintf(out, "  NOT FOR THIS TARGET: %s; pick a wheel built for this system.\n", q(w.NotForTarget))
		}
		if len(w.ELFs) == 0 {
			fmt.Fprintln(out, "  no ELF files: nothing native to provide")
			continue
		}
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ELF\tNEEDS\tSTATUS\tPROVIDER")
		for _, e := range w.ELFs {
			if len(e.Deps) == 0 {
				fmt.Fprintf(tw, "  %s\t-\t-\t-\n", q(e.Path))
			}
			for j, d := range e.Deps {
				name := q(e.Path)
				if j > 0 {
					name = ""
				}
				prov := q(d.Provider)
				if d.Guess {
					prov += " (nix-locate guess)"
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", name, q(d.Soname), q(string(d.Status)), prov)
			}
		}
		_ = tw.Flush()
		if len(w.NixInputs) > 0 {
			fmt.Fprintf(out, "  nixpkgs inputs: %s\n", q(strings.Join(w.NixInputs, " ")))
		}
		if w.Manylinux != "" {
			fmt.Fprintf(out, "  symbol versions need: %s", q(w.Manylinux))
			if w.ManylinuxNeedsMore() {
				fmt.Fprintf(out, " (the file name claims only %s)", q(w.ClaimedManylinux))
			}
			fmt.Fprintln(out)
		}
		for _, m := range w.Missing {
			fmt.Fprintf(out, "  MISSING %s: add a row to machnix.toml [sonames], e.g. %q = \"<nixpkgs attribute>\", pass --soname %s=ATTR, or --lib-path DIR holding it\n", q(m), m, q(m))
		}
	}
}

// newProgress returns a progress bar on w when w is a terminal, else nil:
// progress is for people watching, never for logs or pipes.
func newProgress(w io.Writer, total int, what string) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(total, progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what), progressbar.OptionClearOnFinish())
}
