// Package fetch talks to Python package indexes and keeps the files they
// serve in a content-addressed cache.
//
// It owns the index client (PEP 691 JSON with PEP 503 HTML as fallback,
// PEP 658/714 metadata files, HTTP range reads of a wheel's METADATA or the
// whole wheel, an sdist's static PKG-INFO and its [build-system], PEP 592
// yanked files), local --find-links directories as an index, credentials
// from netrc or the URL, the on-disk cache (one flat directory; a
// download is renamed into place once its hash is checked, and its partial
// file is the lock that makes parallel processes download it once), and
// parallel, resumable, hash-verified downloads with retries.
//
// It makes no decision about versions: the resolver asks, fetch answers.
package fetch
