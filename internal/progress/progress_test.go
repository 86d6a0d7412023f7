package progress

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/machnix/machnix/oci"
)

func fakeTerminal(buf *bytes.Buffer, height int) *Layers {
	p := NewLayers(buf)
	p.tty, p.size = true, func() (int, int) { return 100, height }
	return p
}

var redraw = regexp.MustCompile(`\x1b\[(\d+)A\r\x1b\[J`)

// frames splits terminal output at each redraw, checking that every redraw
// moves up over exactly the lines the frame before it wrote.
func frames(t *testing.T, out string) []string {
	t.Helper()
	var fs []string
	for out != "" {
		loc := redraw.FindStringSubmatchIndex(out)
		if loc == nil {
			fs = append(fs, out)
			break
		}
		if loc[0] > 0 || len(fs) == 0 {
			fs = append(fs, out[:loc[0]])
		}
		if up, _ := strconv.Atoi(out[loc[2]:loc[3]]); up != strings.Count(fs[len(fs)-1], "\n") {
			t.Errorf("redraw %d moves up %d lines over a frame of %d", len(fs), up, strings.Count(fs[len(fs)-1], "\n"))
		}
		out = out[loc[1]:]
	}
	return fs
}

func hash(i int) string { return fmt.Sprintf("%032d", i) }

// 100 layers on a 20-line terminal: every frame fits the screen with its
// total line, and redraws in place, so the screen never holds 200 lines.
func TestLayerFramesFitTheScreen(t *testing.T) {
	var buf bytes.Buffer
	p := fakeTerminal(&buf, 20)
	const n = 100
	for i := range n {
		p.Update(oci.Update{Stage: oci.StageBuild, Layer: i, Layers: n, Total: 2 << 20, Largest: "/nix/store/" + hash(i) + "-pkg" + strconv.Itoa(i)})
	}
	for i := range n {
		p.Update(oci.Update{Stage: oci.StageBuild, Layer: i, Layers: n, Done: 1 << 20, Total: 2 << 20})
		p.Update(oci.Update{Stage: oci.StageBuild, Layer: i, Layers: n, Done: 2 << 20, Total: 2 << 20, Finished: true, Digest: "sha256:" + hash(i)})
	}
	p.End()
	fs := frames(t, buf.String())
	if len(fs) < n {
		t.Fatalf("%d frames for %d layers starting and finishing", len(fs), n)
	}
	for i, f := range fs[:len(fs)-1] {
		if lines := strings.Count(f, "\n"); lines > 19 || lines < 2 {
			t.Fatalf("frame %d has %d lines on a 20-line screen:\n%s", i, lines, f)
		}
		if !strings.Contains(f, "not shown") {
			t.Errorf("frame %d hides layers without saying so:\n%s", i, f)
		}
	}
	last := fs[len(fs)-1]
	if want := "100 of 100 layers built (200.0 MiB uncompressed), 0 from the layer cache\n"; last != want {
		t.Errorf("after the stage the screen ends with %q, want %q", last, want)
	}
}

// A frame has a line per layer in layer order naming its largest store
// path (without the hash), bytes labelled uncompressed when building and
// compressed when pushing, and a total line.
func TestLayerFrameLines(t *testing.T) {
	var buf bytes.Buffer
	p := fakeTerminal(&buf, 40)
	names := []string{"glibc-2.40", "python3-3.11.9", "numpy-2.1.0"}
	for i, name := range names {
		p.Update(oci.Update{Stage: oci.StageBuild, Layer: i, Layers: 3, Total: 10 << 20, Largest: "/nix/store/" + hash(i) + "-" + name})
	}
	p.Update(oci.Update{Stage: oci.StageBuild, Layer: 1, Layers: 3, Done: 10 << 20, Total: 10 << 20, Finished: true})
	p.Update(oci.Update{Stage: oci.StageBuild, Layer: 0, Layers: 3, Done: 10 << 20, Total: 10 << 20, Finished: true, Reused: true})
	fs := frames(t, buf.String())
	lines := strings.Split(strings.TrimSuffix(fs[len(fs)-1], "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 3 layer lines and a total, got %q", lines)
	}
	for i, name := range names {
		if !strings.HasPrefix(lines[i], fmt.Sprintf("layer %d/3 %s ", i+1, name)) {
			t.Errorf("line %d = %q, want layer %d naming %s", i, lines[i], i+1, name)
		}
	}
	if !strings.HasSuffix(lines[0], "from the layer cache") || !strings.HasSuffix(lines[1], "built (10.0 MiB uncompressed)") || !strings.HasSuffix(lines[2], "waiting") {
		t.Errorf("layer states: %q", lines[:3])
	}
	if want := "building 2/3 layers, 20.0 MiB / 30.0 MiB uncompressed"; lines[3] != want {
		t.Errorf("total line %q, want %q", lines[3], want)
	}
	// Pushing keeps the names from the build and labels bytes compressed.
	p.Update(oci.Update{Stage: oci.StagePush, Layer: 2, Layers: 3, Done: 1 << 20, Total: 4 << 20})
	fs = frames(t, buf.String())
	if f := fs[len(fs)-1]; !strings.Contains(f, "layer 3/3 numpy-2.1.0") || !strings.Contains(f, "1.0 MiB / 4.0 MiB compressed") {
		t.Errorf("push frame:\n%s", f)
	}
}

// Off a terminal each stage writes one summary line, no escapes.
func TestLayerProgressInLogs(t *testing.T) {
	var buf bytes.Buffer
	p := NewLayers(&buf)
	for i := range 50 {
		p.Update(oci.Update{Stage: oci.StagePush, Layer: i, Layers: 50, Done: 1 << 20, Total: 1 << 20, Finished: true, Reused: i%2 == 0})
	}
	p.End()
	if want := "25 of 50 layers pushed (25.0 MiB compressed), 25 already in the registry\n"; buf.String() != want {
		t.Errorf("log output %q, want %q", buf.String(), want)
	}
}

// Store names from a path, and a control character in one, are shown
// escaped and without the hash.
func TestLayerLineEscapesNames(t *testing.T) {
	var buf bytes.Buffer
	p := fakeTerminal(&buf, 10)
	p.Update(oci.Update{Stage: oci.StageBuild, Layer: 0, Layers: 1, Total: 1, Largest: "/nix/store/" + hash(0) + "-evil\x1b]0;title\x07"})
	if out := buf.String(); strings.Contains(out, "\x1b]0") || strings.Contains(out, hash(0)) || !strings.Contains(out, "evil") {
		t.Errorf("frame %q", out)
	}
}
