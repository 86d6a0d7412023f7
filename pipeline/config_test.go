package pipeline

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigExplicitFileMustExist(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.toml")
	if _, err := LoadConfig(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("err %v, want one naming %s", err, missing)
	}
}
