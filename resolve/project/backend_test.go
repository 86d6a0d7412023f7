package project

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/machnix/machnix/internal/nar"
)

// copyFile streams a file into a new one with the mode given, and stops
// past its byte budget, however large the file has grown; a file that is
// a FIFO by now is refused without waiting for a writer.
func TestCopyFileKeepsToItsBudget(t *testing.T) {
	dir := t.TempDir()
	from := filepath.Join(dir, "data")
	data := []byte("0123456789")
	if err := os.WriteFile(from, data, 0o644); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(dir, "copy")
	if n, err := copyFile(from, to, 0o750, int64(len(data))); err != nil || n != int64(len(data)) {
		t.Fatalf("copy within budget: %d bytes, %v", n, err)
	}
	got, _ := os.ReadFile(to)
	if st, err := os.Stat(to); err != nil || string(got) != string(data) || st.Mode().Perm() != 0o750 {
		t.Errorf("copy holds %q with mode %v (%v), want %q with 0750", got, st.Mode(), err, data)
	}
	if _, err := copyFile(from, filepath.Join(dir, "over"), 0o644, int64(len(data)-1)); !errors.Is(err, nar.ErrTooLarge) {
		t.Errorf("copy over budget: %v, want %v", err, nar.ErrTooLarge)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := copyFile(fifo, filepath.Join(dir, "fifo-copy"), 0o644, 1<<20); err == nil {
		t.Error("a FIFO was copied as a file")
	}
}
