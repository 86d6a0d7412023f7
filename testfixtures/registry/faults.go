package registry

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// FaultProxy sits between a client and a registry on 127.0.0.1 and breaks
// the first uploads: it answers 500 to some and drops the connection of
// others, then lets everything through. It tests that pushes retry.
type FaultProxy struct {
	// Host is the proxy's "127.0.0.1:PORT", used in image references.
	Host string

	mu       sync.Mutex
	left     int
	injected int
}

// StartFaultProxy proxies to the registry at host and breaks the first n
// blob upload requests (PATCH, PUT and POST under /blobs/uploads/),
// alternating 500s and dropped connections.
func StartFaultProxy(t testing.TB, host string, n int) *FaultProxy {
	t.Helper()
	target, err := url.Parse("http://" + host)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{left: n}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && strings.Contains(r.URL.Path, "/blobs/uploads/") {
			p.mu.Lock()
			fault := p.left > 0
			drop := p.left%2 == 0
			if fault {
				p.left--
				p.injected++
			}
			p.mu.Unlock()
			if fault {
				if drop {
					if hj, ok := w.(http.Hijacker); ok {
						if conn, _, err := hj.Hijack(); err == nil {
							conn.Close()
							return
						}
					}
				}
				http.Error(w, "injected failure", http.StatusInternalServerError)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.Host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// Injected reports how many failures the proxy has caused.
func (p *FaultProxy) Injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected
}
