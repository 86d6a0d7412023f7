package project

import (
	"io/fs"
	"slices"
	"strings"

	"github.com/machnix/machnix/internal/nar"
)

// excludedNames are left out wherever they are in the tree: version
// control, caches and virtual environments, which change without the
// project changing and would make every build a new one.
var excludedNames = map[string]bool{
	".git": true, ".hg": true, ".svn": true, ".jj": true,
	"__pycache__": true, ".venv": true, "venv": true, ".tox": true, ".nox": true,
	".direnv": true, ".mypy_cache": true, ".pytest_cache": true, ".ruff_cache": true,
}

// Keep is the source filter of a local project: what the lock's hash
// covers and what Nix copies into the store. rel is the entry's path below
// the project with forward slashes. Left out, at any depth: the names in
// excludedNames (of any type: a worktree's .git is a file), *.pyc and
// *.egg-info, and entries of a type NAR cannot hold (sockets, fifos).
// Left out at the top only, where builds put them: the build and dist
// directories, and result and result-* symlinks (nix-build's out-links);
// deeper down such names are ordinary package directories.
//
// nixbuild writes the same rules as a builtins.path filter, where the type
// is "regular", "directory", "symlink" or "unknown"; a test hashes trees
// both ways.
func Keep(rel string, mode fs.FileMode) bool {
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	top := base == rel
	switch {
	case excludedNames[base], strings.HasSuffix(base, ".pyc"), strings.HasSuffix(base, ".egg-info"):
		return false
	case !mode.IsRegular() && !mode.IsDir() && mode&fs.ModeSymlink == 0:
		return false
	case top && mode.IsDir() && (base == "build" || base == "dist"):
		return false
	case top && mode&fs.ModeSymlink != 0 && (base == "result" || strings.HasPrefix(base, "result-")):
		return false
	}
	return true
}

// ExcludedNames lists the names Keep leaves out at any depth, sorted, for
// the Nix side of the filter.
func ExcludedNames() []string {
	out := make([]string, 0, len(excludedNames))
	for n := range excludedNames {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Hash is the lock's sha256 of a project: the NAR hash of its filtered
// tree, which builtins.path with the same filter checks.
func Hash(dir string) (string, error) {
	return nar.HashDir(dir, Keep, nar.Limits{})
}
