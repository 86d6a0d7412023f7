package resolve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// LockVersion is the lock format this package writes and reads.
const LockVersion = 1

// ErrInvalidLock is wrapped by every ReadLock validation error.
var ErrInvalidLock = errors.New("invalid lock file")

// MarshalLock encodes a lock in its stable form: packages sorted by name,
// their dependencies and extras sorted, 2-space indent, trailing newline.
// Sorting happens on a copy so the caller's lock is left untouched.
func MarshalLock(l *Lock) ([]byte, error) {
	c := *l
	c.Packages = sortedPackages(l.Packages)
	c.BuildPackages = sortedPackages(l.BuildPackages)
	if c.Indexes == nil {
		c.Indexes = []string{}
	}
	if c.Requirements == nil {
		c.Requirements = []string{}
	}
	if c.Packages == nil {
		c.Packages = []Package{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sortedPackages copies packages sorted by name, each with its lists
// sorted.
func sortedPackages(pkgs []Package) []Package {
	if len(pkgs) == 0 {
		return pkgs
	}
	out := append([]Package(nil), pkgs...)
	for i := range out {
		p := &out[i]
		p.Dependencies = sortedCopy(p.Dependencies)
		p.Extras = sortedCopy(p.Extras)
		p.BuildRequires = sortedCopy(p.BuildRequires)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sortedCopy(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// WriteLock writes the lock to path atomically (temp file and rename), so a
// failure never leaves a half-written lock behind.
func WriteLock(path string, l *Lock) error {
	if err := validateLock(l); err != nil {
		return fmt.Errorf("refusing to write %s: %w", path, err)
	}
	data, err := MarshalLock(l)
	if err != nil {
		return fmt.Errorf("encoding lock for %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".machnix-lock-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// ReadLock reads and validates a lock file. Errors name the file and, for
// validation problems, wrap ErrInvalidLock.
func ReadLock(path string) (*Lock, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading lock: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var l Lock
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%s: %w: %v (delete it and run machnix resolve again)", path, ErrInvalidLock, err)
	}
	// A second value after the lock would be silently ignored; a lock is
	// one JSON object and nothing else.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: %w: data after the lock's closing brace (delete it and run machnix resolve again)", path, ErrInvalidLock)
	}
	if err := validateLock(&l); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &l, nil
}
