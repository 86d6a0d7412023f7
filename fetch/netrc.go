package fetch

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// netrcUser returns the credentials a netrc file holds for host (its
// "machine" entry, matched with or without the port, else "default"), as
// pip and curl read them: from $NETRC, else ~/.netrc. Nil when there are
// none.
func netrcUser(host string) *url.Userinfo {
	path := os.Getenv("NETRC")
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil
		}
		path = filepath.Join(home, ".netrc")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	var found, fallback *url.Userinfo
	tokens := netrcTokens(string(data))
	for i := 0; i < len(tokens); {
		var machine string
		switch tokens[i] {
		case "machine":
			if i+1 >= len(tokens) {
				return found
			}
			machine = tokens[i+1]
			i += 2
		case "default":
			machine = "\x00default"
			i++
		case "macdef":
			// A macro runs to the next blank line; netrcTokens marks it.
			for i < len(tokens) && tokens[i] != "\x00blank" {
				i++
			}
			continue
		default:
			i++
			continue
		}
		var login, password string
		for i < len(tokens) && tokens[i] != "machine" && tokens[i] != "default" && tokens[i] != "macdef" {
			switch tokens[i] {
			case "login":
				if i+1 < len(tokens) {
					login = tokens[i+1]
				}
				i += 2
			case "password":
				if i+1 < len(tokens) {
					password = tokens[i+1]
				}
				i += 2
			default:
				i++
			}
		}
		u := url.UserPassword(login, password)
		switch {
		case machine == "\x00default":
			fallback = u
		case (machine == host || machine == hostname) && found == nil:
			found = u
		}
	}
	if found != nil {
		return found
	}
	return fallback
}

// netrcTokens splits a netrc file into whitespace-separated tokens, with a
// marker for blank lines (which end macdef bodies) and # comments removed.
func netrcTokens(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			out = append(out, "\x00blank")
			continue
		}
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		out = append(out, strings.Fields(line)...)
	}
	return out
}
