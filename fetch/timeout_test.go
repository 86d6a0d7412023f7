package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/machnix/machnix/resolve"
)

const testIdle = 200 * time.Millisecond

// stallServer answers with handler's content, except that the first
// `stalls` requests stall: before the headers, or after the headers and
// part of the body. A stalled handler waits for its client to go.
func stallServer(t *testing.T, stalls int64, afterHeaders bool, body string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		}
		if n.Add(1) <= stalls {
			if afterHeaders {
				w.Header().Set("Content-Length", fmt.Sprint(len(body)))
				w.WriteHeader(http.StatusOK)
				fmt.Fprint(w, body[:len(body)/2])
				w.(http.Flusher).Flush()
			}
			<-r.Context().Done()
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStalledIndexTimesOutAndRetries(t *testing.T) {
	page := `{"files":[{"filename":"a-1.0-py3-none-any.whl","url":"a-1.0-py3-none-any.whl","hashes":{}}]}`
	for _, afterHeaders := range []bool{false, true} {
		t.Run(fmt.Sprint("afterHeaders=", afterHeaders), func(t *testing.T) {
			// One stall: the retry gets the page.
			srv, n := stallServer(t, 1, afterHeaders, page)
			pf, err := NewClient(srv.URL+"/simple/", WithClientTimeout(testIdle)).Project(deadline(t), "a")
			if err != nil || len(pf.Files) != 1 {
				t.Fatalf("after one stall: %+v %v", pf, err)
			}
			if n.Load() != 2 {
				t.Fatalf("%d requests, want the stalled one and its retry", n.Load())
			}
			// Stalls every time: a clear error naming the page and the flag.
			srv, n = stallServer(t, 1<<30, afterHeaders, page)
			withCreds := strings.Replace(srv.URL, "http://", "http://u:s3cret@", 1)
			_, err = NewClient(withCreds+"/simple/", WithClientTimeout(testIdle)).Project(deadline(t), "a")
			if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), srv.URL+"/simple/a/") ||
				!strings.Contains(err.Error(), "--timeout") || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("want %v naming the page and --timeout, got %v", ErrTimeout, err)
			}
			if n.Load() != 2 {
				t.Fatalf("%d requests, want one retry", n.Load())
			}
		})
	}
}

func TestStalledDownloadTimesOutAndRetries(t *testing.T) {
	wheel := strings.Repeat("w", 10000)
	sum := sha256.Sum256([]byte(wheel))
	for _, afterHeaders := range []bool{false, true} {
		t.Run(fmt.Sprint("afterHeaders=", afterHeaders), func(t *testing.T) {
			srv, n := stallServer(t, 1, afterHeaders, wheel)
			// An sdist's name: the bytes are no wheel, which fetch would refuse.
			lock := &resolve.Lock{Packages: []resolve.Package{{Name: "a", Version: "1.0", Provider: "sdist",
				Filename: "a-1.0.tar.gz", URL: srv.URL + "/a-1.0-py3-none-any.whl", SHA256: hex.EncodeToString(sum[:])}}}
			if _, err := Fetch(deadline(t), lock, WithCacheDir(t.TempDir()), WithTimeout(testIdle)); err != nil {
				t.Fatal(err)
			}
			if n.Load() != 2 {
				t.Fatalf("%d requests, want the stalled one and its retry", n.Load())
			}
			srv, n = stallServer(t, 1<<30, afterHeaders, wheel)
			lock.Packages[0].URL = srv.URL + "/a-1.0-py3-none-any.whl"
			_, err := Fetch(deadline(t), lock, WithCacheDir(t.TempDir()), WithTimeout(testIdle))
			if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), lock.Packages[0].URL) || !strings.Contains(err.Error(), "--timeout") {
				t.Fatalf("want %v naming the file and --timeout, got %v", ErrTimeout, err)
			}
			if n.Load() < 2 {
				t.Fatalf("%d requests, want retries", n.Load())
			}
		})
	}
}

// An endless page fails once it passes the cap, without holding more
// than a bounded amount of memory on the way.
func TestOversizedPageIsRefusedWithBoundedMemory(t *testing.T) {
	const limit = 1 << 20
	const offered = 64 << 20
	var sent atomic.Int64
	chunk := []byte(strings.Repeat(" ", 32<<10))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		if r.URL.Query().Get("announce") != "" {
			w.Header().Set("Content-Length", fmt.Sprint(offered))
		}
		for sent.Load() < offered {
			k, err := w.Write(chunk)
			sent.Add(int64(k))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := NewClient(srv.URL + "/simple/")
	c.maxPage = limit
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.Project(deadline(t), "a")
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), srv.URL+"/simple/a/") {
		t.Fatalf("want %v naming the page, got %v", ErrTooLarge, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*limit {
		t.Fatalf("%d bytes allocated reading a page capped at %d", alloc, limit)
	}
	if s := sent.Load(); s >= offered {
		t.Fatalf("the whole %d bytes were read", s)
	}
	// An announced length over the cap is refused before any reading.
	if _, err := c.getType(deadline(t), srv.URL+"/simple/a/?announce=1", "", limit); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("announced length: want %v, got %v", ErrTooLarge, err)
	}
}

// A metadata file over its cap is an error, not a truncated read.
func TestOversizedMetadataIsRefused(t *testing.T) {
	chunk := []byte("Name: a\nVersion: 1.0\nSummary: " + strings.Repeat("x", 64<<10) + "\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for sent := 0; sent <= 2*MaxMetadataSize; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	f := resolve.File{Filename: "a-1.0-py3-none-any.whl", URL: srv.URL + "/a-1.0-py3-none-any.whl", MetadataURL: srv.URL + "/a-1.0-py3-none-any.whl.metadata"}
	if m, err := NewClient(srv.URL+"/simple/").Metadata(deadline(t), f); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), f.MetadataURL) {
		t.Fatalf("want %v naming the file, got %v and %+v", ErrTooLarge, err, m)
	}
}
