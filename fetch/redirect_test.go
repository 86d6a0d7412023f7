package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/machnix/machnix/resolve"
)

// localFile writes a file outside any server and returns its file:// URL.
func localFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

func TestRemoteRedirectToFileIsRefused(t *testing.T) {
	wheel := "secret contents"
	sum := sha256.Sum256([]byte(wheel))
	fileWheel := localFile(t, "a-1.0-py3-none-any.whl", wheel)
	page := `{"files":[{"filename":"a-1.0-py3-none-any.whl","url":"` + fileWheel + `","hashes":{}}]}`
	filePage := localFile(t, "page.json", page)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/simple/"):
			http.Redirect(w, r, filePage, http.StatusFound)
		default:
			http.Redirect(w, r, fileWheel, http.StatusFound)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := NewClient(srv.URL + "/simple/")
	if pf, err := c.Project(ctx, "a"); !errors.Is(err, ErrUnsafeLink) {
		t.Errorf("page redirected to file://: want %v, got %v and %+v", ErrUnsafeLink, err, pf)
	}
	f := resolve.File{Filename: "a-1.0-py3-none-any.whl", URL: srv.URL + "/files/a-1.0-py3-none-any.whl",
		MetadataURL: srv.URL + "/files/a-1.0-py3-none-any.whl.metadata", Index: srv.URL + "/simple/"}
	if m, err := c.Metadata(ctx, f); !errors.Is(err, ErrUnsafeLink) {
		t.Errorf("metadata redirected to file://: want %v, got %v and %+v", ErrUnsafeLink, err, m)
	}
	lock := &resolve.Lock{Packages: []resolve.Package{{Name: "a", Version: "1.0", Provider: "wheel",
		Filename: f.Filename, URL: f.URL, SHA256: hex.EncodeToString(sum[:])}}}
	if arts, err := Fetch(ctx, lock, WithCacheDir(t.TempDir())); !errors.Is(err, ErrUnsafeLink) {
		t.Errorf("download redirected to file://: want %v, got %v and %+v", ErrUnsafeLink, err, arts)
	}
}

func TestRemotePageLinkToFileIsRefused(t *testing.T) {
	fileWheel := localFile(t, "a-1.0-py3-none-any.whl", "x")
	pages := map[string]string{
		"application/vnd.pypi.simple.v1+json": `{"files":[{"filename":"a-1.0-py3-none-any.whl","url":"` + fileWheel + `","hashes":{}}]}`,
		"text/html":                           `<a href="` + fileWheel + `">a-1.0-py3-none-any.whl</a>`,
	}
	for ctype, body := range pages {
		t.Run(ctype, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ctype)
				fmt.Fprint(w, body)
			}))
			defer srv.Close()
			pf, err := NewClient(srv.URL+"/simple/").Project(context.Background(), "a")
			if !errors.Is(err, ErrUnsafeLink) || !strings.Contains(err.Error(), srv.URL+"/simple/a/") {
				t.Fatalf("want %v naming the page, got %v and %+v", ErrUnsafeLink, err, pf)
			}
		})
	}
	// The user's own local index may link to local files.
	local := localFile(t, "page.json", pages["application/vnd.pypi.simple.v1+json"])
	if pf, err := parseJSONPage([]byte(pages["application/vnd.pypi.simple.v1+json"]), local, "a", local); err != nil || pf.Files[0].URL != fileWheel {
		t.Fatalf("a local page's file link: %+v %v", pf, err)
	}
}

// authLog records the Authorization header each request brought.
type authLog struct {
	mu   sync.Mutex
	seen map[string]string
}

func (a *authLog) record(r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen == nil {
		a.seen = map[string]string{}
	}
	a.seen[r.URL.Path] = r.Header.Get("Authorization")
}

func (a *authLog) get(path string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	v, ok := a.seen[path]
	return v, ok
}

// Credentials go to the exact origin they were given for; a redirect to
// another port of the same host does not carry them.
func TestCredentialsStayWithTheirOrigin(t *testing.T) {
	var other authLog
	wheel := "wheel bytes"
	sum := sha256.Sum256([]byte(wheel))
	otherSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other.record(r)
		if strings.HasSuffix(r.URL.Path, ".whl") {
			fmt.Fprint(w, wheel)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		fmt.Fprint(w, `{"files":[]}`)
	}))
	defer otherSrv.Close()
	var home authLog
	homeSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		home.record(r)
		http.Redirect(w, r, otherSrv.URL+r.URL.Path, http.StatusFound)
	}))
	defer homeSrv.Close()
	if !strings.HasPrefix(otherSrv.URL, "http://127.0.0.1:") || !strings.HasPrefix(homeSrv.URL, "http://127.0.0.1:") {
		t.Fatalf("servers %s and %s are not two ports of one host", homeSrv.URL, otherSrv.URL)
	}
	withCreds := strings.Replace(homeSrv.URL, "http://", "http://alice:s3cret@", 1)
	if _, err := NewClient(withCreds+"/simple/").Project(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	// An sdist's name: the bytes are no wheel, which fetch would refuse.
	lock := &resolve.Lock{Packages: []resolve.Package{{Name: "a", Version: "1.0", Provider: "sdist",
		Filename: "a-1.0.tar.gz", URL: withCreds + "/files/a-1.0-py3-none-any.whl", SHA256: hex.EncodeToString(sum[:])}}}
	if _, err := Fetch(context.Background(), lock, WithCacheDir(t.TempDir())); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/simple/a/", "/files/a-1.0-py3-none-any.whl"} {
		if a, ok := home.get(p); !ok || a == "" {
			t.Errorf("%s: the credentials' own origin got no credentials (%q, asked %v)", p, a, ok)
		}
		if a, ok := other.get(p); !ok || a != "" {
			t.Errorf("%s: another port got %q (asked %v), want no credentials", p, a, ok)
		}
	}
}

// Links on a page that was redirected resolve against where the page
// is, not where it was asked for.
func TestLinksResolveAgainstFinalURL(t *testing.T) {
	const finalPath = "/mirror/deep/a/"
	href := "../../files/a-1.0-py3-none-any.whl"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/simple/a/":
			http.Redirect(w, r, finalPath, http.StatusMovedPermanently)
		case finalPath:
			if strings.Contains(r.Header.Get("Accept"), "json") && r.URL.Query().Get("html") == "" {
				w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
				fmt.Fprint(w, `{"files":[{"filename":"a-1.0-py3-none-any.whl","url":"`+href+`","hashes":{}}]}`)
				return
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	final, _ := url.Parse(srv.URL + finalPath)
	ref, _ := url.Parse(href)
	want := final.ResolveReference(ref).String()
	pf, err := NewClient(srv.URL+"/simple/").Project(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if got := pf.Files[0].URL; got != want {
		t.Fatalf("link resolved to %s, want %s", got, want)
	}
}
