package pyindex

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

func get(t *testing.T, url, accept string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return b
}

func TestJSONPageHashesMatchServedFiles(t *testing.T) {
	w := testfixtures.Wheel{Name: "Foo.Bar", Version: "1.0", Requires: []string{"baz>=2"}}
	s := Start(t, []Wheel{{Wheel: w, Yanked: true, YankedReason: "broken"}})
	var page struct {
		Files []struct {
			Filename string            `json:"filename"`
			URL      string            `json:"url"`
			Hashes   map[string]string `json:"hashes"`
			Yanked   any               `json:"yanked"`
		} `json:"files"`
	}
	if err := json.Unmarshal(get(t, s.URL+"/simple/foo-bar/", "application/vnd.pypi.simple.v1+json"), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Files) != 1 || page.Files[0].Filename != w.Filename() || page.Files[0].Yanked != "broken" {
		t.Fatalf("page: %+v", page)
	}
	body := get(t, s.URL+"/files/foo-bar/"+w.Filename(), "")
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != page.Files[0].Hashes["sha256"] {
		t.Fatal("sha256 in page does not match served wheel")
	}
	meta := get(t, s.URL+"/files/foo-bar/"+w.Filename()+".metadata", "")
	if !strings.Contains(string(meta), "Requires-Dist: baz>=2") {
		t.Fatalf("metadata lacks Requires-Dist: %s", meta)
	}
	html := get(t, s.URL+"/simple/foo-bar/", "text/html")
	if !strings.Contains(string(html), "#sha256="+page.Files[0].Hashes["sha256"]) {
		t.Fatalf("html lacks hash fragment: %s", html)
	}
	if got := s.Requests(); len(got) != 4 {
		t.Fatalf("request log has %d entries, want 4: %v", len(got), got)
	}
}

// A wheel built elsewhere is served byte for byte under its own project,
// with its own METADATA as PEP 658 metadata.
func TestPrebuiltWheelIsServedAsItIs(t *testing.T) {
	w := testfixtures.Wheel{Name: "Pre_Built", Version: "2.0", Requires: []string{"dep<3"}}
	path, err := testfixtures.WriteWheel(t.TempDir(), w)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, []Wheel{{Prebuilt: path}})
	body := get(t, s.URL+"/files/pre-built/"+filepath.Base(path), "")
	if !bytes.Equal(body, want) {
		t.Fatal("the served wheel is not the prebuilt file")
	}
	if meta := get(t, s.URL+"/files/pre-built/"+filepath.Base(path)+".metadata", ""); !strings.Contains(string(meta), "Requires-Dist: dep<3") {
		t.Fatalf("metadata is not the wheel's own: %s", meta)
	}
}
