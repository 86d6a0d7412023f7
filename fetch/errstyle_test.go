package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
)

// TestErrorsStartWithTheirSubject: the CLI prefixes "machnix: ", so an
// error starts with what it is about (a URL, a file), never "fetch: ".
func TestErrorsStartWithTheirSubject(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, ".metadata"):
			w.Write([]byte("Metadata-Version: 2.1\n")) // no Name or Version
		case strings.HasSuffix(r.URL.Path, ".whl"):
			w.Write([]byte("not a zip"))
		default:
			http.Error(w, "down", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	c := NewClient(srv.URL + "/simple/")
	ctx := context.Background()
	const wheel = "a-1.0-py3-none-any.whl"
	_, pageErr := c.Project(ctx, "a")
	_, metaErr := c.Metadata(ctx, resolve.File{Filename: wheel, URL: srv.URL + "/" + wheel, MetadataURL: srv.URL + "/" + wheel + ".metadata"})
	_, zipErr := c.Metadata(ctx, resolve.File{Filename: wheel, URL: srv.URL + "/" + wheel})
	for _, tc := range []struct {
		err     error
		subject string
	}{
		{pageErr, srv.URL + "/simple/a/"},
		{metaErr, wheel},
		{zipErr, wheel},
	} {
		if tc.err == nil {
			t.Errorf("no error where %s fails", tc.subject)
			continue
		}
		if !strings.HasPrefix(tc.err.Error(), tc.subject) {
			t.Errorf("%q does not start with its subject %s", tc.err, tc.subject)
		}
	}
}
