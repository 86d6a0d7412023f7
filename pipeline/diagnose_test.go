package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/testfixtures/native"
)

// diagnose --lock reads wheels from the cache, where they are named by
// digest: its report names each by its own file name all the same, in
// text and in JSON.
func TestDiagnoseLockNamesWheelsByFileName(t *testing.T) {
	w := native.BuildT(t)
	lock, err := native.Lock(w.Dir, "file://"+w.Dir, "zcrc")
	if err != nil {
		t.Fatal(err)
	}
	reports, err := DiagnoseLock(context.Background(), lock, Settings{CacheDir: t.TempDir()}, []autopatch.Option{autopatch.WithNixLocate(false)})
	if err != nil {
		t.Fatal(err)
	}
	pkg := lock.Packages[0]
	var text, raw bytes.Buffer
	if _, err := WriteReports(&text, reports, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), pkg.Filename+" (zcrc ") || strings.Contains(text.String(), pkg.SHA256) {
		t.Errorf("the text report does not name %s by its file name:\n%s", pkg.Filename, text.String())
	}
	if _, err := WriteReports(&raw, reports, true); err != nil {
		t.Fatal(err)
	}
	var decoded []TargetReport
	if err := json.Unmarshal(raw.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if got := decoded[0].Report.Wheels[0].Filename; got != pkg.Filename {
		t.Errorf("the JSON report's filename is %q, want %q", got, pkg.Filename)
	}
}
