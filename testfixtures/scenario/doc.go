// Package scenario runs resolver conformance cases from other projects'
// suites against machnix's resolver: packse scenarios (uv's test suite,
// TOML) and resolvelib's functional cases (JSON). Each case becomes a local
// index on 127.0.0.1 with generated wheels, sdists and PEP 658 metadata; its
// root requirements are resolved for the case's target (a universal case:
// once for every environment, forking by marker), and the pins are
// compared with the expected outcome.
//
// go run ./testfixtures/cmd/scenarios PATH... runs them from the command
// line; the package's tests run every case under ../shared/scenarios.
package scenario
