package oci

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// idleTransport fails a request once it has sent and received nothing for
// idle: a registry that stops reading an upload, or never answers, would
// otherwise hold the push forever. It watches the request body, the wait
// for headers and the response body, not the connection, so a pooled
// connection that merely sits idle is never cut. Bytes count as sent once
// the kernel takes them; on a real link its buffers hold about a round
// trip's worth, so the registry must answer within idle of draining them.
type idleTransport struct {
	next   http.RoundTripper
	idle   time.Duration
	stalls atomic.Int64
}

func (t *idleTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.idle <= 0 {
		return t.next.RoundTrip(r)
	}
	ctx, cancel := context.WithCancelCause(r.Context())
	w := &watchdog{idle: t.idle, start: time.Now(), cancel: cancel, err: &stallError{host: r.URL.Host, idle: t.idle}}
	w.mu.Lock()
	w.timer = time.AfterFunc(t.idle, w.check)
	w.mu.Unlock()

	out := r.WithContext(ctx)
	if r.Body != nil && r.Body != http.NoBody {
		out.Body = &watchedBody{ReadCloser: r.Body, w: w}
		if r.GetBody != nil {
			out.GetBody = func() (io.ReadCloser, error) {
				b, err := r.GetBody()
				if err != nil {
					return nil, err
				}
				return &watchedBody{ReadCloser: b, w: w}, nil
			}
		}
	}
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		w.stop()
		return nil, t.cause(ctx, r, err)
	}
	w.progress()
	if resp.Body == nil {
		w.stop()
		return resp, nil
	}
	resp.Body = &watchedResponse{ReadCloser: resp.Body, w: w, t: t, ctx: ctx, parent: r}
	return resp, nil
}

// cause replaces the error of a request the watchdog ended with the stall
// itself, which go-containerregistry retries as a temporary error.
func (t *idleTransport) cause(ctx context.Context, r *http.Request, err error) error {
	if r.Context().Err() == nil {
		if s, ok := context.Cause(ctx).(*stallError); ok {
			t.stalls.Add(1)
			return s
		}
	}
	return err
}

type watchdog struct {
	idle   time.Duration
	start  time.Time
	last   atomic.Int64 // since start, for a monotonic clock
	cancel context.CancelCauseFunc
	err    *stallError

	mu    sync.Mutex
	done  bool
	timer *time.Timer
}

func (w *watchdog) progress() { w.last.Store(int64(time.Since(w.start))) }

// check runs when the timer fires, and sets it again for the rest of the
// idle period when there was progress since.
func (w *watchdog) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	quiet := time.Since(w.start) - time.Duration(w.last.Load())
	if quiet < w.idle {
		w.timer.Reset(w.idle - quiet)
		return
	}
	w.done = true
	w.cancel(w.err)
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	w.timer.Stop()
}

type watchedBody struct {
	io.ReadCloser
	w *watchdog
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.w.progress()
	}
	return n, err
}

type watchedResponse struct {
	io.ReadCloser
	w      *watchdog
	t      *idleTransport
	ctx    context.Context
	parent *http.Request
}

func (b *watchedResponse) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.w.progress()
	}
	if err != nil && err != io.EOF {
		err = b.t.cause(b.ctx, b.parent, err)
	}
	return n, err
}

func (b *watchedResponse) Close() error {
	b.w.stop()
	err := b.ReadCloser.Close()
	b.w.cancel(nil)
	return err
}

// stallError is a request the registry let sit idle for too long.
type stallError struct {
	host string
	idle time.Duration
}

func (e *stallError) Error() string {
	return fmt.Sprintf("%v: %s sent and accepted nothing for %s", ErrStalled, e.host, e.idle)
}

func (e *stallError) Is(target error) bool { return target == ErrStalled }

// Temporary makes go-containerregistry's retry predicate try again, as it
// does after a reset connection.
func (e *stallError) Temporary() bool { return true }

func (e *stallError) Timeout() bool { return true }
