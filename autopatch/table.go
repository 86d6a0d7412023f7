package autopatch

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// sonamesTSV is the embedded soname table. Every row names its source; see
// the header of sonames.tsv.
//
//go:embed sonames.tsv
var sonamesTSV []byte

// TableRow is one soname → provider row of the soname table.
type TableRow struct {
	Soname   string
	Status   Status // StatusLibc, StatusNixpkgs or StatusDriver
	Provider string // nixpkgs attribute path; "glibc" or "driver" otherwise
	Source   string
}

// builtinTable is parsed when first needed, not at every start of machnix.
var builtinTable = sync.OnceValue(func() map[string]TableRow { return mustParseTable(sonamesTSV) })

func mustParseTable(data []byte) map[string]TableRow {
	rows, err := parseTable(data)
	if err != nil {
		panic("autopatch: embedded sonames.tsv: " + err.Error())
	}
	return rows
}

func parseTable(data []byte) (map[string]TableRow, error) {
	out := map[string]TableRow{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != 4 || f[3] == "" {
			return nil, fmt.Errorf("line %d: want soname, status, provider, source separated by tabs", line)
		}
		st := Status(f[1])
		if st != StatusLibc && st != StatusNixpkgs && st != StatusDriver {
			return nil, fmt.Errorf("line %d: status %q is not libc, nixpkgs or driver", line, f[1])
		}
		if _, dup := out[f[0]]; dup {
			return nil, fmt.Errorf("line %d: %s is listed twice", line, f[0])
		}
		out[f[0]] = TableRow{Soname: f[0], Status: st, Provider: f[2], Source: f[3]}
	}
	return out, sc.Err()
}

// Table returns a copy of the embedded soname table, keyed by soname.
func Table() map[string]TableRow {
	out := make(map[string]TableRow, len(builtinTable()))
	for k, v := range builtinTable() {
		out[k] = v
	}
	return out
}
