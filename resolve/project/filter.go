package project

import (
	"io/fs"
	"os"
	"path/filepath"
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
	// The lock sits in the project as often as not, and records the
	// project's hash: it cannot be part of what it hashes.
	LockName: true,
}

// LockName is the lock file's name. A directory below the project that
// holds one is left out whole: a folder machnix env or gen wrote there
// (its files are written after the hash is taken), or another project
// with a lock of its own, which is locked as its own local project.
const LockName = "machnix.lock"

// Keep is the name and type part of a local project's source filter: what the lock's hash
// covers and what Nix copies into the store. rel is the entry's path below
// the project with forward slashes. Left out, at any depth: the names in
// excludedNames (of any type: a worktree's .git is a file), *.pyc and
// *.egg-info, and entries of a type NAR cannot hold (sockets, fifos).
// Left out at the top only, where builds put them: the build and dist
// directories, and result and result-* symlinks (nix-build's out-links);
// deeper down such names are ordinary package directories.
//
// machnix's Nix library has the same rules as a builtins.path filter
// (sourceFilter in nix/locked.nix), where the type is "regular",
// "directory", "symlink" or "unknown"; nix/source_test.go hashes a hostile
// tree both ways.
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

// Filter is the source filter of the project in root: Keep, and no
// subdirectory holding a LockName.
func Filter(root string) nar.Filter {
	return func(rel string, mode fs.FileMode) bool {
		if !Keep(rel, mode) {
			return false
		}
		if mode.IsDir() {
			if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel), LockName)); err == nil {
				return false
			}
		}
		return true
	}
}

// Hash is the lock's sha256 of a project: the NAR hash of its filtered
// tree, which builtins.path with the same filter checks.
func Hash(dir string) (string, error) {
	return nar.HashDir(dir, Filter(dir), nar.Limits{})
}

// MarkerFiles are the files of which a Python project's directory holds
// at least one. machnix's Nix library copies a lock's local project into
// the store only when its directory holds one, so that a lock whose path
// leads elsewhere (a home directory, /etc) copies nothing.
var MarkerFiles = []string{"pyproject.toml", "setup.py", "setup.cfg"}

// IsProjectDir reports whether dir holds one of MarkerFiles (of any type,
// as the library's builtins.pathExists sees it).
func IsProjectDir(dir string) bool {
	for _, f := range MarkerFiles {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}
