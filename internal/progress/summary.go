package progress

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/internal/termsafe"
	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
)

// Summary is what a command did, told at its end on stderr, on a
// terminal or not: a line per pushed reference, then one line with the
// rest. Stdout keeps only the machine-readable result.
type Summary struct {
	// Resolved is how many packages were resolved into LockFile; zero
	// when the lock was read as it was.
	Resolved int
	LockFile string
	// Fetched are the lock's files, each downloaded now or found in
	// the cache.
	Fetched []fetch.Artifact
	// UpToDate says the out-link already held the build.
	UpToDate bool
	// Built is how many derivations nix-build built, in BuildTime.
	Built     int
	BuildTime time.Duration
	// Substituted is how many paths came from binary caches instead;
	// Remote how many derivations each remote builder built.
	Substituted int
	Remote      map[string]int
	// Cached says what was pushed to each binary cache; Copied how many
	// store paths image took from --store.
	Cached []nixbuild.PushResult
	Copied int
	// Warnings are told on lines of their own: a binary cache Nix
	// refused, and why.
	Warnings []string
	// Image is the manifest digest of an image made, Pushed the
	// references it was pushed to, each REF@DIGEST.
	Image  string
	Pushed []string
	// Wrote are the files and folders written for the user, as the
	// user named them (./result, DIR, app.tar).
	Wrote []string
	// Enter is a nix-shell file to enter, said on a line of its own.
	Enter string
}

// String is the summary's lines, each ending in a newline. The names in
// it come from locks, flags and registries, so their control characters
// are escaped.
func (s Summary) String() string {
	var b strings.Builder
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "machnix: warning: %s\n", termsafe.String(w))
	}
	for _, ref := range s.Pushed {
		fmt.Fprintf(&b, "machnix: pushed %s\n", termsafe.String(ref))
	}
	for _, c := range s.Cached {
		fmt.Fprintf(&b, "machnix: pushed %d new of %s to %s, signed with the key %s\n", c.New, plural(c.Paths, "path"), termsafe.String(c.Cache), termsafe.String(strconv.Quote(c.Key)))
	}
	var parts []string
	if s.Resolved > 0 {
		parts = append(parts, fmt.Sprintf("resolved %s into %s", plural(s.Resolved, "package"), termsafe.String(s.LockFile)))
	}
	if len(s.Fetched) > 0 {
		parts = append(parts, fetchedPart(s.Fetched))
	}
	switch {
	case s.UpToDate:
		parts = append(parts, "build up to date")
	case s.BuildTime > 0:
		built := plural(s.Built, "derivation")
		if len(s.Remote) > 0 {
			var on []string
			for _, m := range slices.Sorted(maps.Keys(s.Remote)) {
				on = append(on, fmt.Sprintf("%d on %s", s.Remote[m], termsafe.String(m)))
			}
			built += " (" + strings.Join(on, ", ") + ")"
		}
		if s.Substituted > 0 || len(s.Warnings) > 0 {
			built += fmt.Sprintf(", substituted %s from binary caches,", plural(s.Substituted, "path"))
		}
		parts = append(parts, fmt.Sprintf("built %s in %.1f s", built, s.BuildTime.Seconds()))
	}
	if s.Copied > 0 {
		parts = append(parts, fmt.Sprintf("copied %s from the store", plural(s.Copied, "path")))
	}
	if s.Image != "" {
		parts = append(parts, "image "+termsafe.String(s.Image))
	}
	if len(s.Wrote) > 0 {
		wrote := make([]string, len(s.Wrote))
		for i, w := range s.Wrote {
			wrote[i] = termsafe.String(w)
		}
		parts = append(parts, "wrote "+strings.Join(wrote, ", "))
	}
	if len(parts) > 0 {
		fmt.Fprintf(&b, "machnix: %s\n", strings.Join(parts, "; "))
	}
	if s.Enter != "" {
		fmt.Fprintf(&b, "enter it with: nix-shell %s\n", termsafe.String(s.Enter))
	}
	return b.String()
}

func fetchedPart(arts []fetch.Artifact) string {
	var downloaded, cached int
	var bytes int64
	for _, a := range arts {
		if a.Cached {
			cached++
			continue
		}
		downloaded++
		bytes += a.Size
	}
	if downloaded == 0 {
		return fmt.Sprintf("all %s from the cache", plural(cached, "file"))
	}
	return fmt.Sprintf("fetched %s (%s), %d from the cache", plural(downloaded, "file"), humanBytes(bytes), cached)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// NewSummary starts a command's summary with its lock, resolved into
// lockFile or read from it, and the files it will write ("" for none).
func NewSummary(lock *resolve.Lock, resolved bool, lockFile string, wrote ...string) Summary {
	s := Summary{LockFile: lockFile}
	if resolved {
		s.Resolved = len(lock.Packages)
	}
	for _, w := range wrote {
		if w != "" {
			s.Wrote = append(s.Wrote, w)
		}
	}
	return s
}

// Published adds an image with this manifest digest, written to out.
func (s *Summary) Published(out pipeline.Outputs, digest string) {
	s.Image, s.Pushed = digest, PushedRefs(out, digest)
	s.Wrote = append(s.Wrote, Written(out)...)
}

// PushedRefs are each tag the image was pushed to, with its digest:
// REF@DIGEST, what a deployment pins.
func PushedRefs(out pipeline.Outputs, digest string) []string {
	if !out.Push {
		return nil
	}
	refs := make([]string, len(out.Tags))
	for i, t := range out.Tags {
		refs[i] = t + "@" + digest
	}
	return refs
}

// Written are the files an image's outputs wrote.
func Written(out pipeline.Outputs) []string {
	var w []string
	for _, p := range []string{out.OCILayout, out.DockerArchive} {
		if p != "" {
			w = append(w, p)
		}
	}
	return w
}

// Fetching returns the options that show a bar of the lock's n files
// being fetched on w when it is a terminal, and what ends it (once, however
// often it is called).
func Fetching(w io.Writer, n int) ([]pipeline.Option, func()) {
	bar := Bar(w, n, "fetching")
	if bar == nil {
		return nil, func() {}
	}
	var once sync.Once
	return []pipeline.Option{pipeline.WithFetchProgress(func(done, total int) { bar.ChangeMax(total); _ = bar.Set(done) })},
		func() { once.Do(func() { _ = bar.Finish() }) }
}

// WriteArtifacts lists fetched files on w for scripts: one line per file,
// its cache path, a tab, and its file name (cut -f1 gives the paths alone).
func WriteArtifacts(w io.Writer, arts []fetch.Artifact) error {
	for _, a := range arts {
		if _, err := fmt.Fprintf(w, "%s\t%s\n", termsafe.String(a.Path), termsafe.String(a.Filename)); err != nil {
			return err
		}
	}
	return nil
}

// EnvSummary is env's: what was resolved (when it was), fetched and
// written, and how to enter the folder.
func EnvSummary(p *pipeline.Prepared, resolved bool, lockFile, dir string) Summary {
	s := NewSummary(p.Lock, resolved, lockFile, dir)
	s.Fetched, s.Enter = p.Artifacts, filepath.Join(dir, "shell.nix")
	return s
}
