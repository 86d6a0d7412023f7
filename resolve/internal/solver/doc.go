// Package solver is the version-selection core of package resolve: a
// backtracking search with conflict-directed backjumping over finite,
// preference-ordered candidate lists.
//
// It knows nothing about PEP 440, wheels or indexes. A Source lists each
// package's candidates (most preferred first) and each candidate's
// dependencies as predicates over candidate version strings; package resolve
// builds the Source from an Index, the target's tags and the providers.
// Because every package's universe is finite once its project page is known,
// a term is a bitset over that list, which keeps intersections exact.
//
// Extras are ordinary nodes to the solver: the Source names them "pkg[extra]"
// and makes each candidate depend on "pkg" at exactly the same version.
package solver
