// Package oci builds layered OCI images from Nix store paths.
//
// It owns the layering of a closure (by popularity, with a maximum layer
// count), deterministic tar layers, gzip or zstd compression in one pass that
// yields both the diffID and the digest, a layer cache keyed by store paths
// and settings, the image config, and the outputs: a registry push, an OCI
// layout directory, and a docker archive.
//
// It never calls Nix: it takes store paths and their reference graph.
package oci
