package oci

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	testUser     = "ci"
	testPassword = "s3cret-never-in-cleartext"
)

// staticKeychain hands out testUser's credentials for every registry, as a
// Docker config with an entry for it would.
type staticKeychain struct{}

func (staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig{Username: testUser, Password: testPassword}), nil
}

// seenRequest is what a test registry saw of one request.
type seenRequest struct {
	method, path string
	tls          bool
	auth         bool
}

// recordingRegistry is an in-memory registry that requires testUser's
// Basic credentials and records every request that reaches it.
type recordingRegistry struct {
	mu   sync.Mutex
	seen []seenRequest
}

func (rr *recordingRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rr.mu.Lock()
	rr.seen = append(rr.seen, seenRequest{r.Method, r.URL.Path, r.TLS != nil, r.Header.Get("Authorization") != ""})
	rr.mu.Unlock()
	if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPassword {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	registryHandler.ServeHTTP(w, r)
}

func (rr *recordingRegistry) requests() []seenRequest {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]seenRequest(nil), rr.seen...)
}

// wire records every request as it leaves for the network, below every
// layer of the client that could add or change something.
type wire struct {
	mu   sync.Mutex
	sent []sentRequest
	next http.RoundTripper
}

type sentRequest struct {
	scheme, host, method, path string
	auth                       bool
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	w.mu.Lock()
	w.sent = append(w.sent, sentRequest{r.URL.Scheme, r.URL.Host, r.Method, r.URL.Path, r.Header.Get("Authorization") != ""})
	w.mu.Unlock()
	return w.next.RoundTrip(r)
}

// plain lists the requests that went out without TLS.
func (w *wire) plain() []sentRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []sentRequest
	for _, s := range w.sent {
		if s.scheme != "https" {
			out = append(out, s)
		}
	}
	return out
}

func (w *wire) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sent)
}

// redirectingTransport sends every connection, whatever host it is for, to
// the test server on 127.0.0.1. No name is resolved and no packet leaves
// the machine.
func redirectingTransport(t *testing.T, srv *httptest.Server) *wire {
	t.Helper()
	addr := srv.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
	}
	if srv.TLS != nil {
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		// httptest's certificate names example.com and 127.0.0.1, not the
		// address the test pretends to reach.
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, ServerName: "example.com"}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &wire{next: tr}
}

// noConfigs points both config files at paths that do not exist, so the
// machine's own configs never decide a test.
func noConfigs(t *testing.T, o pushOpts) pushOpts {
	dir := t.TempDir()
	if o.DaemonConfig == "" {
		o.DaemonConfig = filepath.Join(dir, "no-daemon.json")
	}
	if o.RegistriesConf == "" {
		o.RegistriesConf = filepath.Join(dir, "no-registries.conf")
	}
	return o
}

func smallImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// A registry on a private address that speaks only plain HTTP: the push
// must fail before any credentials cross the wire in cleartext, and the
// error says how to allow it.
func TestPushRefusesPlainHTTPToPrivateAddresses(t *testing.T) {
	// go-containerregistry falls back to plain HTTP for all of these on
	// its own.
	for _, host := range []string{"10.1.2.3:5000", "192.168.7.7", "172.20.0.1:5000", "app.localhost:5000"} {
		t.Run(host, func(t *testing.T) {
			rr := &recordingRegistry{}
			srv := httptest.NewServer(rr)
			defer srv.Close()
			w := redirectingTransport(t, srv)
			o := noConfigs(t, pushOpts{Keychain: staticKeychain{}, Transport: w})
			err := Push(context.Background(), smallImage(t), []string{host + "/team/app:v1"}, o.options()...)
			if err == nil {
				t.Fatal("push over plain HTTP to a private address succeeded")
			}
			if !errors.Is(err, ErrPlainHTTP) {
				t.Errorf("error %v does not wrap ErrPlainHTTP", err)
			}
			for _, want := range []string{host, "--insecure", "insecure-registries", o.DaemonConfig, o.RegistriesConf} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error %q carries the password", err)
			}
			if w.count() == 0 {
				t.Error("the client never tried the registry; the test proves nothing")
			}
			for _, r := range w.plain() {
				t.Errorf("%s %s://%s%s went out in cleartext (Authorization: %v)", r.method, r.scheme, r.host, r.path, r.auth)
			}
		})
	}
}

// Plain HTTP stays allowed where the user said so: --insecure, or the
// registry listed as insecure in the Docker daemon's or the containers'
// config. Loopback needs neither.
func TestPushPlainHTTPWhereAllowed(t *testing.T) {
	cases := []struct {
		name, host              string
		insecure                bool
		daemon, regconf, dropin string
	}{
		{name: "insecure flag", host: "10.1.2.3:5000", insecure: true},
		{name: "daemon name", host: "10.1.2.3:5000", daemon: `{"insecure-registries": ["10.1.2.3:5000"]}`},
		{name: "daemon CIDR", host: "10.1.2.3:5000", daemon: `{"debug": true, "insecure-registries": ["10.0.0.0/8"]}`},
		{name: "daemon hostname", host: "registry.internal.test:5000", daemon: `{"insecure-registries": ["http://registry.internal.test:5000/"]}`},
		{name: "registries.conf", host: "10.1.2.3:5000", regconf: "[[registry]]\nlocation = \"10.1.2.3:5000\"\ninsecure = true\n"},
		{name: "registries.conf hostname", host: "registry.internal.test:5000", regconf: "[[registry]]\nlocation = \"registry.internal.test:5000/team\"\ninsecure = true\n"},
		{name: "registries.conf wildcard", host: "registry.internal.test:5000", regconf: "[[registry]]\nprefix = \"*.internal.test\"\ninsecure = true\n"},
		{name: "registries.conf drop-in", host: "10.1.2.3:5000", regconf: "[[registry]]\nlocation = \"10.1.2.3:5000\"\n", dropin: "[[registry]]\nlocation = \"10.1.2.3:5000\"\ninsecure = true\n"},
		{name: "registries.conf v1", host: "registry.internal.test:5000", regconf: "[registries.insecure]\nregistries = [\"registry.internal.test:5000\"]\n"},
		{name: "loopback", host: "127.0.0.2:5000"},
		{name: "localhost", host: "localhost:5000"},
		{name: "ipv6 loopback", host: "[::1]:5000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rr := &recordingRegistry{}
			srv := httptest.NewServer(rr)
			defer srv.Close()
			dir := t.TempDir()
			o := pushOpts{Keychain: staticKeychain{}, Insecure: c.insecure, Transport: redirectingTransport(t, srv)}
			if c.daemon != "" {
				o.DaemonConfig = filepath.Join(dir, "daemon.json")
				writeFile(t, o.DaemonConfig, c.daemon)
			}
			if c.regconf != "" {
				o.RegistriesConf = filepath.Join(dir, "registries.conf")
				writeFile(t, o.RegistriesConf, c.regconf)
			}
			if c.dropin != "" {
				if err := os.Mkdir(filepath.Join(dir, "registries.conf.d"), 0o700); err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(dir, "registries.conf.d", "50-insecure.conf"), c.dropin)
			}
			o = noConfigs(t, o)
			img := smallImage(t)
			if err := Push(context.Background(), img, []string{c.host + "/team/app:v1"}, o.options()...); err != nil {
				t.Fatalf("push: %v", err)
			}
			authed := 0
			for _, r := range rr.requests() {
				if r.auth {
					authed++
				}
			}
			if authed == 0 {
				t.Error("no request carried credentials; the registry's auth was not exercised")
			}
		})
	}
}

// A listing that does not match the registry allows nothing: Docker matches
// names with their port, and registries.conf's insecure belongs to the
// entry with the longest matching prefix.
func TestPushConfigsThatDoNotAllowPlainHTTP(t *testing.T) {
	cases := []struct{ name, daemon, regconf, problem string }{
		{name: "daemon name without the port", daemon: `{"insecure-registries": ["10.1.2.3"]}`},
		{name: "daemon other CIDR", daemon: `{"insecure-registries": ["10.9.0.0/16"]}`},
		{name: "registries.conf insecure false", regconf: "[[registry]]\nlocation = \"10.1.2.3:5000\"\ninsecure = false\n"},
		{name: "registries.conf longer prefix is secure", regconf: "[[registry]]\nlocation = \"10.1.2.3:5000\"\ninsecure = true\n[[registry]]\nlocation = \"10.1.2.3:5000/team\"\n"},
		{name: "registries.conf mirror elsewhere", regconf: "[[registry]]\nprefix = \"10.1.2.3:5000\"\nlocation = \"10.9.9.9:5000\"\ninsecure = true\n"},
		{name: "malformed daemon.json", daemon: `{"insecure-registries": ["10.1.2.3:5000"]`, problem: "could not read"},
		{name: "malformed registries.conf", regconf: "[[registry]\nlocation = \"10.1.2.3:5000\"\ninsecure = true\n", problem: "could not read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rr := &recordingRegistry{}
			srv := httptest.NewServer(rr)
			defer srv.Close()
			w := redirectingTransport(t, srv)
			dir := t.TempDir()
			o := pushOpts{Keychain: staticKeychain{}, Transport: w}
			if c.daemon != "" {
				o.DaemonConfig = filepath.Join(dir, "daemon.json")
				writeFile(t, o.DaemonConfig, c.daemon)
			}
			if c.regconf != "" {
				o.RegistriesConf = filepath.Join(dir, "registries.conf")
				writeFile(t, o.RegistriesConf, c.regconf)
			}
			o = noConfigs(t, o)
			err := Push(context.Background(), smallImage(t), []string{"10.1.2.3:5000/team/app:v1"}, o.options()...)
			if !errors.Is(err, ErrPlainHTTP) {
				t.Fatalf("push: %v, want ErrPlainHTTP", err)
			}
			// A config that cannot be read allows nothing, and the error
			// says it could not be read.
			if c.problem != "" && !strings.Contains(err.Error(), c.problem) {
				t.Errorf("error %q does not say %q", err, c.problem)
			}
			for _, r := range w.plain() {
				t.Errorf("%s %s://%s%s went out in cleartext (Authorization: %v)", r.method, r.scheme, r.host, r.path, r.auth)
			}
		})
	}
}

// A registry on a private address that serves TLS is pushed to over HTTPS,
// credentials included, with no flag and no config.
func TestPushTLSToPrivateAddress(t *testing.T) {
	rr := &recordingRegistry{}
	srv := httptest.NewTLSServer(rr)
	defer srv.Close()
	w := redirectingTransport(t, srv)
	o := noConfigs(t, pushOpts{Keychain: staticKeychain{}, Transport: w})
	if err := Push(context.Background(), smallImage(t), []string{"10.1.2.3:5000/team/app:v1"}, o.options()...); err != nil {
		t.Fatalf("push over TLS: %v", err)
	}
	seen := rr.requests()
	if len(seen) == 0 {
		t.Fatal("the registry saw no request")
	}
	authed := 0
	for _, r := range seen {
		if !r.tls {
			t.Errorf("%s %s over plain HTTP", r.method, r.path)
		}
		if r.auth {
			authed++
		}
	}
	if authed == 0 {
		t.Error("no request carried credentials")
	}
}

// A TLS registry that points an upload at a plain-HTTP location elsewhere
// is not followed there: the blob would travel in cleartext.
func TestPushRefusesDowngradeByLocation(t *testing.T) {
	rr := &recordingRegistry{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") && r.Header.Get("Authorization") != "" {
			w.Header().Set("Location", "http://storage.internal.test:9000"+r.URL.Path+"downgraded")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		rr.ServeHTTP(w, r)
	}))
	defer srv.Close()
	w := redirectingTransport(t, srv)
	o := noConfigs(t, pushOpts{Keychain: staticKeychain{}, Transport: w})
	err := Push(context.Background(), smallImage(t), []string{"registry.internal.test:5000/team/app:v1"}, o.options()...)
	if !errors.Is(err, ErrPlainHTTP) {
		t.Fatalf("push: %v, want ErrPlainHTTP", err)
	}
	if !strings.Contains(err.Error(), "storage.internal.test:9000") {
		t.Errorf("error %q does not name the host it refused", err)
	}
	// --insecure allows only the registries of the tags, so the error must
	// not suggest it for another host.
	if strings.Contains(err.Error(), "--insecure") {
		t.Errorf("error %q suggests --insecure, which does not cover %s", err, "storage.internal.test:9000")
	}
	for _, r := range w.plain() {
		t.Errorf("%s %s://%s%s went out in cleartext (Authorization: %v)", r.method, r.scheme, r.host, r.path, r.auth)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// stallingRegistry is an in-memory registry behind a proxy that stalls
// large blob uploads: it reads the first MiB of the PATCH and then neither
// reads nor answers, as a registry whose storage hung would.
type stallingRegistry struct {
	next    http.Handler
	stallN  int // how many uploads stall; negative: every one
	release chan struct{}

	mu              sync.Mutex
	uploads, stalls int
}

func startStallingRegistry(t *testing.T, next http.Handler, stallN int) (*stallingRegistry, string) {
	t.Helper()
	s := &stallingRegistry{next: next, stallN: stallN, release: make(chan struct{})}
	srv := httptest.NewServer(s)
	// Cleanups run last first: the stalled handlers return, then the
	// server closes.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(s.release) })
	return s, strings.TrimPrefix(srv.URL, "http://")
}

func (s *stallingRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPatch && r.ContentLength > 4<<20 {
		s.mu.Lock()
		s.uploads++
		stall := s.stallN < 0 || s.stalls < s.stallN
		if stall {
			s.stalls++
		}
		s.mu.Unlock()
		if stall {
			_, _ = io.CopyN(io.Discard, r.Body, 1<<20)
			<-s.release
			return
		}
	}
	s.next.ServeHTTP(w, r)
}

func (s *stallingRegistry) counts() (uploads, stalls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uploads, s.stalls
}

// largeImage has a layer of random bytes far larger than the socket
// buffers, so a registry that stops reading stalls the upload midway. The
// layer is held compressed in memory, so producing it never slows the
// upload down, and the registry stores blobs without looking inside.
func largeImage(t *testing.T) v1.Image {
	t.Helper()
	b := make([]byte, 16<<20)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer(b, types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// An upload that stalls once is abandoned after the idle timeout and
// retried, and the push completes.
func TestPushRetriesStalledUpload(t *testing.T) {
	s, host := startStallingRegistry(t, registryHandler, 1)
	img := largeImage(t)
	// The deadline only keeps a broken build from hanging; the idle
	// timeout is what must end the stalled request.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o := noConfigs(t, pushOpts{Keychain: authn.NewMultiKeychain(), IdleTimeout: 500 * time.Millisecond})
	tag := host + "/team/app:v1"
	if err := Push(ctx, img, []string{tag}, o.options()...); err != nil {
		t.Fatalf("push: %v", err)
	}
	uploads, stalls := s.counts()
	if stalls != 1 || uploads < 2 {
		t.Errorf("%d large uploads, %d stalled; want the stalled one retried", uploads, stalls)
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := digestOf(t, pulled), digestOf(t, img); got != want {
		t.Errorf("pulled %s, pushed %s", got, want)
	}
}

// A registry that stalls every upload fails the push once the retries are
// spent, with an error that names the registry and the flag that waits
// longer, and no credentials.
func TestPushGivesUpOnStalledRegistry(t *testing.T) {
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		registryHandler.ServeHTTP(w, r)
	})
	s, host := startStallingRegistry(t, auth, -1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o := noConfigs(t, pushOpts{Keychain: staticKeychain{}, IdleTimeout: 300 * time.Millisecond})
	err := Push(ctx, largeImage(t), []string{host + "/team/app:v1"}, o.options()...)
	if err == nil {
		t.Fatal("push to a registry that stalls every upload succeeded")
	}
	if ctx.Err() != nil {
		t.Fatalf("the push ran into the test's deadline instead of the idle timeout: %v", err)
	}
	if !errors.Is(err, ErrStalled) {
		t.Errorf("error %v does not wrap ErrStalled", err)
	}
	for _, want := range []string{host, "--timeout", "300ms"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	for _, secret := range []string{testPassword, base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPassword))} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q carries credentials", err)
		}
	}
	if _, stalls := s.counts(); stalls < 2 {
		t.Errorf("%d stalled uploads; want the upload retried before giving up", stalls)
	}
}

// The timeout is for silence, not for the whole request: an upload that
// the registry reads slowly but steadily, for longer than the timeout in
// all, completes in one try.
func TestPushSlowUploadIsNotCut(t *testing.T) {
	const idle = 2 * time.Second
	var mu sync.Mutex
	var uploads int
	var took time.Duration
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch && r.ContentLength > 4<<20 {
			start := time.Now()
			var body bytes.Buffer
			for {
				// 1 MiB every tenth of the timeout: never silent for
				// long, slower than the timeout overall.
				n, err := io.CopyN(&body, r.Body, 1<<20)
				if err != nil || n == 0 {
					break
				}
				time.Sleep(idle / 10)
			}
			mu.Lock()
			uploads++
			took = time.Since(start)
			mu.Unlock()
			r.Body = io.NopCloser(&body)
		}
		registryHandler.ServeHTTP(w, r)
	}))
	// Bytes the kernels buffer count as sent, and loopback's buffers grow
	// to tens of MiB where a real link's hold about a round trip: small
	// buffers on both ends keep the registry's pace visible to the client.
	srv.Listener = smallReadBuffer{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetWriteBuffer(64 << 10)
		}
		return c, err
	}}
	t.Cleanup(tr.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o := noConfigs(t, pushOpts{Keychain: authn.NewMultiKeychain(), IdleTimeout: idle, Transport: tr})
	if err := Push(ctx, largeImage(t), []string{strings.TrimPrefix(srv.URL, "http://") + "/team/app:v1"}, o.options()...); err != nil {
		t.Fatalf("push: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if uploads != 1 {
		t.Errorf("%d uploads of the large layer, want 1", uploads)
	}
	if took <= idle {
		t.Errorf("the upload took %s, not longer than the timeout; the test proves nothing", took)
	}
}

type smallReadBuffer struct{ net.Listener }

func (l smallReadBuffer) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(64 << 10)
	}
	return c, err
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A transport may answer without a body; the watch must pass that on, not
// wrap nothing in something that fails when read or closed.
func TestIdleTransportResponseWithoutBody(t *testing.T) {
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusNoContent, Request: r}, nil
	})
	tr := &idleTransport{next: next, idle: time.Minute}
	req, err := http.NewRequest(http.MethodHead, "https://registry.invalid/v2/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Body != nil {
		t.Errorf("response body %T, want none as the transport gave none", resp.Body)
	}
}

// A negative timeout (the CLI's --timeout 0) never cancels a request, however
// long the registry takes; a positive one does.
func TestIdleTransportNegativeWaitsForEver(t *testing.T) {
	slow := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		select {
		case <-time.After(50 * time.Millisecond):
			return &http.Response{StatusCode: http.StatusOK, Request: r}, nil
		case <-r.Context().Done():
			return nil, context.Cause(r.Context())
		}
	})
	for idle, wantErr := range map[time.Duration]bool{-1: false, time.Millisecond: true} {
		tr := &idleTransport{next: slow, idle: idle}
		req, err := http.NewRequest(http.MethodGet, "https://registry.invalid/v2/", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.RoundTrip(req)
		if (err != nil) != wantErr {
			t.Errorf("idle %s: error %v, want an error: %v", idle, err, wantErr)
		}
	}
}

// pushOpts names the push options a test sets, as fields, so that cases
// can add a config file after the fact.
type pushOpts struct {
	Keychain       authn.Keychain
	Transport      http.RoundTripper
	Insecure       bool
	DaemonConfig   string
	RegistriesConf string
	IdleTimeout    time.Duration
}

func (p pushOpts) options() []Option {
	opts := []Option{WithInsecure(p.Insecure), WithDaemonConfig(p.DaemonConfig), WithRegistriesConf(p.RegistriesConf), WithIdleTimeout(p.IdleTimeout)}
	if p.Keychain != nil {
		opts = append(opts, WithKeychain(p.Keychain))
	}
	if p.Transport != nil {
		opts = append(opts, WithTransport(p.Transport))
	}
	return opts
}
