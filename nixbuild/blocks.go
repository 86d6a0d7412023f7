package nixbuild

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"sync"
)

// A Block is the part of a generated default.nix that one lock entry
// produced: Section is "packages" or "build_packages", as in the lock.
type Block struct {
	Section string
	Name    string
}

var (
	blockStart = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^    (?:"([^"\\$]+)" =|# machnix\.toml \[overrides\.([^\]]+)\] is applied below\.)`)
	})
	sectionStart = map[string]string{"  overrides = {": "packages"}
)

// BlockAt names the lock entry whose block holds line (counted from 1) of
// expr, a default.nix that Generate wrote: Generate writes each package's
// changes as one attribute of the overrides set, opened by its quoted
// name or by the comment that marks its override, and the block runs to
// the next one or to the set's end.
func BlockAt(expr []byte, line int) (Block, bool) {
	var cur Block
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(expr))
	sc.Buffer(nil, len(expr)+1)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if s, ok := sectionStart[l]; ok {
			section, cur = s, Block{}
		} else if l == "  };" {
			section, cur = "", Block{}
		} else if m := blockStart().FindStringSubmatch(l); m != nil && section != "" {
			name := m[1] + m[2]
			if cur.Name != name || cur.Section != section {
				cur = Block{Section: section, Name: name}
			}
		}
		if n == line {
			return cur, cur.Name != ""
		}
	}
	return Block{}, false
}

// ErrorLines are the line numbers an evaluation error (with or without
// its trace) gives for file, in the order it gives them.
func ErrorLines(msg, file string) []int {
	re := regexp.MustCompile(regexp.QuoteMeta(file) + `:(\d+):\d+`)
	var out []int
	for _, m := range re.FindAllStringSubmatch(msg, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil {
			out = append(out, n)
		}
	}
	return out
}
