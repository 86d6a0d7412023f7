package oci

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/machnix/machnix/testfixtures"
)

func testClosure(t *testing.T, appVersion string) Closure {
	lib := testfixtures.AddToStore(t, "machnix-test-lib", testfixtures.File{Path: "lib/libx.so", Data: []byte("a library that rarely changes")})
	app := testfixtures.AddToStore(t, "machnix-test-app", testfixtures.File{Path: "bin/app", Data: []byte("#!/bin/sh\necho " + appVersion + "\n"), Mode: 0o755})
	return Closure{Root: app, Paths: []StorePath{
		{Path: lib},
		{Path: app, References: []string{lib}},
	}}
}

var testConfig = Config{
	Entrypoint: []string{"/bin/app"}, Env: []string{"PATH=/bin"}, System: "x86_64-linux",
	Labels: map[string]string{"org.example": "yes"}, ExposedPorts: []string{"8080"},
}

func digestOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Hash
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestBuildIsReproducibleAcrossCacheDirs(t *testing.T) {
	c := testClosure(t, "v1")
	a, err := Build(c, testConfig, WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(c, testConfig, WithCacheDir(t.TempDir()), WithJobs(1))
	if err != nil {
		t.Fatal(err)
	}
	if da, db := digestOf(t, a), digestOf(t, b); da != db {
		t.Fatalf("same closure, different digests: %s vs %s", da, db)
	}

	cf, err := a.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "amd64" || cf.OS != "linux" || !cf.Created.Time.Equal(Epoch) {
		t.Errorf("config arch/os/created = %s/%s/%s", cf.Architecture, cf.OS, cf.Created.Time)
	}
	if _, ok := cf.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v, want 8080/tcp", cf.Config.ExposedPorts)
	}
	// Each layer's history names its store paths, and the diffIDs in the
	// config are those of the uncompressed layers.
	ls, _ := a.Layers()
	if len(cf.History) != len(ls) || len(cf.RootFS.DiffIDs) != len(ls) {
		t.Fatalf("%d layers, %d history entries, %d diff ids", len(ls), len(cf.History), len(cf.RootFS.DiffIDs))
	}
	if !strings.Contains(cf.History[len(ls)-1].CreatedBy, c.Root) {
		t.Errorf("last layer's history %q should name the root %s", cf.History[len(ls)-1].CreatedBy, c.Root)
	}
	for i, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := v1.SHA256(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if h != cf.RootFS.DiffIDs[i] {
			t.Errorf("layer %d: diffID %s in config, uncompressed sha256 %s", i, cf.RootFS.DiffIDs[i], h)
		}
	}
}

func TestBuildSourceDateEpoch(t *testing.T) {
	c := testClosure(t, "v1")
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	img, err := Build(c, testConfig, WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if want := time.Unix(1700000000, 0).UTC(); !cf.Created.Time.Equal(want) {
		t.Errorf("created %s, want %s", cf.Created.Time, want)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := Build(c, testConfig); err == nil {
		t.Error("a malformed SOURCE_DATE_EPOCH must be an error")
	}
}

// Changing the application changes only the layer that holds it: the
// library's layer keeps its digest, so a registry already has it.
func TestChangingOnePathKeepsOtherLayers(t *testing.T) {
	cache := t.TempDir()
	before, err := Build(testClosure(t, "v1"), testConfig, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	after, err := Build(testClosure(t, "v2"), testConfig, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	b, a := layerDigests(t, before), layerDigests(t, after)
	if len(a) != len(b) || len(a) != 2 {
		t.Fatalf("layers before %d, after %d; want 2 each", len(b), len(a))
	}
	if a[0] != b[0] {
		t.Errorf("the library layer changed: %s → %s", b[0], a[0])
	}
	if a[1] == b[1] {
		t.Errorf("the application layer did not change")
	}
}

func TestOutputsRoundTrip(t *testing.T) {
	c := testClosure(t, "v1")
	img, err := Build(c, testConfig, WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	want := digestOf(t, img)

	// An in-memory registry on 127.0.0.1, as go-containerregistry's own
	// tests use: push, then pull the manifest back.
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tags := []string{host + "/team/app:v1", host + "/team/app:latest"}
	if err := Push(context.Background(), img, tags, WithKeychain(authn.NewMultiKeychain()), WithJobs(2)); err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		ref, err := name.NewTag(tag)
		if err != nil {
			t.Fatal(err)
		}
		pulled, err := remote.Image(ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := digestOf(t, pulled); got != want {
			t.Errorf("%s: pulled digest %s, built %s", tag, got, want)
		}
	}

	dir := filepath.Join(t.TempDir(), "layout")
	if err := WriteLayout(dir, img, "v1"); err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != want {
		t.Errorf("layout index %+v, want one manifest %s", m.Manifests, want)
	}

	archive := filepath.Join(t.TempDir(), "app.tar")
	if err := WriteDockerArchive(archive, img, []string{"example.org/app:v1"}); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("example.org/app:v1")
	loaded, err := tarball.ImageFromPath(archive, &tag)
	if err != nil {
		t.Fatal(err)
	}
	wantCfg, _ := img.ConfigName()
	if got, _ := loaded.ConfigName(); got != wantCfg {
		t.Errorf("docker archive config %s, want %s", got, wantCfg)
	}
}

func TestBuildRejectsUnknownSystemAndFormat(t *testing.T) {
	// The closure is real, so only the config can be what is rejected.
	c := testClosure(t, "v1")
	if _, err := Build(c, Config{System: "riscv64-linux"}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("unsupported system: %v, want ErrBadConfig", err)
	}
	if _, err := Build(c, Config{Format: "v3"}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("unknown format: %v, want ErrBadConfig", err)
	}
	if _, err := Build(c, Config{Format: FormatDocker}); err != nil {
		t.Errorf("docker format: %v", err)
	}
}

func TestBuildZstdLayers(t *testing.T) {
	c := testClosure(t, "v1")
	img, err := Build(c, testConfig, WithCacheDir(t.TempDir()), WithCompression(Zstd))
	if err != nil {
		t.Fatal(err)
	}
	gz, err := Build(c, testConfig, WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	gzcf, err := gz.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	ls, _ := img.Layers()
	for i, l := range ls {
		if mt, _ := l.MediaType(); mt != types.OCILayerZStd {
			t.Errorf("layer %d: media type %s, want %s", i, mt, types.OCILayerZStd)
		}
		// The tar streams are the same whatever compresses them, so the
		// diffIDs agree with the gzip image's.
		if cf.RootFS.DiffIDs[i] != gzcf.RootFS.DiffIDs[i] {
			t.Errorf("layer %d: zstd diffID %s, gzip diffID %s", i, cf.RootFS.DiffIDs[i], gzcf.RootFS.DiffIDs[i])
		}
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := v1.SHA256(rc)
		rc.Close()
		if err != nil || h != cf.RootFS.DiffIDs[i] {
			t.Errorf("layer %d: uncompressed sha256 %s (%v), diffID %s", i, h, err, cf.RootFS.DiffIDs[i])
		}
	}
	if digestOf(t, img) == digestOf(t, gz) {
		t.Error("zstd and gzip images share a manifest digest")
	}
	if _, err := Build(c, Config{Format: FormatDocker}, WithCompression(Zstd)); !errors.Is(err, ErrBadConfig) {
		t.Errorf("zstd in Docker schema 2: %v, want ErrBadConfig", err)
	}
	if _, err := Build(c, testConfig, WithCompression("lz4")); !errors.Is(err, ErrBadConfig) {
		t.Errorf("unknown compression: %v, want ErrBadConfig", err)
	}
}

// uploadCounter counts the blob uploads an in-memory registry completes:
// the PUT that closes each upload session carries the blob's digest.
type uploadCounter struct {
	next http.Handler
	mu   sync.Mutex
	put  []string
}

func (u *uploadCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") {
		u.mu.Lock()
		u.put = append(u.put, r.URL.Query().Get("digest"))
		u.mu.Unlock()
	}
	u.next.ServeHTTP(w, r)
}

func (u *uploadCounter) take() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.put
	u.put = nil
	sort.Strings(out)
	return out
}

// Pushing a changed closure uploads exactly the layers whose digests the
// registry lacks, plus the config, and progress says which were reused.
func TestPushUploadsOnlyChangedLayers(t *testing.T) {
	counter := &uploadCounter{next: registry.New()}
	srv := httptest.NewServer(counter)
	defer srv.Close()
	tag := strings.TrimPrefix(srv.URL, "http://") + "/team/app:v1"
	cache := t.TempDir()
	push := func(img v1.Image) []Update {
		var finished []Update
		progress := WithProgress(func(u Update) {
			if u.Finished {
				finished = append(finished, u)
			}
		})
		if err := Push(context.Background(), img, []string{tag}, WithKeychain(authn.NewMultiKeychain()), WithJobs(2), progress); err != nil {
			t.Fatal(err)
		}
		return finished
	}

	before, err := Build(testClosure(t, "v1"), testConfig, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	first := push(before)
	if got, want := len(counter.take()), len(layerDigests(t, before))+1; got != want {
		t.Errorf("first push uploaded %d blobs, want every layer and the config: %d", got, want)
	}
	for _, u := range first {
		if u.Reused || u.Done != u.Total {
			t.Errorf("first push: layer %d reported %+v", u.Layer, u)
		}
	}

	var built []Update
	after, err := Build(testClosure(t, "v2"), testConfig, WithCacheDir(cache), WithProgress(func(u Update) {
		if u.Finished {
			built = append(built, u)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	old := map[v1.Hash]bool{}
	for _, d := range layerDigests(t, before) {
		old[d] = true
	}
	var want []string
	for _, d := range layerDigests(t, after) {
		if !old[d] {
			want = append(want, d.String())
		}
	}
	cfgDigest, _ := after.ConfigName()
	want = append(want, cfgDigest.String())
	sort.Strings(want)
	second := push(after)
	if got := counter.take(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("second push uploaded %v, want only the changed layers and the config %v", got, want)
	}
	reused := 0
	for _, u := range second {
		if u.Reused {
			reused++
			if !old[mustHash(t, u.Digest)] {
				t.Errorf("layer %s reported as already in the registry, but it is new", u.Digest)
			}
		}
	}
	if reused != len(layerDigests(t, after))-(len(want)-1) {
		t.Errorf("%d layers reported reused, want %d", reused, len(layerDigests(t, after))-(len(want)-1))
	}
	// The build reused the cached layers the two closures share.
	cachedBuilds := 0
	for _, u := range built {
		if u.Reused {
			cachedBuilds++
		}
	}
	if cachedBuilds != reused {
		t.Errorf("the build took %d layers from the cache, want %d", cachedBuilds, reused)
	}

	push(after)
	if got := counter.take(); len(got) != 0 {
		t.Errorf("an unchanged push uploaded %v", got)
	}
}

func mustHash(t *testing.T, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// With no Docker config, credentials come from $REGISTRY_AUTH_FILE, the
// file podman and skopeo write: the default keychain reads both.
func TestPushReadsRegistryAuthFile(t *testing.T) {
	const user, password = "ci", "from-the-auth-file"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		registryHandler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	img, err := Build(testClosure(t, "v1"), testConfig, WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	tag := host + "/team/app:v1"
	if err := Push(context.Background(), img, []string{tag}); err == nil {
		t.Fatal("push without credentials succeeded; the registry does not check them")
	}
	authFile := filepath.Join(t.TempDir(), "auth.json")
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	if err := os.WriteFile(authFile, []byte(`{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REGISTRY_AUTH_FILE", authFile)
	if err := Push(context.Background(), img, []string{tag}); err != nil {
		t.Fatalf("push with $REGISTRY_AUTH_FILE: %v", err)
	}
}

var registryHandler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))

// Each layer's build updates name its largest store path, so a person sees
// which package a layer holds.
func TestBuildProgressNamesLargestPath(t *testing.T) {
	small := testfixtures.AddToStore(t, "machnix-test-small", testfixtures.File{Path: "a", Data: []byte("s")})
	big := testfixtures.AddToStore(t, "machnix-test-big", testfixtures.File{Path: "b", Data: []byte(strings.Repeat("b", 4096))})
	c := Closure{Root: small, Paths: []StorePath{{Path: big, NarSize: 5000}, {Path: small, References: []string{big}, NarSize: 200}}}
	largest := map[int]string{}
	_, err := Build(c, testConfig, WithCacheDir(t.TempDir()), WithMaxLayers(1), WithProgress(func(u Update) { largest[u.Layer] = u.Largest }))
	if err != nil {
		t.Fatal(err)
	}
	if len(largest) != 1 || largest[0] != big {
		t.Errorf("largest paths by layer %v, want %s in the one layer", largest, big)
	}
}
