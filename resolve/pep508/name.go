package pep508

import "strings"

// NormalizeName returns the PEP 503 form of a project name: lower case,
// with every run of "-", "_" and "." replaced by one "-".
func NormalizeName(name string) string {
	// Fast path: already normalised names are the common case on the
	// solver's hot path and need no allocation.
	if isNormalized(name) {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}

func isNormalized(name string) bool {
	prevSep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z', c == '_', c == '.':
			return false
		case c == '-':
			if prevSep {
				return false
			}
			prevSep = true
		default:
			prevSep = false
		}
	}
	return true
}

// NormalizeExtra returns the PEP 685 form of an extra name, which is the
// PEP 503 normalisation used for project names.
func NormalizeExtra(extra string) string { return NormalizeName(extra) }

// ValidName reports whether name is a valid project or extra name: ASCII
// letters and digits, with ".", "_" and "-" allowed only inside.
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if alnum {
			continue
		}
		if (c == '.' || c == '_' || c == '-') && i > 0 && i < len(name)-1 {
			continue
		}
		return false
	}
	return true
}
