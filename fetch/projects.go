package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
)

// MaxProjectList bounds the index's root page read to suggest names for a
// project it lacks. PyPI's is a few tens of megabytes; a larger page gives
// no suggestions rather than a large read.
const MaxProjectList = 64 << 20

var _ resolve.ProjectLister = (*Client)(nil)

// ListProjects implements resolve.ProjectLister: the normalised names on
// the index's root page (PEP 691 JSON, or the PEP 503 page's anchors).
// It is asked only when a project is missing, to suggest close names.
func (c *Client) ListProjects(ctx context.Context) ([]string, error) {
	limit := int64(MaxProjectList)
	if c.maxPage < limit {
		limit = c.maxPage
	}
	r, err := c.getType(ctx, c.base, "application/vnd.pypi.simple.v1+json, text/html;q=0.1", limit)
	if err != nil {
		return nil, err
	}
	if r.code != http.StatusOK {
		return nil, fmt.Errorf("%s: the index answered HTTP %d to the list of its projects", Redact(c.base), r.code)
	}
	var names []string
	if strings.Contains(r.ctype, "json") {
		var page struct {
			Projects []struct {
				Name string `json:"name"`
			} `json:"projects"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			return nil, fmt.Errorf("%s: the list of projects is not PEP 691 JSON: %w", Redact(c.base), err)
		}
		for _, p := range page.Projects {
			names = append(names, p.Name)
		}
	} else {
		for _, m := range anchorRe().FindAllStringSubmatch(string(r.body), -1) {
			names = append(names, strings.TrimSpace(html.UnescapeString(m[2])))
		}
	}
	out := names[:0]
	for _, n := range names {
		if n = pep508.NormalizeName(n); n != "" {
			out = append(out, n)
		}
	}
	return out, nil
}

var _ resolve.ProjectLister = (*FindLinks)(nil)

// ListProjects implements resolve.ProjectLister: the projects of the
// directory's distributions.
func (f *FindLinks) ListProjects(context.Context) ([]string, error) {
	if err := f.scan(); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(f.files))
	for n := range f.files {
		out = append(out, n)
	}
	return out, nil
}
