// Package progress shows the pipeline's progress to a person: bars on a
// terminal, and in logs a line per stage or per derivation, never a bar.
package progress

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/machnix/machnix/internal/termsafe"
	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/oci"
)

// Layers renders oci.Updates. On a terminal a frame redraws in place, as
// docker's and cargo's do: a line per layer in layer order, naming its
// largest store path, with its bytes labelled compressed or uncompressed,
// capped to the screen's height, and a total line under it; when a stage
// ends the frame gives way to the stage's summary line. Elsewhere (logs,
// pipes, tests) only that summary line is written, so a CI log says how
// many layers were rebuilt and uploaded without a line per layer.
type Layers struct {
	w   io.Writer
	tty bool
	// size is the terminal's width and height.
	size func() (int, int)

	stage   oci.Stage
	layers  map[int]oci.Update
	largest map[int]string // by layer, from the build stage, for the push
	drawn   int            // lines of the frame on screen
	last    time.Time
}

// NewLayers renders to w.
func NewLayers(w io.Writer) *Layers {
	p := &Layers{w: w, tty: isTerminal(w), largest: map[int]string{}, size: func() (int, int) { return 80, 24 }}
	if f, ok := w.(*os.File); ok && p.tty {
		p.size = func() (int, int) {
			if w, h, err := term.GetSize(int(f.Fd())); err == nil {
				return w, h
			}
			return 80, 24
		}
	}
	return p
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// redrawEvery bounds how often the frame redraws while bytes flow; a layer
// starting or finishing redraws at once.
const redrawEvery = 100 * time.Millisecond

// Update takes one update; calls must not overlap.
func (p *Layers) Update(u oci.Update) {
	if u.Stage != p.stage {
		p.End()
		p.stage, p.layers = u.Stage, map[int]oci.Update{}
	}
	prev, seen := p.layers[u.Layer]
	p.layers[u.Layer] = u
	if u.Largest != "" {
		p.largest[u.Layer] = u.Largest
	}
	if !p.tty {
		return
	}
	if seen && u.Finished == prev.Finished && time.Since(p.last) < redrawEvery {
		return
	}
	p.draw()
}

// draw replaces the frame on screen with the current one: the cursor goes
// up over the old frame, which is erased, and the new one is written.
func (p *Layers) draw() {
	p.last = time.Now()
	width, height := p.size()
	lines := p.frame(max(1, height-2))
	var b strings.Builder
	p.erase(&b)
	for _, l := range lines {
		if width > 1 && len(l) > width-1 {
			l = l[:width-1] // a wrapped line would throw the next redraw off
		}
		b.WriteString(l + "\n")
	}
	p.drawn = len(lines)
	_, _ = io.WriteString(p.w, b.String())
}

func (p *Layers) erase(b *strings.Builder) {
	if p.drawn > 0 {
		fmt.Fprintf(b, "\x1b[%dA\r\x1b[J", p.drawn)
		p.drawn = 0
	}
}

// frame is a line per layer, at most room of them, and the total line.
// Layers at work come first when not all fit, then those waiting, then
// those done; the lines shown stay in layer order.
func (p *Layers) frame(room int) []string {
	idx := make([]int, 0, len(p.layers))
	var done, total int64
	var finished, layers int
	for i, u := range p.layers {
		idx = append(idx, i)
		done, total = done+u.Done, total+u.Total
		layers = max(layers, u.Layers)
		if u.Finished {
			finished++
		}
	}
	rank := func(u oci.Update) int {
		switch {
		case u.Finished:
			return 2
		case u.Done > 0:
			return 0
		}
		return 1
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := rank(p.layers[a]) - rank(p.layers[b]); c != 0 {
			return c
		}
		return a - b
	})
	shown := idx[:min(room, len(idx))]
	slices.Sort(shown)
	lines := make([]string, 0, len(shown)+1)
	for _, i := range shown {
		lines = append(lines, p.layerLine(p.layers[i]))
	}
	more := ""
	if hidden := max(layers, len(idx)) - len(shown); hidden > 0 {
		more = fmt.Sprintf(", %d not shown", hidden)
	}
	lines = append(lines, fmt.Sprintf("%s %d/%d layers, %s / %s %s%s", stageVerb(p.stage, false), finished, layers,
		humanBytes(done), humanBytes(total), sizeKind(p.stage), more))
	return lines
}

// End closes the current stage: the frame gives way to the summary line,
// which is all that is written off a terminal.
func (p *Layers) End() {
	if p.stage == "" {
		return
	}
	var b strings.Builder
	p.erase(&b)
	_, _ = io.WriteString(p.w, b.String())
	var fresh, reused, layers int
	var bytes int64
	for _, u := range p.layers {
		layers = max(layers, u.Layers)
		switch {
		case u.Finished && u.Reused:
			reused++
		case u.Finished:
			fresh++
			bytes += u.Done
		}
	}
	stage := p.stage
	p.stage = ""
	if fresh+reused == 0 {
		return
	}
	fmt.Fprintf(p.w, "%d of %d layers %s (%s %s), %d %s\n", fresh, layers, stageVerb(stage, true), humanBytes(bytes), sizeKind(stage),
		reused, map[oci.Stage]string{oci.StageBuild: "from the layer cache", oci.StagePush: "already in the registry"}[stage])
}

// sizeKind labels a stage's bytes: a layer is built from its uncompressed
// tar and pushed compressed.
func sizeKind(s oci.Stage) string {
	if s == oci.StagePush {
		return "compressed"
	}
	return "uncompressed"
}

func (p *Layers) layerLine(u oci.Update) string {
	name := "?"
	if l := p.largest[u.Layer]; l != "" {
		name = termsafe.String(storeName(l))
	}
	what := fmt.Sprintf("layer %*d/%d %-32s", len(strconv.Itoa(u.Layers)), u.Layer+1, u.Layers, name)
	switch {
	case u.Reused && u.Stage == oci.StageBuild:
		return what + " from the layer cache"
	case u.Reused:
		return what + " already in the registry"
	case u.Finished:
		return fmt.Sprintf("%s %s (%s %s)", what, stageVerb(u.Stage, true), humanBytes(u.Done), sizeKind(u.Stage))
	case u.Done == 0:
		return what + " waiting"
	}
	return fmt.Sprintf("%s %s / %s %s", what, humanBytes(u.Done), humanBytes(u.Total), sizeKind(u.Stage))
}

// storeName is a store path's name without the store directory and hash:
// python3-3.11.9 for /nix/store/<hash>-python3-3.11.9.
func storeName(p string) string {
	base := filepath.Base(p)
	if _, name, ok := strings.Cut(base, "-"); ok && len(base) > 33 && base[32] == '-' {
		return name
	}
	return base
}

func stageVerb(s oci.Stage, past bool) string {
	switch {
	case s == oci.StagePush && past:
		return "pushed"
	case s == oci.StagePush:
		return "pushing"
	case past:
		return "built"
	}
	return "building"
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Nix renders nix-build's progress: on a terminal a bar of the
// derivations built with what is building now; elsewhere a line as each
// derivation starts, so a CI log shows where time went.
type Nix struct {
	w       io.Writer
	tty     bool
	bar     *progressbar.ProgressBar
	started map[string]bool
	begun   time.Time
	built   int
	last    nixbuild.Progress
}

// NewNix renders to w; the build's time counts from now.
func NewNix(w io.Writer) *Nix {
	return &Nix{w: w, tty: isTerminal(w), started: map[string]bool{}, begun: time.Now()}
}

// Built says how many derivations were built, and how long since NewNix.
func (p *Nix) Built() (int, time.Duration) { return p.built, time.Since(p.begun) }

// Fill tells s what the build did: how many derivations were built and
// where, how many paths substituted, how long it took, and what Nix
// refused.
func (p *Nix) Fill(s *Summary) {
	s.Built, s.BuildTime = p.Built()
	s.Substituted, s.Remote, s.Warnings = p.last.Substituted, p.last.Remote, p.last.Warnings
}

// Update takes one update.
func (p *Nix) Update(u nixbuild.Progress) {
	p.built = max(p.built, u.Done)
	p.last = u
	if !p.tty {
		for _, name := range u.Building {
			if !p.started[name] {
				p.started[name] = true
				fmt.Fprintf(p.w, "machnix: building %s (%d of %d built)\n", name, u.Done, u.Expected)
			}
		}
		return
	}
	if u.Expected == 0 {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(u.Expected, progressbar.OptionSetWriter(p.w), progressbar.OptionClearOnFinish(),
			progressbar.OptionShowCount(), progressbar.OptionSetDescription("building"))
	}
	p.bar.ChangeMax(u.Expected)
	what := "building"
	if len(u.Building) > 0 {
		what = "building " + strings.Join(u.Building, ", ")
	}
	p.bar.Describe(what)
	_ = p.bar.Set(u.Done)
}

// End removes the bar.
func (p *Nix) End() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

// Bar returns a bar of total steps on w when w is a terminal, else nil:
// progress is for people watching, never for logs or pipes.
func Bar(w io.Writer, total int, what string) *progressbar.ProgressBar {
	if !isTerminal(w) {
		return nil
	}
	return progressbar.NewOptions(total, progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what), progressbar.OptionClearOnFinish())
}
