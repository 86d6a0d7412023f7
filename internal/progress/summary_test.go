package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/pipeline"
)

// A build's summary says how many packages were resolved into which lock,
// how many files were downloaded (and their size) against found in the
// cache, how many derivations were built in how long, and what it wrote.
func TestSummaryOfABuild(t *testing.T) {
	s := Summary{
		Resolved: 12, LockFile: "machnix.lock",
		Fetched: []fetch.Artifact{
			{Filename: "a-1.0-py3-none-any.whl", Size: 3 << 20},
			{Filename: "b-1.0-py3-none-any.whl", Size: 1 << 20},
			{Filename: "c-1.0.tar.gz", Size: 5 << 20, Cached: true},
		},
		Built: 5, BuildTime: 12300 * time.Millisecond,
		Wrote: []string{"result"},
	}
	got := s.String()
	want := "machnix: resolved 12 packages into machnix.lock; fetched 2 files (4.0 MiB), 1 from the cache; built 5 derivations in 12.3 s; wrote result\n"
	if got != want {
		t.Errorf("summary\n got %q\nwant %q", got, want)
	}
}

// Files all in the cache, a lock read as it was and an up-to-date build say
// so, and nothing about resolving.
func TestSummaryOfANoOp(t *testing.T) {
	s := Summary{Fetched: []fetch.Artifact{{Cached: true}, {Cached: true}}, UpToDate: true}
	got := s.String()
	for _, want := range []string{"all 2 files from the cache", "build up to date"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "resolved") || strings.Count(got, "\n") != 1 {
		t.Errorf("summary %q: want one line, no resolving", got)
	}
}

// A pushed image gets a line per tag, REF@DIGEST, before the summary line;
// an image written to files names them; names with control characters are
// escaped.
func TestSummaryOfAnImage(t *testing.T) {
	out := pipeline.Outputs{Tags: []string{"127.0.0.1:5000/app:v1", "127.0.0.1:5000/app:latest"}, Push: true, DockerArchive: "app\x1b[2J.tar"}
	d := "sha256:" + strings.Repeat("ab", 32)
	s := Summary{Image: d, Pushed: PushedRefs(out, d), Wrote: Written(out)}
	lines := strings.Split(strings.TrimSuffix(s.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %q", lines)
	}
	for i, tag := range out.Tags {
		if want := "machnix: pushed " + tag + "@" + d; lines[i] != want {
			t.Errorf("line %d = %q, want %q", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[2], "image "+d) || !strings.Contains(lines[2], "wrote app") || strings.Contains(lines[2], "\x1b") {
		t.Errorf("last line %q: want the digest and the archive, escaped", lines[2])
	}
	if refs := PushedRefs(pipeline.Outputs{Tags: out.Tags, OCILayout: "oci"}, d); refs != nil {
		t.Errorf("nothing pushed, yet refs %q", refs)
	}
}

// fetch lists a line per file: its cache path, a tab, its file name.
func TestWriteArtifacts(t *testing.T) {
	var buf bytes.Buffer
	arts := []fetch.Artifact{{Path: "/c/sha256/aa/aa11", Filename: "a-1.0-py3-none-any.whl"}, {Path: "/c/sha256/bb/bb22", Filename: "b\n1.0.tar.gz"}}
	if err := WriteArtifacts(&buf, arts); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 || lines[0] != "/c/sha256/aa/aa11\ta-1.0-py3-none-any.whl" || !strings.HasPrefix(lines[1], "/c/sha256/bb/bb22\tb") {
		t.Errorf("listing %q", lines)
	}
}

// The build renderer counts the derivations built, whatever order its
// updates come in.
func TestNixCountsBuilt(t *testing.T) {
	var buf bytes.Buffer
	p := NewNix(&buf)
	for _, u := range []nixbuild.Progress{{Done: 1, Expected: 3}, {Done: 3, Expected: 3}, {Done: 2, Expected: 3}} {
		p.Update(u)
	}
	if n, d := p.Built(); n != 3 || d <= 0 {
		t.Errorf("built %d in %v, want 3 in some time", n, d)
	}
}

// A fleet's build says what each remote builder built, what came from
// caches, what was pushed where with which key, and warns of a refused
// cache; names from URLs and caches cannot move the cursor.
func TestSummaryOfAFleetBuild(t *testing.T) {
	s := Summary{
		Built: 3, BuildTime: 2 * time.Second, Substituted: 7,
		Remote:   map[string]int{"ssh://big2": 1, "ssh://big1": 2},
		Cached:   []nixbuild.PushResult{{Cache: "file:///c\x1b[2J", Paths: 10, New: 4, Key: "ci-1"}},
		Warnings: []string{"the binary cache https://x offered 2 paths"},
	}
	got := s.String()
	for _, want := range []string{
		"machnix: warning: the binary cache https://x offered 2 paths\n",
		`machnix: pushed 4 new of 10 paths to file:///c\x1b[2J, signed with the key "ci-1"` + "\n",
		"built 3 derivations (2 on ssh://big1, 1 on ssh://big2), substituted 7 paths from binary caches, in 2.0 s",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b") {
		t.Errorf("summary holds a raw escape: %q", got)
	}
}

// Nix's progress fills the summary: substitutions and remote builds.
func TestNixFillsSummary(t *testing.T) {
	p := NewNix(&bytes.Buffer{})
	p.Update(nixbuild.Progress{Done: 1, Expected: 1, Substituted: 5, Remote: map[string]int{"ssh://b": 1}})
	var s Summary
	p.Fill(&s)
	if s.Built != 1 || s.Substituted != 5 || s.Remote["ssh://b"] != 1 {
		t.Errorf("filled %+v", s)
	}
}
