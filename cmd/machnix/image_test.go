package main

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/machnix/machnix/testfixtures"
)

// fakeEnv adds a store path shaped like a Python environment (bin/python)
// and returns it.
func fakeEnv(t *testing.T) string {
	t.Helper()
	return testfixtures.AddToStore(t, "machnix-image-test-env",
		testfixtures.File{Path: "bin/python", Data: []byte("#!/bin/sh\necho fake\n"), Mode: 0o755})
}

func TestImageToLayoutAndRegistry(t *testing.T) {
	env := fakeEnv(t)
	cache := t.TempDir()
	layoutDir := filepath.Join(t.TempDir(), "oci")

	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	tag := strings.TrimPrefix(srv.URL, "http://") + "/team/app:v1"

	code, out, stderr := runCLI(t, "image", env, "--tag", tag, "--oci-layout", layoutDir, "--push",
		"--cache-dir", cache, "--env", "LANG=C.UTF-8", "--label", "team=data", "--expose", "8000")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	printed := strings.TrimSpace(out)

	idx, err := layout.ImageIndexFromPath(layoutDir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Digest.String() != printed {
		t.Fatalf("printed %s, layout holds %+v", printed, m.Manifests)
	}

	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := pulled.Digest(); d.String() != printed {
		t.Errorf("registry has %s, printed %s", d, printed)
	}
	// stderr says where the image went: REF@DIGEST per tag, the layout.
	if !strings.Contains(stderr, "machnix: pushed "+tag+"@"+printed+"\n") || !strings.Contains(stderr, "wrote "+layoutDir) {
		t.Errorf("stderr lacks the pushed reference or the layout:\n%s", stderr)
	}
	if strings.Contains(out, "pushed") {
		t.Errorf("stdout holds more than the digest: %q", out)
	}
	cf, err := pulled.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if want := env + "/bin/python"; len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != want {
		t.Errorf("entrypoint %v, want [%s]", cf.Config.Entrypoint, want)
	}
	if cf.Config.Labels["team"] != "data" || len(cf.Config.Env) != 2 || !strings.HasPrefix(cf.Config.Env[0], "PATH="+env+"/bin") {
		t.Errorf("labels %v env %v", cf.Config.Labels, cf.Config.Env)
	}

	// The same paths again, with a fresh cache: the same digest.
	code, out, stderr = runCLI(t, "image", env, "--oci-layout", filepath.Join(t.TempDir(), "again"),
		"--cache-dir", t.TempDir(), "--env", "LANG=C.UTF-8", "--label", "team=data", "--expose", "8000")
	if code != exitOK || strings.TrimSpace(out) != printed {
		t.Errorf("rebuild: exit %d, digest %s, want %s (%s)", code, strings.TrimSpace(out), printed, stderr)
	}
}

func TestImageUsageErrors(t *testing.T) {
	env := fakeEnv(t)
	for _, args := range [][]string{
		{"image", env},           // no output
		{"image", env, "--push"}, // push without a tag
		{"image", env, "--oci-layout", t.TempDir(), "--env", "NOEQUALS"},
		{"image", "/nonexistent/result", "--oci-layout", t.TempDir()},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitBadInput || stderr == "" {
			t.Errorf("%v: exit %d (%q), want %d with a message", args, code, stderr, exitBadInput)
		}
	}
}

func TestImageZstdAndProgressSummary(t *testing.T) {
	env := fakeEnv(t)
	cache := t.TempDir()
	layoutDir := filepath.Join(t.TempDir(), "oci")
	args := []string{"image", env, "--oci-layout", layoutDir, "--tag", "app", "--cache-dir", cache, "--compression", "zstd"}
	code, out, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	img, err := layoutImage(layoutDir, strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if mt, _ := l.MediaType(); mt != types.OCILayerZStd {
			t.Errorf("layer media type %s, want zstd", mt)
		}
	}
	n := len(ls)
	if want := fmt.Sprintf("%d of %d layers built", n, n); !strings.Contains(stderr, want) {
		t.Errorf("stderr %q should say %q", stderr, want)
	}
	// Again with the same cache: nothing is rebuilt.
	if code, _, stderr = runCLI(t, args...); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := fmt.Sprintf("0 of %d layers built (0 B uncompressed), %d from the layer cache", n, n); !strings.Contains(stderr, want) {
		t.Errorf("stderr %q should say %q", stderr, want)
	}
	// zstd has no Docker schema 2 media type.
	if code, _, _ := runCLI(t, "image", env, "--oci-layout", layoutDir, "--compression", "zstd", "--format", "docker"); code != exitBadInput {
		t.Errorf("zstd with --format docker: exit %d, want %d", code, exitBadInput)
	}
}

func layoutImage(dir, digest string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	h, err := v1.NewHash(digest)
	if err != nil {
		return nil, err
	}
	return p.Image(h)
}
