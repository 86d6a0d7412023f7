package pipeline

import (
	"path/filepath"
	"testing"
)

func TestLayerCacheFollowsMachnixCacheDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MACHNIX_CACHE_DIR", dir)
	if got, err := DefaultLayerCacheDir(); err != nil || got != filepath.Join(dir, "layers") {
		t.Fatalf("got %q, %v; want %s/layers", got, err, dir)
	}
	t.Setenv("MACHNIX_CACHE_DIR", "")
	t.Setenv("XDG_CACHE_HOME", dir+"/xdg")
	if got, err := DefaultLayerCacheDir(); err != nil || got != filepath.Join(dir, "xdg", "machnix", "layers") {
		t.Fatalf("without MACHNIX_CACHE_DIR: got %q, %v", got, err)
	}
}
