// Package oci builds layered OCI images from Nix store paths.
//
// It owns the layering of a closure (by popularity, with a maximum layer
// count), deterministic tar layers, gzip or zstd compression in one pass that
// yields both the diffID and the digest, a layer cache keyed by store paths
// and settings, the image config, and the outputs: a registry push, an OCI
// layout directory, and a docker archive.
//
// Build, WriteLayer and Push share one functional Option type, as
// go-containerregistry's remote does; each reads the options that concern
// it. Push sends nothing without TLS except to loopback or registries the
// user allowed, and gives up on a registry that stalls.
//
// It never calls Nix: it takes store paths and their reference graph.
package oci
