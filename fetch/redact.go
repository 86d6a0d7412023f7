package fetch

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Redact removes the userinfo of a URL so credentials never reach a
// message. A URL that does not parse loses everything before its last
// "@" after the scheme, and its control characters are escaped, so that
// neither credentials nor terminal controls reach a message through it.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err == nil {
		if u.User == nil {
			return raw
		}
		u.User = nil
		return u.String()
	}
	s := raw
	if i := strings.Index(s, "//"); i >= 0 {
		if at := strings.LastIndex(s[i+2:], "@"); at >= 0 {
			s = s[:i+2] + s[i+2+at+1:]
		}
	}
	return escapeControls(s)
}

// escapeControls percent-escapes control characters and invalid UTF-8.
func escapeControls(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError && n == 1 {
			for _, c := range []byte(s[i : i+n]) {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// urlErr is err without the raw URL a *url.Error repeats, credentials and
// all; callers name the URL themselves, redacted.
func urlErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
