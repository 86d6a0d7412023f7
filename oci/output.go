package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// WriteLayout adds img to the OCI image layout in dir, creating the layout
// when needed. Blobs already in the layout are not written again.
func WriteLayout(dir string, img v1.Image, tag string) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return fmt.Errorf("oci layout %s: %w", dir, err)
		}
	}
	var opts []layout.Option
	if tag != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag}))
	}
	if err := p.AppendImage(img, opts...); err != nil {
		return fmt.Errorf("oci layout %s: %w", dir, err)
	}
	return nil
}

// WriteDockerArchive writes img as a tarball that `docker load` accepts,
// tagged with each of tags.
func WriteDockerArchive(path string, img v1.Image, tags []string) error {
	refs := map[name.Tag]v1.Image{}
	for _, t := range tags {
		tag, err := name.NewTag(t)
		if err != nil {
			return fmt.Errorf("%w: tag %q: %v", ErrBadConfig, t, err)
		}
		refs[tag] = img
	}
	if len(refs) == 0 {
		return fmt.Errorf("%w: a docker archive needs at least one --tag", ErrBadConfig)
	}
	tmp := path + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := tarball.MultiWrite(refs, f); err != nil {
		f.Close()
		return fmt.Errorf("docker archive %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// DefaultIdleTimeout is the idle timeout of Push when none is given.
const DefaultIdleTimeout = 30 * time.Second

// ErrStalled is wrapped by errors about a registry that stopped sending or
// accepting data.
var ErrStalled = errors.New("registry stalled")

// ErrPlainHTTP is wrapped by errors about a request that would have gone to
// a registry without TLS where nothing allows it.
var ErrPlainHTTP = errors.New("plain HTTP refused")

// Push uploads img to every tag. Blobs the registry already has are
// skipped (go-containerregistry checks with HEAD, and mounts across
// repositories of one registry), and transient errors are retried with
// backoff. Errors never carry credentials: go-containerregistry keeps them
// in headers.
func Push(ctx context.Context, img v1.Image, tags []string, opts ...Option) error {
	o := makeOptions(opts)
	kc := o.keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	base := o.transport
	if base == nil {
		base = remote.DefaultTransport
	}
	idle := o.idleTimeout
	if idle == 0 {
		idle = DefaultIdleTimeout
	}
	// A negative timeout leaves the watchdog in the chain, passing
	// requests straight through.
	watched := &idleTransport{next: base, idle: idle}
	policy := newPlainHTTPPolicy(&o)
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithRetryBackoff(remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: 5}),
	}
	if o.jobs > 0 {
		ropts = append(ropts, remote.WithJobs(o.jobs))
	}
	var tracked *progressImage
	if o.progress != nil {
		var err error
		if tracked, err = newProgressImage(img, serialize(o.progress)); err != nil {
			return err
		}
		img = tracked
	}
	for _, t := range tags {
		ref, err := name.NewTag(t)
		if err != nil {
			return fmt.Errorf("%w: tag %q: %v", ErrBadConfig, t, err)
		}
		reg := ref.Context().RegistryStr()
		allowed := policy.allowsRef(ref)
		if allowed {
			// Only now may go-containerregistry fall back to plain HTTP
			// when HTTPS fails.
			if ref, err = name.NewTag(t, name.Insecure); err != nil {
				return fmt.Errorf("%w: tag %q: %v", ErrBadConfig, t, err)
			}
		}
		guard := &plainHTTPGuard{next: watched, allow: func(host string) bool {
			return policy.allowsHost(host, reg, allowed)
		}}
		if err := remote.Write(ref, img, append(ropts, remote.WithTransport(guard))...); err != nil {
			var refused *plainHTTPError
			if errors.As(err, &refused) {
				isRegistry := canonicalHost(refused.host) == canonicalHost(reg)
				return fmt.Errorf("pushing %s: %w to %s: without TLS the image and the credentials would cross the network in cleartext; %s: %v",
					ref, ErrPlainHTTP, refused.host, policy.hint(refused.host, isRegistry), err)
			}
			if errors.Is(err, ErrStalled) {
				// The cause names the URL, which may carry an upload's
				// session state; the registry's name is enough.
				return fmt.Errorf("pushing %s: %w: %s sent and accepted nothing for %s, %d times, so machnix gave up; check the registry and the network, or wait longer with --timeout",
					ref, ErrStalled, reg, idle, watched.stalls.Load())
			}
			return fmt.Errorf("pushing %s: %w", ref, err)
		}
	}
	if tracked != nil {
		tracked.finish()
	}
	return nil
}

type closeBoth struct {
	io.Reader
	closers []io.Closer
}

func (c *closeBoth) Close() error {
	var first error
	for _, cl := range c.closers {
		if err := cl.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
