package fetch

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

func TestFirstIndexBlocksDependencyConfusion(t *testing.T) {
	private := pyindex.Start(t, []pyindex.Wheel{{Wheel: testfixtures.Wheel{Name: "internal-lib", Version: "1.0"}}})
	public := pyindex.Start(t, []pyindex.Wheel{
		{Wheel: testfixtures.Wheel{Name: "internal-lib", Version: "99.0"}},
		{Wheel: testfixtures.Wheel{Name: "requests", Version: "2.0"}},
	})
	m := &Indexes{List: []resolve.Index{NewClient(private.URL + "/simple/"), NewClient(public.URL + "/simple/")}, Strategy: FirstIndex}
	ctx := context.Background()
	p, err := m.Project(ctx, "internal-lib")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 1 || !strings.Contains(p.Files[0].Filename, "1.0") {
		t.Fatalf("files from a later index leaked in: %+v", p.Files)
	}
	for _, r := range public.Requests() {
		if strings.Contains(r, "internal-lib") {
			t.Fatalf("public index was asked for the private name: %v", public.Requests())
		}
	}
	if p, err := m.Project(ctx, "requests"); err != nil || p.Index != public.URL+"/simple/" {
		t.Fatalf("fallthrough to the second index: %+v %v", p, err)
	}
	if _, err := m.Metadata(ctx, p.Files[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Project(ctx, "nowhere"); !errors.Is(err, resolve.ErrProjectNotFound) {
		t.Fatalf("missing everywhere: %v", err)
	}
}
