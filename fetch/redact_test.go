package fetch

import (
	"context"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
)

// URLs that fail to parse, with credentials in them: url.Parse's own
// error repeats the raw URL.
var badCredURLs = []string{
	"https://user:secret@127.0.0.1:1/%zz",
	"https://user:secret@[::1",
	"http://user:secret@127.0.0.1:1/simple/\x1b[31m",
	"https://secret@127.0.0.1:1/%zz", // a token as the user name
	"https://user:se/cret@127.0.0.1:1/",
}

func noCredentials(t *testing.T, what, s string) {
	t.Helper()
	for _, c := range []string{"secret", "se/cret", "user:", "\x1b"} {
		if strings.Contains(s, c) {
			t.Errorf("%s shows %q: %s", what, c, s)
		}
	}
}

func TestRedactUnparseableURLs(t *testing.T) {
	for _, raw := range badCredURLs {
		got := Redact(raw)
		noCredentials(t, "Redact", got)
		if !strings.Contains(got, "127.0.0.1") && !strings.Contains(got, "::1") {
			t.Errorf("Redact(%q) = %q lost the host", raw, got)
		}
	}
}

func TestErrorsOfUnparseableURLsHideCredentials(t *testing.T) {
	ctx := deadline(t)
	for _, raw := range badCredURLs {
		_, err := NewClient(raw).Project(ctx, "a")
		if err == nil {
			t.Errorf("%q: no error", raw)
			continue
		}
		noCredentials(t, "Project's error", err.Error())
		f := resolve.File{Filename: "a-1.0-py3-none-any.whl", URL: raw + "/a-1.0-py3-none-any.whl"}
		_, err = (&Indexes{}).Metadata(ctx, f)
		if err == nil {
			t.Errorf("%q: no metadata error", raw)
			continue
		}
		noCredentials(t, "Metadata's error", err.Error())
		lock := &resolve.Lock{Packages: []resolve.Package{{Name: "a", Version: "1.0", Provider: "wheel",
			Filename: f.Filename, URL: f.URL, SHA256: strings.Repeat("0", 64)}}}
		_, err = Fetch(context.Background(), lock, WithCacheDir(t.TempDir()))
		if err == nil {
			t.Errorf("%q: no fetch error", raw)
			continue
		}
		noCredentials(t, "Fetch's error", err.Error())
	}
}
