package fetch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
)

func TestURLResolverAgreesWithResolveReference(t *testing.T) {
	pages := []string{"http://127.0.0.1:8080/simple/foo/", "https://example.org/pypi/simple/foo/?x=1", "https://example.org/simple/foo"}
	refs := []string{
		"../../files/foo/foo-1.0-py3-none-any.whl",
		"../../files/foo/foo-1.0+local-py3-none-any.whl",
		"https://files.example.org/packages/ab/cd/foo-1.0.tar.gz",
		"//cdn.example.org/x/foo-1.0.zip",
		"/abs/foo-1.0.whl",
		"foo-1.0.whl",
		"sub/foo-1.0.whl",
		"sub/./foo-1.0.whl",
		"sub/..",
		"sub/.",
		"sub/",
		"a/b/../foo%2B1.whl",
		"a/b/foo 1.whl",
		"a/b/föö.whl",
		"a?q=1/foo.whl",
		"a#frag/foo.whl",
		"a/foo.whl#sha256=00",
		"a/foo.whl?x=y",
		"../../../../../../x/foo.whl",
		"a/b:c/foo.whl",
	}
	for _, p := range pages {
		r, err := newURLResolver(p)
		if err != nil {
			t.Fatal(err)
		}
		base, _ := url.Parse(p)
		// Twice: the second time through the directory cache.
		for range 2 {
			for _, ref := range refs {
				u, err := url.Parse(ref)
				if err != nil {
					t.Fatal(err)
				}
				want := base.ResolveReference(u).String()
				got, err := r.resolve(ref, "")
				if err != nil || got != want {
					t.Errorf("%s + %s: got %q, %v; want %q", p, ref, got, err, want)
				}
			}
		}
	}
	r, _ := newURLResolver(pages[0])
	for range 2 {
		if _, err := r.resolve("a/b/%zz.whl", ".x"); err == nil {
			t.Error("bad escape accepted")
		}
	}
}

func TestJSONPageFieldForms(t *testing.T) {
	hex64 := func(c string) string { return strings.Repeat(c, 64) }
	body := `{"meta":{"api-version":"1.1"},"name":"foo","files":[
	{"filename":"a.whl","url":"a.whl","hashes":{"sha256":"` + hex64("a") + `","md5":"x"},"yanked":false,"core-metadata":{"sha256":"` + hex64("1") + `"}},
	{"filename":"b.whl","url":"b.whl","hashes":{},"yanked":true,"core-metadata":true},
	{"filename":"c.whl","url":"c.whl","hashes":{"sha256":"` + hex64("c") + `"},"yanked":"","core-metadata":false,"dist-info-metadata":{"sha256":"` + hex64("3") + `"}},
	{"filename":"d.whl","url":"d.whl","hashes":{"sha256":"` + hex64("d") + `"},"yanked":"bad \"build\"","dist-info-metadata":true,"size":12},
	{"filename":"e.whl","url":"e.whl","hashes":{"sha256":"` + hex64("e") + `"},"yanked":null,"core-metadata":null,"requires-python":">=3.8"}]}`
	pf, err := parseJSONPage([]byte(body), "http://h/simple/foo/", "foo", "http://h/simple/")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		sha          string
		yanked       bool
		reason, meta string
		metaSHA      string
	}
	want := []row{
		{hex64("a"), false, "", "http://h/simple/foo/a.whl.metadata", hex64("1")},
		{"", true, "", "http://h/simple/foo/b.whl.metadata", ""},
		{hex64("c"), true, "", "http://h/simple/foo/c.whl.metadata", hex64("3")},
		{hex64("d"), true, `bad "build"`, "http://h/simple/foo/d.whl.metadata", ""},
		{hex64("e"), false, "", "", ""},
	}
	if len(pf.Files) != len(want) {
		t.Fatalf("%d files", len(pf.Files))
	}
	for i, w := range want {
		f := pf.Files[i]
		got := row{f.SHA256, f.Yanked, f.YankedReason, f.MetadataURL, f.MetadataSHA256}
		if got != w {
			t.Errorf("file %d: got %+v, want %+v", i, got, w)
		}
	}
	if pf.Files[3].Size != 12 || pf.Files[4].RequiresPython != ">=3.8" || pf.Files[0].Index != "http://h/simple/" {
		t.Errorf("files: %+v", pf.Files)
	}
	if _, err := parseJSONPage([]byte(`{"files":[{"filename":1}]}`), "http://h/simple/foo/", "foo", ""); err == nil {
		t.Error("a number as filename accepted")
	}
}

// decodeBoth decodes a page with decodePageFast and with encoding/json;
// the fast decoder may give up, but when it does not, it must agree.
func decodeBoth(t *testing.T, body []byte) (fastOK bool) {
	t.Helper()
	var fast []pageFile
	ok := decodePageFast(body, func(f *pageFile) bool { fast = append(fast, *f); return true })
	var page struct {
		Files []pageFile `json:"files"`
	}
	err := json.Unmarshal(body, &page)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("%s: fast decoder accepted what encoding/json rejects: %v", body, err)
	}
	if !reflect.DeepEqual(fast, page.Files) && (len(fast) != 0 || len(page.Files) != 0) {
		t.Fatalf("%s:\nfast %+v\njson %+v", body, fast, page.Files)
	}
	return true
}

var pageSeeds = []string{
	`{"meta":{"api-version":"1.1"},"name":"foo","files":[{"filename":"a.whl","url":"a.whl","hashes":{"sha256":"aa","md5":"x"},"yanked":false,"core-metadata":{"sha256":"m1"},"size":12,"upload-time":"2020-01-01T00:00:00.000000Z","data-dist-info-metadata":{"sha256":"m1"}}],"versions":["1.0"]}`,
	` { "files" : [ { "filename" : "b.whl" , "yanked" : "r\u00e9ason \"q\"" , "requires-python" : "\u003e=3.8" , "dist-info-metadata" : true } ] } `,
	`{"files":[{"yanked":true,"core-metadata":false,"dist-info-metadata":{"sha256":"x","blake2b":null}},{"yanked":null,"core-metadata":null,"size":null,"hashes":null,"filename":null}]}`,
	`{"files":null}`,
	`{"files":[]}`,
	`{"x":[1,-2.5e+3,0.0,true,false,null,{"a":[[]]}],"files":[{"size":-0}]}`,
	`{"files":[{"yanked":1}]}`,
	`{"files":[{"size":1.5}]}`,
	`{"files":[{"size":"1"}]}`,
	`{"files":[{"filename":1}]}`,
	`{"files":[{"hashes":{"sha256":1}}]}`,
	`{"files":[{"core-metadata":{"sha256":1}}]}`,
	`{"files":[{"core-metadata":{"SHA256":"x"}}]}`,
	`{"files":[{"Filename":"x"}]}`,
	`{"Files":[{"filename":"x"}]}`,
	`{"files":[{"filename":"x","filename":"y"}]}`,
	`{"files":[{"yanked":"a","yanked":false}]}`,
	`{"files":[{}],"files":[{"url":"u"}]}`,
	`{"files":[null]}`,
	`{"files":[{"filename":"a\tb"}]}`,
	`{"files":[{"filename":"\ud83d\ude00 \ud800"}]}`,
	"{\"files\":[{\"filename\":\"\xff\xfe\"}]}",
	`{"files":[{"filename":"x"}]`,
	`{"files":[{"filename":"x"}]} x`,
	`{"files":[{"filename":"x",}]}`,
	`{"files":[01]}`,
	`[]`,
	`null`,
	``,
	`{"fil\u0065s":[{"filename":"x"}]}`,
}

func TestFastPageDecoderAgreesWithEncodingJSON(t *testing.T) {
	fast := 0
	for _, s := range pageSeeds {
		if decodeBoth(t, []byte(s)) {
			fast++
		}
	}
	if !decodeBoth(t, benchPage(50)) || fast < 6 {
		t.Fatalf("the fast decoder gave up on the usual pages (%d taken)", fast)
	}
}

func FuzzFastPageDecoder(f *testing.F) {
	for _, s := range pageSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { decodeBoth(t, body) })
}

func TestParseMetadataAgreesWithNetMail(t *testing.T) {
	for _, in := range []string{
		"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\nRequires-Dist: bar>=1\nRequires-Dist: baz; extra == \"x\"\nProvides-Extra: x\nRequires-Python: >=3.8\n\nlong description\nName: not-a-header\n",
		"name: foo\r\nversion:   2\r\nrequires-dist: a\r\n  ; python_version < \"3\"\r\n",
		"Name: foo\nVersion: 1\nSummary: one\n\tcontinued\nKeywords:\n",
		" Name: foo\nVersion: 1\n",
		"Name foo\nVersion: 1\n",
		"Name: foo\nVersion: 1",
		"",
		"\n\nName: foo\n",
		": empty key\nName: foo\nVersion: 1\n",
	} {
		got, gotErr := ParseMetadata([]byte(in))
		want, wantErr := parseMetadataNetMail([]byte(in))
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\ngot  %+v, %v\nwant %+v, %v", in, got, gotErr, want, wantErr)
		}
	}
}

// parseMetadataNetMail is ParseMetadata as it was, with net/mail.
func parseMetadataNetMail(b []byte) (*resolve.Metadata, error) {
	msg, err := mail.ReadMessage(io.MultiReader(bytes.NewReader(b), strings.NewReader("\n\n")))
	if err != nil {
		return nil, fmt.Errorf("unreadable core metadata: %w", err)
	}
	h := msg.Header
	m := &resolve.Metadata{Name: h.Get("Name"), Version: h.Get("Version"),
		RequiresDist: h["Requires-Dist"], RequiresPython: h.Get("Requires-Python"), ProvidesExtra: h["Provides-Extra"]}
	if m.Name == "" || m.Version == "" {
		return nil, errors.New("core metadata lacks Name or Version")
	}
	return m, nil
}
