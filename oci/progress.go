package oci

import (
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Stage is what is being done to a layer.
type Stage string

const (
	StageBuild Stage = "build" // tar and compress, or take from the cache
	StagePush  Stage = "push"  // upload, or find it in the registry
)

// Update is one layer's progress, a plain value that a CLI renders or logs.
type Update struct {
	Stage  Stage `json:"stage"`
	Layer  int   `json:"layer"` // index in the image, from 0
	Layers int   `json:"layers"`
	// Done and Total count tar bytes when building (Total is the NAR size
	// of the layer's paths, which the tar stream is close to) and
	// compressed bytes when pushing.
	Done     int64  `json:"done"`
	Total    int64  `json:"total"`
	Finished bool   `json:"finished,omitempty"`
	Digest   string `json:"digest,omitempty"`
	// Reused is set on a finished layer that was not written or uploaded
	// now: the cache or the registry already had it.
	Reused bool `json:"reused,omitempty"`
	// Largest is the layer's largest store path by NAR size, which names
	// the layer for a person; set when building.
	Largest string `json:"largest,omitempty"`
}

// progressStep is how many bytes pass between two updates of one layer.
const progressStep = 1 << 20

// serialize makes f safe to call from several goroutines, so that callers
// of WithProgress and PushOptions.Progress never need a lock of their own.
func serialize(f func(Update)) func(Update) {
	if f == nil {
		return func(Update) {}
	}
	var mu sync.Mutex
	return func(u Update) {
		mu.Lock()
		defer mu.Unlock()
		f(u)
	}
}

// progressImage reports the upload of each layer. go-containerregistry asks
// a layer for its compressed bytes only when the registry lacks the blob, so
// a layer never opened was already there.
type progressImage struct {
	v1.Image
	layers []*progressLayer
}

func newProgressImage(img v1.Image, report func(Update)) (*progressImage, error) {
	ls, err := img.Layers()
	if err != nil {
		return nil, err
	}
	pi := &progressImage{Image: img}
	for i, l := range ls {
		size, err := l.Size()
		if err != nil {
			return nil, err
		}
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		u := Update{Stage: StagePush, Layer: i, Layers: len(ls), Total: size, Digest: d.String()}
		report(u)
		pi.layers = append(pi.layers, &progressLayer{Layer: l, update: u, report: report})
	}
	return pi, nil
}

func (pi *progressImage) Layers() ([]v1.Layer, error) {
	out := make([]v1.Layer, len(pi.layers))
	for i, l := range pi.layers {
		out[i] = l
	}
	return out, nil
}

func (pi *progressImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	for _, l := range pi.layers {
		if d, err := l.Digest(); err == nil && d == h {
			return l, nil
		}
	}
	return pi.Image.LayerByDigest(h)
}

// finish reports every layer that was never uploaded as reused.
func (pi *progressImage) finish() {
	for _, l := range pi.layers {
		l.mu.Lock()
		if !l.opened {
			u := l.update
			u.Finished, u.Reused, u.Done = true, true, u.Total
			l.report(u)
		}
		l.mu.Unlock()
	}
}

type progressLayer struct {
	v1.Layer
	report func(Update)

	mu     sync.Mutex
	update Update
	opened bool
}

func (l *progressLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.opened = true
	l.mu.Unlock()
	// A retried upload starts from zero again.
	return &progressReader{ReadCloser: rc, layer: l, u: l.update}, nil
}

type progressReader struct {
	io.ReadCloser
	layer      *progressLayer
	u          Update
	unreported int64
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.ReadCloser.Read(b)
	r.u.Done += int64(n)
	r.unreported += int64(n)
	if err == io.EOF && !r.u.Finished {
		r.u.Finished = true
		r.layer.report(r.u)
	} else if r.unreported >= progressStep {
		r.unreported = 0
		r.layer.report(r.u)
	}
	return n, err
}
