package nixbuild

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
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
