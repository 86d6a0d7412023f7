package main

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

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
