package tags

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/machnix/machnix/resolve/pep440"
	"github.com/machnix/machnix/resolve/pep508"
)

// ErrInvalidFilename is wrapped by ParseWheelFilename and
// ParseSdistFilename errors.
var ErrInvalidFilename = errors.New("invalid distribution filename")

// ParseWheelFilename splits "name-version[-build]-pyver-abi-platform.whl"
// (PEP 427). name is PEP 503 normalised, version is as written (it is a
// valid PEP 440 version), build is "" or the build tag, which starts with
// a digit.
func ParseWheelFilename(filename string) (name, version, build string, tags []Tag, err error) {
	fail := func(why string) (string, string, string, []Tag, error) {
		return "", "", "", nil, fmt.Errorf("%w: wheel %q: %s", ErrInvalidFilename, filename, why)
	}
	stem, ok := strings.CutSuffix(filename, ".whl")
	if !ok {
		return fail("the extension must be .whl")
	}
	// Split by hand: strings.Split and Join allocated more than the rest
	// of parsing, for every file of every project page.
	var ps [6]string
	parts, rest := ps[:0], stem
	for len(parts) < len(ps) {
		part, after, more := strings.Cut(rest, "-")
		parts = append(parts, part)
		if !more {
			rest = ""
			break
		}
		rest = after
	}
	if rest != "" || (len(parts) != 5 && len(parts) != 6) {
		return fail("want name-version[-build]-python-abi-platform")
	}
	if !validWheelName(parts[0]) {
		return fail("invalid project name")
	}
	if !validVersion(parts[1]) {
		return fail("invalid version " + strconv.Quote(parts[1]))
	}
	if len(parts) == 6 {
		build = parts[2]
		if build == "" || build[0] < '0' || build[0] > '9' {
			return fail("the build tag must start with a digit")
		}
	}
	n := len(parts)
	tagSet := stem[len(stem)-len(parts[n-3])-len(parts[n-2])-len(parts[n-1])-2:]
	tags, err = Parse(tagSet)
	if err != nil {
		return fail(err.Error())
	}
	return pep508.NormalizeName(parts[0]), parts[1], build, tags, nil
}

// validWheelName follows PEP 427's escaping: word characters and "."
// only (a "-" would split the name), and no "__".
func validWheelName(s string) bool {
	if s == "" || strings.Contains(s, "__") {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// ParseSdistFilename splits "name-version.tar.gz" or "name-version.zip"
// at the last dash (a PEP 440 version has none). name is PEP 503
// normalised and version as written.
func ParseSdistFilename(filename string) (name, version string, err error) {
	stem, ok := strings.CutSuffix(filename, ".tar.gz")
	if !ok {
		stem, ok = strings.CutSuffix(filename, ".zip")
	}
	if !ok {
		return "", "", fmt.Errorf("%w: sdist %q: the extension must be .tar.gz or .zip", ErrInvalidFilename, filename)
	}
	i := strings.LastIndexByte(stem, '-')
	if i <= 0 {
		return "", "", fmt.Errorf("%w: sdist %q: want name-version", ErrInvalidFilename, filename)
	}
	name, version = stem[:i], stem[i+1:]
	if !validVersion(version) {
		return "", "", fmt.Errorf("%w: sdist %q: invalid version %q", ErrInvalidFilename, filename, version)
	}
	return pep508.NormalizeName(name), version, nil
}

// validVersion is whether pep440.Parse accepts s, without parsing the
// usual plain release ("1.18.1"), which it always accepts.
func validVersion(s string) bool {
	if pep440.PlainRelease(s) {
		return true
	}
	_, err := pep440.Parse(s)
	return err == nil
}

// CompareBuild orders two wheel build tags as PEP 427 does: no tag first,
// then by the leading number, then by the rest as a string. It returns
// -1, 0 or 1; a higher build is preferred among equally ranked wheels.
func CompareBuild(a, b string) int {
	na, ra := splitBuild(a)
	nb, rb := splitBuild(b)
	switch {
	case (a == "") != (b == ""):
		if a == "" {
			return -1
		}
		return 1
	case na != nb:
		if na < nb {
			return -1
		}
		return 1
	}
	return strings.Compare(ra, rb)
}

func splitBuild(s string) (int, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, _ := strconv.Atoi(s[:i])
	return n, s[i:]
}
