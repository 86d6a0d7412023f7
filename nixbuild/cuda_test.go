package nixbuild

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
)

// cudaWheel writes a wheel of gcc-built libraries: each file name in libs
// becomes a shared library with that soname, linking the sonames in needs
// (stub libraries, so they are DT_NEEDED entries only).
func cudaWheel(t *testing.T, name string, libs []string, needs ...string) string {
	t.Helper()
	files := []testfixtures.File{{Path: "nvidia/__init__.py", Data: []byte("")}}
	for _, l := range libs {
		files = append(files, testfixtures.File{Path: "nvidia/" + name + "/lib/" + l, Data: native.SharedLib(t, l, "", needs...), Mode: 0o755})
	}
	out := t.TempDir()
	whl, err := testfixtures.WriteWheel(out, testfixtures.Wheel{Name: "nvidia-" + name + "-cu12", Version: "12.4.127",
		Tags: []string{"py3-none-manylinux2014_" + native.Arch()}, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	return whl
}

// TestDriverLoadingLibrariesGetTheDriverRunpath: libcudart loads the
// driver with dlopen and links nothing of it, yet it needs the driver's
// directory in its RUNPATH: the wheel gets autoAddDriverRunpath, and the
// built library has /run/opengl-driver/lib in its RUNPATH.
func TestDriverLoadingLibrariesGetTheDriverRunpath(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf", "readelf")
	whl := cudaWheel(t, "cuda_runtime", []string{"libcudart.so.12"})
	lock, report := wheelLock(t, whl)
	expr, err := Generate(lock, report)
	if err != nil {
		t.Fatal(err)
	}
	if annotated, err := Annotate(lock, report); err != nil || !annotated.Packages[0].Native.DriverRunpath {
		t.Errorf("the lock does not record the driver runpath for a wheel shipping libcudart: %v", err)
	}
	env := nixBuildFixture(t, expr, lock, report, []string{whl})
	dir, err := exec.Command("env", "-i", env+"/bin/python", "-c", "import nvidia, os; print(os.path.dirname(nvidia.__file__))").Output()
	if err != nil {
		t.Fatalf("finding the nvidia package: %v", err)
	}
	lib := filepath.Join(strings.TrimSpace(string(dir)), "cuda_runtime", "lib", "libcudart.so.12")
	out, err := exec.Command("readelf", "-d", "-W", lib).CombinedOutput()
	if err != nil {
		t.Fatalf("readelf: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "/run/opengl-driver/lib") {
		t.Errorf("the built libcudart has no driver runpath:\n%s", out)
	}
}
