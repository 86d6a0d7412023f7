package fetch

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/machnix/machnix/resolve"
)

// Compiled when first needed: most indexes serve JSON, and compiling at
// start-up slowed every run of machnix, whatever the command.
var (
	anchorRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)<a\s([^>]*)>(.*?)</a>`) })
	attrRe   = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?s)([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)
	})
)

// parseHTMLPage reads a PEP 503 page: anchors whose href may carry a
// #sha256= fragment, with data-requires-python, data-yanked and the PEP 658/714
// metadata attributes. Relative hrefs resolve against pageURL.
func parseHTMLPage(body []byte, pageURL, name, index string) (*resolve.ProjectFiles, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("%s: bad page URL: %w", Redact(pageURL), urlErr(err))
	}
	pf := &resolve.ProjectFiles{Name: name, Index: index}
	for _, m := range anchorRe().FindAllStringSubmatch(string(body), -1) {
		attrs := map[string]string{}
		present := map[string]bool{}
		for _, a := range attrRe().FindAllStringSubmatch(m[1], -1) {
			k := strings.ToLower(a[1])
			present[k] = true
			attrs[k] = html.UnescapeString(a[2] + a[3] + a[4])
		}
		href, ok := attrs["href"]
		if !ok {
			continue
		}
		ref, err := url.Parse(href)
		if err != nil {
			return nil, fmt.Errorf("%s: bad href %q: %w", Redact(pageURL), Redact(href), urlErr(err))
		}
		u := base.ResolveReference(ref)
		frag := u.Fragment
		u.Fragment = ""
		f := resolve.File{URL: u.String(), RequiresPython: attrs["data-requires-python"], Index: index}
		f.Filename = strings.TrimSpace(html.UnescapeString(m[2]))
		if seg := u.Path[strings.LastIndex(u.Path, "/")+1:]; seg != "" {
			f.Filename, _ = url.PathUnescape(seg)
		}
		if err := checkLink(base, f.URL, f.Filename); err != nil {
			return nil, err
		}
		if h, ok := strings.CutPrefix(frag, "sha256="); ok {
			if f.SHA256, err = pageHash(h); err != nil {
				return nil, fmt.Errorf("%s: file %q: %w; the index serves a broken page, so ask its operator", Redact(pageURL), f.Filename, err)
			}
		}
		if present["data-yanked"] {
			f.Yanked, f.YankedReason = true, attrs["data-yanked"]
		}
		meta, ok := attrs["data-core-metadata"]
		if !ok {
			meta, ok = attrs["data-dist-info-metadata"]
		}
		if ok && meta != "false" {
			f.MetadataURL = f.URL + ".metadata"
			if h, ok := strings.CutPrefix(meta, "sha256="); ok {
				if f.MetadataSHA256, err = pageHash(h); err != nil {
					return nil, fmt.Errorf("%s: metadata of %q: %w; the index serves a broken page, so ask its operator", Redact(pageURL), f.Filename, err)
				}
			}
		}
		pf.Files = append(pf.Files, f)
	}
	return pf, nil
}
