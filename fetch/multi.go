package fetch

import (
	"context"
	"errors"
	"strings"

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
	var asked []string
	for _, ix := range m.List {
		p, err := ix.Project(ctx, name)
		if errors.Is(err, resolve.ErrProjectNotFound) {
			if n, ok := ix.(interface{ indexURL() string }); ok {
				asked = append(asked, Redact(n.indexURL()))
			}
			continue
		}
		return p, err
	}
	return nil, &notFound{name: name, asked: asked}
}

// notFound names the indexes asked, without their credentials.
type notFound struct {
	name  string
	asked []string
}

func (e *notFound) Error() string {
	where := "no index has a project of this name"
	if len(e.asked) > 0 {
		where = "no project of this name on " + strings.Join(e.asked, ", ")
	}
	return e.name + ": " + where + "; check the name or add --extra-index-url"
}

// ListProjects implements resolve.ProjectLister: the projects of every
// index that can list them, each name once, in no particular order.
// Indexes that cannot (or fail to) list add nothing; an error is returned
// only when none could.
func (m *Indexes) ListProjects(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	var firstErr error
	listed := false
	for _, ix := range m.List {
		l, ok := ix.(resolve.ProjectLister)
		if !ok {
			continue
		}
		names, err := l.ListProjects(ctx)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		listed = true
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	if !listed && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
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
