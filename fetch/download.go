package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/machnix/machnix/resolve"
)

// ErrNotCached means an offline fetch needed a file the cache lacks.
var ErrNotCached = errors.New("not in the cache")

// Artifact is one verified file in the cache.
type Artifact struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Filename string `json:"filename"`
	Path     string `json:"path"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	// Cached says the file was in the cache already: nothing was
	// downloaded for it. It is this run's news, not part of the file.
	Cached bool `json:"-"`
}

type options struct {
	timeout  time.Duration
	cacheDir string
	offline  bool
	jobs     int
	client   *http.Client
	progress func(done, total int)
}

// Option configures Fetch.
type Option func(*options)

// WithCacheDir sets the cache root (default: $MACHNIX_CACHE_DIR, else the
// user's cache dir + "/machnix").
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithTimeout fails a download attempt that receives nothing for d,
// before or after its headers; it is retried like any other failed
// attempt. Zero means DefaultTimeout and a negative d waits for ever, as
// oci.WithIdleTimeout and pipeline's Timeout fields take it.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = orDefault(d) } }

// WithOffline uses only the cache.
func WithOffline(offline bool) Option { return func(o *options) { o.offline = offline } }

// WithJobs bounds the number of downloads in flight (default 4).
func WithJobs(n int) Option { return func(o *options) { o.jobs = n } }

// WithProgress is told how many files are in the cache, of how many, as
// each download (or cache hit) completes. Calls never overlap.
func WithProgress(f func(done, total int)) Option { return func(o *options) { o.progress = f } }

// DefaultCacheDir is where the cache lives without WithCacheDir.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("MACHNIX_CACHE_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory; set MACHNIX_CACHE_DIR: %w", err)
	}
	return filepath.Join(d, "machnix"), nil
}

// Fetch downloads every file of the lock's index-provided packages into the
// content-addressed cache (sha256/<hash>), verifying each hash.
// Packages without a file (nixpkgs-provided) are skipped.
func Fetch(ctx context.Context, lock *resolve.Lock, opts ...Option) ([]Artifact, error) {
	o := options{jobs: 4, timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	o.client = newHTTPClient(withIdleTimeout(newTransport(), o.timeout))
	if o.cacheDir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		o.cacheDir = d
	}
	if o.jobs < 1 {
		o.jobs = 1
	}
	var pkgs []resolve.Package
	for _, p := range lock.Packages {
		if p.URL != "" {
			pkgs = append(pkgs, p)
		}
	}
	out := make([]Artifact, len(pkgs))
	errs := make([]error, len(pkgs))
	sem := make(chan struct{}, o.jobs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i, p := range pkgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = fetchOne(ctx, &o, p)
			if errs[i] == nil && strings.HasSuffix(p.Filename, ".whl") {
				errs[i] = checkWheelAgainstLock(out[i].Path, lock.Target, p)
			}
			if o.progress != nil {
				mu.Lock()
				done++
				o.progress(done, len(pkgs))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func fetchOne(ctx context.Context, o *options, p resolve.Package) (Artifact, error) {
	// The digest becomes a path: it must be exactly what the cache
	// writes, whoever wrote the lock and whatever checked it before.
	if p.SHA256 == "" {
		return Artifact{}, fmt.Errorf("%s %s: the lock has no sha256 for %s; re-run machnix resolve", p.Name, p.Version, p.Filename)
	}
	if !resolve.IsSHA256Hex(p.SHA256) {
		return Artifact{}, fmt.Errorf("%s %s: the lock's sha256 for %s is %w in lower case (got %q); re-run machnix resolve", p.Name, p.Version, p.Filename, ErrBadHash, p.SHA256)
	}
	// One flat directory: creating a directory is slow on some file
	// systems, and spreading blobs over 256 of them made a first
	// resolution create a hundred.
	dest := filepath.Join(o.cacheDir, "sha256", p.SHA256)
	art := Artifact{Name: p.Name, Version: p.Version, Filename: p.Filename, Path: dest, SHA256: p.SHA256}
	// Nothing in the cache is read or written through a link: a blob
	// behind one could change after it was checked, and a .partial
	// behind one writes wherever it points.
	if err := clearNonRegular(dest); err != nil {
		return Artifact{}, err
	}
	// A cached blob is rehashed before use unless it is unchanged since it
	// was last checked (verified.go): a corrupt one (a hand edit, a
	// replaced file) is removed and fetched again rather than trusted.
	if blobUnchanged(dest) {
		if st, err := os.Lstat(dest); err == nil {
			art.Size, art.Cached = st.Size(), true
			return art, nil
		}
	}
	got, n, err := hashFile(dest)
	if errors.Is(err, fs.ErrNotExist) && moveSharded(o.cacheDir, p.SHA256, dest) {
		got, n, err = hashFile(dest)
	}
	if err == nil {
		if got == p.SHA256 {
			stampVerified(dest)
			art.Size, art.Cached = n, true
			return art, nil
		}
		os.Remove(dest)
		os.Remove(dest + ".verified")
	}
	if o.offline {
		return Artifact{}, fmt.Errorf("%s %s (%s, sha256 %s): %w; run without --offline once", p.Name, p.Version, p.Filename, p.SHA256, ErrNotCached)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return Artifact{}, err
	}
	// The partial file survives failed attempts and runs, so a later
	// attempt resumes it with a Range request. It is also the lock that
	// makes parallel machnix processes download a blob once.
	partial := dest + ".partial"
	lk, err := lockPartial(ctx, partial)
	if err != nil {
		return Artifact{}, err
	}
	defer lk.Unlock()
	if st, err := os.Lstat(dest); err == nil && st.Mode().IsRegular() {
		// Another process downloaded it while this one waited; the
		// partial file this one locked is new and empty.
		os.Remove(partial)
		art.Size, art.Cached = st.Size(), true
		return art, nil
	}
	if st, err := os.Lstat(partial); err == nil && p.Size > 0 && st.Size() > p.Size {
		os.Truncate(partial, 0) // longer than the file: not a prefix of it
	}
	for round := 0; ; round++ {
		resumed, err := downloadRetrying(ctx, o, p, partial)
		if err != nil {
			return Artifact{}, err
		}
		got, n, err := hashFile(partial)
		if err != nil {
			return Artifact{}, err
		}
		if got == p.SHA256 {
			if err := os.Rename(partial, dest); err != nil {
				return Artifact{}, err
			}
			stampVerified(dest)
			art.Size = n
			return art, nil
		}
		// Bytes kept from before (another run, another server) may be
		// what is wrong: only a download from the start can blame the
		// source. The file is emptied rather than removed: a new one
		// would not be the one locked.
		if resumed && round == 0 {
			if err := os.Truncate(partial, 0); err != nil {
				return Artifact{}, err
			}
			continue
		}
		os.Remove(partial)
		return Artifact{}, fmt.Errorf("%s %s: %w: %s served a file with sha256 %s, but the lock says %s; the file was deleted. The file changed on the index after the lock was made, or the URL serves another one: check it, then re-run machnix resolve",
			p.Name, p.Version, ErrHashMismatch, Redact(p.URL), got, p.SHA256)
	}
}

// moveSharded moves a blob the cache kept under sha256/<aa>/ before it
// was flat into dest, which is not there, to be checked like any other: a
// large wheel is not downloaded again for a change of layout. It reports
// whether it moved one. Only a miss asks, so a warm cache pays nothing.
func moveSharded(cacheDir, sum, dest string) bool {
	old := filepath.Join(cacheDir, "sha256", sum[:2], sum)
	st, err := os.Lstat(old)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	os.Remove(old + ".verified")
	return os.Rename(old, dest) == nil
}

// sameFile is os.SameFile; tests give a file system whose identities do
// not hold still.
var sameFile = os.SameFile

// lockPartial locks a blob's partial file, creating it when absent; it
// is the lock on the blob's download. Whoever holds it may rename the file
// into place or remove it, so a lock taken on a file that has meanwhile
// left that path is dropped and taken again on the file there now. Only
// the holder changes which file the path names; an open that creates it
// finds no file there, so none is locked.
func lockPartial(ctx context.Context, partial string) (*flock.Flock, error) {
	// Each retry follows another process's finished download; a file
	// system whose file identities do not hold still this long is one
	// the cache cannot lock on.
	for range 1000 {
		if err := clearNonRegular(partial); err != nil {
			return nil, err
		}
		// The lock creates the file the blob becomes: readable by all,
		// as a blob downloaded into its own file was (flock's default is
		// 0600), so that a cache shared by users or CI accounts stays so.
		lk := flock.New(partial, flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow), flock.SetPermissions(0o644))
		// Polled, so that an interrupt ends the wait for another
		// process's download.
		if locked, err := lk.TryLockContext(ctx, 20*time.Millisecond); err != nil || !locked {
			lk.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%s: cannot lock it in the cache: %w", partial, err)
		}
		held, err := lk.Stat()
		if err != nil {
			lk.Unlock()
			return nil, err
		}
		if now, err := os.Lstat(partial); err == nil && sameFile(held, now) {
			return lk, nil
		}
		lk.Unlock()
	}
	return nil, fmt.Errorf("%s: cannot lock it in the cache: the file kept changing under the lock; put the cache (MACHNIX_CACHE_DIR) on a local file system", partial)
}

// downloadRetrying runs download until it succeeds, with a bounded
// number of retries and backoff. It says whether any attempt appended to
// bytes already in partial.
func downloadRetrying(ctx context.Context, o *options, p resolve.Package, partial string) (bool, error) {
	const attempts = 5
	resumedAny := false
	for i := 0; ; i++ {
		resumed, retry, err := download(ctx, o, p, partial)
		resumedAny = resumedAny || resumed
		if err == nil {
			return resumedAny, nil
		}
		if !retry || i == attempts-1 || ctx.Err() != nil {
			return resumedAny, err
		}
		backoff := time.Duration(50<<i)*time.Millisecond + time.Duration(rand.Int64N(int64(25*time.Millisecond)))
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return resumedAny, ctx.Err()
		}
	}
}

// clearNonRegular removes path when it is a link or anything else but a
// regular file, so the cache never reads or writes through one.
func clearNonRegular(path string) error {
	st, err := os.Lstat(path)
	if err != nil || st.Mode().IsRegular() {
		return nil
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("%s in the cache is not a regular file and cannot be removed (%w); remove it by hand", path, err)
	}
	return nil
}

// hashFile hashes a regular file; it follows no link. Tests count calls.
var hashFile = hashRegularFile

func hashRegularFile(path string) (string, int64, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return "", 0, err
	}
	if !st.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// download appends the rest of p's file to partial, resuming with Range
// when partial already has bytes. It says whether it kept bytes that were
// there before, and whether a failure is worth a retry.
func download(ctx context.Context, o *options, p resolve.Package, partial string) (resumed, retry bool, err error) {
	f, err := os.OpenFile(partial, os.O_WRONLY|noFollow, 0)
	if err != nil {
		return false, false, err
	}
	defer f.Close()
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return false, false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		return false, false, fmt.Errorf("%s: bad URL %s: %w; fix the lock or re-run machnix resolve", p.Name, Redact(p.URL), urlErr(err))
	}
	u := req.URL.User
	if u == nil {
		u = netrcUser(req.URL.Host)
	}
	if u != nil {
		pw, _ := u.Password()
		req.SetBasicAuth(u.Username(), pw)
		req.URL.User = nil
	}
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return false, true, fmt.Errorf("%s: GET %s: %w", p.Name, Redact(p.URL), urlErr(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && off > 0:
		resumed = true
	case resp.StatusCode == http.StatusOK:
		// The server ignored the range: start over.
		if err := f.Truncate(0); err != nil {
			return false, false, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return false, false, err
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && off > 0:
		return true, false, nil // already complete, or longer; the hash check decides
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		// A lock holds no credentials, so a private file needs netrc's.
		return false, false, fmt.Errorf("%s: GET %s: HTTP %d; give the credentials for %s in netrc ($NETRC, else ~/.netrc): a lock never holds them",
			p.Name, Redact(p.URL), resp.StatusCode, req.URL.Host)
	default:
		return false, resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests,
			fmt.Errorf("%s: GET %s: HTTP %d", p.Name, Redact(p.URL), resp.StatusCode)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		return resumed, true, fmt.Errorf("%s: downloading %s: %w", p.Name, Redact(p.URL), err)
	}
	return resumed, false, f.Close()
}
