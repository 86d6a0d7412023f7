package native

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/tags"
)

// Lock pins the named wheels in dir (the four fixture wheels when names is
// empty; any other wheel written there may be named too), as served from
// baseURL, the way machnix resolve would: consumer depends on provider
// when both are pinned.
func Lock(dir, baseURL string, names ...string) (*resolve.Lock, error) {
	if len(names) == 0 {
		names = []string{"bundled", "consumer", "provider", "zcrc"}
	}
	pinned := map[string]bool{}
	for _, n := range names {
		pinned[n] = true
	}
	lock := &resolve.Lock{Version: resolve.LockVersion, Target: resolve.Target{Python: "3.11", System: Arch() + "-linux", Glibc: "2.28"}}
	for _, name := range names {
		matches, err := filepath.Glob(filepath.Join(dir, name+"-*.whl"))
		if err != nil || len(matches) != 1 {
			return nil, fmt.Errorf("fixture wheel %s in %s: found %v", name, dir, matches)
		}
		data, err := os.ReadFile(matches[0])
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		file := filepath.Base(matches[0])
		_, version, _, _, err := tags.ParseWheelFilename(file)
		if err != nil {
			return nil, err
		}
		p := resolve.Package{Name: name, Version: version, Provider: resolve.ProviderWheel,
			Filename: file, URL: strings.TrimSuffix(baseURL, "/") + "/" + file,
			SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
		if name == "consumer" && pinned["provider"] {
			p.Dependencies = []string{"provider"}
		}
		lock.Packages = append(lock.Packages, p)
	}
	return lock, nil
}
