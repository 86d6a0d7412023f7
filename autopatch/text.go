package autopatch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/machnix/machnix/internal/termsafe"
)

// WheelFiles expands directories to the *.whl files in them, sorted;
// other arguments are taken as wheel files. A directory is not searched
// below its top level: skipped names the subdirectories passed over, so
// that a caller can say so.
func WheelFiles(args ...string) (files, skipped []string, err error) {
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", termsafe.String(a), errors.Unwrap(err))
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, nil, err
		}
		var found []string
		for _, e := range entries {
			switch {
			case e.IsDir():
				skipped = append(skipped, filepath.Join(a, e.Name()))
			case strings.HasSuffix(e.Name(), ".whl"):
				found = append(found, filepath.Join(a, e.Name()))
			}
		}
		if len(found) == 0 {
			return nil, skipped, fmt.Errorf("%s: no *.whl files in this directory (subdirectories are not searched)", termsafe.String(a))
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, skipped, nil
}

// WriteText writes the report for a person. Names, versions, paths, sonames
// and tags come from the wheels, so each is escaped for a terminal.
func (rep *NativeReport) WriteText(out io.Writer) error {
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
			switch attr, known := sameStem(m); {
			case w.NotForTarget != "":
				// No row makes a wheel for another platform load.
				fmt.Fprintf(out, "  MISSING %s (the wheel is not for this target)\n", q(m))
			case attr != "":
				fmt.Fprintf(out, "  MISSING %s: a guess: nixpkgs attribute %s provides %s, another version; if it fits, add to machnix.toml [sonames]: %q = %q\n",
					q(m), q(attr), q(known), m, attr)
			default:
				fmt.Fprintf(out, "  MISSING %s: add a row to machnix.toml [sonames], e.g. %q = \"<nixpkgs attribute>\", pass --soname %s=ATTR, or --lib-path DIR holding it\n", q(m), m, q(m))
			}
		}
	}
	return nil
}

// sameStem finds a nixpkgs row of the embedded table for another version
// of soname's library (libfoo.so.2 for libfoo.so.3) and returns its
// attribute and soname; "" when there is none.
func sameStem(soname string) (attr, known string) {
	stem, _, ok := strings.Cut(soname, ".so")
	if !ok || stem == "" {
		return "", ""
	}
	for _, row := range sortedRows() {
		if s, _, ok := strings.Cut(row.Soname, ".so"); ok && s == stem && row.Status == StatusNixpkgs && row.Soname != soname {
			return row.Provider, row.Soname
		}
	}
	return "", ""
}

func sortedRows() []TableRow {
	t := Table()
	rows := make([]TableRow, 0, len(t))
	for _, r := range t {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b TableRow) int { return strings.Compare(b.Soname, a.Soname) })
	return rows
}
