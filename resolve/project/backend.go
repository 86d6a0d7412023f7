package project

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/internal/atomicfile"
	"github.com/machnix/machnix/internal/distinfo"
	"github.com/machnix/machnix/internal/nar"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep440"
	"github.com/machnix/machnix/resolve/pep508"
)

// ErrBackend is wrapped when the build backend cannot give the metadata.
var ErrBackend = errors.New("the build backend failed")

// ErrBackendMissing is wrapped when the Python that runs the backend
// cannot import it.
var ErrBackendMissing = fmt.Errorf("%w: it is not installed", ErrBackend)

// Backend runs a project's PEP 517 build backend.
type Backend interface {
	// PrepareMetadata runs backend (module:object, with backendPath
	// relative to src put first on sys.path) in src, a copy of the
	// project, and returns the name of the .dist-info directory it wrote
	// into out.
	PrepareMetadata(ctx context.Context, src, backend string, backendPath []string, out string) (string, error)
}

//go:embed pep517.py
var hookScript string

// HostPython runs the backend with a Python of this machine, which must
// be able to import it (setuptools for a setup.py project): machnix does
// not install build requirements to learn a project's metadata. The
// project's own code runs (setup.py, a backend in backend-path) with the
// user's rights, as pip's build does.
type HostPython struct {
	// Python is the interpreter; "" means python3 on PATH.
	Python string
	// Timeout ends the backend; zero means DefaultBackendTimeout.
	Timeout time.Duration
}

// DefaultBackendTimeout bounds one metadata preparation.
const DefaultBackendTimeout = 5 * time.Minute

// maxBackendOutput caps the backend's output kept for messages.
const maxBackendOutput = 64 << 10

// PrepareMetadata implements Backend.
func (h HostPython) PrepareMetadata(ctx context.Context, src, backend string, backendPath []string, out string) (string, error) {
	python := h.Python
	if python == "" {
		python = "python3"
	}
	path, err := exec.LookPath(python)
	if err != nil {
		return "", fmt.Errorf("%w: no %s to run the build backend %s with: %v", ErrBackendMissing, python, backend, err)
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultBackendTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bp, err := json.Marshal(append([]string{}, backendPath...))
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, path, "-c", hookScript, backend, string(bp), out)
	cmd.Dir = src
	home := filepath.Join(out, ".home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return "", err
	}
	// A clean environment: nothing of the user's shell but PATH and a
	// Python search path decides what the backend computes.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1",
		"PYTHONNOUSERSITE=1", "PYTHONUNBUFFERED=1", "SOURCE_DATE_EPOCH=315532800", "PIP_NO_INPUT=1"}
	if pp := os.Getenv("PYTHONPATH"); pp != "" {
		cmd.Env = append(cmd.Env, "PYTHONPATH="+pp)
	}
	var output capped
	output.limit = maxBackendOutput
	cmd.Stdout, cmd.Stderr = &output, &output
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	text := output.String()
	if ctx.Err() == context.DeadlineExceeded {
		return "", fmt.Errorf("%w: %s did not finish within %v", ErrBackend, backend, timeout)
	}
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == 3 && strings.Contains(text, "machnix-backend-missing:") {
		return "", fmt.Errorf("%w: %s cannot import the build backend %s; install it for that Python, or make [project] version and dependencies static in pyproject.toml so no backend has to run", ErrBackendMissing, path, backend)
	}
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v\n%s", ErrBackend, backend, err, output.tail())
	}
	// The script writes the name to a file rather than to its output,
	// which the backend shares and which is capped.
	name, err := readCapped(filepath.Join(out, distInfoNameFile), maxDistInfoName)
	if err != nil {
		return "", fmt.Errorf("%w: %s named no .dist-info directory: %v\n%s", ErrBackend, backend, err, output.tail())
	}
	return strings.TrimSuffix(string(name), "\n"), nil
}

// distInfoNameFile is the file in the output directory where pep517.py
// leaves the name of the .dist-info directory; it cannot be taken for
// one, as its name does not end in .dist-info.
const distInfoNameFile = ".machnix-dist-info-name"

// maxDistInfoName caps that file: a directory name is at most 255 bytes.
const maxDistInfoName = 4096

// capped keeps the last limit bytes written, where a traceback ends, and
// counts the bytes it let go. It is a plain Writer on purpose: os/exec
// copies a child's output with io.Copy, which would use a ReadFrom (such
// as an embedded bytes.Buffer's) and bypass Write and its cap.
type capped struct {
	buf     []byte
	limit   int
	dropped int
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= c.limit {
		c.dropped += len(c.buf) + len(p) - c.limit
		c.buf = append(c.buf[:0], p[len(p)-c.limit:]...)
		return n, nil
	}
	// Shift the kept bytes down only once twice the limit is reached, so
	// that many small writes cost linear time in all.
	if len(c.buf)+len(p) > 2*c.limit {
		keep := c.limit - len(p)
		c.dropped += len(c.buf) - keep
		c.buf = append(c.buf[:0], c.buf[len(c.buf)-keep:]...)
	}
	c.buf = append(c.buf, p...)
	return n, nil
}

// String is the last limit bytes written.
func (c *capped) String() string {
	if len(c.buf) > c.limit {
		return string(c.buf[len(c.buf)-c.limit:])
	}
	return string(c.buf)
}

// Dropped is how many bytes written came before those String returns.
func (c *capped) Dropped() int { return c.dropped + max(len(c.buf)-c.limit, 0) }

// tail is the end of the backend's output, where Python's traceback ends,
// made safe for a terminal by the caller's error printing.
func (c *capped) tail() string {
	lines := strings.Split(strings.TrimRight(c.String(), "\n"), "\n")
	if c.Dropped() > 0 || len(lines) > 30 {
		lines = append([]string{"[earlier output of the backend left out]"}, lines[max(len(lines)-30, 0):]...)
	}
	return strings.Join(lines, "\n")
}

// fromBackend completes m with the backend's metadata, run on a copy of
// the filtered tree so that the backend's egg-info and caches never land
// in the user's project.
func (r reader) fromBackend(ctx context.Context, m *Metadata) (*Metadata, error) {
	cached := r.cachePath(m)
	if cached != "" {
		if data, err := readCacheEntry(cached, distinfo.MaxFileSize); err == nil {
			return checkCore(m, data)
		}
	}
	work, err := os.MkdirTemp("", "machnix-metadata-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	src, out := filepath.Join(work, "src"), filepath.Join(work, "out")
	if err := copyTree(m.Dir, src); err != nil {
		return nil, err
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		return nil, err
	}
	name, err := r.backend.PrepareMetadata(ctx, src, m.Backend, m.BackendPath, out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Dir, err)
	}
	if !strings.HasSuffix(name, ".dist-info") || strings.ContainsAny(name, `/\`) || resolve.HasControl(name) || name == ".dist-info" {
		return nil, fmt.Errorf("%w: %s: the backend named %s, not a .dist-info directory", ErrInvalid, m.Dir, quote(name))
	}
	data, err := readCapped(filepath.Join(out, name, distinfo.METADATA), distinfo.MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: the backend's METADATA: %v", ErrInvalid, m.Dir, err)
	}
	got, err := checkCore(m, data)
	if err != nil {
		return nil, err
	}
	if cached != "" {
		// A cache that cannot be written costs a backend run next time.
		if os.MkdirAll(filepath.Dir(cached), 0o755) == nil {
			_ = atomicfile.Write(cached, data)
		}
	}
	return got, nil
}

// cachePath names the cached METADATA of m: by its tree's hash, the
// backend that made it and, for a Backend with an Identity, the Python
// that ran it; "" without a cache.
func (r reader) cachePath(m *Metadata) string {
	if r.cacheDir == "" || !resolve.IsSHA256Hex(m.SHA256) {
		return ""
	}
	var runner string
	if id, ok := r.backend.(Identifier); ok {
		var err error
		if runner, err = id.Identity(); err != nil {
			return ""
		}
	}
	key := sha256.Sum256([]byte(m.SHA256 + "\n" + m.Backend + "\n" + strings.Join(m.BackendPath, "\n") + "\x00" + runner))
	return filepath.Join(r.cacheDir, hex.EncodeToString(key[:])+".METADATA")
}

// Identifier is a Backend whose metadata depends on more than the
// project and its backend, such as the Python that runs the backend (a
// setup.py computes its metadata with it). Its Identity is part of the
// cache key.
type Identifier interface {
	Identity() (string, error)
}

// Identity implements Identifier: the interpreter as found on PATH and
// with its symlinks resolved, so that a virtual environment and a new
// Python behind the same name each have their own cache entries.
func (h HostPython) Identity() (string, error) {
	python := h.Python
	if python == "" {
		python = "python3"
	}
	path, err := exec.LookPath(python)
	if err != nil {
		return "", err
	}
	if path, err = filepath.Abs(path); err != nil {
		return "", err
	}
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	return "python\x00" + path + "\x00" + resolved, nil
}

// readCacheEntry reads a cache entry only if it is a regular file, not a
// symlink (which would read whatever it points at) nor a FIFO (which
// would block the open), of at most limit bytes.
func readCacheEntry(file string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", file)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", file, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", file, limit)
	}
	return data, nil
}

// checkCore completes m with the core metadata in data, checked.
func checkCore(m *Metadata, data []byte) (*Metadata, error) {
	core, err := fetch.ParseMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: the backend's METADATA: %v", ErrInvalid, m.Dir, err)
	}
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: the backend's METADATA: %s", ErrInvalid, m.Dir, fmt.Sprintf(format, args...))
	}
	if !pep508.ValidName(core.Name) {
		return nil, invalid("Name %s is not a valid project name", quote(core.Name))
	}
	if m.Name != "" && pep508.NormalizeName(core.Name) != m.Name {
		return nil, invalid("Name %s, but pyproject.toml names %s", quote(core.Name), m.Name)
	}
	v, err := pep440.Parse(core.Version)
	if err != nil || resolve.HasControl(core.Version) {
		return nil, invalid("Version %s is not a PEP 440 version", quote(core.Version))
	}
	if core.RequiresPython != "" {
		if _, err := pep440.ParseSpecifiers(core.RequiresPython); err != nil || resolve.HasControl(core.RequiresPython) {
			return nil, invalid("Requires-Python %s is not a PEP 440 specifier", quote(core.RequiresPython))
		}
	}
	deps, err := checkRequirements(core.RequiresDist)
	if err != nil {
		return nil, invalid("Requires-Dist: %v", err)
	}
	var extras []string
	for _, x := range core.ProvidesExtra {
		if !pep508.ValidName(x) {
			return nil, invalid("Provides-Extra %s is not a valid extra name", quote(x))
		}
		extras = append(extras, pep508.NormalizeExtra(x))
	}
	got := *m
	got.Name, got.Version, got.RequiresPython = pep508.NormalizeName(core.Name), v.String(), core.RequiresPython
	got.Dependencies, got.Optional, got.Extras = deps, nil, sortedUnique(extras)
	got.FromBackend = true
	return &got, nil
}

func sortedUnique(s []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(s)))
}

// copyTree copies what Keep keeps of from into to: files with their
// mode, links as links. Read hashed the tree within nar's default limits
// just before; the copy counts against the same limits rather than
// hashing the tree a second time, so a tree that grew in between still
// stops.
func copyTree(from, to string) error {
	keep := Filter(from)
	var entries int
	var size int64
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if rel != "." && !keep(filepath.ToSlash(rel), d.Type()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if entries++; entries > nar.DefaultEntries {
			return fmt.Errorf("%w: more than %d entries", nar.ErrTooLarge, nar.DefaultEntries)
		}
		if rel != "." && strings.Count(filepath.ToSlash(rel), "/") >= nar.DefaultDepth {
			return fmt.Errorf("%w: directories nested deeper than %d at %s", nar.ErrTooLarge, nar.DefaultDepth, rel)
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n, err := copyFile(p, dst, info.Mode().Perm()|0o200, nar.DefaultBytes-size)
		size += n
		return err
	})
}

// copyFile copies the regular file from into a new file to, streaming
// it: a project may hold large data files. It copies at most budget
// bytes, however large the file has grown since it was listed.
func copyFile(from, to string, perm fs.FileMode, budget int64) (int64, error) {
	// Non-blocking: a file swapped for a FIFO since it was listed would
	// otherwise hold the open until something writes to it.
	src, err := os.OpenFile(from, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	if st, err := src.Stat(); err != nil || !st.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is no longer a regular file", from)
	}
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(dst, io.LimitReader(src, budget+1))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > budget {
		err = fmt.Errorf("%w: more than %d bytes of files", nar.ErrTooLarge, nar.DefaultBytes)
	}
	return n, err
}
