package nixbuild

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// A cache named only by Nix's log (which a remote builder may forward) is
// not asked for its narinfo; one the build was given is.
func TestOnlyGivenCachesAreAskedForSigners(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Write([]byte("StorePath: x\nSig: cache-1:AAAA\n"))
	}))
	defer srv.Close()
	path := storeDir() + "/" + strings.Repeat("a", 32) + "-x"
	unsigned := map[string][]string{srv.URL: {path}}
	explainUnsigned(context.Background(), unsigned, nil, nil, false)
	if n := asked.Load(); n != 0 {
		t.Errorf("a cache nobody gave was asked %d times", n)
	}
	o := buildSettings{options: [][2]string{{"extra-substituters", "https://other.invalid " + srv.URL}}}
	got := explainUnsigned(context.Background(), unsigned, nil, o.givenCaches(), false)
	if n := asked.Load(); n != 1 || len(got) != 1 || !strings.Contains(got[0], "cache-1") {
		t.Errorf("a given cache was asked %d times, explained as %q", n, got)
	}
}
