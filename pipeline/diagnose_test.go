package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
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

// diagnose --lock read every wheel again on each run: unlike Prepare, it
// kept no facts. It stores them in the cache, and a second run takes
// them from there (a soname planted in the entry shows in its report).
func TestDiagnoseLockUsesTheFactsCache(t *testing.T) {
	ctx := context.Background()
	w := native.BuildT(t)
	cache := t.TempDir()
	lock, err := native.Lock(w.Dir, "file://"+w.Dir, "zcrc")
	if err != nil {
		t.Fatal(err)
	}
	settings := Settings{CacheDir: cache}
	inspect := []autopatch.Option{autopatch.WithNixLocate(false)}
	first, err := DiagnoseLock(ctx, lock, settings, inspect)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := filepath.Glob(filepath.Join(cache, "inspect", "*", lock.Packages[0].SHA256+".json"))
	if len(entries) != 1 {
		t.Fatalf("cached facts for the wheel: %v, want one entry", entries)
	}
	data, err := os.ReadFile(entries[0])
	if err != nil {
		t.Fatal(err)
	}
	var facts map[string]any
	if err := json.Unmarshal(data, &facts); err != nil {
		t.Fatal(err)
	}
	elf := facts["elfs"].([]any)[0].(map[string]any)
	elf["needed"] = append(elf["needed"].([]any), "libplanted.so.7")
	if data, err = json.Marshal(facts); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entries[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := DiagnoseLock(ctx, lock, settings, inspect)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 1 || !slices.Contains(second[0].Report.Wheels[0].Missing, "libplanted.so.7") {
		t.Fatalf("the second report does not come from the cache: %+v", second)
	}
	if slices.Contains(first[0].Report.Wheels[0].Missing, "libplanted.so.7") {
		t.Fatal("the first report already had the planted soname")
	}
}
