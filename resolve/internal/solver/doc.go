// Package solver is the version-selection core of package resolve:
// conflict-driven learning in the manner of PubGrub (the algorithm of
// Dart's pub and of uv). The solver keeps a set of incompatibilities
// (facts of the form "these terms cannot all hold"), a partial solution of
// decisions and derivations with decision levels, and alternates unit
// propagation with decisions. When a set of terms is contradicted it
// derives a new incompatibility from the ones that caused the conflict and
// backjumps; the learnt fact then prunes every later branch, so a failure
// is found once rather than once per branch.
//
// It knows nothing about PEP 440, wheels or indexes. A Source lists each
// package's versions (newest first) and each version's dependencies as
// predicates over version strings; package resolve builds the Source from
// an Index, the target's tags and the providers. Because every package's
// universe is finite once its project page is known, a term is a bitset
// over that list plus one bit for "not installed", which keeps
// intersections, unions and complements exact and cheap.
//
// When no solution exists, the explanation is read off the derivation
// graph of the final incompatibility, one sentence per derivation step,
// each true on its own, with versions that share a fact told as ranges.
//
// Extras are ordinary nodes to the solver: the Source names them "pkg[extra]"
// and makes each candidate depend on "pkg" at exactly the same version.
package solver
