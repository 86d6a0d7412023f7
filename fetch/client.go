package fetch

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/machnix/machnix/resolve"
)

// ErrHashMismatch means a downloaded file did not have the hash the index gave.
var ErrHashMismatch = errors.New("sha256 mismatch")

// Client is a PEP 691 index client. It implements resolve.Index and is safe
// for concurrent use; project pages are cached in memory.
type Client struct {
	base   string // without credentials
	origin string // where the credentials may go
	user   *url.Userinfo
	http   *http.Client

	maxInFlight int
	timeout     time.Duration
	maxPage     int64 // MaxPageSize, smaller in tests

	mu    sync.Mutex
	pages map[string]*resolve.ProjectFiles
}

var _ resolve.Index = (*Client)(nil)

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithMaxInFlight bounds the client's concurrent HTTP requests (default 8).
func WithMaxInFlight(n int) ClientOption {
	return func(c *Client) {
		if n < 1 {
			n = 1
		}
		c.maxInFlight = n
	}
}

// WithClientTimeout fails a request that receives nothing for d, before
// or after its headers; zero means DefaultTimeout and a negative d waits
// for ever. A request that timed out is tried once more.
func WithClientTimeout(d time.Duration) ClientOption {
	return func(c *Client) { c.timeout = orDefault(d) }
}

// newTransport is the HTTP transport of every request fetch makes. It
// also answers file:// URLs (--find-links pins, name @ file:///...) from
// the local disk, with ranges and HEAD, so nothing else needs to know
// about local files.
func newTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.RegisterProtocol("file", http.NewFileTransport(http.Dir("/")))
	return tr
}

// NewClient returns a client for the simple API at indexURL (ending in
// /simple/). Credentials in the URL's userinfo, or else the netrc file's for
// its host, are sent as basic auth to that host only and never appear in
// URLs the client returns or in its errors.
func NewClient(indexURL string, opts ...ClientOption) *Client {
	if !strings.HasSuffix(indexURL, "/") {
		indexURL += "/"
	}
	c := &Client{base: indexURL, pages: map[string]*resolve.ProjectFiles{}}
	if u, err := url.Parse(indexURL); err == nil {
		c.origin, c.user = origin(u), u.User
		u.User = nil
		c.base = u.String()
		if c.user == nil {
			c.user = netrcUser(u.Host)
		}
	}
	c.maxInFlight, c.timeout, c.maxPage = 8, DefaultTimeout, MaxPageSize
	for _, o := range opts {
		o(c)
	}
	// Keep as many idle connections as requests may be in flight: the
	// default of two per host closes and reopens connections under load,
	// a TCP (and TLS) handshake each time. A request waiting for a slot
	// is not idle, so the idle clock runs inside the bound.
	tr := newTransport()
	tr.MaxIdleConnsPerHost = c.maxInFlight
	c.http = newHTTPClient(&boundedTransport{next: withIdleTimeout(tr, c.timeout), sem: make(chan struct{}, c.maxInFlight)})
	return c
}

func (c *Client) indexURL() string { return c.base }

// boundedTransport holds a slot of sem for each request until its body is closed.
type boundedTransport struct {
	next http.RoundTripper
	sem  chan struct{}
}

func (b *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case b.sem <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	resp, err := b.next.RoundTrip(req)
	if err != nil {
		<-b.sem
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: func() { <-b.sem }}
	return resp, nil
}

type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (r *releasingBody) Close() error {
	err := r.ReadCloser.Close()
	r.once.Do(r.release)
	return err
}

// authorize adds the index's credentials to requests for the index's
// origin (scheme, host and port).
func (c *Client) authorize(req *http.Request) {
	if c.user == nil || origin(req.URL) != c.origin {
		return
	}
	pw, _ := c.user.Password()
	req.SetBasicAuth(c.user.Username(), pw)
}

func (c *Client) get(ctx context.Context, u, accept string) ([]byte, int, error) {
	r, err := c.getType(ctx, u, accept, 0)
	return r.body, r.code, err
}

// response is what getType read.
type response struct {
	body  []byte
	code  int
	ctype string
	final string // the URL after redirects, without credentials
}

func (c *Client) getType(ctx context.Context, u, accept string, limit int64) (response, error) {
	return retryTimeout(ctx, func() (response, error) { return c.getOnce(ctx, u, accept, limit) })
}

func (c *Client) getOnce(ctx context.Context, u, accept string, limit int64) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return response{}, fmt.Errorf("%s: bad URL: %w", Redact(u), urlErr(err))
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s: %w", Redact(u), urlErr(err))
	}
	defer resp.Body.Close()
	r := response{code: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), final: u}
	if resp.Request != nil && resp.Request.URL != nil {
		f := *resp.Request.URL
		f.User = nil
		r.final = f.String()
	}
	r.body, err = readBody(resp, limit)
	if err != nil {
		return response{code: resp.StatusCode}, fmt.Errorf("%s: reading the response: %w", Redact(u), err)
	}
	return r, nil
}

// readBody reads a response of at most limit bytes (none when 0) into
// one buffer of the announced length: io.ReadAll would grow its buffer
// step by step through a large page, copying and allocating several
// times its size. A body over the limit is an error as soon as it is
// known to be, by its announced length or by reading one byte more.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	n := resp.ContentLength
	if limit > 0 && n > limit {
		return nil, fmt.Errorf("%w: the server announces %d bytes, more than the %d allowed", ErrTooLarge, n, limit)
	}
	body := io.Reader(resp.Body)
	if limit > 0 {
		body = io.LimitReader(body, limit+1)
	}
	if n < 0 || n > 64<<20 {
		b, err := io.ReadAll(body)
		if err == nil && limit > 0 && int64(len(b)) > limit {
			return nil, fmt.Errorf("%w: more than the %d bytes allowed", ErrTooLarge, limit)
		}
		return b, err
	}
	// The spare byte lets the last Read report EOF without a reallocation.
	b := make([]byte, 0, n+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if limit > 0 && int64(len(b)) > limit {
			return nil, fmt.Errorf("%w: more than the %d bytes allowed", ErrTooLarge, limit)
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// Project reads a project's PEP 691 JSON page.
func (c *Client) Project(ctx context.Context, name string) (*resolve.ProjectFiles, error) {
	c.mu.Lock()
	if p, ok := c.pages[name]; ok {
		c.mu.Unlock()
		return p, nil
	}
	c.mu.Unlock()
	pageURL := c.base + name + "/"
	r, err := c.getType(ctx, pageURL, "application/vnd.pypi.simple.v1+json, text/html;q=0.1", c.maxPage)
	if err != nil {
		return nil, err
	}
	if r.code == http.StatusNotFound {
		return nil, fmt.Errorf("%s on %s: %w", name, Redact(c.base), resolve.ErrProjectNotFound)
	}
	if r.code != http.StatusOK {
		return nil, fmt.Errorf("%s: the index answered HTTP %d; check the index URL, or try again later", Redact(pageURL), r.code)
	}
	parse := parseJSONPage
	if !strings.Contains(r.ctype, "json") {
		parse = parseHTMLPage
	}
	// Links are relative to where the page is, after redirects.
	pf, err := parse(r.body, r.final, name, Redact(c.base))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.pages[name] = pf
	c.mu.Unlock()
	return pf, nil
}

// Metadata reads a file's PEP 658 metadata, verifying its hash when given.
// Without a metadata file, a wheel's METADATA is read with HTTP range
// requests, or from the whole wheel when the server refuses ranges; an
// sdist is downloaded and its PKG-INFO read, if PEP 643 says it is final.
func (c *Client) Metadata(ctx context.Context, file resolve.File) (*resolve.Metadata, error) {
	m, err := c.metadata(ctx, file)
	if err != nil {
		return nil, err
	}
	if err := checkMetadataFile(file.Filename, m); err != nil {
		return nil, err
	}
	return m, nil
}

func (c *Client) metadata(ctx context.Context, file resolve.File) (*resolve.Metadata, error) {
	if file.MetadataURL == "" {
		if !strings.HasSuffix(file.Filename, ".whl") {
			return c.sdistMetadata(ctx, file)
		}
		m, err := c.wheelMetadataByRange(ctx, file)
		if errors.Is(err, errNoRanges) {
			return c.wheelMetadataWhole(ctx, file)
		}
		return m, err
	}
	r, err := c.getType(ctx, file.MetadataURL, "", MaxMetadataSize)
	if err != nil {
		return nil, err
	}
	body, code := r.body, r.code
	if code != http.StatusOK {
		return nil, fmt.Errorf("%s: the index answered HTTP %d for the metadata of %s; try again later, or ask the index's operator", Redact(file.MetadataURL), code, file.Filename)
	}
	if file.MetadataSHA256 != "" {
		sum := sha256.Sum256(body)
		if got := hex.EncodeToString(sum[:]); got != file.MetadataSHA256 {
			return nil, fmt.Errorf("%s: metadata from %s: %w: index says %s, got %s",
				file.Filename, Redact(file.MetadataURL), ErrHashMismatch, file.MetadataSHA256, got)
		}
	}
	m, err := ParseMetadata(body)
	if err != nil {
		return nil, fmt.Errorf("%s: metadata from %s: %w; the index serves a broken file, so ask its operator", file.Filename, Redact(file.MetadataURL), err)
	}
	return m, nil
}

// ParseMetadata reads the fields the solver needs from core metadata (RFC 822 style).
func ParseMetadata(b []byte) (*resolve.Metadata, error) {
	br := headerReaders.Get().(*bufio.Reader)
	br.Reset(io.MultiReader(bytes.NewReader(b), strings.NewReader("\n\n")))
	hdr, err := readHeader(textproto.NewReader(br))
	br.Reset(nil)
	headerReaders.Put(br)
	if err != nil && (err != io.EOF || len(hdr) == 0) {
		return nil, fmt.Errorf("unreadable core metadata: %w", err)
	}
	h := textproto.MIMEHeader(hdr)
	m := &resolve.Metadata{Name: h.Get("Name"), Version: h.Get("Version"),
		RequiresDist: h["Requires-Dist"], RequiresPython: h.Get("Requires-Python"), ProvidesExtra: h["Provides-Extra"]}
	if m.Name == "" || m.Version == "" {
		return nil, errors.New("core metadata lacks Name or Version")
	}
	return m, nil
}

// headerReaders recycles the buffers ParseMetadata reads through:
// net/mail allocated a fresh 4 KB one for every file's metadata.
var headerReaders = sync.Pool{New: func() any { return bufio.NewReader(nil) }}

// readHeader is net/mail's, which ReadMessage does not let a caller give
// its own buffer: RFC 5322 header lines up to the first empty one,
// continuation lines joined, keys in canonical form.
func readHeader(r *textproto.Reader) (map[string][]string, error) {
	m := make(map[string][]string)

	// The first line cannot start with a leading space.
	if buf, err := r.R.Peek(1); err == nil && (buf[0] == ' ' || buf[0] == '\t') {
		line, err := r.ReadLine()
		if err != nil {
			return m, err
		}
		return m, errors.New("malformed initial line: " + line)
	}

	for {
		kv, err := r.ReadContinuedLine()
		if kv == "" {
			return m, err
		}

		// Key ends at first colon.
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			return m, errors.New("malformed header line: " + kv)
		}
		key := textproto.CanonicalMIMEHeaderKey(k)

		// Permit empty key, because that is what net/mail does.
		if key == "" {
			continue
		}

		// Skip initial spaces in value.
		value := strings.TrimLeft(v, " \t")

		m[key] = append(m[key], value)

		if err != nil {
			return m, err
		}
	}
}
