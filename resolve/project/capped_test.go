package project

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// os/exec copies a backend's output with io.Copy from a pipe, which
// prefers the destination's ReadFrom: capped must keep to its limit on
// that path too, and keep the end of the output, where a traceback ends.
func TestCappedKeepsTheLastBytesThroughIoCopy(t *testing.T) {
	const limit = 64 << 10
	var out bytes.Buffer
	for i := 0; out.Len() < 4*limit; i++ {
		out.WriteString(strings.Repeat("noise ", 20) + "\n")
	}
	out.WriteString("Traceback (most recent call last):\nRuntimeError: the end\n")
	total := out.Len()
	want := out.Bytes()[total-limit:]
	c := capped{limit: limit}
	// A reader that is neither a *bytes.Buffer nor an io.WriterTo, as
	// exec's pipe is to io.Copy.
	n, err := io.Copy(&c, struct{ io.Reader }{bytes.NewReader(out.Bytes())})
	if err != nil || n != int64(total) {
		t.Fatalf("copied %d of %d bytes: %v", n, total, err)
	}
	if got := c.String(); got != string(want) {
		t.Errorf("kept %d bytes ending %q, want the last %d", len(got), got[max(len(got)-40, 0):], limit)
	}
	if c.Dropped() != total-limit {
		t.Errorf("dropped %d bytes, want %d", c.Dropped(), total-limit)
	}
}
