// Package project reads a local Python project: the directory a user
// names as ".", "../app" or "name @ file:///dir" instead of a released
// file. Its PEP 621 metadata comes from pyproject.toml where it is static,
// else from the build backend's prepare_metadata_for_build_wheel (PEP 517)
// run in a subprocess on a copy of the tree. Its identity in a lock is the
// NAR hash of its tree under the source filter Keep.
package project
