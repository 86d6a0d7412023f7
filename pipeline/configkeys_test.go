package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A misspelt key anywhere machnix.toml has fixed keys is named with the
// key it was meant to be.
func TestConfigTypoSuggestsKnownKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "machnix.toml")
	toml := "allowUnfre = true\n[overrides.app]\npostFixupp = 'true'\nbuildInputs.ad = [\"zlib\"]\n"
	if err := os.WriteFile(path, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"allowUnfre (did you mean allowUnfree?)", "overrides.app.postFixupp (did you mean postFixup?)",
		"overrides.app.buildInputs.ad (did you mean add?)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
