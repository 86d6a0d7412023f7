package pipeline

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// roundTrip passes a stage's output through JSON, as a stage run on its
// own (or cached) would hand it on: the next stage must work from that.
func roundTrip[T any](t *testing.T, v *T) *T {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back T
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("%T does not come back from JSON: %v", v, err)
	}
	return &back
}

// The whole flow through the library, without the CLI: a requirements
// file becomes a lock, a store path whose python imports the gcc-built
// extensions, and an image of that path's closure written to an OCI
// layout. Every value between stages goes through JSON first.
func TestRequirementsToStorePathToImage(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	ctx := context.Background()
	w := native.BuildT(t)
	work := t.TempDir()
	t.Setenv("MACHNIX_CACHE_DIR", filepath.Join(work, "cache"))
	req := filepath.Join(work, "requirements.txt")
	if err := os.WriteFile(req, []byte("zcrc\nbundled\nconsumer\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	in := Inputs{Requirements: []string{req}, FindLinks: []string{w.Dir}, NoIndex: true,
		Target: resolve.Target{Python: "3.11", System: native.Arch() + "-linux", Glibc: "2.28"}}
	lock, err := Resolve(ctx, *roundTrip(t, &in), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range lock.Packages {
		names = append(names, p.Name)
	}
	// consumer requires provider, which nobody named: the resolver found it.
	if want := []string{"bundled", "consumer", "provider", "zcrc"}; !slices.Equal(names, want) {
		t.Fatalf("pinned %v, want %v", names, want)
	}

	settings := Settings{Config: &Config{}}
	prepared, err := Prepare(ctx, roundTrip(t, lock), settings)
	if err != nil {
		t.Fatal(err)
	}
	if len(prepared.Artifacts) != len(lock.Packages) || len(prepared.Report.Wheels) != len(lock.Packages) {
		t.Fatalf("%d artifacts and %d wheel reports for %d packages", len(prepared.Artifacts), len(prepared.Report.Wheels), len(lock.Packages))
	}

	nix := NixOptions{OutLink: filepath.Join(work, "result"), NixPath: []string{"nixpkgs=" + nixpkgs.Dir()},
		Options: [][2]string{{"substituters", ""}}}
	env, err := Build(ctx, roundTrip(t, prepared), nix)
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("import zcrc, bundled, consumer; print(zcrc.crc32(%q.encode()), bundled.greet(), consumer.value())", native.ZcrcInput)
	got, err := exec.Command("env", "-i", env+"/bin/python", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, got)
	}
	if want := fmt.Sprintf("%d %s %d", native.ZcrcCRC32(), native.GreetMessage, native.ProviderValue); strings.TrimSpace(string(got)) != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	if path, ok := UpToDate(lock, settings, nix); !ok || path != env {
		t.Errorf("UpToDate = %q, %v; want %s, true: nothing changed", path, ok, env)
	}

	spec := ImageSpec{Roots: []string{nix.OutLink}, System: lock.Target.System, CacheDir: filepath.Join(work, "layers"), MaxLayers: 8}
	img, err := Image(ctx, *roundTrip(t, &spec))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{env + "/bin/python"}; !slices.Equal(cfg.Config.Entrypoint, want) {
		t.Errorf("entrypoint %q, want %q", cfg.Config.Entrypoint, want)
	}
	if !containsPath(t, img, strings.TrimPrefix(env, "/")+"/bin/python") {
		t.Errorf("no layer holds %s/bin/python", env)
	}
	out := Outputs{OCILayout: filepath.Join(work, "oci"), Tags: []string{"app:v1"}}
	if err := Publish(ctx, img, *roundTrip(t, &out)); err != nil {
		t.Fatal(err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(out.OCILayout)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Image(digest); err != nil {
		t.Errorf("the layout lacks the image %s: %v", digest, err)
	}
}

func containsPath(t *testing.T, img v1.Image, want string) bool {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimPrefix(h.Name, "/") == want {
				rc.Close()
				return true
			}
		}
		rc.Close()
	}
	return false
}

// What the user got wrong is told apart from work that failed: the CLI
// exits 2 for the first and 1 for the second.
func TestErrorsSayWhetherTheWorkFailed(t *testing.T) {
	ctx := context.Background()
	w := native.BuildT(t)
	dir := t.TempDir()
	target := resolve.Target{Python: "3.11", System: native.Arch() + "-linux", Glibc: "2.28"}
	for name, c := range map[string]struct {
		requirements string
		failed       bool
	}{
		"no solution":    {"zcrc>=99\n", true},
		"no such name":   {"not-there\n", true},
		"bad line":       {"zcrc>=\n", false},
		"bad marker":     {"zcrc; python_version ~= \"abc\"\n", false},
		"direct no hash": {"zcrc @ http://127.0.0.1:9/zcrc-1.0-cp311-cp311-linux_x86_64.whl\n", false},
	} {
		req := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".txt")
		if err := os.WriteFile(req, []byte(c.requirements), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Resolve(ctx, Inputs{Requirements: []string{req}, FindLinks: []string{w.Dir}, NoIndex: true, Target: target}, nil)
		if err == nil {
			t.Errorf("%s: resolved", name)
			continue
		}
		if got := errors.Is(err, ErrFailed); got != c.failed {
			t.Errorf("%s: %v; matches ErrFailed: %v, want %v", name, err, got, c.failed)
		}
	}
	lock := &resolve.Lock{Version: resolve.LockVersion, Target: target, Packages: []resolve.Package{{Name: "zcrc", Version: "1.0",
		Provider: resolve.ProviderWheel, Filename: "zcrc-1.0-py3-none-any.whl", URL: "file:///nonexistent/zcrc-1.0-py3-none-any.whl",
		SHA256: strings.Repeat("0", 64)}}}
	if _, err := Prepare(ctx, lock, Settings{CacheDir: t.TempDir()}); !errors.Is(err, ErrFailed) {
		t.Errorf("a file that cannot be fetched: %v, want ErrFailed", err)
	}
}

// Prepare inspects a wheel once: the second time its facts come from the
// cache, keyed by the sha256 fetch verified. A fact planted in the cached
// entry shows up in the second report, which it could not if the wheel
// were read again.
func TestPrepareInspectsAnUnchangedWheelOnce(t *testing.T) {
	ctx := context.Background()
	w := native.BuildT(t)
	cache := t.TempDir()
	lock, err := native.Lock(w.Dir, "file://"+w.Dir, "zcrc")
	if err != nil {
		t.Fatal(err)
	}
	settings := Settings{CacheDir: cache}
	first, err := Prepare(ctx, lock, settings)
	if err != nil {
		t.Fatal(err)
	}
	// The entry sits under the cache's format directory, whichever it is.
	entries, _ := filepath.Glob(filepath.Join(cache, "inspect", "*", lock.Packages[0].SHA256+".json"))
	if len(entries) != 1 {
		t.Fatalf("cached facts for the wheel: %v, want one entry", entries)
	}
	entry := entries[0]
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("no cached facts for the wheel: %v", err)
	}
	var facts map[string]any
	if err := json.Unmarshal(data, &facts); err != nil {
		t.Fatal(err)
	}
	elfs := facts["elfs"].([]any)
	elf := elfs[0].(map[string]any)
	elf["needed"] = append(elf["needed"].([]any), "libplanted.so.7")
	if data, err = json.Marshal(facts); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entry, data, 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := Prepare(ctx, lock, settings)
	if err != nil && !errors.Is(err, ErrFailed) {
		t.Fatal(err)
	}
	if second == nil || !slices.Contains(second.Report.Wheels[0].Missing, "libplanted.so.7") {
		t.Fatalf("the second report does not come from the cache: %+v", second)
	}
	if slices.Contains(first.Report.Wheels[0].Missing, "libplanted.so.7") {
		t.Fatal("the first report already had the planted soname")
	}
}
