package fetch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

func TestClientReadsJSONAndMetadataWithoutWheel(t *testing.T) {
	w := testfixtures.Wheel{Name: "foo", Version: "1.2", Requires: []string{"bar>=1", "baz; extra == \"x\""}, Extras: []string{"x"}, RequiresPython: ">=3.8"}
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: w, Yanked: true, YankedReason: "bad"}})
	c := NewClient(s.URL + "/simple")
	ctx := context.Background()
	p, err := c.Project(ctx, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 1 || !p.Files[0].Yanked || p.Files[0].YankedReason != "bad" || p.Files[0].RequiresPython != ">=3.8" {
		t.Fatalf("files: %+v", p.Files)
	}
	m, err := c.Metadata(ctx, p.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != w.Name || m.Version != w.Version || strings.Join(m.RequiresDist, "|") != strings.Join(w.Requires, "|") || len(m.ProvidesExtra) != 1 {
		t.Fatalf("metadata: %+v", m)
	}
	for _, r := range s.Requests() {
		if strings.HasSuffix(r, ".whl") {
			t.Fatalf("wheel downloaded although .metadata exists: %v", s.Requests())
		}
	}
	if _, err := c.Project(ctx, "nope"); !errors.Is(err, resolve.ErrProjectNotFound) {
		t.Fatalf("missing project: %v", err)
	}
	bad := p.Files[0]
	bad.MetadataSHA256 = strings.Repeat("0", 64)
	if _, err := c.Metadata(ctx, bad); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("hash mismatch not detected: %v", err)
	}
}

func TestRedactDropsCredentials(t *testing.T) {
	got := Redact("https://user:s3cret@example.invalid/simple/")
	if strings.Contains(got, "s3cret") || strings.Contains(got, "user") {
		t.Fatalf("credentials leaked: %s", got)
	}
}

func TestMetadataFallsBackToRangeRead(t *testing.T) {
	w := testfixtures.Wheel{Name: "foo", Version: "2.0", Requires: []string{"bar<3"},
		Files: []testfixtures.File{{Path: "foo/big.bin", Data: make([]byte, 1<<20)}}}
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: w}})
	s.SetMetadata(false)
	c := NewClient(s.URL + "/simple/")
	ctx := context.Background()
	p, err := c.Project(ctx, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if p.Files[0].MetadataURL != "" {
		t.Fatalf("metadata URL although the index has none: %s", p.Files[0].MetadataURL)
	}
	m, err := c.Metadata(ctx, p.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "2.0" || len(m.RequiresDist) != 1 || m.RequiresDist[0] != "bar<3" {
		t.Fatalf("metadata: %+v", m)
	}
	ranged := 0
	for _, r := range s.Log() {
		if strings.HasSuffix(r.Path, ".whl") {
			if r.Method == "GET" && r.Range == "" {
				t.Fatalf("whole wheel downloaded for its metadata: %+v", s.Log())
			}
			if r.Range != "" {
				ranged++
			}
		}
	}
	if ranged == 0 {
		t.Fatalf("no range request seen: %+v", s.Log())
	}
}

func TestHTMLFallbackMatchesJSON(t *testing.T) {
	w := testfixtures.Wheel{Name: "foo", Version: "1.2", Requires: []string{"bar>=1"}, RequiresPython: ">=3.8"}
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: w, Yanked: true, YankedReason: "bad"}})
	ctx := context.Background()
	fromJSON, err := NewClient(s.URL+"/simple/").Project(ctx, "foo")
	if err != nil {
		t.Fatal(err)
	}
	s.SetJSON(false)
	fromHTML, err := NewClient(s.URL+"/simple/").Project(ctx, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if len(fromHTML.Files) != 1 || fromHTML.Files[0] != fromJSON.Files[0] {
		t.Fatalf("HTML %+v\nJSON %+v", fromHTML.Files, fromJSON.Files)
	}
	m, err := NewClient(s.URL+"/simple/").Metadata(ctx, fromHTML.Files[0])
	if err != nil || m.RequiresDist[0] != "bar>=1" {
		t.Fatalf("metadata via HTML page: %+v %v", m, err)
	}
}

func TestURLCredentialsUsedAndNeverShown(t *testing.T) {
	w := testfixtures.Wheel{Name: "foo", Version: "1.0"}
	s := pyindex.StartAuth(t, "alice", "s3cret", []pyindex.Wheel{{Wheel: w}})
	ctx := context.Background()
	authed := strings.Replace(s.URL, "http://", "http://alice:s3cret@", 1) + "/simple/"
	c := NewClient(authed)
	p, err := c.Project(ctx, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.Files[0].URL, "s3cret") || strings.Contains(p.Index, "s3cret") {
		t.Fatalf("credentials in returned URLs: %+v", p)
	}
	if _, err := c.Metadata(ctx, p.Files[0]); err != nil {
		t.Fatal(err)
	}
	wrong := NewClient(strings.Replace(authed, "s3cret", "wrong", 1))
	_, err = wrong.Project(ctx, "foo")
	if err == nil || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("want a redacted auth failure, got %v", err)
	}
}

func TestMaxInFlightBounded(t *testing.T) {
	var wheels []pyindex.Wheel
	for i := 0; i < 12; i++ {
		wheels = append(wheels, pyindex.Wheel{Wheel: testfixtures.Wheel{Name: fmt.Sprintf("p%d", i), Version: "1.0"}})
	}
	s := pyindex.Start(t, wheels)
	c := NewClient(s.URL+"/simple/", WithMaxInFlight(3))
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Project(context.Background(), fmt.Sprintf("p%d", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if m := s.MaxInFlight(); m > 3 || m < 2 {
		t.Fatalf("server saw %d requests at once, want 2..3", m)
	}
}

// Without credentials in the URL, the netrc file's for the index's host
// are used, for the simple pages, the metadata and the download; the
// password never shows in what the client returns.
func TestNetrcCredentials(t *testing.T) {
	w := testfixtures.Wheel{Name: "foo", Version: "1.0"}
	s := pyindex.StartAuth(t, "bob", "from-netrc", []pyindex.Wheel{{Wheel: w}})
	host := strings.TrimPrefix(s.URL, "http://")
	hostname, _, _ := strings.Cut(host, ":")
	ctx := context.Background()
	netrc := filepath.Join(t.TempDir(), "netrc")
	t.Setenv("NETRC", netrc)
	t.Setenv("HOME", t.TempDir())

	if _, err := NewClient(s.URL+"/simple/").Project(ctx, "foo"); err == nil {
		t.Fatal("the index let an unauthenticated client in; the test proves nothing")
	}
	text := "# team credentials\nmachine other.example login x password y\n\nmachine " + hostname + "\n  login bob\n  password from-netrc\n"
	if err := os.WriteFile(netrc, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c := NewClient(s.URL + "/simple/")
	p, err := c.Project(ctx, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Metadata(ctx, p.Files[0]); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.Files[0].URL, "from-netrc") {
		t.Fatalf("credentials in returned URLs: %+v", p.Files[0])
	}
	lock := &resolve.Lock{Packages: []resolve.Package{{Name: "foo", Version: "1.0", Provider: resolve.ProviderWheel,
		Filename: p.Files[0].Filename, URL: p.Files[0].URL, SHA256: p.Files[0].SHA256}}}
	if _, err := Fetch(ctx, lock, WithCacheDir(t.TempDir())); err != nil {
		t.Fatalf("download with netrc credentials: %v", err)
	}

	// A "default" entry serves hosts without their own.
	if err := os.WriteFile(netrc, []byte("default login bob password from-netrc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewClient(s.URL+"/simple/").Project(ctx, "foo"); err != nil {
		t.Fatalf("netrc default entry: %v", err)
	}
}

// A lock holds no credentials, so a private file needs netrc's: without
// them the download fails saying so, naming the host but no secret.
func TestPrivateDownloadWithoutNetrcSaysWhere(t *testing.T) {
	w := testfixtures.Wheel{Name: "foo", Version: "1.0"}
	s := pyindex.StartAuth(t, "bob", "s3cret", []pyindex.Wheel{{Wheel: w}})
	t.Setenv("NETRC", filepath.Join(t.TempDir(), "absent"))
	t.Setenv("HOME", t.TempDir())
	ctx := context.Background()
	p, err := NewClient(strings.Replace(s.URL, "http://", "http://bob:s3cret@", 1)+"/simple/").Project(ctx, "foo")
	if err != nil {
		t.Fatal(err)
	}
	lock := &resolve.Lock{Packages: []resolve.Package{{Name: "foo", Version: "1.0", Provider: resolve.ProviderWheel,
		Filename: p.Files[0].Filename, URL: p.Files[0].URL, SHA256: p.Files[0].SHA256}}}
	_, err = Fetch(ctx, lock, WithCacheDir(t.TempDir()))
	host := strings.TrimPrefix(s.URL, "http://")
	if err == nil || !strings.Contains(err.Error(), "netrc") || !strings.Contains(err.Error(), host) || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("got %v; want an error naming netrc and %s, without the password", err, host)
	}
}
