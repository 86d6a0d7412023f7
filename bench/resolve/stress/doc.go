// Package stress generates bench/resolve's stress cases: dependency sets
// built to make a resolver that does not learn from conflicts rediscover
// the same failure in branch after branch, as real indexes do (old
// releases that need projects without files, pins that exclude each other
// a few levels down, build pins that flip at a major version).
//
// Each case is a plain list of releases with their requirements, the root
// requirements and the expected outcome; bench/resolve/serve serves one as
// a local index, and the tests and benchmarks here resolve them in memory
// and through the conformance harness.
package stress
