package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
)

// A project no index has names the indexes asked, without credentials, and
// each index lists its projects from its root page (JSON or HTML).
func TestMissingProjectNamesIndexesAndListsProjects(t *testing.T) {
	json := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/simple/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		w.Write([]byte(`{"meta":{"api-version":"1.0"},"projects":[{"name":"Requests"},{"name":"zope.interface"}]}`))
	}))
	defer json.Close()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/simple/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<html><body><a href="/simple/six/">six</a><a href="/simple/req-tool/">Req_Tool</a></body></html>`))
	}))
	defer page.Close()
	secretURL := strings.Replace(json.URL, "http://", "http://user:s3cret@", 1) + "/simple/"
	ix := &Indexes{List: []resolve.Index{NewClient(secretURL), NewClient(page.URL + "/simple")}}
	_, err := ix.Project(context.Background(), "reqeusts")
	if !errors.Is(err, resolve.ErrProjectNotFound) {
		t.Fatalf("want ErrProjectNotFound, got %v", err)
	}
	for _, want := range []string{"reqeusts: no project of this name on " + json.URL + "/simple/, " + page.URL + "/simple/", "--extra-index-url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("%q shows the credentials", err)
	}
	names, err := ix.ListProjects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if got := strings.Join(names, " "); got != "req-tool requests six zope-interface" {
		t.Errorf("projects %q", got)
	}
}
