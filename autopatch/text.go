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
	"unicode/utf8"

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
		name := w.Filename
		if name == "" { // a report from before Filename, or made by hand
			name = filepath.Base(w.File)
		}
		fmt.Fprintf(out, "%s (%s %s)\n", q(name), q(w.Name), q(w.Version))
		if w.NotForTarget != "" {
			fmt.Fprintf(out, "  NOT FOR THIS TARGET: %s; pick a wheel built for this system.\n", q(w.NotForTarget))
		}
		if len(w.ELFs) == 0 {
			fmt.Fprintln(out, "  no ELF files: nothing native to provide")
			continue
		}
		rows := [][]string{{"ELF", "NEEDS", "STATUS", "PROVIDER"}}
		for _, e := range w.ELFs {
			if len(e.Deps) == 0 {
				rows = append(rows, []string{q(e.Path), "-", "-", "-"})
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
				rows = append(rows, []string{name, q(d.Soname), q(string(d.Status)), prov})
			}
		}
		writeTable(out, rows)
		if len(w.NixInputs) > 0 {
			writeWrapped(out, "  nixpkgs inputs: "+q(strings.Join(w.NixInputs, " ")))
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
			case w.OtherPython(m) != "":
				writeWrapped(out, fmt.Sprintf("  MISSING %s: the wheel was built for %s, not for the target's Python; take the wheel built for the target (resolve with --python)",
					q(m), q(w.OtherPython(m))))
			case w.NotForTarget != "":
				// No row makes a wheel for another platform load.
				writeWrapped(out, fmt.Sprintf("  MISSING %s (the wheel is not for this target)", q(m)))
			case attr != "":
				writeWrapped(out, fmt.Sprintf("  MISSING %s: a guess: nixpkgs attribute %s provides %s, another version; if it fits, add to machnix.toml [sonames]: %q = %q",
					q(m), q(attr), q(known), m, attr))
			default:
				writeWrapped(out, fmt.Sprintf("  MISSING %s: add a row to machnix.toml [sonames], e.g. %q = \"<nixpkgs attribute>\", pass --soname %s=ATTR, or --lib-path DIR holding it", q(m), m, q(m)))
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

// textWidth is what the report fits in: a terminal's default, and what a
// CI log shows without wrapping.
const textWidth = 100

// writeTable writes rows as columns two spaces apart, indented by two.
// When the table would be wider than textWidth, the first and last
// columns (a path inside the wheel, an attribute path) get narrower and
// their long cells wrap within the column, after a '/', '.' or space
// where there is one, so that no line crosses textWidth.
func writeTable(out io.Writer, rows [][]string) {
	const indent, gap = 2, 2
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	total := func() int {
		n := indent + gap*(len(widths)-1)
		for _, w := range widths {
			n += w
		}
		return n
	}
	// Narrow the wider of the first and last columns until it fits, but
	// never below what the header needs.
	last := len(widths) - 1
	for total() > textWidth {
		i := 0
		if widths[last] >= widths[0] {
			i = last
		}
		if widths[i] <= 12 {
			break
		}
		widths[i]--
	}
	for _, r := range rows {
		cells := make([][]string, len(r))
		lines := 1
		for i, c := range r {
			cells[i] = wrapCell(c, widths[i])
			lines = max(lines, len(cells[i]))
		}
		for l := 0; l < lines; l++ {
			var b strings.Builder
			b.WriteString(strings.Repeat(" ", indent))
			for i := range r {
				piece := ""
				if l < len(cells[i]) {
					piece = cells[i][l]
				}
				b.WriteString(piece)
				if i < last {
					b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(piece)+gap))
				}
			}
			fmt.Fprintln(out, strings.TrimRight(b.String(), " "))
		}
	}
}

// wrapCell cuts s into pieces of at most width runes, each ending after a
// '/', '.', '-' or space when one falls in the second half of the piece.
func wrapCell(s string, width int) []string {
	r := []rune(s)
	var out []string
	for len(r) > width {
		cut := width
		for i := width; i > width/2; i-- {
			if strings.ContainsRune("/.- ", r[i-1]) {
				cut = i
				break
			}
		}
		out = append(out, string(r[:cut]))
		r = r[cut:]
	}
	return append(out, string(r))
}

// writeWrapped writes a line of prose, continuing it on lines indented by
// four when it would cross textWidth.
func writeWrapped(out io.Writer, line string) {
	words := strings.Split(line, " ")
	cur := ""
	for _, w := range words {
		switch {
		case cur == "" || strings.TrimSpace(cur) == "":
			cur += w
			if w == "" {
				cur += " "
			}
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) > textWidth:
			fmt.Fprintln(out, cur)
			cur = "    " + w
		default:
			cur += " " + w
		}
	}
	fmt.Fprintln(out, cur)
}
