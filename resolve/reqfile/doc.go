// Package reqfile owns the user's input files: pip requirements files
// (nested -r and -c, index options, --find-links, --hash with pip's
// hash-checking rules, --only-binary/--no-binary, --pre, comments,
// continuations and ${VAR} expansion) and the [project] tables of
// pyproject.toml. Every entry keeps its file and line, and every error
// names them ("requirements.txt:7: ...").
//
// Deviation from pip: a bare relative path to a wheel or sdist is taken
// from the requirements file's directory rather than the working
// directory, so a file means the same wherever machnix runs.
package reqfile
