package autopatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

func sha256Of(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func reportJSON(t *testing.T, rep *NativeReport) string {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nativeWheel writes a wheel holding a gcc-built library that needs
// libz.so.1, which the embedded table maps to zlib.
func nativeWheel(t *testing.T, name string) string {
	t.Helper()
	return writeWheel(t, testfixtures.Wheel{Name: name, Version: "1.0", Files: []testfixtures.File{
		{Path: name + "/__init__.py", Data: []byte("x = 1\n")},
		{Path: name + "/mod.so", Data: gccSharedObject(t)},
	}})
}

func inspectCached(t *testing.T, file, sum string, cache FactsCache, opts ...Option) (*NativeReport, error) {
	t.Helper()
	return Inspect(context.Background(), []string{file}, append([]Option{WithNixLocate(false),
		WithDigests(map[string]string{file: sum}), WithFactsCache(cache)}, opts...)...)
}

// TestFactsCacheReadsNoWheelTwice: once a wheel's facts are cached by its
// digest, Inspect gives the same report without the wheel file, and the
// soname table is still applied afresh.
func TestFactsCacheReadsNoWheelTwice(t *testing.T) {
	wheel := nativeWheel(t, "cached")
	sum := sha256Of(t, wheel)
	full, err := Inspect(context.Background(), []string{wheel}, WithNixLocate(false))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(full.Wheels[0].NixInputs, "zlib") {
		t.Fatalf("nix inputs %v, want zlib for libz.so.1 from the embedded table", full.Wheels[0].NixInputs)
	}
	dir := t.TempDir()
	cache := DirFactsCache(dir)
	first, err := inspectCached(t, wheel, sum, cache)
	if err != nil {
		t.Fatal(err)
	}
	if reportJSON(t, first) != reportJSON(t, full) {
		t.Fatalf("the fast path's report differs from the full read:\n%s\n%s", reportJSON(t, first), reportJSON(t, full))
	}
	if _, err := os.Stat(filepath.Join(dir, factsFormat, sum+".json")); err != nil {
		t.Fatalf("no cache entry where documented: %v", err)
	}

	if err := os.Remove(wheel); err != nil {
		t.Fatal(err)
	}
	second, err := inspectCached(t, wheel, sum, cache)
	if err != nil {
		t.Fatalf("with a warm cache the wheel was read again: %v", err)
	}
	if reportJSON(t, second) != reportJSON(t, full) {
		t.Errorf("cached report differs:\n%s\n%s", reportJSON(t, second), reportJSON(t, full))
	}

	remapped, err := inspectCached(t, wheel, sum, cache, WithSonames(map[string]string{"libz.so.1": "myZlib"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := remapped.Wheels[0].NixInputs; !slices.Equal(got, []string{"myZlib"}) {
		t.Errorf("with [sonames] libz.so.1 = myZlib and a warm cache, nix inputs are %v", got)
	}
}

// TestFactsCacheDistrustsEntries: an entry that is corrupt, foreign or
// implausible is never used: with the wheel gone Inspect must fail rather
// than believe it, and with the wheel present the entry is rewritten.
func TestFactsCacheDistrustsEntries(t *testing.T) {
	wheel := nativeWheel(t, "trusted")
	sum := sha256Of(t, wheel)
	other := nativeWheel(t, "other")
	otherSum := sha256Of(t, other)
	dir := t.TempDir()
	cache := DirFactsCache(dir)
	want, err := inspectCached(t, wheel, sum, cache)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inspectCached(t, other, otherSum, cache); err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(dir, factsFormat, sum+".json")
	good, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := os.ReadFile(filepath.Join(dir, factsFormat, otherSum+".json"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(from, to string) []byte {
		if !strings.Contains(string(good), from) {
			t.Fatalf("entry %s holds no %q", good, from)
		}
		return []byte(strings.Replace(string(good), from, to, 1))
	}
	// Another wheel's entry with its digest changed to this one's: only
	// its project, not the file name's, betrays it.
	relabelled := []byte(strings.Replace(string(foreign), otherSum, sum, 1))

	for name, data := range map[string][]byte{
		"garbage":           []byte("\x00not json"),
		"truncated":         good[:len(good)/2],
		"unknown field":     edit(`"format"`, `"evil":1,"format"`),
		"data after it":     append(append([]byte(nil), good...), []byte(` {}`)...),
		"another format":    edit(`"format":"`+factsFormat+`"`, `"format":"v0"`),
		"another wheel's":   foreign,
		"empty version set": edit(`"version_needs":{`, `"version_needs":{"GLIBC":[],`),
		"unsafe entry":      edit(`"entries":[`, `"entries":["../../escape",`),
		"relabelled":        relabelled,
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(entry, data, 0o644); err != nil {
				t.Fatal(err)
			}
			gone := filepath.Join(t.TempDir(), filepath.Base(wheel))
			if _, err := inspectCached(t, gone, sum, cache); err == nil {
				t.Fatal("the entry was believed: Inspect succeeded without the wheel")
			}
			got, err := inspectCached(t, wheel, sum, cache)
			if err != nil {
				t.Fatal(err)
			}
			if reportJSON(t, got) != reportJSON(t, want) {
				t.Errorf("report differs:\n%s\n%s", reportJSON(t, got), reportJSON(t, want))
			}
			if rewritten, _ := os.ReadFile(entry); string(rewritten) != string(good) {
				t.Errorf("the entry was not rewritten: %q", rewritten)
			}
		})
	}
}

// TestDigestsTakeTheFastPath: a wheel whose digest the caller vouches for
// is not hashed against RECORD; the others still are.
func TestDigestsTakeTheFastPath(t *testing.T) {
	good := writeWheel(t, testfixtures.Wheel{Name: "good", Version: "1.0", Files: []testfixtures.File{{Path: "good/__init__.py", Data: []byte("x = 1\n")}}})
	stale := addEntry(t, good, "good/unlisted.py", []byte("x"))
	expectErr(t, stale, ErrRecordMismatch)
	vouched := map[string]string{stale: sha256Of(t, stale)}
	if _, err := Inspect(context.Background(), []string{stale}, WithNixLocate(false), WithDigests(vouched)); err != nil {
		t.Errorf("a vouched-for wheel was hashed against RECORD: %v", err)
	}
	expectErr(t, stale, ErrRecordMismatch, WithDigests(map[string]string{good: sha256Of(t, good)}))
	_, err := Inspect(context.Background(), []string{good}, WithDigests(map[string]string{good: "abc"}))
	if !errors.Is(err, ErrBadOption) {
		t.Errorf("a digest that is no sha256: %v, want ErrBadOption", err)
	}
}

// A small wheel without ELF files gets no cache entry, since reading it
// again is cheaper than storing one; with more entries, or one ELF file,
// it gets one. Either way the report is the full read's.
func TestFactsCacheKeepsWhatIsCostlyToRead(t *testing.T) {
	pure := func(name string, n int) string {
		w := testfixtures.Wheel{Name: name, Version: "1.0"}
		for i := range n {
			w.Files = append(w.Files, testfixtures.File{Path: fmt.Sprintf("%s/m%d.py", name, i), Data: []byte("x = 1\n")})
		}
		return writeWheel(t, w)
	}
	for _, tc := range []struct {
		file   string
		cached bool
	}{
		{pure("small", 1), false},
		{pure("many", maxUncachedEntries+1), true},
		{nativeWheel(t, "native"), true},
	} {
		dir := t.TempDir()
		sum := sha256Of(t, tc.file)
		full, err := Inspect(context.Background(), []string{tc.file}, WithNixLocate(false))
		if err != nil {
			t.Fatal(err)
		}
		for pass := range 2 {
			got, err := inspectCached(t, tc.file, sum, DirFactsCache(dir))
			if err != nil {
				t.Fatal(err)
			}
			if reportJSON(t, got) != reportJSON(t, full) {
				t.Errorf("%s, pass %d: the report differs from the full read", filepath.Base(tc.file), pass)
			}
		}
		_, err = os.Stat(filepath.Join(dir, factsFormat, sum+".json"))
		if cached := err == nil; cached != tc.cached {
			t.Errorf("%s: cached %v, want %v", filepath.Base(tc.file), cached, tc.cached)
		}
	}
}
