package nixlib

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/machnix/machnix/internal/atomicfile"
)

//go:embed *.nix
var files embed.FS

// Files returns the library's files by name (default.nix, the entry
// point, and what it imports).
func Files() map[string][]byte {
	out := map[string][]byte{}
	names, _ := fs.Glob(files, "*.nix")
	sort.Strings(names)
	for _, n := range names {
		data, err := files.ReadFile(n)
		if err != nil {
			panic(err) // embedded at build time: cannot fail
		}
		out[n] = data
	}
	return out
}

// Write writes the library into dir, each file atomically; import dir
// { pkgs = ...; } gives the library.
func Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range Files() {
		if err := atomicfile.Write(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}
