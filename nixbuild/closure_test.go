package nixbuild

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

func TestQueryClosureOfAddedPath(t *testing.T) {
	content := "closure test\n"
	path := testfixtures.AddToStore(t, "machnix-closure-test", testfixtures.File{Path: "f", Data: []byte(content)})
	infos, err := QueryClosure(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	// A path added from plain files references nothing, so its closure is
	// itself, and its NAR is larger than the file it holds.
	if len(infos) != 1 || infos[0].Path != path || len(infos[0].References) != 0 {
		t.Fatalf("closure %+v, want just %s", infos, path)
	}
	if infos[0].NarSize <= int64(len(content)) {
		t.Errorf("NAR size %d, want more than the %d content bytes", infos[0].NarSize, len(content))
	}
}

func TestQueryClosureNamesBadPath(t *testing.T) {
	testfixtures.RequireTool(t, "nix-store")
	_, err := QueryClosure(context.Background(), "/nix/store/00000000000000000000000000000000-absent")
	if !errors.Is(err, ErrNixStore) || !strings.Contains(err.Error(), "absent") {
		t.Fatalf("err %v, want ErrNixStore naming the path", err)
	}
}

// The closure of a built environment, read with two nix-store calls, agrees
// path by path with nix-store's own per-path answers.
func TestQueryClosureMatchesPerPathQueries(t *testing.T) {
	env := nixpkgs.BuildExpr(t, "python3.withPackages (ps: [ ])")
	infos, err := QueryClosure(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	want, err := nixStoreLines(context.Background(), "-qR", env)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != len(want) {
		t.Fatalf("%d paths, nix-store -qR lists %d", len(infos), len(want))
	}
	withRefs := 0
	for _, info := range infos {
		refs, err := nixStoreLines(context.Background(), "-q", "--references", info.Path)
		if err != nil {
			t.Fatal(err)
		}
		var others []string
		for _, r := range refs {
			if r != info.Path {
				others = append(others, r)
			}
		}
		sort.Strings(others)
		if strings.Join(others, " ") != strings.Join(info.References, " ") {
			t.Errorf("%s: references %v, nix-store -q --references says %v", info.Path, info.References, others)
		}
		if len(others) > 0 {
			withRefs++
		}
		size, err := nixStoreLines(context.Background(), "-q", "--size", info.Path)
		if err != nil {
			t.Fatal(err)
		}
		if got := strconv.FormatInt(info.NarSize, 10); len(size) != 1 || size[0] != got {
			t.Errorf("%s: NAR size %s, nix-store -q --size says %v", info.Path, got, size)
		}
	}
	if withRefs == 0 {
		t.Fatal("no path in the closure has references; the test proves nothing")
	}
}

func TestParseRegistrationsRejectsTruncatedOutput(t *testing.T) {
	for _, out := range []string{
		"/nix/store/a-x\nhash\n12\n\n2\n/nix/store/b-y\n",
		"/nix/store/a-x\nhash\nbig\n\n0\n",
		"/nix/store/a-x\nhash\n",
	} {
		if _, err := parseRegistrations(out); !errors.Is(err, ErrNixStore) {
			t.Errorf("%q: err %v, want ErrNixStore", out, err)
		}
	}
}
