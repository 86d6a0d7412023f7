package oci

import (
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Option adjusts how Build, WriteLayer and Push work, not what they make.
// Each reads the options that concern it.
type Option func(*options)

type options struct {
	// Build and WriteLayer.
	cacheDir    string
	maxLayers   int
	compression Compression
	mtime       time.Time
	onWrite     func(n int)
	// Build and Push.
	jobs     int
	progress func(Update)
	// Push.
	keychain       authn.Keychain
	transport      http.RoundTripper
	insecure       bool
	daemonConfig   string
	registriesConf string
	idleTimeout    time.Duration
}

func makeOptions(opts []Option) options {
	o := options{maxLayers: DefaultMaxLayers, compression: Gzip}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithCacheDir keeps compressed layers in dir, keyed by their store paths and
// the tar and compressor settings. Store paths are immutable, so a cached
// layer stays valid; a rebuild re-tars only layers whose paths changed.
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithMaxLayers sets the layer budget (default DefaultMaxLayers).
func WithMaxLayers(n int) Option { return func(o *options) { o.maxLayers = n } }

// WithJobs sets how many layers are compressed at once, how many
// goroutines compress one layer, and how many blobs are uploaded at once.
// Layers are independent streams and a layer's blocks have a fixed size,
// so the bytes never depend on it.
func WithJobs(n int) Option { return func(o *options) { o.jobs = n } }

// WithCompression chooses the layer compressor (default Gzip).
func WithCompression(c Compression) Option { return func(o *options) { o.compression = c } }

// WithProgress receives an Update as each layer is written, taken from the
// cache, uploaded or found in the registry. Calls never overlap.
func WithProgress(f func(Update)) Option { return func(o *options) { o.progress = f } }

// WithMtime dates every tar entry WriteLayer writes (Build takes
// SOURCE_DATE_EPOCH, else Epoch).
func WithMtime(t time.Time) Option { return func(o *options) { o.mtime = t } }

// WithWriteProgress is told the size of each piece of a layer's tar stream
// as WriteLayer writes it.
func WithWriteProgress(f func(n int)) Option { return func(o *options) { o.onWrite = f } }

// WithKeychain resolves registry credentials; without it Push uses the
// Docker config keychain (~/.docker/config.json or $DOCKER_CONFIG,
// credential helpers, and $REGISTRY_AUTH_FILE when no Docker config exists,
// as go-containerregistry reads them).
func WithKeychain(kc authn.Keychain) Option { return func(o *options) { o.keychain = kc } }

// WithTransport replaces the HTTP transport Push uses.
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithInsecure allows plain HTTP to the registries of the tags. Without it,
// plain HTTP goes only to loopback (localhost, 127.0.0.0/8, ::1) and to
// registries the Docker daemon's or the containers' config lists as
// insecure; every other request needs TLS.
func WithInsecure(on bool) Option { return func(o *options) { o.insecure = on } }

// WithDaemonConfig names the Docker daemon's config file, whose
// insecure-registries (names with their port, or CIDRs that match
// addresses) may use plain HTTP; by default /etc/docker/daemon.json.
func WithDaemonConfig(path string) Option { return func(o *options) { o.daemonConfig = path } }

// WithRegistriesConf names the containers registries.conf, whose
// [[registry]] entries with insecure = true (or v1 [registries.insecure])
// may use plain HTTP; the drop-ins in registries.conf.d beside it are read
// too. By default $XDG_CONFIG_HOME/containers/registries.conf when it
// exists, else /etc/containers/registries.conf.
func WithRegistriesConf(path string) Option { return func(o *options) { o.registriesConf = path } }

// WithIdleTimeout is how long a request to the registry may send and
// receive nothing before it fails and is retried; zero means
// DefaultIdleTimeout, and a negative value waits for ever.
func WithIdleTimeout(d time.Duration) Option { return func(o *options) { o.idleTimeout = d } }
