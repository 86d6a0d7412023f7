// Package pep440 owns Python version numbers and version specifiers as
// PEP 440 defines them, with pypa/packaging's behaviour as the reference
// where the PEP leaves room.
//
// Parse accepts every spelling PEP 440 normalises; Version.String is the
// normalised form and Version.Key a form that is equal exactly when two
// versions compare equal (1.0 and 1.0.0), for map keys. Specifiers is a
// comma-separated set of clauses; Matches tests a version against it with
// no pre-release policy, Contains applies PEP 440's opt-in rule, and
// Filter applies packaging's rule for a list of candidates (pre-releases
// only when allowed, named by a clause, or when nothing else matches).
//
// Deviation from packaging: numeric components above 2^62 are rejected,
// so that comparisons stay on machine words.
package pep440
