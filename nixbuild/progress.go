package nixbuild

import (
	"bytes"
	"encoding/json"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Progress is what nix-build is doing, read from its structured log
// (--log-format internal-json). It is a plain value for a CLI to render.
type Progress struct {
	Done     int `json:"done"`     // derivations built
	Expected int `json:"expected"` // derivations to build in all
	Running  int `json:"running"`
	Failed   int `json:"failed"`
	// Building names the derivations building now, e.g.
	// "python3.11-numpy-2.1.0", sorted.
	Building []string `json:"building,omitempty"`
}

// Activity and result types of Nix's logger (src/libutil/logging.hh); they
// are part of the internal-json protocol that nix-output-monitor reads too.
const (
	actBuilds       = 104
	actBuild        = 105
	resBuildLogLine = 101
	resProgress     = 105
)

// nixLogEvent is one "@nix {...}" line.
type nixLogEvent struct {
	Action string            `json:"action"`
	ID     uint64            `json:"id"`
	Type   int               `json:"type"`
	Text   string            `json:"text"`
	Msg    string            `json:"msg"`
	Fields []json.RawMessage `json:"fields"`
}

// Compiled when a build shows progress, not as every run of machnix starts.
var ansiEscape = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]") })

// jsonLog turns nix-build's structured log back into the text lines a
// person would read (for the tail kept for diagnosis, and for Log), and
// reports Progress as builds start and finish.
type jsonLog struct {
	lines
	text     io.Writer
	progress func(Progress)

	kinds    map[uint64]int    // activity id → type
	building map[uint64]string // actBuild id → derivation name
	state    Progress
}

func newJSONLog(text io.Writer, progress func(Progress)) *jsonLog {
	l := &jsonLog{text: text, progress: progress, kinds: map[uint64]int{}, building: map[uint64]string{}}
	l.lines.each = l.line
	return l
}

// lines is an io.Writer that hands each complete line to each, and the
// unterminated last one on flush.
type lines struct {
	each    func(string)
	partial []byte
}

func (l *lines) Write(p []byte) (int, error) {
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.each(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

func (l *lines) flush() {
	if len(l.partial) > 0 {
		l.each(string(l.partial))
		l.partial = nil
	}
}

func (l *jsonLog) line(s string) {
	raw, ok := strings.CutPrefix(s, "@nix ")
	var ev nixLogEvent
	if !ok || json.Unmarshal([]byte(raw), &ev) != nil {
		l.say(s) // not structured: a builder or Nix printed it as is
		return
	}
	switch ev.Action {
	case "msg":
		l.say(ev.Msg)
	case "start":
		l.kinds[ev.ID] = ev.Type
		if ev.Type == actBuild {
			if ev.Text != "" {
				l.say(ev.Text)
			}
			var drv string
			if len(ev.Fields) > 0 && json.Unmarshal(ev.Fields[0], &drv) == nil {
				l.building[ev.ID] = derivationName(drv)
				l.report()
			}
		}
	case "stop":
		if _, ok := l.building[ev.ID]; ok {
			delete(l.building, ev.ID)
			l.report()
		}
		delete(l.kinds, ev.ID)
	case "result":
		switch {
		case ev.Type == resBuildLogLine && len(ev.Fields) > 0:
			var text string
			if json.Unmarshal(ev.Fields[0], &text) == nil {
				l.say(text)
			}
		case ev.Type == resProgress && l.kinds[ev.ID] == actBuilds && len(ev.Fields) == 4:
			var n [4]int
			for i, f := range ev.Fields {
				if json.Unmarshal(f, &n[i]) != nil {
					return
				}
			}
			l.state.Done, l.state.Expected, l.state.Running, l.state.Failed = n[0], n[1], n[2], n[3]
			l.report()
		}
	}
}

func (l *jsonLog) say(s string) {
	io.WriteString(l.text, ansiEscape().ReplaceAllString(s, "")+"\n")
}

func (l *jsonLog) report() {
	if l.progress == nil {
		return
	}
	p := l.state
	p.Building = nil
	for _, name := range l.building {
		p.Building = append(p.Building, name)
	}
	sort.Strings(p.Building)
	l.progress(p)
}

// derivationName strips the store directory, hash and .drv:
// /nix/store/abc…-python3.11-numpy-2.1.0.drv → python3.11-numpy-2.1.0.
func derivationName(drv string) string {
	base := strings.TrimSuffix(path.Base(drv), ".drv")
	if _, name, ok := strings.Cut(base, "-"); ok {
		return name
	}
	return base
}
