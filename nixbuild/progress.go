package nixbuild

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/machnix/machnix/fetch"
)

// Progress is what nix-build is doing, read from its structured log
// (--log-format internal-json). It is a plain value for a CLI to render.
type Progress struct {
	Done     int `json:"done"`     // derivations built
	Expected int `json:"expected"` // derivations to build in all
	Running  int `json:"running"`
	Failed   int `json:"failed"`
	// Building names the derivations building now, e.g.
	// "python3.11-numpy-2.1.0", sorted; one a remote builder builds
	// names the machine: "python3.11-numpy-2.1.0 on ssh://host".
	Building []string `json:"building,omitempty"`
	// Remote counts the derivations sent to each remote builder, by the
	// builder's URL without its query or credentials.
	Remote map[string]int `json:"remote,omitempty"`
	// Substituted counts the paths copied from substituters (binary
	// caches) instead of being built.
	Substituted int `json:"substituted"`
	// Unsigned are the paths a substituter offered that Nix refused for
	// want of a signature by a trusted key, by the substituter's URL as
	// Nix printed it.
	Unsigned map[string][]string `json:"unsigned,omitempty"`
	// Warnings explain, once the build has ended, what a person should
	// know: why a cache was refused.
	Warnings []string `json:"warnings,omitempty"`
}

// Activity and result types of Nix's logger (src/libutil/logging.hh); they
// are part of the internal-json protocol that nix-output-monitor reads too.
const (
	actBuilds       = 104
	actBuild        = 105
	actSubstitute   = 108
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
var (
	ansiEscape = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]") })
	// Nix 2.8 words a refused substitute in one of two ways, depending on
	// where the signature check fails.
	unsignedSubstitute = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`the substitute for '([^']+)' from '([^']+)' is not signed by any of the keys in 'trusted-public-keys'|substituter '([^']+)' does not have a valid signature for path '([^']+)'`)
	})
)

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
	// machineOf is the remote builder of each derivation sent to one,
	// for the diagnosis of a failure.
	machineOf map[string]string
}

func newJSONLog(text io.Writer, progress func(Progress)) *jsonLog {
	l := &jsonLog{text: text, progress: progress, kinds: map[uint64]int{}, building: map[uint64]string{}, machineOf: map[string]string{}}
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
		l.noteUnsigned(ansiEscape().ReplaceAllString(ev.Msg, ""))
	case "start":
		l.kinds[ev.ID] = ev.Type
		switch ev.Type {
		case actBuild:
			if ev.Text != "" {
				l.say(ev.Text)
			}
			var drv, machine string
			if len(ev.Fields) > 0 && json.Unmarshal(ev.Fields[0], &drv) == nil {
				name := derivationName(drv)
				// Through ssh-ng the builder's own log is forwarded: its
				// build of a derivation sent there, on no machine, is the
				// same build.
				if m, ok := l.machineOf[drv]; ok && len(ev.Fields) > 1 && json.Unmarshal(ev.Fields[1], &machine) == nil && machine == "" {
					name += " on " + m
				} else if len(ev.Fields) > 1 && json.Unmarshal(ev.Fields[1], &machine) == nil && machine != "" {
					machine = MachineName(machine)
					l.machineOf[drv] = machine
					name += " on " + machine
					if l.state.Remote == nil {
						l.state.Remote = map[string]int{}
					}
					l.state.Remote[machine]++
				}
				l.building[ev.ID] = name
				l.report()
			}
		case actSubstitute:
			l.state.Substituted++
			l.report()
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

// noteUnsigned records a substitute Nix refused for want of a trusted
// signature.
func (l *jsonLog) noteUnsigned(msg string) {
	m := unsignedSubstitute().FindStringSubmatch(msg)
	if m == nil {
		return
	}
	storePath, cache := m[1], m[2]
	if m[3] != "" {
		cache, storePath = m[3], m[4]
	}
	if l.state.Unsigned == nil {
		l.state.Unsigned = map[string][]string{}
	}
	l.state.Unsigned[cache] = append(l.state.Unsigned[cache], storePath)
}

// MachineName is a remote builder's or store's URL as progress shows it:
// without its query (store settings) or credentials.
func MachineName(machine string) string {
	base, _, _ := strings.Cut(machine, "?")
	return fetch.Redact(base)
}

func (l *jsonLog) say(s string) {
	io.WriteString(l.text, ansiEscape().ReplaceAllString(s, "")+"\n")
}

func (l *jsonLog) report() {
	if l.progress == nil {
		return
	}
	p := l.state
	p.Remote, p.Unsigned = maps.Clone(p.Remote), maps.Clone(p.Unsigned)
	p.Building = nil
	for _, name := range l.building {
		p.Building = append(p.Building, name)
	}
	sort.Strings(p.Building)
	p.Building = slices.Compact(p.Building)
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
