package fetch

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// ErrUnsafeLink means a remote page linked, or a remote server
// redirected, to something other than http(s).
var ErrUnsafeLink = errors.New("a remote index may only lead to http(s) URLs")

// newHTTPClient is the client of every request fetch makes. The transport
// also answers file:// (see newTransport), which only the user's own
// URLs may name: a redirect may lead only to http(s), and takes the
// credentials along only to the origin they were given for.
func newHTTPClient(rt http.RoundTripper) *http.Client {
	return &http.Client{Transport: rt, CheckRedirect: checkRedirect}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	prev := via[len(via)-1].URL
	if !isHTTP(req.URL) {
		return fmt.Errorf("%w: %s redirects to %s", ErrUnsafeLink, Redact(prev.String()), Redact(req.URL.String()))
	}
	// net/http keeps Authorization for any port of the same host name,
	// and for its subdomains.
	if origin(req.URL) != origin(via[0].URL) {
		req.Header.Del("Authorization")
	}
	return nil
}

func isHTTP(u *url.URL) bool { return u.Scheme == "http" || u.Scheme == "https" }

// origin is a URL's scheme, host and port, the port spelled out when it
// is the scheme's default.
func origin(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		switch u.Scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(host, port)
}

// checkLink refuses a link on a remote page (one served over http(s))
// that leaves http(s): a file:// link would read the local disk, and pin
// what it found in the lock.
func checkLink(page *url.URL, link, filename string) error {
	if !isHTTP(page) {
		return nil
	}
	if strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://") {
		return nil
	}
	return fmt.Errorf("%s: file %q links to %s: %w; ask the index's operator", Redact(page.String()), filename, Redact(link), ErrUnsafeLink)
}
