package resolve

import (
	"context"
	"errors"
)

// ErrProjectNotFound is returned by an Index for a project it does not have.
var ErrProjectNotFound = errors.New("project not found")

// Index answers the solver's questions about projects. Package fetch
// implements it over HTTP; tests may implement it in memory. Implementations
// must be safe for concurrent use, since the solver prefetches.
type Index interface {
	// Project lists every distribution file of a project. Name is PEP 503
	// normalised. A project the index does not have gives an error wrapping
	// ErrProjectNotFound.
	Project(ctx context.Context, name string) (*ProjectFiles, error)
	// Metadata returns the core metadata of one distribution file, without
	// downloading the whole file where the index allows it.
	Metadata(ctx context.Context, file File) (*Metadata, error)
}

// ProjectFiles is one project's page on an index.
type ProjectFiles struct {
	Name  string `json:"name"`
	Index string `json:"index"` // the index URL it came from, without credentials
	Files []File `json:"files"`
}

// File is one distribution file (a wheel or an sdist) on an index.
type File struct {
	Filename string `json:"filename"`
	URL      string `json:"url"`
	// SHA256 is hex; empty when the index gave no hash.
	SHA256         string `json:"sha256,omitempty"`
	Size           int64  `json:"size,omitempty"`
	RequiresPython string `json:"requires_python,omitempty"`
	Yanked         bool   `json:"yanked,omitempty"`
	YankedReason   string `json:"yanked_reason,omitempty"`
	// MetadataURL is the PEP 658/714 metadata file, when the index has one,
	// and MetadataSHA256 its hash.
	MetadataURL    string `json:"metadata_url,omitempty"`
	MetadataSHA256 string `json:"metadata_sha256,omitempty"`
	Index          string `json:"index,omitempty"`
}

// Metadata is the part of a distribution's core metadata the solver needs.
// Values are kept as written; the solver parses them.
type Metadata struct {
	Name           string   `json:"name"`
	Version        string   `json:"version"`
	RequiresDist   []string `json:"requires_dist,omitempty"`
	RequiresPython string   `json:"requires_python,omitempty"`
	ProvidesExtra  []string `json:"provides_extra,omitempty"`
}
