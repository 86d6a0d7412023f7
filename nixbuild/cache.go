package nixbuild

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/machnix/machnix/fetch"
)

// ErrBadStoreURL wraps a binary cache, substituter or store URL that Nix
// must not be handed: an unknown scheme, a relative file:// path, or
// characters that would split or escape a Nix setting.
var ErrBadStoreURL = errors.New("bad store URL")

// ErrBadKey wraps a signing or public key that is not Nix's NAME:BASE64.
var ErrBadKey = errors.New("bad binary cache key")

// ErrCachePush wraps a failed push to a binary cache.
var ErrCachePush = errors.New("pushing to the binary cache failed")

// ErrNotStorePath wraps a path given to copy that is not a top-level path
// of the store, which Nix would otherwise read as an option or a file.
var ErrNotStorePath = errors.New("not a store path")

// cacheSchemes are the binary cache stores Nix 2.8 writes and reads.
var cacheSchemes = map[string]bool{"file": true, "http": true, "https": true, "s3": true}

// CheckCacheURL accepts a binary cache URL as Nix understands it:
// file:///ABSOLUTE/DIR, http(s)://HOST/..., s3://BUCKET. Nix splits its
// list settings (substituters) at white space, so a URL holding any would
// name a second store; control characters would reach terminals.
func CheckCacheURL(raw string) error {
	return checkStoreURL(raw, cacheSchemes)
}

// CheckSubstituterURL accepts what CheckCacheURL does and the SSH stores
// (ssh://HOST, ssh-ng://HOST), which Nix can substitute from too.
func CheckSubstituterURL(raw string) error {
	return checkStoreURL(raw, map[string]bool{"file": true, "http": true, "https": true, "s3": true, "ssh": true, "ssh-ng": true})
}

// CheckStoreURL accepts a store machnix copies paths from: a substituter
// URL, or a local store given as an absolute directory (a store whose root
// is that directory) or as local?root=DIR.
func CheckStoreURL(raw string) error {
	if isLocalStore(raw) {
		return checkSettingWord(raw)
	}
	return CheckSubstituterURL(raw)
}

// isLocalStore reports whether raw names a store on this machine's file
// system, which Nix opens directly rather than through a cache protocol.
func isLocalStore(raw string) bool {
	return strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "local?")
}

func checkSettingWord(raw string) error {
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || r == '\u0085' || r == '\u00a0' || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("%w: %q holds white space or a control character, which would split Nix's list of stores", ErrBadStoreURL, fetch.Redact(raw))
		}
	}
	if raw == "" {
		return fmt.Errorf("%w: empty", ErrBadStoreURL)
	}
	return nil
}

func checkStoreURL(raw string, schemes map[string]bool) error {
	if err := checkSettingWord(raw); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: %s does not parse as a URL", ErrBadStoreURL, fetch.Redact(raw))
	}
	if !schemes[u.Scheme] {
		return fmt.Errorf("%w: %s: the scheme must be one of %s", ErrBadStoreURL, fetch.Redact(raw), schemeList(schemes))
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" || !path.IsAbs(u.Path) {
			return fmt.Errorf("%w: %s: a file:// cache names an absolute directory, file:///DIR", ErrBadStoreURL, fetch.Redact(raw))
		}
	default:
		if u.Host == "" {
			return fmt.Errorf("%w: %s names no host", ErrBadStoreURL, fetch.Redact(raw))
		}
	}
	return nil
}

func schemeList(schemes map[string]bool) string {
	var names []string
	for _, s := range []string{"file", "http", "https", "s3", "ssh", "ssh-ng"} {
		if schemes[s] {
			names = append(names, s+"://")
		}
	}
	return strings.Join(names, ", ")
}

// CheckPublicKey accepts a binary cache's public key as
// nix-store --generate-binary-cache-key writes it: NAME:BASE64 of a
// 32-byte Ed25519 key.
func CheckPublicKey(key string) error {
	name, data, ok := strings.Cut(key, ":")
	if !ok || name == "" || checkSettingWord(key) != nil {
		return fmt.Errorf("%w: %q: want NAME:BASE64, as nix-store --generate-binary-cache-key writes the public key", ErrBadKey, key)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil || len(raw) != 32 {
		return fmt.Errorf("%w: %q: the part after the name is not a base64 Ed25519 public key (32 bytes)", ErrBadKey, key)
	}
	return nil
}

// KeyName is the name part of a NAME:BASE64 key, which is no secret.
func KeyName(key string) string {
	name, _, _ := strings.Cut(key, ":")
	return name
}

// CheckSecretKeyFile accepts a file holding a signing key as
// nix-store --generate-binary-cache-key writes it (NAME:BASE64 of 64
// bytes) and returns the key's name. Its content never reaches a message.
func CheckSecretKeyFile(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	defer f.Close()
	// A key is about a hundred bytes; a device or a huge file is read no
	// further than that allows.
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrBadKey, file, err)
	}
	name, b64, ok := strings.Cut(strings.TrimSpace(string(data)), ":")
	raw, decodeErr := base64.StdEncoding.DecodeString(b64)
	if !ok || name == "" || decodeErr != nil || len(raw) != 64 || strings.ContainsAny(name, " \t\n") {
		hint := ""
		if len(raw) == 32 {
			hint = " (it holds a public key: give the secret one)"
		}
		return "", fmt.Errorf("%w: %s is not a secret key as nix-store --generate-binary-cache-key writes it%s", ErrBadKey, file, hint)
	}
	return name, nil
}

// PushResult says what a push to one binary cache did.
type PushResult struct {
	// Cache is the cache's URL without credentials.
	Cache string `json:"cache"`
	// Paths is the closure's size; New how many of its paths the cache
	// lacked before the push.
	Paths int `json:"paths"`
	New   int `json:"new"`
	// Key is the name of the key the new paths were signed with.
	Key string `json:"key"`
}

// Push copies the closure of roots to the binary cache at cacheURL with
// nix copy, signing each path it uploads with the secret key in keyFile
// (the cache store's secret-key setting, so the local store is left as it
// is). Paths the cache already has are neither uploaded nor counted new.
func Push(ctx context.Context, cacheURL, keyFile string, roots ...string) (PushResult, error) {
	res := PushResult{Cache: fetch.Redact(cacheURL)}
	if err := CheckCacheURL(cacheURL); err != nil {
		return res, err
	}
	name, err := CheckSecretKeyFile(keyFile)
	if err != nil {
		return res, err
	}
	res.Key = name
	keyPath, err := filepath.Abs(keyFile)
	if err != nil {
		return res, err
	}
	closure, err := nixStoreLines(ctx, append([]string{"-qR"}, roots...)...)
	if err != nil {
		return res, err
	}
	res.Paths = len(closure)
	lacking, err := nixStoreLines(ctx, append([]string{"--store", cacheURL, "--check-validity", "--print-invalid"}, closure...)...)
	if err != nil {
		return res, fmt.Errorf("%w: asking %s which paths it has: %v", ErrCachePush, res.Cache, err)
	}
	res.New = len(lacking)
	if res.New == 0 {
		return res, nil
	}
	// nix copy uploads a path's files as they are now under the hash the
	// store recorded at build time; a path changed since (a program run
	// as root writing into it) would reach every machine of the fleet as
	// a hash mismatch. Only what is new is read twice.
	if _, err := runNix(ctx, nil, "nix-store", append([]string{"--verify-path"}, lacking...)...); err != nil {
		return res, fmt.Errorf("%w: %s: a path to upload no longer matches the hash its build recorded, so every machine would refuse it: %v; rebuild it with nix-store --repair-path PATH (or delete it and build again), then push", ErrCachePush, res.Cache, err)
	}
	to := withQuery(cacheURL, "secret-key", keyPath)
	if _, err := runNix(ctx, []string{to, cacheURL}, "nix", append([]string{"--extra-experimental-features", "nix-command", "copy", "--to", to}, roots...)...); err != nil {
		return res, fmt.Errorf("%w: %s: %v", ErrCachePush, res.Cache, err)
	}
	return res, nil
}

// CopyFrom copies the closure of paths from the store at storeURL into the
// local store and returns how many paths it lacked. Paths from a binary
// cache or SSH store must carry a signature by one of trustedKeys or of
// the keys Nix trusts already; a local store directory is read as this
// machine's user may read it, so its paths need none.
func CopyFrom(ctx context.Context, storeURL string, trustedKeys []string, paths ...string) (int, error) {
	if err := CheckStoreURL(storeURL); err != nil {
		return 0, err
	}
	for _, k := range trustedKeys {
		if err := CheckPublicKey(k); err != nil {
			return 0, err
		}
	}
	// The paths become arguments of nix-store and nix: one starting with
	// a dash would be read as an option, one outside the store as a file.
	for _, p := range paths {
		if !IsStorePath(p) {
			return 0, fmt.Errorf("%w: %q is not a path of the store %s", ErrNotStorePath, p, storeDir())
		}
	}
	missing, err := nixStoreLines(ctx, append([]string{"--check-validity", "--print-invalid"}, paths...)...)
	if err != nil || len(missing) == 0 {
		return 0, err
	}
	// What is copied is the closure of what is missing, less what this
	// store has: ask the source for the closure, this store for the rest.
	closure, err := nixStoreLines(ctx, append([]string{"--store", storeURL, "-qR"}, missing...)...)
	if err != nil {
		return 0, fmt.Errorf("%w: asking %s for the closure: %v", ErrNixStore, fetch.Redact(storeURL), err)
	}
	lacking, err := nixStoreLines(ctx, append([]string{"--check-validity", "--print-invalid"}, closure...)...)
	if err != nil {
		return 0, err
	}
	args := []string{"--extra-experimental-features", "nix-command", "copy", "--from", storeURL}
	if isLocalStore(storeURL) {
		args = append(args, "--no-check-sigs")
	}
	if len(trustedKeys) > 0 {
		args = append(args, "--option", "extra-trusted-public-keys", strings.Join(trustedKeys, " "))
	}
	if _, err := runNix(ctx, []string{storeURL}, "nix", append(args, missing...)...); err != nil {
		msg := err.Error()
		if strings.Contains(msg, "lacks a valid signature") || strings.Contains(msg, "lacks a signature by a trusted key") {
			msg += fmt.Sprintf("\nthe store's paths are signed by no key this Nix trusts: pass --trusted-public-keys with the public key of the key %s was signed with", fetch.Redact(storeURL))
		}
		return 0, fmt.Errorf("%w: copying from %s: %s", ErrNixStore, fetch.Redact(storeURL), msg)
	}
	return len(lacking), nil
}

// withQuery adds NAME=VALUE to a store URL's query. Nix decodes the query
// with percent-decoding only, so VALUE is percent-encoded byte by byte
// outside a safe set.
func withQuery(storeURL, name, value string) string {
	sep := "?"
	if strings.Contains(storeURL, "?") {
		sep = "&"
	}
	var b strings.Builder
	for _, c := range []byte(value) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("/._-~", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return storeURL + sep + name + "=" + b.String()
}

// runNix runs a Nix program and returns its stdout. The error quotes its
// stderr with every one of urls replaced by its redacted form, so
// credentials in a cache URL never reach a message.
func runNix(ctx context.Context, urls []string, prog string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := ansiEscape().ReplaceAllString(strings.TrimSpace(stderr.String()), "")
		for _, u := range urls {
			msg = strings.ReplaceAll(msg, u, fetch.Redact(u))
		}
		return "", fmt.Errorf("%s: %v: %s", prog, err, msg)
	}
	return stdout.String(), nil
}

// CacheSigners returns the names of the keys that signed storePath's
// narinfo in the binary cache at cacheURL (file:// or http(s)://), for a
// diagnosis that says which key the cache was signed with. It reads at
// most 64 KiB and waits at most 10 s.
func CacheSigners(ctx context.Context, cacheURL, storePath string) ([]string, error) {
	base := path.Base(storePath)
	hash, _, ok := strings.Cut(base, "-")
	if !ok || len(hash) != 32 {
		return nil, fmt.Errorf("%s is not a store path", storePath)
	}
	u, err := url.Parse(cacheURL)
	if err != nil {
		return nil, err
	}
	var body io.ReadCloser
	switch u.Scheme {
	case "file":
		if body, err = os.Open(filepath.Join(u.Path, hash+".narinfo")); err != nil {
			return nil, err
		}
	case "http", "https":
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		u.RawQuery, u.Fragment = "", ""
		u.Path = strings.TrimSuffix(u.Path, "/") + "/" + hash + ".narinfo"
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, errors.New("the cache did not answer")
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("the cache answered %s", resp.Status)
		}
		body = resp.Body
	default:
		return nil, fmt.Errorf("machnix reads narinfo files only from file:// and http(s):// caches")
	}
	defer body.Close()
	var names []string
	sc := bufio.NewScanner(io.LimitReader(body, 64<<10))
	for sc.Scan() {
		if sig, ok := strings.CutPrefix(sc.Text(), "Sig: "); ok {
			if name, _, ok := strings.Cut(sig, ":"); ok && checkSettingWord(name) == nil {
				names = append(names, name)
			}
		}
	}
	return names, sc.Err()
}
