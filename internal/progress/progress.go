// Package progress shows the pipeline's progress to a person: bars on a
// terminal, and in logs a line per stage or per derivation, never a bar.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/oci"
)

// Layers renders oci.Updates. On a terminal each layer gets a line
// when it finishes, above a bar of the stage's total bytes; elsewhere (logs,
// pipes, tests) each stage ends with one summary line, so a CI log says how
// many layers were rebuilt and uploaded without a line per layer.
type Layers struct {
	w   io.Writer
	tty bool

	stage  oci.Stage
	bar    *progressbar.ProgressBar
	layers map[int]oci.Update
}

// NewLayers renders to w.
func NewLayers(w io.Writer) *Layers { return &Layers{w: w, tty: isTerminal(w)} }

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Update takes one update; calls must not overlap.
func (p *Layers) Update(u oci.Update) {
	if u.Stage != p.stage {
		p.End()
		p.stage, p.layers = u.Stage, map[int]oci.Update{}
	}
	prev, seen := p.layers[u.Layer]
	p.layers[u.Layer] = u
	if !p.tty {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(0, progressbar.OptionSetWriter(p.w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(stageVerb(u.Stage, false)+" layers"), progressbar.OptionClearOnFinish(),
			progressbar.OptionShowCount())
	}
	if !seen {
		p.bar.ChangeMax64(p.bar.GetMax64() + u.Total)
	}
	_ = p.bar.Add64(u.Done - prev.Done)
	if u.Finished && !prev.Finished {
		_ = p.bar.Clear()
		fmt.Fprintf(p.w, "%s\n", layerLine(u))
	}
}

// End closes the current stage: the bar goes, and off a terminal the
// summary line is written.
func (p *Layers) End() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
	if p.stage == "" || p.tty {
		return
	}
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
	if fresh+reused == 0 {
		return
	}
	fmt.Fprintf(p.w, "%d of %d layers %s (%s), %d %s\n", fresh, layers, stageVerb(p.stage, true), humanBytes(bytes),
		reused, map[oci.Stage]string{oci.StageBuild: "from the layer cache", oci.StagePush: "already in the registry"}[p.stage])
	p.stage = ""
}

func layerLine(u oci.Update) string {
	what := fmt.Sprintf("layer %d/%d %s", u.Layer+1, u.Layers, shortDigest(u.Digest))
	switch {
	case u.Reused && u.Stage == oci.StageBuild:
		return what + " from the layer cache"
	case u.Reused:
		return what + " already in the registry"
	}
	return fmt.Sprintf("%s %s (%s)", what, stageVerb(u.Stage, true), humanBytes(u.Done))
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

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
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
}

// NewNix renders to w; the build's time counts from now.
func NewNix(w io.Writer) *Nix {
	return &Nix{w: w, tty: isTerminal(w), started: map[string]bool{}, begun: time.Now()}
}

// Built says how many derivations were built, and how long since NewNix.
func (p *Nix) Built() (int, time.Duration) { return p.built, time.Since(p.begun) }

// Update takes one update.
func (p *Nix) Update(u nixbuild.Progress) {
	p.built = max(p.built, u.Done)
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
