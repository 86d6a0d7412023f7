package nixbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

// ErrNixStore wraps failures of nix-store itself.
var ErrNixStore = errors.New("nix-store failed")

// StorePathInfo is one path of a closure with what it references and its NAR
// size, as `nix-store -q` reports them.
type StorePathInfo struct {
	Path       string   `json:"path"`
	References []string `json:"references"`
	NarSize    int64    `json:"narSize"`
}

// QueryClosure returns every store path the roots need (nix-store -qR), each
// with its references (nix-store -q --references) and NAR size, sorted by
// path. References to the path itself are dropped: they carry no ordering.
func QueryClosure(ctx context.Context, roots ...string) ([]StorePathInfo, error) {
	if len(roots) == 0 {
		return nil, fmt.Errorf("%w: no store paths given", ErrNixStore)
	}
	paths, err := nixStoreLines(ctx, append([]string{"-qR"}, roots...)...)
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	infos := make([]StorePathInfo, len(paths))
	for i, p := range paths {
		refs, err := nixStoreLines(ctx, "-q", "--references", p)
		if err != nil {
			return nil, err
		}
		kept := refs[:0]
		for _, r := range refs {
			if r != p {
				kept = append(kept, r)
			}
		}
		sort.Strings(kept)
		size, err := nixStoreLines(ctx, "-q", "--size", p)
		if err != nil {
			return nil, err
		}
		n, _ := strconv.ParseInt(strings.Join(size, ""), 10, 64)
		infos[i] = StorePathInfo{Path: p, References: kept, NarSize: n}
	}
	return infos, nil
}

func nixStoreLines(ctx context.Context, args ...string) ([]string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "nix-store", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: nix-store %s: %v: %s", ErrNixStore, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.Fields(stdout.String()), nil
}
