package progress

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/machnix/machnix/oci"
)

// On a terminal each finished layer gets its own line above the total bar.
func TestLayerProgressOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := &Layers{w: &buf, tty: true}
	for i := range 2 {
		p.Update(oci.Update{Stage: oci.StagePush, Layer: i, Layers: 2, Total: 3 << 20, Digest: fmt.Sprintf("sha256:%064d", i)})
	}
	p.Update(oci.Update{Stage: oci.StagePush, Layer: 0, Layers: 2, Done: 3 << 20, Total: 3 << 20, Finished: true, Digest: fmt.Sprintf("sha256:%064d", 0)})
	p.Update(oci.Update{Stage: oci.StagePush, Layer: 1, Layers: 2, Done: 3 << 20, Total: 3 << 20, Finished: true, Reused: true, Digest: fmt.Sprintf("sha256:%064d", 1)})
	p.End()
	out := buf.String()
	for _, want := range []string{"layer 1/2 sha256:000000000000 pushed (3.0 MiB)", "layer 2/2 sha256:000000000000 already in the registry"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, out)
		}
	}
}
