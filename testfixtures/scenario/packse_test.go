package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

func TestLoadsEveryPackseScenario(t *testing.T) {
	root := filepath.Join(testfixtures.RepoRoot(t), "..", "shared", "scenarios", "packse")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("shared packse scenarios absent (%v)", err)
	}
	n := 0
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || !strings.HasSuffix(p, ".toml") {
			return err
		}
		n++
		sc, err := LoadPackse(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if len(sc.Undecoded) > 0 {
			t.Errorf("%s: keys not handled: %v", p, sc.Undecoded)
		}
		if sc.Name == "" || len(sc.Requires) == 0 && len(sc.Wheels) == 0 && len(sc.Sdists) == 0 {
			t.Errorf("%s: loaded nothing", p)
		}
		return nil
	})
	if n == 0 {
		t.Fatal("no scenarios found")
	}
}
