package fetch

import (
	"context"
	"errors"

	"github.com/machnix/machnix/resolve"
)

// Strategy says how several indexes share a project name.
type Strategy string

// FirstIndex: the first index, in priority order, that has a project supplies
// all of its files; later indexes are never asked for that name. This stops a
// public index from shadowing a private package (dependency confusion).
const FirstIndex Strategy = "first-index"

// Indexes queries several indexes in priority order. It implements resolve.Index.
type Indexes struct {
	List     []resolve.Index
	Strategy Strategy // only FirstIndex for now
	// ClientOptions configure the client of a direct URL (name @ URL),
	// which belongs to no index of List.
	ClientOptions []ClientOption
}

var _ resolve.Index = (*Indexes)(nil)

// Project returns the project's page from the first index that has it.
func (m *Indexes) Project(ctx context.Context, name string) (*resolve.ProjectFiles, error) {
	for _, ix := range m.List {
		p, err := ix.Project(ctx, name)
		if errors.Is(err, resolve.ErrProjectNotFound) {
			continue
		}
		return p, err
	}
	return nil, &notFound{name: name}
}

type notFound struct{ name string }

func (e *notFound) Error() string {
	return e.name + ": no index has a project of this name; check the name or add --extra-index-url"
}
func (e *notFound) Unwrap() error { return resolve.ErrProjectNotFound }

// Metadata asks the index the file came from, matched by its Index field.
func (m *Indexes) Metadata(ctx context.Context, file resolve.File) (*resolve.Metadata, error) {
	for _, ix := range m.List {
		if n, ok := ix.(interface{ indexURL() string }); ok && n.indexURL() == file.Index {
			return ix.Metadata(ctx, file)
		}
	}
	// A direct URL (name @ URL, http or file) belongs to no index: its
	// metadata comes from the file itself, with netrc credentials for its
	// host.
	return NewClient(file.URL, m.ClientOptions...).Metadata(ctx, file)
}
