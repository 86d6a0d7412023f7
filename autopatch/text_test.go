package autopatch

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// The text report fits 100 columns: long paths and attribute paths wrap
// inside their own column, and every piece of them is still there.
func TestTextReportFitsHundredColumns(t *testing.T) {
	path := "torch/lib/" + strings.Repeat("very_long_directory_name/", 4) + "libtorch_cuda_linalg.so"
	attr := "cudaPackages.libcublas.lib or cudaPackages_12.libcublas.lib or cudaPackages_12_4.libcublas.lib"
	rep := &NativeReport{Wheels: []WheelReport{{File: "torch-2.1.0-cp311-cp311-linux_x86_64.whl", Name: "torch", Version: "2.1.0",
		NixInputs: strings.Split(strings.Repeat("cudaPackages.cuda_cudart.lib ", 6), " "),
		Missing:   []string{"libnowhere_with_a_rather_long_name.so.7"},
		ELFs: []ELFReport{{Path: path, Deps: []Dep{
			{Soname: "libcublas.so.12", Status: StatusNixpkgs, Provider: attr},
			{Soname: "libnowhere_with_a_rather_long_name.so.7", Status: StatusMissing},
		}}}}}}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	for _, line := range lines {
		if n := utf8.RuneCountInString(line); n > textWidth {
			t.Errorf("a line of %d columns: %q", n, line)
		}
	}
	// Read the table back column by column: each column's pieces, joined,
	// are the cell that was wrapped.
	header := lines[1]
	starts := []int{strings.Index(header, "ELF"), strings.Index(header, "NEEDS"), strings.Index(header, "STATUS"), strings.Index(header, "PROVIDER")}
	cols := make([]strings.Builder, len(starts))
	for _, line := range lines[2:] {
		if !strings.HasPrefix(line, "  ") || strings.HasPrefix(strings.TrimSpace(line), "nixpkgs inputs") {
			break
		}
		for i, st := range starts {
			end := len(line)
			if i+1 < len(starts) && starts[i+1] < end {
				end = starts[i+1]
			}
			if st < end {
				cols[i].WriteString(strings.TrimRight(line[st:end], " "))
			}
		}
	}
	if !strings.Contains(cols[0].String(), path) {
		t.Errorf("the ELF column reads %q, want %q in it", cols[0].String(), path)
	}
	if got := strings.ReplaceAll(cols[3].String(), " ", ""); !strings.Contains(got, strings.ReplaceAll(attr, " ", "")) {
		t.Errorf("the provider column reads %q, want %q", got, attr)
	}
}
