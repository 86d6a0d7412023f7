package fetch

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// With no PEP 658 file, an sdist's PKG-INFO gives its metadata.
func TestSdistMetadataFromPKGInfo(t *testing.T) {
	w := testfixtures.Wheel{Name: "Src.Only", Version: "2.0", Requires: []string{"dep>=1", `extra-dep; extra == "x"`},
		Extras: []string{"x"}, RequiresPython: ">=3.9"}
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: w, Sdist: true}})
	s.SetMetadata(false)
	c := NewClient(s.URL + "/simple/")
	p, err := c.Project(context.Background(), "src-only")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 1 || !strings.HasSuffix(p.Files[0].Filename, ".tar.gz") || p.Files[0].MetadataURL != "" {
		t.Fatalf("files %+v, want one sdist without a metadata file", p.Files)
	}
	m, err := c.Metadata(context.Background(), p.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Src.Only" || m.Version != "2.0" || strings.Join(m.RequiresDist, "|") != strings.Join(w.Requires, "|") || m.RequiresPython != ">=3.9" {
		t.Errorf("metadata %+v, want what the sdist's PKG-INFO says", m)
	}
}

func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, text := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(text)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(text))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, text := range files {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(text))
	}
	zw.Close()
	return buf.Bytes()
}

// Only PEP 643 static metadata is trusted; older or dynamic PKG-INFO is a
// clear error rather than a guess. Zip sdists are read too, and a nested
// PKG-INFO (in an .egg-info) is not taken for the top-level one.
func TestSdistMetadataStaticOnly(t *testing.T) {
	files := map[string][]byte{
		"ok-1.0.zip": zipOf(t, map[string]string{
			"ok-1.0/ok.egg-info/PKG-INFO": "Metadata-Version: 1.0\nName: wrong\nVersion: 0\n",
			"ok-1.0/PKG-INFO":             "Metadata-Version: 2.4\nName: ok\nVersion: 1.0\nRequires-Dist: six\nDynamic: Description\n",
		}),
		"old-1.0.tar.gz":     tarGz(t, map[string]string{"old-1.0/PKG-INFO": "Metadata-Version: 2.1\nName: old\nVersion: 1.0\n"}),
		"dynamic-1.0.tar.gz": tarGz(t, map[string]string{"dynamic-1.0/PKG-INFO": "Metadata-Version: 2.2\nName: dynamic\nVersion: 1.0\nDynamic: Requires-Dist\n"}),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	defer srv.Close()
	c := NewClient(srv.URL + "/simple/")
	ctx := context.Background()
	m, err := c.Metadata(ctx, resolve.File{Filename: "ok-1.0.zip", URL: srv.URL + "/ok-1.0.zip"})
	if err != nil || m.Name != "ok" || len(m.RequiresDist) != 1 || m.RequiresDist[0] != "six" {
		t.Errorf("zip sdist: %+v %v", m, err)
	}
	for _, name := range []string{"old-1.0.tar.gz", "dynamic-1.0.tar.gz"} {
		if _, err := c.Metadata(ctx, resolve.File{Filename: name, URL: srv.URL + "/" + name}); !errors.Is(err, ErrDynamicMetadata) {
			t.Errorf("%s: %v, want ErrDynamicMetadata", name, err)
		}
	}
	// A hash from the index is checked before anything is believed.
	_, err = c.Metadata(ctx, resolve.File{Filename: "ok-1.0.zip", URL: srv.URL + "/ok-1.0.zip", SHA256: strings.Repeat("0", 64)})
	if !errors.Is(err, ErrHashMismatch) {
		t.Errorf("wrong hash: %v, want ErrHashMismatch", err)
	}
}

// A server that ignores Range gets the whole wheel downloaded instead.
func TestWheelMetadataWithoutRangeSupport(t *testing.T) {
	dir := t.TempDir()
	path, err := testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "whole", Version: "1.0", Requires: []string{"dep"}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(data) // no Accept-Ranges, and a 200 for every request
	}))
	defer srv.Close()
	m, err := NewClient(srv.URL+"/simple/").Metadata(context.Background(), resolve.File{Filename: "whole-1.0-py3-none-any.whl", URL: srv.URL + "/w.whl"})
	if err != nil || m.Name != "whole" || len(m.RequiresDist) != 1 {
		t.Fatalf("metadata %+v %v", m, err)
	}
}

// A direct file:// URL belongs to no index: its metadata is read from the
// local wheel through the same client and transport as any URL.
func TestDirectFileURLMetadata(t *testing.T) {
	dir := t.TempDir()
	path, err := testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "local", Version: "2.0", Requires: []string{"dep>=1"}})
	if err != nil {
		t.Fatal(err)
	}
	ix := &Indexes{Strategy: FirstIndex, List: []resolve.Index{NewClient("http://127.0.0.1:9/simple/")}}
	m, err := ix.Metadata(context.Background(), resolve.File{Filename: "local-2.0-py3-none-any.whl", URL: "file://" + path})
	if err != nil || m.Name != "local" || len(m.RequiresDist) != 1 || m.RequiresDist[0] != "dep>=1" {
		t.Fatalf("metadata %+v %v, want the local wheel's", m, err)
	}
}
