// Package distinfo reads the .dist-info directory of a wheel: which
// directory it is, and its WHEEL, METADATA and RECORD files.
//
// Every part of machnix that opens a wheel (the index client reading
// METADATA over HTTP ranges or from a whole download, the inspection of
// native libraries) goes through [Find] and [Open], so a wheel is judged by
// one rule wherever it is read. The rule is pip's
// (src/pip/_internal/utils/wheel.py, wheel_dist_info_dir): exactly one
// top-level *.dist-info directory, whose project part matches the wheel
// file name's project once both are normalised, and which holds WHEEL and
// METADATA. The rule works on entry names alone, so a reader that has only
// the zip's central directory (an HTTP range reader) applies it before
// inflating anything.
//
// WHEEL, METADATA and RECORD are read whole and parsed by the caller; each
// is capped at [MaxFileSize], on the bytes really inflated and never
// trusting the size a zip header declares.
//
// Errors wrap [ErrNotWheel] or [ErrTooLarge]; the rule's own verdicts are
// the sentinels [ErrNoDistInfo], [ErrMultipleDistInfo], [ErrOtherProject]
// and [ErrMissingFile], which wrap ErrNotWheel.
package distinfo
