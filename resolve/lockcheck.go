package resolve

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/machnix/machnix/resolve/pep440"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/resolve/tags"
)

// A lock may come from someone else: a pull request, a repository, an
// artifact. Every field that reaches Nix, the file system or a URL is
// checked here against its grammar, so that nothing in a lock is ever
// pasted into an expression or a path unchecked. The generator escapes
// on its side as well; neither check alone is trusted.

var (
	nixBase32   = regexp.MustCompile(`^[0-9abcdfghijklmnpqrsvwxyz]{52}$`)
	nixVersion  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~-]*$`)
	pep440Form  = regexp.MustCompile(`^[0-9][0-9A-Za-z.!+_-]*$`)
	nixAttrPart = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*$`)
	sonameRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]*$`)
	moduleRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
)

// IsSoname reports whether s can be a soname as a lock records it: a file
// name of letters, digits and ._+- without a path, which Nix then matches
// as a glob in autoPatchelfIgnoreMissingDeps (none of *?[ can occur).
//
// The length is checked apart: a counted repetition ({0,254}) compiles to
// as many copies of its instruction, which cost a millisecond at every
// start of machnix.
func IsSoname(s string) bool {
	return len(s) <= maxSoname && sonameRE.MatchString(s) && s != "." && s != ".."
}

// maxSoname is the longest file name most Linux file systems allow.
const maxSoname = 255

// IsModuleName reports whether s is an importable dotted Python module
// name (ASCII identifiers), as pythonImportsCheck takes it.
func IsModuleName(s string) bool { return moduleRE.MatchString(s) }

// isPEP440 reports whether v is a PEP 440 version as a lock writes it:
// the parser also takes surrounding whitespace and a leading "v", which
// would reach store names and messages as they are.
func isPEP440(v string) bool {
	_, err := pep440.Parse(v)
	return err == nil && pep440Form.MatchString(v)
}

// IsSHA256Hex reports whether s is a sha256 digest as locks and caches
// hold it: exactly 64 lowercase hex digits, safe to use as a file name.
//
// It is a loop rather than a regular expression: index pages
// give a digest for every file, thousands per resolution.
func IsSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// fieldError names the offending field by its path in the lock's JSON.
func fieldError(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidLock, field, fmt.Sprintf(format, args...))
}

func validateLock(l *Lock) error {
	if l.Version != LockVersion {
		return fieldError("version", "%d, this machnix reads version %d", l.Version, LockVersion)
	}
	if l.Universal() {
		return validateUniversal(l)
	}
	for i, p := range l.Packages {
		if p.Marker != "" || len(p.Targets) > 0 || len(p.Files) > 0 || len(p.DependencyMarkers) > 0 {
			return fieldError(fmt.Sprintf("packages[%d] (%s)", i, quoteIfOdd(p.Name)), "marker, targets, files and dependency_markers belong to a universal lock, which has targets")
		}
	}
	if l.Target.Python == "" || l.Target.System == "" {
		return fieldError("target", "needs python and system")
	}
	if err := l.Target.checkForm(); err != nil {
		return fieldError("target", "%v", err)
	}
	if err := checkSources(l); err != nil {
		return err
	}
	seen, err := checkPackages("packages", l.Packages)
	if err != nil {
		return err
	}
	built, err := checkPackages("build_packages", l.BuildPackages)
	if err != nil {
		return err
	}
	byName := map[string]Package{}
	for _, p := range l.BuildPackages {
		byName[p.Name] = p
	}
	for i, p := range l.BuildPackages {
		field := fmt.Sprintf("build_packages[%d] (%s)", i, p.Name)
		if p.Provider == ProviderSdist || p.Provider == ProviderLocal {
			return fieldError(field+".provider", "a build package is a wheel or comes from nixpkgs")
		}
		if p.Native != nil {
			return fieldError(field+".native", "a build package is installed without native inputs")
		}
		if len(p.BuildRequires) > 0 {
			return fieldError(field+".build_requires", "only an sdist of packages has build requirements")
		}
		for _, d := range p.Dependencies {
			if !built[d] {
				return fieldError(field+".dependencies", "%s is not among build_packages", quoteIfOdd(d))
			}
		}
	}
	for i, p := range l.Packages {
		field := fmt.Sprintf("packages[%d] (%s)", i, p.Name)
		for _, d := range p.Dependencies {
			if !seen[d] {
				return fieldError(field+".dependencies", "%s is not pinned", quoteIfOdd(d))
			}
		}
		if len(p.BuildRequires) > 0 && p.Provider != ProviderSdist && p.Provider != ProviderLocal {
			return fieldError(field+".build_requires", "only an sdist or a local project has build requirements")
		}
		if p.Native != nil {
			for _, d := range p.Native.WheelDeps {
				if !seen[d] {
					return fieldError(field+".native.wheel_deps", "%s is not pinned", quoteIfOdd(d))
				}
			}
		}
		for _, r := range p.BuildRequires {
			if err := checkBuildRequirement(r, byName); err != nil {
				return fieldError(field+".build_requires", "%v", err)
			}
		}
	}
	return nil
}

// checkPackages checks each package of a list (packages or
// build_packages) and returns the names pinned.
func checkPackages(list string, pkgs []Package) (map[string]bool, error) {
	seen := map[string]bool{}
	for i, p := range pkgs {
		field := fmt.Sprintf("%s[%d]", list, i)
		if p.Name == "" || p.Version == "" {
			return nil, fieldError(field, "has no name or version")
		}
		if !IsNormalizedName(p.Name) {
			return nil, fieldError(field+".name", "%q is not a normalised project name", p.Name)
		}
		field = fmt.Sprintf("%s[%d] (%s)", list, i, p.Name)
		if seen[p.Name] {
			return nil, fieldError(field, "pinned twice")
		}
		seen[p.Name] = true
		if err := checkPackage(p); err != nil {
			return nil, fmt.Errorf("%w: %s.%v", ErrInvalidLock, field, err)
		}
	}
	return seen, nil
}

// checkBuildRequirement accepts a build requirement as the lock records
// it: a PEP 508 requirement with its name and extras normalised, no
// marker (it was evaluated for the target) and no URL, which the build
// pin, when there is one, satisfies. A name without a pin is taken from
// the nixpkgs in use as it is.
func checkBuildRequirement(r string, pins map[string]Package) error {
	if HasControl(r) {
		return fmt.Errorf("%s is not a requirement", quoteIfOdd(r))
	}
	req, err := pep508.ParseRequirement(r)
	if err != nil {
		return fmt.Errorf("%s is not a PEP 508 requirement", quoteIfOdd(textWithoutCredentials(r)))
	}
	switch {
	case req.Marker != nil:
		return fmt.Errorf("%s has a marker; the lock holds build requirements with their markers evaluated", quoteIfOdd(r))
	case req.URL != "":
		return fmt.Errorf("%s is a direct URL; a build requirement is pinned in build_packages", req.Normalized())
	case req.Name != req.Normalized():
		return fmt.Errorf("%s is not a normalised project name", quoteIfOdd(req.Name))
	}
	pin, ok := pins[req.Name]
	if !ok || len(req.Specifiers) == 0 {
		return nil
	}
	v, err := pep440.Parse(pin.Version)
	if err != nil {
		// A nixpkgs version need not be PEP 440: nothing to compare.
		return nil
	}
	if !req.Specifiers.Contains(v, true) {
		return fmt.Errorf("%s is not met by build_packages' %s %s", quoteIfOdd(r), pin.Name, pin.Version)
	}
	return nil
}

// checkPackage returns an error starting with the field's name.
func checkPackage(p Package) error {
	switch p.Provider {
	case ProviderWheel, ProviderSdist:
		if !isPEP440(p.Version) {
			return fmt.Errorf("version: %s is not a PEP 440 version", quoteIfOdd(p.Version))
		}
		if p.Filename == "" || p.URL == "" {
			return fmt.Errorf("filename: a %s needs a filename and a url", p.Provider)
		}
		if err := checkFilename(p); err != nil {
			return fmt.Errorf("filename: %v", err)
		}
		if err := checkLockURL(p.URL); err != nil {
			return fmt.Errorf("url: %v", err)
		}
		if !IsSHA256Hex(p.SHA256) {
			return fmt.Errorf("sha256: %s is not 64 lowercase hex digits", quoteIfOdd(p.SHA256))
		}
		if p.NixAttr != "" {
			return fmt.Errorf("nix_attr: only the nixpkgs provider names an attribute")
		}
	case ProviderNixpkgs:
		if !nixVersion.MatchString(p.Version) {
			return fmt.Errorf("version: %s is not a version", quoteIfOdd(p.Version))
		}
		if p.NixAttr == "" {
			return fmt.Errorf("nix_attr: a nixpkgs package needs its attribute")
		}
		if !IsAttrPath(p.NixAttr) {
			return fmt.Errorf("nix_attr: %s is not an attribute path", quoteIfOdd(p.NixAttr))
		}
		if p.URL != "" || p.Filename != "" || p.SHA256 != "" {
			return fmt.Errorf("url: a nixpkgs package has no file")
		}
	case ProviderLocal:
		if !isPEP440(p.Version) {
			return fmt.Errorf("version: %s is not a PEP 440 version", quoteIfOdd(p.Version))
		}
		if err := CheckProjectPath(p.Path); err != nil {
			return fmt.Errorf("path: %v", err)
		}
		if !IsSHA256Hex(p.SHA256) {
			return fmt.Errorf("sha256: %s is not 64 lowercase hex digits", quoteIfOdd(p.SHA256))
		}
		if p.URL != "" || p.Filename != "" || p.Index != "" || p.NixAttr != "" || p.Size != 0 {
			return fmt.Errorf("url: a local project has a path and no file, index or attribute")
		}
	default:
		return fmt.Errorf("provider: %s is unknown (want wheel, sdist, nixpkgs or local)", quoteIfOdd(string(p.Provider)))
	}
	if p.Path != "" && p.Provider != ProviderLocal {
		return fmt.Errorf("path: only a local project has a path")
	}
	if p.Native != nil {
		if p.Provider != ProviderWheel {
			return fmt.Errorf("native: only a wheel has native inputs (%s builds against nixpkgs' libraries)", p.Provider)
		}
		if err := checkNative(p.Native); err != nil {
			return fmt.Errorf("native.%v", err)
		}
	}
	if p.Size < 0 {
		return fmt.Errorf("size: %d is negative", p.Size)
	}
	if p.Index != "" {
		if err := checkLockURL(p.Index); err != nil {
			return fmt.Errorf("index: %v", err)
		}
	}
	for _, d := range p.Dependencies {
		if !IsNormalizedName(d) {
			return fmt.Errorf("dependencies: %s is not a normalised project name", quoteIfOdd(d))
		}
	}
	for _, e := range p.Extras {
		if !IsNormalizedName(e) {
			return fmt.Errorf("extras: %s is not a normalised extra name", quoteIfOdd(e))
		}
	}
	return nil
}

// checkNative returns an error starting with the field's name inside
// native.
func checkNative(n *Native) error {
	for i, a := range n.BuildInputs {
		for _, alt := range strings.Split(a, " or ") {
			if !IsAttrPath(alt) {
				return fmt.Errorf("build_inputs[%d]: %s is not a nixpkgs attribute path", i, quoteIfOdd(a))
			}
		}
	}
	for list, sonames := range map[string][]string{"driver": n.Driver, "missing": n.Missing} {
		for i, so := range sonames {
			if !IsSoname(so) {
				return fmt.Errorf("%s[%d]: %s is not a soname", list, i, quoteIfOdd(so))
			}
		}
	}
	for i, d := range n.WheelDeps {
		if !IsNormalizedName(d) {
			return fmt.Errorf("wheel_deps[%d]: %s is not a normalised project name", i, quoteIfOdd(d))
		}
	}
	for i, m := range n.Imports {
		if !IsModuleName(m) {
			return fmt.Errorf("imports[%d]: %s is not a Python module name", i, quoteIfOdd(m))
		}
	}
	return nil
}

// CheckProjectPath accepts a local project's path as a lock records it:
// relative to the lock's directory, with forward slashes, clean (no ".",
// "" or ".." inside, no trailing slash), and nothing a shell, Nix or
// another system reads otherwise: no absolute path, no "~", no
// backslash, quote or $, no "//", no control characters. Leading ".."
// components are the one way out of the lock's directory (a sibling
// project, or the project an env folder inside it was written for).
// machnix's Nix library (nix/locked.nix, localPathError) applies the same
// rule, and both refuse a directory that is not a Python project, so a
// hostile lock cannot have /etc or a home directory copied into the
// store.
func CheckProjectPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty; a local project's path is \".\" or a relative path")
	case HasControl(p) || strings.ContainsRune(p, 0):
		return fmt.Errorf("%s holds control characters", quoteIfOdd(p))
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("%s is absolute; the lock records a path relative to its own directory", quoteIfOdd(p))
	case strings.HasPrefix(p, "~"):
		return fmt.Errorf("%s starts with ~, which only a shell expands", quoteIfOdd(p))
	case strings.ContainsRune(p, '\\'):
		return fmt.Errorf("%s holds a backslash; paths use forward slashes", quoteIfOdd(p))
	case strings.ContainsAny(p, `"$`):
		return fmt.Errorf("%s holds a quote or $", quoteIfOdd(p))
	case strings.Contains(p, "//"):
		return fmt.Errorf("%s holds //", quoteIfOdd(p))
	case path.Clean(p) != p:
		return fmt.Errorf("%s is not clean (it would be %s)", quoteIfOdd(p), quoteIfOdd(path.Clean(p)))
	}
	ups := true
	for _, part := range strings.Split(p, "/") {
		if part == ".." && !ups {
			return fmt.Errorf("%s climbs back up after going down", quoteIfOdd(p))
		}
		ups = ups && part == ".."
	}
	return nil
}

// maxStoreName is the longest store path name Nix accepts.
const maxStoreName = 211

// checkFilename accepts a wheel or sdist file name of the package's own
// name and version: it names the file in the cache, in the store and in
// messages.
func checkFilename(p Package) error {
	f := p.Filename
	if strings.ContainsAny(f, `/\`) || f == "." || f == ".." || HasControl(f) {
		return fmt.Errorf("%s is not a plain file name", quoteIfOdd(f))
	}
	// The file's store path is named after it, and Nix refuses a store
	// name longer than this (StorePath::MaxPathLen in libstore).
	if len(f) > maxStoreName {
		return fmt.Errorf("%s is longer than the %d characters Nix allows a store name", quoteIfOdd(f[:40]+"..."), maxStoreName)
	}
	var name, version string
	if p.Provider == ProviderWheel {
		n, v, _, _, err := tags.ParseWheelFilename(f)
		if err != nil {
			return fmt.Errorf("%s is not a wheel file name: %v", quoteIfOdd(f), err)
		}
		name, version = n, v
	} else {
		n, v, err := tags.ParseSdistFilename(f)
		if err != nil {
			return fmt.Errorf("%s is not an sdist file name: %v", quoteIfOdd(f), err)
		}
		name, version = n, v
	}
	if pep508.NormalizeName(name) != p.Name {
		return fmt.Errorf("%s is a file of %s, not of %s", quoteIfOdd(f), quoteIfOdd(name), p.Name)
	}
	fv, err1 := pep440.Parse(version)
	lv, err2 := pep440.Parse(p.Version)
	if err1 != nil || err2 != nil || !fv.Equal(lv) {
		return fmt.Errorf("%s is version %s, the lock pins %s", quoteIfOdd(f), quoteIfOdd(version), p.Version)
	}
	return nil
}

// checkLockURL accepts the URLs a lock may hold: http(s) with a host, or
// file with an absolute path; never credentials, which come from netrc or
// the keychain when the file is fetched.
func checkLockURL(raw string) error {
	shown := quoteIfOdd(textWithoutCredentials(raw))
	if raw == "" || HasControl(raw) || strings.ContainsAny(raw, " \"\\") {
		return fmt.Errorf("%s is not a URL", shown)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s is not a URL", shown)
	}
	if u.User != nil {
		return fmt.Errorf("%s holds credentials; a lock never does (put them in netrc)", shown)
	}
	switch u.Scheme {
	case "https", "http":
		if u.Host == "" {
			return fmt.Errorf("%s has no host", shown)
		}
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return fmt.Errorf("%s names a remote host", shown)
		}
		if !path.IsAbs(u.Path) || slices.Contains(strings.Split(u.Path, "/"), "..") {
			return fmt.Errorf("%s is not an absolute path without ..", shown)
		}
	default:
		return fmt.Errorf("%s: scheme %s is not http, https or file", shown, quoteIfOdd(u.Scheme))
	}
	return nil
}

func checkRequirement(r string) error {
	if HasControl(r) {
		return fmt.Errorf("%s is not a requirement", quoteIfOdd(r))
	}
	req, err := pep508.ParseRequirement(r)
	if err != nil {
		return fmt.Errorf("%s is not a PEP 508 requirement", quoteIfOdd(textWithoutCredentials(r)))
	}
	if req.URL != "" {
		if u, err := url.Parse(req.URL); err != nil || u.User != nil {
			return fmt.Errorf("the URL of %s holds credentials or is malformed; a lock never holds credentials", req.Name)
		}
	}
	return nil
}

func checkPin(pin *NixpkgsPin) error {
	switch {
	case pin.Path != "" && pin.URL != "":
		return fieldError("nixpkgs", "has both a path and a url")
	case pin.Path != "":
		if !path.IsAbs(pin.Path) || HasControl(pin.Path) {
			return fieldError("nixpkgs.path", "%s is not an absolute path", quoteIfOdd(pin.Path))
		}
		if pin.Hash != "" {
			return fieldError("nixpkgs.hash", "a path pin has no hash")
		}
	case pin.URL != "":
		if err := checkLockURL(pin.URL); err != nil {
			return fieldError("nixpkgs.url", "%v", err)
		}
		if !isNixHash(pin.Hash) {
			return fieldError("nixpkgs.hash", "%s is not a sha256 hash (sha256-<base64>, 52 base32 or 64 hex digits)", quoteIfOdd(pin.Hash))
		}
	default:
		return fieldError("nixpkgs", "needs a path or a url")
	}
	return nil
}

func isNixHash(h string) bool {
	if sri, ok := strings.CutPrefix(h, "sha256-"); ok {
		raw, err := base64.StdEncoding.DecodeString(sri)
		return err == nil && len(raw) == 32
	}
	return IsSHA256Hex(h) || nixBase32.MatchString(h)
}

// IsAttrPath reports whether s is a dotted path of plain Nix identifiers,
// as nixpkgs names its attributes (python.pkgs.foo, xorg.libX11).
func IsAttrPath(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if !nixAttrPart.MatchString(part) {
			return false
		}
	}
	return true
}

// IsNormalizedName reports whether s is a PEP 503 normalised name of a
// valid PEP 508 name: lowercase letters and digits in runs joined by
// single dashes.
func IsNormalizedName(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// HasControl reports whether s holds a control character, a
// bidirectional control or the replacement character (left by invalid
// UTF-8): text that must be quoted or refused before it reaches a
// terminal or a file name.
func HasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == unicode.ReplacementChar
	})
}

// quoteIfOdd quotes a value from the lock so that control characters in
// it reach no terminal.
func quoteIfOdd(s string) string {
	if HasControl(s) || strings.ContainsAny(s, " \"'`") || s == "" {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// Validate checks a lock that did not come through ReadLock (a value
// built in memory, or changed since) as ReadLock checks a file: every
// field against its grammar, errors naming the field.
func Validate(l *Lock) error { return validateLock(l) }

// checkSources checks what both kinds of lock record about where their
// packages come from: the indexes, the root requirements and the nixpkgs
// pin.
func checkSources(l *Lock) error {
	for i, ix := range l.Indexes {
		if err := checkLockURL(ix); err != nil {
			return fieldError(fmt.Sprintf("indexes[%d]", i), "%v", err)
		}
	}
	for i, r := range l.Requirements {
		if err := checkRequirement(r); err != nil {
			return fieldError(fmt.Sprintf("requirements[%d]", i), "%v", err)
		}
	}
	if l.Nixpkgs != nil {
		if err := checkPin(l.Nixpkgs); err != nil {
			return err
		}
	}
	return nil
}
