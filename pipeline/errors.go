package pipeline

import "errors"

// ErrFailed is matched by every error of a stage whose work failed (no
// solution, an unreachable index, a download, a missing native library, a
// build, a push), as opposed to bad input: the CLI exits 1 for these and 2
// for the rest.
var ErrFailed = errors.New("failed")

// failed marks err as ErrFailed without changing its message.
func failed(err error) error {
	if err == nil {
		return nil
	}
	return failedError{err}
}

type failedError struct{ err error }

func (e failedError) Error() string        { return e.err.Error() }
func (e failedError) Unwrap() error        { return e.err }
func (e failedError) Is(target error) bool { return target == ErrFailed }
