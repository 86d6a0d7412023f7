package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/google/go-containerregistry/pkg/name"
)

const defaultDaemonConfig = "/etc/docker/daemon.json"

// defaultRegistriesConf is where podman, skopeo and buildah read it: the
// user's file replaces the system's when it exists.
func defaultRegistriesConf() string {
	if dir, err := os.UserConfigDir(); err == nil {
		p := filepath.Join(dir, "containers", "registries.conf")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "/etc/containers/registries.conf"
}

// plainHTTPPolicy says which registries may be spoken to without TLS. Only
// the user grants that: loopback always, anything else through --insecure
// or the Docker and containers configs. go-containerregistry would also
// try plain HTTP for RFC 1918 addresses and *.localhost names, sending
// credentials in cleartext to whatever answers there.
type plainHTTPPolicy struct {
	insecureFlag bool
	daemonPath   string
	regconfPath  string
	// problems are config files that could not be read; they allow
	// nothing, and the refusal says why.
	problems []string

	daemonNames map[string]bool
	daemonNets  []*net.IPNet
	regEntries  []regconfEntry
	regV1       map[string]bool
}

type regconfEntry struct {
	prefix, location string
	insecure         bool
}

func newPlainHTTPPolicy(o *options) *plainHTTPPolicy {
	p := &plainHTTPPolicy{
		insecureFlag: o.insecure,
		daemonPath:   o.daemonConfig,
		regconfPath:  o.registriesConf,
		daemonNames:  map[string]bool{},
		regV1:        map[string]bool{},
	}
	if p.daemonPath == "" {
		p.daemonPath = defaultDaemonConfig
	}
	if p.regconfPath == "" {
		p.regconfPath = defaultRegistriesConf()
	}
	p.readDaemonConfig()
	p.readRegistriesConf(p.regconfPath)
	// Drop-ins extend the file they sit beside, in name order.
	dropins, _ := filepath.Glob(filepath.Join(filepath.Dir(p.regconfPath), "registries.conf.d", "*.conf"))
	sort.Strings(dropins)
	for _, d := range dropins {
		p.readRegistriesConf(d)
	}
	return p
}

func (p *plainHTTPPolicy) readDaemonConfig() {
	data, err := os.ReadFile(p.daemonPath)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	var cfg struct {
		InsecureRegistries []string `json:"insecure-registries"`
	}
	if err == nil {
		err = json.Unmarshal(data, &cfg)
	}
	if err != nil {
		p.problems = append(p.problems, fmt.Sprintf("could not read %s: %v", p.daemonPath, err))
		return
	}
	for _, r := range cfg.InsecureRegistries {
		// dockerd accepts and strips a scheme.
		r = strings.TrimPrefix(strings.TrimPrefix(r, "http://"), "https://")
		r = strings.TrimSuffix(r, "/")
		if _, n, err := net.ParseCIDR(r); err == nil {
			p.daemonNets = append(p.daemonNets, n)
			continue
		}
		p.daemonNames[strings.ToLower(r)] = true
	}
}

func (p *plainHTTPPolicy) readRegistriesConf(path string) {
	var cfg struct {
		Registry []struct {
			Prefix   string `toml:"prefix"`
			Location string `toml:"location"`
			Insecure bool   `toml:"insecure"`
		} `toml:"registry"`
		Registries struct {
			Insecure struct {
				Registries []string `toml:"registries"`
			} `toml:"insecure"`
		} `toml:"registries"`
	}
	_, err := toml.DecodeFile(path, &cfg)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		p.problems = append(p.problems, fmt.Sprintf("could not read %s: %v", path, err))
		return
	}
	for _, r := range cfg.Registry {
		e := regconfEntry{prefix: r.Prefix, location: strings.ToLower(r.Location), insecure: r.Insecure}
		if e.prefix == "" {
			e.prefix = e.location
		}
		e.prefix = strings.ToLower(e.prefix)
		// A later entry for the same prefix replaces an earlier one, as a
		// drop-in overrides the main file.
		replaced := false
		for i := range p.regEntries {
			if p.regEntries[i].prefix == e.prefix {
				p.regEntries[i], replaced = e, true
			}
		}
		if !replaced && e.prefix != "" {
			p.regEntries = append(p.regEntries, e)
		}
	}
	for _, r := range cfg.Registries.Insecure.Registries {
		p.regV1[strings.ToLower(r)] = true
	}
}

// allowsRef reports whether the registry of ref may be spoken to without
// TLS.
func (p *plainHTTPPolicy) allowsRef(ref name.Reference) bool {
	reg := ref.Context().RegistryStr()
	return isLoopback(reg) || p.insecureFlag || p.listed(reg, ref.Name())
}

// allowsHost reports whether a plain-HTTP request to host (a URL's host
// part) may go out while pushing to the registry reg. The registry itself
// was decided for the whole reference, which registries.conf may treat
// differently from the bare host; --insecure covers only the registries
// being pushed to, so any other host (a token realm, an upload location)
// needs loopback or a config that lists it.
func (p *plainHTTPPolicy) allowsHost(host, reg string, regAllowed bool) bool {
	if isLoopback(host) {
		return true
	}
	if canonicalHost(host) == canonicalHost(reg) {
		return regAllowed
	}
	return p.listed(host, host)
}

// listed reports whether reg is insecure in the Docker or containers config;
// ref is the whole reference, which registries.conf matches by prefix.
func (p *plainHTTPPolicy) listed(reg, ref string) bool {
	reg, ref = strings.ToLower(reg), strings.ToLower(ref)
	if p.daemonNames[reg] {
		return true
	}
	// Like dockerd, CIDRs match addresses; unlike it, no name is resolved,
	// so an answer from DNS never turns TLS off.
	if ip := net.ParseIP(hostOnly(reg)); ip != nil {
		for _, n := range p.daemonNets {
			if n.Contains(ip) {
				return true
			}
		}
	}
	if p.regV1[reg] {
		return true
	}
	// registries.conf: the entry with the longest matching prefix decides,
	// and its insecure applies to its location, so it counts only when the
	// location is this registry.
	var best *regconfEntry
	for i, e := range p.regEntries {
		if prefixMatches(e.prefix, ref, reg) && (best == nil || len(e.prefix) > len(best.prefix)) {
			best = &p.regEntries[i]
		}
	}
	if best == nil || !best.insecure {
		return false
	}
	if best.location == "" {
		return strings.HasPrefix(best.prefix, "*.")
	}
	locReg, _, _ := strings.Cut(best.location, "/")
	return canonicalHost(locReg) == canonicalHost(reg)
}

// prefixMatches is registries.conf's rule: ref starts with prefix, followed
// by the end or a separator; "*.example.com" matches any subdomain host.
func prefixMatches(prefix, ref, reg string) bool {
	if rest, ok := strings.CutPrefix(prefix, "*."); ok {
		h := hostOnly(reg)
		return strings.HasSuffix(h, "."+rest)
	}
	if !strings.HasPrefix(ref, prefix) {
		return false
	}
	rest := ref[len(prefix):]
	return rest == "" || strings.ContainsAny(rest[:1], "/:@")
}

// hostOnly drops the port and an IPv6 address's brackets.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// canonicalHost gives host:port with plain HTTP's default port, so that
// "reg" and "reg:80" compare equal.
func canonicalHost(hostport string) string {
	h := strings.TrimSuffix(strings.ToLower(hostOnly(hostport)), ".")
	port := "80"
	if _, p, err := net.SplitHostPort(hostport); err == nil {
		port = p
	}
	return net.JoinHostPort(h, port)
}

// isLoopback is true for localhost, 127.0.0.0/8 and ::1: traffic to them
// never leaves the machine.
func isLoopback(hostport string) bool {
	h := strings.TrimSuffix(strings.ToLower(hostOnly(hostport)), ".")
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// hint says how the user may allow plain HTTP to host; --insecure covers
// only the registry being pushed to.
func (p *plainHTTPPolicy) hint(host string, isRegistry bool) string {
	flag := ""
	if isRegistry {
		flag = "allow plain HTTP with --insecure, or "
	}
	s := fmt.Sprintf("serve it over TLS, or %slist %q under insecure-registries in %s, or as a [[registry]] with location = %q and insecure = true in %s",
		flag, host, p.daemonPath, host, p.regconfPath)
	if len(p.problems) > 0 {
		s += " (" + strings.Join(p.problems, "; ") + ")"
	}
	return s
}

// plainHTTPError is what the guard returns instead of sending a request.
type plainHTTPError struct{ host string }

func (e *plainHTTPError) Error() string {
	return fmt.Sprintf("%v: not sending a request to %s without TLS", ErrPlainHTTP, e.host)
}

func (e *plainHTTPError) Is(target error) bool { return target == ErrPlainHTTP }

// plainHTTPGuard sits under every layer of go-containerregistry's client,
// so no path in it (the ping's fallback, a Location header, a token realm,
// a redirect) can send anything without TLS where the policy says no.
type plainHTTPGuard struct {
	next  http.RoundTripper
	allow func(host string) bool
}

func (g *plainHTTPGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "https" && !g.allow(r.URL.Host) {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, &plainHTTPError{host: r.URL.Host}
	}
	return g.next.RoundTrip(r)
}
