package autopatch

import (
	"bytes"
	"strings"
	"testing"
)

// A missing library whose other version the table knows gets that row's
// attribute as a marked guess, with the row ready to paste; one the table
// knows nothing of gets the general advice; a wheel for another platform
// gets no advice to add rows, which could not make it load.
func TestMissingHints(t *testing.T) {
	rep := &NativeReport{Wheels: []WheelReport{
		{File: "a.whl", Name: "a", Version: "1", ELFs: []ELFReport{{Path: "a.so"}}, Missing: []string{"libnothing-known.so.1", "libzstd.so.9"}},
		{File: "b.whl", Name: "b", Version: "1", ELFs: []ELFReport{{Path: "b.so"}}, Missing: []string{"libzstd.so.9"}, NotForTarget: "aarch64"},
	}}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	a, b, _ := strings.Cut(buf.String(), "b.whl")
	for _, want := range []string{"MISSING libzstd.so.9: a guess: nixpkgs attribute zstd provides libzstd.so.1", `"libzstd.so.9" = "zstd"`,
		`MISSING libnothing-known.so.1: add a row to machnix.toml [sonames]`} {
		if !strings.Contains(a, want) {
			t.Errorf("report lacks %q:\n%s", want, a)
		}
	}
	if !strings.Contains(b, "MISSING libzstd.so.9") || strings.Contains(b, "[sonames]") || strings.Contains(b, "guess") {
		t.Errorf("a wheel for another platform got advice to add rows:\n%s", b)
	}
}
