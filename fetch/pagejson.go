package fetch

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unsafe"

	"github.com/machnix/machnix/resolve"
)

// pageFile is one entry of a PEP 691 page's "files", as both decoders
// read it.
type pageFile struct {
	Filename string `json:"filename"`
	URL      string `json:"url"`
	Hashes   struct {
		SHA256 string `json:"sha256"`
	} `json:"hashes"`
	RequiresPython string        `json:"requires-python"`
	Yanked         yankedField   `json:"yanked"`
	CoreMetadata   metadataField `json:"core-metadata"`
	DistInfo       metadataField `json:"dist-info-metadata"`
	Size           int64         `json:"size"`
}

// parseJSONPage reads a PEP 691 page; relative file URLs resolve against
// pageURL. body must not change afterwards: the files' strings may share
// its memory.
func parseJSONPage(body []byte, pageURL, name, index string) (*resolve.ProjectFiles, error) {
	urls, err := newURLResolver(pageURL)
	if err != nil {
		return nil, fmt.Errorf("%s: bad page URL: %w", Redact(pageURL), urlErr(err))
	}
	// About 300 bytes of page per file; append grows it when more.
	pf := &resolve.ProjectFiles{Name: name, Index: index, Files: make([]resolve.File, 0, len(body)/300+1)}
	var bad error
	add := func(f *pageFile) bool {
		u, err := urls.resolve(f.URL, ".metadata")
		if err != nil {
			bad = fmt.Errorf("%s: bad file URL for %q: %w", Redact(pageURL), f.Filename, urlErr(err))
			return false
		}
		if err := checkLink(urls.base, u, f.Filename); err != nil {
			bad = err
			return false
		}
		sum, err := pageHash(f.Hashes.SHA256)
		if err == nil {
			f.CoreMetadata.sha256, err = pageHash(f.CoreMetadata.sha256)
		}
		if err == nil {
			f.DistInfo.sha256, err = pageHash(f.DistInfo.sha256)
		}
		if err != nil {
			bad = fmt.Errorf("%s: file %q: %w; the index serves a broken page, so ask its operator", Redact(pageURL), f.Filename, err)
			return false
		}
		rf := resolve.File{Filename: f.Filename, URL: u[:len(u)-len(".metadata")], SHA256: sum, Size: f.Size,
			RequiresPython: f.RequiresPython, Index: pf.Index, Yanked: f.Yanked.yanked, YankedReason: f.Yanked.reason}
		meta := f.CoreMetadata // PEP 714 name first, then the PEP 658 one
		if !meta.present {
			meta = f.DistInfo
		}
		if meta.present {
			rf.MetadataURL = u
			rf.MetadataSHA256 = meta.sha256
		}
		pf.Files = append(pf.Files, rf)
		return true
	}
	if !decodePageFast(body, add) {
		// Also after a bad URL: a page that is not even JSON says so first.
		pf.Files = pf.Files[:0]
		var page struct {
			Files []pageFile `json:"files"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("%s is not a PEP 691 page: %w", Redact(pageURL), err)
		}
		for i := range page.Files {
			if !add(&page.Files[i]) {
				return nil, bad
			}
		}
	}
	return pf, nil
}

// yankedField is PEP 691's "yanked": false, true, or the reason (which
// yanks even when empty).
type yankedField struct {
	yanked bool
	reason string
}

func (y *yankedField) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		y.yanked = true
		return json.Unmarshal(b, &y.reason)
	}
	// Anything else but true (false, null, a number) is not yanked, as
	// before: the page stays readable.
	y.yanked = string(b) == "true"
	return nil
}

// metadataField is PEP 691's "core-metadata" (PEP 714) or
// "dist-info-metadata" (PEP 658): false or null for none, true, or a
// dictionary of hashes.
type metadataField struct {
	present bool
	sha256  string
}

func (m *metadataField) UnmarshalJSON(b []byte) error {
	s := string(b)
	m.present = s != "false" && s != "null"
	if len(b) > 0 && b[0] == '{' {
		var hs struct {
			SHA256 string `json:"sha256"`
		}
		if json.Unmarshal(b, &hs) == nil {
			m.sha256 = hs.SHA256
		}
	}
	return nil
}

// decodePageFast reads the usual shape of a PEP 691 page without
// reflection and with no copy of its plain strings, which share body's
// memory: encoding/json took most of the time machnix spends on a large
// project's page. It passes each file to add, stopping when add returns
// false. Whatever it does not handle exactly as encoding/json into
// pageFile would (duplicate or case-folded keys, values of unexpected
// types, invalid JSON) gives false, and the caller decodes with
// encoding/json instead, so both always agree.
func decodePageFast(body []byte, add func(*pageFile) bool) bool {
	if len(body) == 0 {
		return false
	}
	d := pageDecoder{s: unsafe.String(&body[0], len(body))}
	if !d.byte('{') {
		return false
	}
	seenFiles := false
	ok := d.members(func(key string) bool {
		if key != "files" {
			return !strings.EqualFold(key, "files") && d.skip(0)
		}
		if seenFiles {
			return false
		}
		seenFiles = true
		if d.literal("null") {
			return true
		}
		if !d.byte('[') {
			return false
		}
		if d.byte(']') {
			return true
		}
		f := new(pageFile) // one for all files: add's argument escapes
		for {
			*f = pageFile{}
			if !d.byte('{') || !d.file(f) || !add(f) {
				return false
			}
			if d.byte(']') {
				return true
			}
			if !d.byte(',') {
				return false
			}
		}
	})
	d.ws()
	return ok && d.i == len(d.s)
}

type pageDecoder struct {
	s string
	i int
	// decoded holds strings with escapes by their raw form: pages repeat
	// the same Requires-Python on many files, with ">" written "\u003e".
	decoded map[string]string
}

func (d *pageDecoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// byte consumes c, after whitespace, if it comes next.
func (d *pageDecoder) byte(c byte) bool {
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *pageDecoder) literal(lit string) bool {
	d.ws()
	if strings.HasPrefix(d.s[d.i:], lit) {
		d.i += len(lit)
		return true
	}
	return false
}

// members reads an object's members after its "{", calling member with
// each key, positioned at the value, which member must consume.
func (d *pageDecoder) members(member func(key string) bool) bool {
	if d.byte('}') {
		return true
	}
	for {
		d.ws()
		key, ok := d.str()
		if !ok || !d.byte(':') || !member(key) {
			return false
		}
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// str reads a string. Plain ASCII shares the page's memory; anything
// with escapes or other bytes is decoded by encoding/json itself.
func (d *pageDecoder) str() (string, bool) {
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", false
	}
	start := d.i
	plain := true
	for j := start + 1; j < len(d.s); j++ {
		c := d.s[j]
		switch {
		case c == '"':
			d.i = j + 1
			if plain {
				return d.s[start+1 : j], true
			}
			raw := d.s[start:d.i]
			if v, ok := d.decoded[raw]; ok {
				return v, true
			}
			var v string
			if json.Unmarshal([]byte(raw), &v) != nil {
				return "", false
			}
			if d.decoded == nil {
				d.decoded = map[string]string{}
			}
			d.decoded[raw] = v
			return v, true
		case c == '\\':
			plain = false
			j++ // the escaped byte cannot end the string
		case c < 0x20:
			return "", false
		case c >= 0x80:
			plain = false
		}
	}
	return "", false
}

// strOrNull reads a string into *dst; null leaves it, as encoding/json does.
func (d *pageDecoder) strOrNull(dst *string) bool {
	d.ws()
	if d.literal("null") {
		return true
	}
	v, ok := d.str()
	*dst = v
	return ok
}

// Keys of a file entry; a key seen twice sends the page to encoding/json,
// which merges repeated objects in ways not worth copying.
var fileKeys = [...]string{"filename", "url", "hashes", "requires-python", "yanked", "core-metadata", "dist-info-metadata", "size"}

func (d *pageDecoder) file(f *pageFile) bool {
	var seen [len(fileKeys)]bool
	return d.members(func(key string) bool {
		k := -1
		for i, fk := range fileKeys {
			if key == fk {
				k = i
				break
			}
			if strings.EqualFold(key, fk) {
				return false
			}
		}
		if k < 0 {
			return d.skip(0)
		}
		if seen[k] {
			return false
		}
		seen[k] = true
		switch fileKeys[k] {
		case "filename":
			return d.strOrNull(&f.Filename)
		case "url":
			return d.strOrNull(&f.URL)
		case "requires-python":
			return d.strOrNull(&f.RequiresPython)
		case "hashes":
			return d.hashes(&f.Hashes.SHA256)
		case "yanked":
			d.ws()
			if d.i < len(d.s) && d.s[d.i] == '"' {
				f.Yanked.yanked = true
				return d.strOrNull(&f.Yanked.reason)
			}
			start := d.i
			if !d.skip(0) {
				return false
			}
			f.Yanked.yanked = d.s[start:d.i] == "true"
			return true
		case "core-metadata":
			return d.metadata(&f.CoreMetadata)
		case "dist-info-metadata":
			return d.metadata(&f.DistInfo)
		default: // size
			d.ws()
			if d.literal("null") {
				return true
			}
			start := d.i
			if !d.skip(0) {
				return false
			}
			n, err := strconv.ParseInt(d.s[start:d.i], 10, 64)
			f.Size = n
			return err == nil
		}
	})
}

// hashes reads a hash dictionary (or null) for its sha256.
func (d *pageDecoder) hashes(sha *string) bool {
	if d.literal("null") {
		return true
	}
	if !d.byte('{') {
		return false
	}
	seen := false
	return d.members(func(key string) bool {
		if key != "sha256" {
			return !strings.EqualFold(key, "sha256") && d.skip(0)
		}
		if seen {
			return false
		}
		seen = true
		return d.strOrNull(sha)
	})
}

func (d *pageDecoder) metadata(m *metadataField) bool {
	d.ws()
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '{' {
		m.present = true
		return d.hashes(&m.sha256)
	}
	if !d.skip(0) {
		return false
	}
	v := d.s[start:d.i]
	m.present = v != "false" && v != "null"
	return true
}

// skip consumes one JSON value of any kind, checking its syntax as
// encoding/json would.
func (d *pageDecoder) skip(depth int) bool {
	if depth > 100 {
		return false
	}
	d.ws()
	if d.i >= len(d.s) {
		return false
	}
	switch c := d.s[d.i]; {
	case c == '"':
		_, ok := d.str()
		return ok
	case c == '{':
		d.i++
		return d.members(func(string) bool { return d.skip(depth + 1) })
	case c == '[':
		d.i++
		if d.byte(']') {
			return true
		}
		for {
			if !d.skip(depth + 1) {
				return false
			}
			if d.byte(']') {
				return true
			}
			if !d.byte(',') {
				return false
			}
		}
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	default:
		return d.number()
	}
}

// number consumes a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *pageDecoder) number() bool {
	s, i := d.s, d.i
	digits := func() bool {
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if !digits() {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	d.i = i
	return true
}

// urlResolver resolves file URLs of one page against the page's URL. A
// page's files usually share a directory (PyPI's are absolute URLs under
// a few hash directories, others relative like ../../files/p/), so each
// directory is resolved once and plain file names are appended, which
// gives what url.ResolveReference would.
type urlResolver struct {
	base *url.URL
	dirs map[string]string
}

func newURLResolver(pageURL string) (*urlResolver, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, err
	}
	return &urlResolver{base: base, dirs: map[string]string{}}, nil
}

// resolve returns the URL ref points to, followed by suffix: one string
// for a file's URL and its metadata URL.
func (r *urlResolver) resolve(ref, suffix string) (string, error) {
	i := strings.LastIndexByte(ref, '/')
	if i < 0 || !plainSegment(ref[i+1:]) || strings.ContainsAny(ref[:i], "?#") {
		u, err := r.full(ref)
		return u + suffix, err
	}
	dir := ref[:i+1]
	d, ok := r.dirs[dir]
	if !ok {
		var err error
		if d, err = r.full(dir); err != nil {
			u, err := r.full(ref) // for its error
			return u + suffix, err
		}
		r.dirs[dir] = d
	}
	return d + ref[i+1:] + suffix, nil
}

func (r *urlResolver) full(ref string) (string, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return r.base.ResolveReference(u).String(), nil
}

// plainSegment reports whether a last path segment resolves and prints
// as itself: no dot segment, nothing that a URL escapes or ends at.
func plainSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '+' || c == '~') {
			return false
		}
	}
	return true
}
