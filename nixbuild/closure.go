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
// with its references and NAR size, sorted by path. References to the path
// itself are dropped: they carry no ordering.
//
// Two nix-store calls answer it whatever the closure's size: the closure,
// then the registration records of all its paths (nix-store --dump-db PATHS,
// the format nix-store --load-db reads). Asking per path costs a process
// each, seconds for a few dozen paths, which an unchanged re-push cannot
// afford.
func QueryClosure(ctx context.Context, roots ...string) ([]StorePathInfo, error) {
	if len(roots) == 0 {
		return nil, fmt.Errorf("%w: no store paths given", ErrNixStore)
	}
	paths, err := nixStoreLines(ctx, append([]string{"-qR"}, roots...)...)
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "nix-store", append([]string{"--dump-db"}, paths...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: nix-store --dump-db: %v: %s", ErrNixStore, err, strings.TrimSpace(stderr.String()))
	}
	records, err := parseRegistrations(stdout.String())
	if err != nil {
		return nil, err
	}
	infos := make([]StorePathInfo, len(paths))
	for i, p := range paths {
		info, ok := records[p]
		if !ok {
			return nil, fmt.Errorf("%w: nix-store --dump-db has no record of %s", ErrNixStore, p)
		}
		infos[i] = info
	}
	return infos, nil
}

// parseRegistrations reads nix-store --dump-db output: per path, its path,
// NAR hash, NAR size, deriver (possibly empty), the number of references,
// and one reference per line.
func parseRegistrations(out string) (map[string]StorePathInfo, error) {
	records := map[string]StorePathInfo{}
	if out == "" {
		return records, nil
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	bad := func(at int, what string) error {
		return fmt.Errorf("%w: nix-store --dump-db output, line %d: %s", ErrNixStore, at+1, what)
	}
	for i := 0; i < len(lines); {
		if i+4 >= len(lines) {
			return nil, bad(i, "truncated record")
		}
		path := lines[i]
		size, err := strconv.ParseInt(lines[i+2], 10, 64)
		if err != nil {
			return nil, bad(i+2, "NAR size "+strconv.Quote(lines[i+2]))
		}
		n, err := strconv.Atoi(lines[i+4])
		if err != nil || n < 0 || i+5+n > len(lines) {
			return nil, bad(i+4, "reference count "+strconv.Quote(lines[i+4]))
		}
		refs := []string{}
		for _, r := range lines[i+5 : i+5+n] {
			if r != path {
				refs = append(refs, r)
			}
		}
		sort.Strings(refs)
		records[path] = StorePathInfo{Path: path, References: refs, NarSize: size}
		i += 5 + n
	}
	return records, nil
}

// nixStoreLines runs nix-store and returns the words of its output (store
// paths, one a line). Its error is runNix's, with every argument that is a
// URL (a --store) redacted in nix-store's message; the arguments
// themselves are left out of it.
func nixStoreLines(ctx context.Context, args ...string) ([]string, error) {
	var urls []string
	for _, a := range args {
		if strings.Contains(a, "://") {
			urls = append(urls, a)
		}
	}
	out, err := runNix(ctx, urls, "nix-store", args...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNixStore, err)
	}
	return strings.Fields(out), nil
}
