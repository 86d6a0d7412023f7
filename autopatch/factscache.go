package autopatch

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/machnix/machnix/internal/atomicfile"
	"github.com/machnix/machnix/internal/distinfo"
	"github.com/machnix/machnix/resolve/pep508"
)

// FactsCache keeps what inspection read from a wheel (its entries, tags,
// metadata and ELF facts), by the wheel file's sha256. It holds nothing
// that depends on the soname table, the configuration or nix-locate: those
// are applied on every Inspect, so a changed [sonames] table takes effect
// with a warm cache.
//
// Inspect never trusts what Load returns: an entry that does not decode
// strictly, names another digest or another format, or is not a plausible
// wheel is ignored and replaced.
type FactsCache interface {
	// Load returns the entry stored for sha256, or an error wrapping
	// fs.ErrNotExist when there is none.
	Load(sha256 string) ([]byte, error)
	// Store keeps data for sha256, replacing any entry.
	Store(sha256 string, data []byte) error
}

// factsFormat names the layout of a cached entry. It changes whenever the
// entry's fields or the meaning of a fact change, so that entries written
// by another version of machnix are never read.
const factsFormat = "v2" // v2: top_level.txt

// DirFactsCache is a FactsCache in a directory: each entry is the file
// <dir>/<format>/<sha256>.json, written atomically. The directory is
// created on the first Store.
func DirFactsCache(dir string) FactsCache { return dirFactsCache{dir: filepath.Join(dir, factsFormat)} }

type dirFactsCache struct{ dir string }

func (c dirFactsCache) Load(sha256 string) ([]byte, error) {
	if !isSHA256(sha256) {
		return nil, fmt.Errorf("inspection cache key %q: %w", sha256, os.ErrNotExist)
	}
	f, err := os.Open(filepath.Join(c.dir, sha256+".json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A real entry is a listing of the wheel: RECORD's size, at most.
	data, err := io.ReadAll(io.LimitReader(f, maxFactsEntry+1))
	if err == nil && len(data) > maxFactsEntry {
		err = fmt.Errorf("inspection cache entry %s is over %d bytes; it is ignored", f.Name(), maxFactsEntry)
	}
	return data, err
}

func (c dirFactsCache) Store(sha256 string, data []byte) error {
	if !isSHA256(sha256) {
		return fmt.Errorf("inspection cache key %q is not a sha256 digest", sha256)
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(c.dir, sha256+".json"), data)
}

// maxFactsEntry caps a cached entry. It lists the wheel's entries, as
// RECORD does, and the ELF facts beside them.
const maxFactsEntry = 2 * distinfo.MaxFileSize

// WithDigests gives the sha256 (hex) of wheel files, keyed by the paths
// passed to Inspect. The caller vouches for them, having checked them (as
// machnix build checks each wheel against the lock): those wheels are read
// without re-hashing their entries against RECORD, as WithVerifyRecord(false)
// does, and their facts are cached by digest when WithFactsCache is given.
// Wheels not in the map are read as the other options say.
func WithDigests(digests map[string]string) Option {
	return func(i *inspector) {
		for file, sum := range digests {
			i.digests[file] = strings.ToLower(sum)
		}
	}
}

// WithFactsCache keeps the facts of each wheel given a digest (WithDigests)
// in c, so that an unchanged wheel is read only once. Small wheels without
// ELF files are not kept: reading them again costs less than storing them.
// A failure to store an entry does not fail Inspect: the cache only saves
// time.
func WithFactsCache(c FactsCache) Option { return func(i *inspector) { i.cache = c } }

// wheelSource gives what inspection reads from one wheel file.
type wheelSource interface {
	wheel(file string) (*Wheel, error)
}

func (wr wheelReader) wheel(file string) (*Wheel, error) { return wr.readWheel(file) }

// vouchedSource reads wheels whose digest the caller vouches for without
// re-hashing RECORD, and the others through rest.
type vouchedSource struct {
	digests map[string]string
	fast    wheelSource
	rest    wheelSource
}

func (s vouchedSource) wheel(file string) (*Wheel, error) {
	if _, ok := s.digests[file]; ok {
		return s.fast.wheel(file)
	}
	return s.rest.wheel(file)
}

// cachedSource answers for wheels with a known digest from cache, and
// stores what inner reads for them.
type cachedSource struct {
	inner    wheelSource
	cache    FactsCache
	digests  map[string]string
	fileName func(file string) string // as wheelReader.fileName
}

func (s cachedSource) wheel(file string) (*Wheel, error) {
	sum, ok := s.digests[file]
	if !ok {
		return s.inner.wheel(file)
	}
	if data, err := s.cache.Load(sum); err == nil {
		if w, err := decodeFacts(data, sum, s.fileName(file)); err == nil {
			w.File = file
			return w, nil
		}
	}
	w, err := s.inner.wheel(file)
	if err != nil {
		return nil, err
	}
	if !worthCaching(w) {
		return w, nil
	}
	if data, err := encodeFacts(w, sum); err == nil {
		_ = s.cache.Store(sum, data) // best effort, see WithFactsCache
	}
	return w, nil
}

// maxUncachedEntries is the most entries a wheel without ELF files may
// have and still get no cache entry. Reading such a wheel again on the
// fast path costs its dist-info files and the start of each entry's
// inflation; for a few entries that is less than creating the cache file
// (a file creation, slow on some file systems), and the small pure-Python
// wheels it spares are most of a lock's.
const maxUncachedEntries = 16

// worthCaching says whether reading w again would cost more than keeping
// its facts.
func worthCaching(w *Wheel) bool { return len(w.ELFs) > 0 || len(w.Entries) > maxUncachedEntries }

// wheelFacts is a cache entry: a Wheel without its file name, with the
// digest it belongs to and the format it is written in.
type wheelFacts struct {
	Format         string     `json:"format"`
	SHA256         string     `json:"sha256"`
	Name           string     `json:"name"`
	Version        string     `json:"version"`
	Tags           []string   `json:"tags"`
	RootIsPurelib  bool       `json:"root_is_purelib"`
	RequiresDist   []string   `json:"requires_dist"`
	RequiresPython string     `json:"requires_python"`
	Entries        []string   `json:"entries"`
	TopLevel       []string   `json:"top_level"` // null: no top_level.txt
	ELFs           []elfFacts `json:"elfs"`
}

type elfFacts struct {
	Path            string              `json:"path"`
	Class           string              `json:"class"`
	Machine         string              `json:"machine"`
	Soname          string              `json:"soname"`
	Interpreter     string              `json:"interpreter"`
	Needed          []string            `json:"needed"`
	RPath           []string            `json:"rpath"`
	RunPath         []string            `json:"runpath"`
	PythonExtension bool                `json:"python_extension"`
	VersionNeeds    map[string][]string `json:"version_needs"`
}

func encodeFacts(w *Wheel, sum string) ([]byte, error) {
	f := wheelFacts{Format: factsFormat, SHA256: sum, Name: w.Name, Version: w.Version, Tags: w.Tags,
		RootIsPurelib: w.RootIsPurelib, RequiresDist: w.RequiresDist, RequiresPython: w.RequiresPython,
		Entries: w.Entries, TopLevel: w.TopLevel, ELFs: make([]elfFacts, 0, len(w.ELFs))}
	for _, e := range w.ELFs {
		f.ELFs = append(f.ELFs, elfFacts{Path: e.Path, Class: e.Class, Machine: e.Machine, Soname: e.Soname,
			Interpreter: e.Interpreter, Needed: e.Needed, RPath: e.RPath, RunPath: e.RunPath,
			PythonExtension: e.PythonExtension, VersionNeeds: e.versionNeeds})
	}
	return json.Marshal(f)
}

// errBadFacts marks a cache entry that is not used.
var errBadFacts = errors.New("unusable inspection cache entry")

// decodeFacts reads a cache entry for the wheel whose digest is sum. The
// entry must decode strictly (no unknown field, nothing after it), be of
// this format and this digest, and describe a plausible wheel: it may have
// been written by anything that can write to the cache directory. When the
// wheel's file name is known, the entry must be for its project, as the
// wheel's .dist-info directory must.
func decodeFacts(data []byte, sum, filename string) (*Wheel, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f wheelFacts
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadFacts, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the entry", errBadFacts)
	}
	switch {
	case f.Format != factsFormat:
		return nil, fmt.Errorf("%w: format %q", errBadFacts, f.Format)
	case f.SHA256 != sum:
		return nil, fmt.Errorf("%w: it is for %q", errBadFacts, f.SHA256)
	case f.Name == "" || f.Version == "":
		return nil, fmt.Errorf("%w: no name or version", errBadFacts)
	case filename != "" && pep508.NormalizeName(f.Name) != distinfo.Project(filename):
		return nil, fmt.Errorf("%w: it is for project %q", errBadFacts, f.Name)
	case !slices.IsSorted(f.Entries):
		return nil, fmt.Errorf("%w: entries not sorted", errBadFacts)
	}
	for _, e := range f.Entries {
		if err := checkEntryPath(e); err != nil {
			return nil, fmt.Errorf("%w: %v", errBadFacts, err)
		}
	}
	w := &Wheel{Name: f.Name, Version: f.Version, Tags: f.Tags, RootIsPurelib: f.RootIsPurelib,
		RequiresDist: f.RequiresDist, RequiresPython: f.RequiresPython, Entries: f.Entries, TopLevel: f.TopLevel}
	for _, e := range f.ELFs {
		if _, found := slices.BinarySearch(f.Entries, e.Path); !found {
			return nil, fmt.Errorf("%w: ELF %q is not an entry", errBadFacts, e.Path)
		}
		if e.VersionNeeds == nil {
			return nil, fmt.Errorf("%w: ELF %q has no version needs", errBadFacts, e.Path)
		}
		for _, vs := range e.VersionNeeds {
			if len(vs) == 0 {
				return nil, fmt.Errorf("%w: ELF %q has an empty version list", errBadFacts, e.Path)
			}
		}
		w.ELFs = append(w.ELFs, elfInfo{Path: e.Path, Class: e.Class, Machine: e.Machine, Soname: e.Soname,
			Interpreter: e.Interpreter, Needed: e.Needed, RPath: e.RPath, RunPath: e.RunPath,
			PythonExtension: e.PythonExtension, versionNeeds: e.VersionNeeds})
	}
	return w, nil
}

func isSHA256(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32 && s == strings.ToLower(s)
}
