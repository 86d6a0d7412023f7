package resolve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/machnix/machnix/resolve/pep508"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// NixPackage is one Python package a nixpkgs offers.
type NixPackage struct {
	Attr    string `json:"attr"`    // attribute under python.pkgs
	Name    string `json:"name"`    // PEP 503 normalised pname
	Version string `json:"version"` // as nixpkgs writes it
	// Dependencies are the normalised pnames of the Python packages it
	// propagates: the environment holds them too, so the solver must
	// pin them like any other requirement, or two versions of one
	// distribution would meet in it.
	Dependencies []string `json:"dependencies,omitempty"`
}

// NixpkgsCatalog tells the nixpkgs provider which Python packages at which
// versions a nixpkgs has.
type NixpkgsCatalog interface {
	// Packages lists the offers for a normalised project name, sorted by
	// attribute. No offers is not an error.
	Packages(ctx context.Context, name string) ([]NixPackage, error)
}

// ErrNixEval is wrapped when nix-instantiate fails on a nixpkgs.
var ErrNixEval = errors.New("evaluating nixpkgs failed")

// nixListExpr lists pname/version of every derivation in python.pkgs. Each
// attribute is evaluated under tryEval (with deepSeq so errors inside the
// strings are caught too), because real nixpkgs has broken, aliased and
// throwing attributes that must not stop the listing.
const nixListExpr = `{ nixpkgs, pythonAttr }:
let
  imported = import nixpkgs;
  pkgs = if builtins.isFunction imported then imported { } else imported;
  py = pkgs.${pythonAttr};
  set = py.pkgs or py;
  one = n:
    let
      r = builtins.tryEval (
        let v = set.${n}; in
        if builtins.isAttrs v && v ? pname && v ? version
        then
          let
            # Python packages among the propagated inputs (toPythonModule
            # marks them with pythonModule), as requiredPythonModules
            # walks them in python-packages-base.nix.
            deps = map (d: d.pname) (builtins.filter (d: builtins.isAttrs d && d ? pythonModule && d ? pname)
              (v.propagatedBuildInputs or [ ]));
          in builtins.deepSeq [ v.pname v.version deps ] { attr = n; pname = v.pname; version = v.version; inherit deps; }
        else null);
    in if r.success then r.value else null;
in builtins.filter (x: x != null) (map one (builtins.attrNames set))
`

// NixInstantiateCatalog evaluates a nixpkgs once with nix-instantiate and
// caches the listing on disk.
type NixInstantiateCatalog struct {
	nixpkgs, pythonAttr, cacheDir string
	mu                            sync.Mutex // guards byName; the solver prefetches concurrently
	byName                        map[string][]NixPackage
}

// NixCatalogOption configures NewNixInstantiateCatalog.
type NixCatalogOption func(*NixInstantiateCatalog)

// WithNixCacheDir sets where listings are cached (default: the user cache
// dir under machnix/nixpkgs). An empty dir disables caching.
func WithNixCacheDir(dir string) NixCatalogOption {
	return func(c *NixInstantiateCatalog) { c.cacheDir = dir }
}

// NewNixInstantiateCatalog prepares a catalog for the nixpkgs at path (a
// directory with default.nix) and a Python attribute such as "python311".
// Evaluation happens on first use.
func NewNixInstantiateCatalog(nixpkgsPath, pythonAttr string, opts ...NixCatalogOption) *NixInstantiateCatalog {
	c := &NixInstantiateCatalog{nixpkgs: nixpkgsPath, pythonAttr: pythonAttr}
	if d, err := os.UserCacheDir(); err == nil {
		c.cacheDir = filepath.Join(d, "machnix", "nixpkgs")
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Packages implements NixpkgsCatalog.
func (c *NixInstantiateCatalog) Packages(ctx context.Context, name string) ([]NixPackage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byName == nil {
		all, err := c.load(ctx)
		if err != nil {
			return nil, err
		}
		c.byName = map[string][]NixPackage{}
		for _, p := range all {
			c.byName[p.Name] = append(c.byName[p.Name], p)
		}
	}
	return c.byName[pep508.NormalizeName(name)], nil
}

// cacheKey changes when the nixpkgs path, its default.nix or the python
// attribute change; store paths are immutable so their path is enough.
func (c *NixInstantiateCatalog) cacheKey() (string, error) {
	abs, err := filepath.Abs(c.nixpkgs)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	h := sha256.New()
	// v2: listings carry each package's Python dependencies.
	fmt.Fprintf(h, "v2\x00%s\x00%s\x00", abs, c.pythonAttr)
	if !strings.HasPrefix(abs, "/nix/store/") {
		if st, err := os.Stat(filepath.Join(abs, "default.nix")); err == nil {
			fmt.Fprintf(h, "%d\x00%d", st.ModTime().UnixNano(), st.Size())
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (c *NixInstantiateCatalog) load(ctx context.Context) ([]NixPackage, error) {
	key, err := c.cacheKey()
	if err != nil {
		return nil, fmt.Errorf("nixpkgs %s: %w", c.nixpkgs, err)
	}
	cacheFile := ""
	if c.cacheDir != "" {
		cacheFile = filepath.Join(c.cacheDir, key+".json")
		if data, err := os.ReadFile(cacheFile); err == nil {
			var pkgs []NixPackage
			if json.Unmarshal(data, &pkgs) == nil {
				return pkgs, nil
			}
		}
	}
	abs, _ := filepath.Abs(c.nixpkgs)
	cmd := exec.CommandContext(ctx, "nix-instantiate", "--eval", "--json", "--strict",
		"--arg", "nixpkgs", abs, "--argstr", "pythonAttr", c.pythonAttr, "-E", nixListExpr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%w: nixpkgs %s, python attribute %s: %v: %s (check --nixpkgs and --python)",
			ErrNixEval, c.nixpkgs, c.pythonAttr, err, strings.TrimSpace(stderr.String()))
	}
	var raw []struct {
		Attr, Pname, Version string
		Deps                 []string
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("%w: nixpkgs %s: unexpected output: %v", ErrNixEval, c.nixpkgs, err)
	}
	pkgs := make([]NixPackage, 0, len(raw))
	for _, r := range raw {
		np := NixPackage{Attr: r.Attr, Name: pep508.NormalizeName(r.Pname), Version: r.Version}
		for _, d := range r.Deps {
			np.Dependencies = append(np.Dependencies, pep508.NormalizeName(d))
		}
		sort.Strings(np.Dependencies)
		pkgs = append(pkgs, np)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Attr < pkgs[j].Attr })
	if cacheFile != "" {
		writeCache(cacheFile, pkgs) // a cache that cannot be written only costs time
	}
	return pkgs, nil
}

func writeCache(path string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}
