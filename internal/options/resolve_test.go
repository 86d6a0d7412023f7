package options

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// build, env, gen and docker -r with --python or --system refresh the
// lock and then pick one of a universal lock's targets; the flags chose
// the projection only, yet the refresh rewrote the lock for that one
// target and dropped the others. A target the lock lacks is refused by
// ForTarget, and the lock keeps its targets.
func TestBuildRefreshKeepsUniversalTargets(t *testing.T) {
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	idx := pyindex.Start(t, []pyindex.Wheel{{Wheel: testfixtures.Wheel{Name: "app", Version: "1.0",
		Files: []testfixtures.File{{Path: "app/__init__.py", Data: []byte("X = 1\n")}}}}})
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, "machnix.lock")
	g := &Global{}
	ctx := context.Background()
	universal := &Resolve{Requirements: []string{reqs}, IndexURL: idx.URL + "/simple", Glibc: resolve.DefaultGlibc,
		Universal: true, Python: []string{"3.11", "3.12"}}
	if _, err := universal.ResolveInto(ctx, g, &pipeline.Config{}, lockPath); err != nil {
		t.Fatal(err)
	}
	before, err := resolve.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	want := before.Keys()
	if len(want) != 4 {
		t.Fatalf("universal lock targets %v, want two systems by two Pythons", want)
	}

	build := &Resolve{Requirements: []string{reqs}, IndexURL: idx.URL + "/simple", Glibc: resolve.DefaultGlibc,
		Python: []string{"3.12"}, System: []string{"aarch64-linux"}}
	picked, _, err := build.ReadLockOrResolve(ctx, g, lockPath)
	if err != nil {
		t.Fatal(err)
	}
	if picked.Target.Key() != "aarch64-linux/3.12" {
		t.Errorf("build picked %s, want aarch64-linux/3.12", picked.Target.Key())
	}
	after, err := resolve.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.Keys(); !slices.Equal(got, want) {
		t.Errorf("build -r --python 3.12 --system aarch64-linux rewrote the lock for %v, want %v", got, want)
	}

	build.Python = []string{"3.13"}
	if _, _, err := build.ReadLockOrResolve(ctx, g, lockPath); err == nil || !strings.Contains(err.Error(), want[0]) {
		t.Errorf("a target the lock lacks: err %v, want one naming the lock's targets", err)
	}
	if after, _ := resolve.ReadLock(lockPath); after == nil || !slices.Equal(after.Keys(), want) {
		t.Errorf("asking for a missing target changed the lock's targets to %v", after.Keys())
	}
}
