package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultTimeout is how long a request may receive nothing, before or
// after its headers, unless WithTimeout or WithClientTimeout say
// otherwise.
const DefaultTimeout = 30 * time.Second

// Size caps on what is read into memory. The largest project pages on
// PyPI are some tens of MiB; core metadata is rarely over a few hundred
// KiB, the long description included.
const (
	MaxPageSize     = 100 << 20
	MaxMetadataSize = 16 << 20
)

// ErrTimeout means a server sent nothing for longer than the timeout.
var ErrTimeout = errors.New("timed out")

// ErrTooLarge means a page or metadata file is over its size cap.
var ErrTooLarge = errors.New("too large")

// errIdle is the cause of a request's cancellation by its idle clock.
var errIdle = errors.New("idle")

// idleTransport fails a request that receives nothing for idle: from the
// start until its headers, and during each read of its body. Time the
// caller spends between reads does not count.
type idleTransport struct {
	next http.RoundTripper
	idle time.Duration
}

// orDefault reads a timeout option: zero is DefaultTimeout, and what is
// left at or below zero waits for ever.
func orDefault(d time.Duration) time.Duration {
	if d == 0 {
		return DefaultTimeout
	}
	return d
}

func withIdleTimeout(next http.RoundTripper, idle time.Duration) http.RoundTripper {
	if idle <= 0 {
		return next
	}
	return &idleTransport{next: next, idle: idle}
}

func (t *idleTransport) timeoutError(req *http.Request) error {
	return fmt.Errorf("%w: %s sent nothing for %s; try again later, or give a longer --timeout", ErrTimeout, Redact(req.URL.String()), t.idle)
}

func (t *idleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	timer := time.AfterFunc(t.idle, func() { cancel(errIdle) })
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	timer.Stop()
	if err != nil {
		cancel(nil)
		if errors.Is(context.Cause(ctx), errIdle) {
			return nil, t.timeoutError(req)
		}
		return nil, err
	}
	resp.Body = &idleBody{body: resp.Body, t: t, req: req, ctx: ctx, cancel: cancel, timer: timer}
	return resp, nil
}

type idleBody struct {
	body   io.ReadCloser
	t      *idleTransport
	req    *http.Request
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.t.idle)
	n, err := b.body.Read(p)
	b.timer.Stop()
	if err != nil && err != io.EOF && errors.Is(context.Cause(b.ctx), errIdle) {
		err = b.t.timeoutError(b.req)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.body.Close()
	b.cancel(nil)
	return err
}

// retryTimeout runs f once more when it timed out: a stall is often one
// bad connection, and a second wait costs no more than the first.
func retryTimeout[T any](ctx context.Context, f func() (T, error)) (T, error) {
	v, err := f()
	if errors.Is(err, ErrTimeout) && ctx.Err() == nil {
		v, err = f()
	}
	return v, err
}

// readCapped reads all of r, failing once it passes limit bytes.
func readCapped(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err == nil && int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, what, limit)
	}
	return b, err
}
