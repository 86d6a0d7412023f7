package resolve

import (
	"context"
	"fmt"
	"testing"
)

// pageIndex serves one fixed page for every project.
type pageIndex struct{ pf *ProjectFiles }

func (p pageIndex) Project(context.Context, string) (*ProjectFiles, error) { return p.pf, nil }
func (pageIndex) Metadata(context.Context, File) (*Metadata, error)        { return &Metadata{}, nil }

// BenchmarkLoadLargeProject: turning a large project's page (480 files,
// like hypothesis) into its candidate list with the real rules.
func BenchmarkLoadLargeProject(b *testing.B) {
	pf := &ProjectFiles{Name: "hypothesis"}
	for i := range 480 {
		v := fmt.Sprintf("%d.%d.%d", 3+i/100, i/10%10, i%10)
		f := File{Filename: "hypothesis-" + v + "-py3-none-any.whl"}
		switch i % 3 {
		case 0:
			f.RequiresPython = ">=3.5.2"
		case 1:
			f.RequiresPython = ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*"
		}
		if i%7 == 0 {
			pf.Files = append(pf.Files, File{Filename: "hypothesis-" + v + ".tar.gz", RequiresPython: f.RequiresPython})
		}
		pf.Files = append(pf.Files, f)
	}
	b.ReportAllocs()
	for b.Loop() {
		// Fresh rules each time: their caches would otherwise hide the
		// parsing a resolution does once.
		rules, err := NewRules(Target{Python: "3.11"})
		if err != nil {
			b.Fatal(err)
		}
		s := &source{o: settings{Rules: rules, Index: pageIndex{pf}}, ctx: context.Background(),
			cands: map[string][]candidate{}, loading: map[string]chan struct{}{}}
		cs, err := s.load("hypothesis")
		if err != nil || len(cs) != 480 {
			b.Fatal(len(cs), err)
		}
	}
}

// BenchmarkNewRules: what a resolution pays before it starts.
func BenchmarkNewRules(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewRules(Target{Python: "3.11"}); err != nil {
			b.Fatal(err)
		}
	}
}
