package autopatch

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
)

// TestImportsCheckSkipsTestsPrivateAndDriverModules: without top_level.txt
// the modules come from the listing, minus test/doc/example directories,
// setup and conftest, private names that are not extension modules, and a
// module whose extension needs the GPU driver (it cannot import in the
// build sandbox).
func TestImportsCheckSkipsTestsPrivateAndDriverModules(t *testing.T) {
	ext := native.SharedLib(t, "", "_fast")
	gpu := native.SharedLib(t, "", "_kern", "libcuda.so.1")
	py := []byte("x = 1\n")
	var files []testfixtures.File
	for _, p := range []string{"pkgx/__init__.py", "tests/__init__.py", "test/t.py", "docs/conf.py", "doc/x.py",
		"examples/e.py", "benchmarks/b.py", "conftest.py", "setup.py", "_private/__init__.py", "_helper.py",
		"gpu/__init__.py"} {
		files = append(files, testfixtures.File{Path: p, Data: py})
	}
	files = append(files,
		testfixtures.File{Path: "_fast.cpython-311-x86_64-linux-gnu.so", Data: ext, Mode: 0o755},
		testfixtures.File{Path: "gpu/_kern.cpython-311-x86_64-linux-gnu.so", Data: gpu, Mode: 0o755})
	wr := inspectOne(t, writeWheel(t, testfixtures.Wheel{Name: "pkgx", Version: "1.0", Files: files}), WithSystem(HostSystem()))
	if want := []string{"_fast", "pkgx"}; !equal(wr.TopLevelModules, want) {
		t.Errorf("modules %v, want %v", wr.TopLevelModules, want)
	}
	if !equal(wr.Driver, []string{"libcuda.so.1"}) {
		t.Errorf("driver %v: the fixture must need libcuda.so.1", wr.Driver)
	}
}

// TestImportsCheckPrefersTopLevelTxt: top_level.txt names the modules when
// the wheel has one; a listed name the wheel does not install, and the
// excluded names, are still left out.
func TestImportsCheckPrefersTopLevelTxt(t *testing.T) {
	py := []byte("x = 1\n")
	w := testfixtures.Wheel{Name: "pkgy", Version: "2.0", Files: []testfixtures.File{
		{Path: "pkgy/__init__.py", Data: py},
		{Path: "vendored_helper/__init__.py", Data: py}, // installed, not a top-level module of its own
		{Path: "tests/__init__.py", Data: py},
		{Path: "pkgy-2.0.dist-info/top_level.txt", Data: []byte("pkgy\ntests\ngone\n\n")},
	}}
	// Enough modules that the facts cache keeps the wheel's entry.
	for i := range maxUncachedEntries {
		w.Files = append(w.Files, testfixtures.File{Path: fmt.Sprintf("pkgy/m%d.py", i), Data: py})
	}
	file := writeWheel(t, w)
	if got, want := inspectOne(t, file).TopLevelModules, []string{"pkgy"}; !equal(got, want) {
		t.Errorf("modules %v, want %v", got, want)
	}
	// The same through the facts cache, cold and then warm.
	dir := t.TempDir()
	cache := DirFactsCache(dir)
	sum := sha256Of(t, file)
	for i := range 2 {
		rep, err := inspectCached(t, file, sum, cache)
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Wheels[0].TopLevelModules; !equal(got, []string{"pkgy"}) {
			t.Errorf("pass %d through the cache: modules %v", i, got)
		}
		if _, err := os.Stat(filepath.Join(dir, factsFormat, sum+".json")); err != nil {
			t.Fatalf("pass %d: no cache entry: %v", i, err)
		}
	}
}

// TestLoadsDriverByName: CUDA's runtime libraries load libcuda.so.1 with
// dlopen, so nothing in DT_NEEDED says they need the driver; they are
// recognised by name (also under auditwheel's hashed names), and nothing
// else is.
func TestLoadsDriverByName(t *testing.T) {
	lib := native.SharedLib(t, "", "")
	wr := inspectOne(t, writeWheel(t, testfixtures.Wheel{Name: "nvidia-cuda-runtime-cu12", Version: "12.4.127", Files: []testfixtures.File{
		{Path: "nvidia/__init__.py", Data: []byte("")},
		{Path: "nvidia/cuda_runtime/lib/libcudart.so.12", Data: lib, Mode: 0o755},
		{Path: "nvidia/cuda_runtime/lib/libnvrtc-5e5f1c.so.12", Data: lib, Mode: 0o755},
		{Path: "nvidia/cuda_runtime/lib/libcudartist.so.1", Data: lib, Mode: 0o755},
		{Path: "nvidia/cuda_runtime/lib/libother.so.1", Data: lib, Mode: 0o755},
	}}), WithSystem(HostSystem()))
	want := []string{"nvidia/cuda_runtime/lib/libcudart.so.12", "nvidia/cuda_runtime/lib/libnvrtc-5e5f1c.so.12"}
	if !equal(wr.LoadsDriver, want) {
		t.Errorf("loads the driver: %v, want %v", wr.LoadsDriver, want)
	}
}
