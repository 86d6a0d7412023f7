package autopatch

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
	"github.com/ulikunitz/xz"
)

// These tests reproduce the upstream expectations listed in
// ../shared/wheels/INDEX.md, and cross-check the parser with readelf.

func sharedWheel(t *testing.T, name string) string {
	return testfixtures.SharedDir(t, "wheels", name)
}

func TestSharedCffiExternalLibs(t *testing.T) {
	file := sharedWheel(t, "cffi-1.5.0-cp27-none-linux_x86_64.whl")
	wr := inspectOne(t, file)
	crossCheckReadelf(t, wr)
	if got := external(wr); !equal(got, []string{"libffi.so.5", "libpython2.7.so.1.0"}) {
		t.Errorf("external libs %v, upstream expects exactly libffi.so.5 and libpython2.7.so.1.0", got)
	}
	if d := deps(wr)["libffi.so.5"]; d.Status != StatusMissing {
		t.Errorf("without support/ libffi.so.5 is %v, want missing", d)
	}
	if e := wr.ELFs[0]; !equal(e.RPath, []string{"/opt/2.7.11/lib"}) || e.VersionNeeds["GLIBC"] != "2.3" || !e.PythonExtension {
		t.Errorf("rpath %v, GLIBC %s, python extension %v; readelf: /opt/2.7.11/lib, 2.3, init_cffi_backend", e.RPath, e.VersionNeeds["GLIBC"], e.PythonExtension)
	}
	support := testfixtures.SharedDir(t, "wheels", "support")
	wr = inspectOne(t, file, WithLibPath(support))
	if d := deps(wr)["libffi.so.5"]; d.Status != StatusLibPath || d.Provider != filepath.Join(support, "libffi.so.5") {
		t.Errorf("with support/ on the lib path libffi.so.5 is %+v", d)
	}
	if len(wr.Missing) != 0 {
		t.Errorf("missing %v with support/ on the lib path", wr.Missing)
	}
}

func TestSharedSnappyPyPy(t *testing.T) {
	wr := inspectOne(t, sharedWheel(t, "python_snappy-0.5.2-pp260-pypy_41-linux_x86_64.whl"))
	crossCheckReadelf(t, wr)
	if got := external(wr); !equal(got, []string{"libsnappy.so.1"}) {
		t.Errorf("external libs %v, upstream expects exactly libsnappy.so.1", got)
	}
	if !wr.ELFs[0].PythonExtension {
		t.Error("a _cffi_pypyinit_ module is a Python extension")
	}
	if d := deps(wr)["libsnappy.so.1"]; d.Status != StatusNixpkgs || d.Provider != "snappy" {
		t.Errorf("libsnappy.so.1 → %+v, want nixpkgs snappy", d)
	}
}

func TestSharedFpewheelPolicy(t *testing.T) {
	wr := inspectOne(t, sharedWheel(t, "fpewheel-0.0.0-cp35-cp35m-linux_x86_64.whl"))
	crossCheckReadelf(t, wr)
	if wr.Manylinux != "manylinux_2_5" || wr.ELFs[0].VersionNeeds["GLIBC"] != "2.4" {
		t.Errorf("policy %s, GLIBC %s; upstream: manylinux_2_5, readelf: 2.4", wr.Manylinux, wr.ELFs[0].VersionNeeds["GLIBC"])
	}
}

func TestSharedTestzlibPolicy(t *testing.T) {
	wr := inspectOne(t, sharedWheel(t, "testzlib-0.0.1-cp310-cp310-linux_x86_64.whl"))
	crossCheckReadelf(t, wr)
	if wr.Manylinux != "manylinux_2_12" || wr.ELFs[0].VersionNeeds["ZLIB"] != "1.2.0" {
		t.Errorf("policy %s, ZLIB %s; upstream: manylinux_2_12, readelf: ZLIB_1.2.0", wr.Manylinux, wr.ELFs[0].VersionNeeds["ZLIB"])
	}
}

func TestSharedMsclAarch64(t *testing.T) {
	file := sharedWheel(t, "python_mscl-67.0.1.0-cp313-cp313-manylinux2014_aarch64.whl")
	wr := inspectOne(t, file)
	if wr.NotForTarget == "" || len(wr.NixInputs) != 0 {
		t.Errorf("an aarch64 wheel on x86_64: not_for_target %q, nix inputs %v; want set and none", wr.NotForTarget, wr.NixInputs)
	}
	wr = inspectOne(t, file, WithSystem("aarch64-linux"))
	crossCheckReadelf(t, wr)
	e := wr.ELFs[0]
	if e.Machine != "aarch64" || e.VersionNeeds["GLIBC"] != "2.29" || e.VersionNeeds["GLIBCXX"] != "3.4.22" || e.VersionNeeds["CXXABI"] != "1.3.9" {
		t.Errorf("machine %s needs %v; readelf: aarch64, GLIBC 2.29, GLIBCXX 3.4.22, CXXABI 1.3.9", e.Machine, e.VersionNeeds)
	}
	if wr.Manylinux != "manylinux_2_31" || wr.ClaimedManylinux != "manylinux_2_17" || !wr.ManylinuxNeedsMore() {
		t.Errorf("policy %s claimed %s; upstream: needs manylinux_2_31 although named manylinux2014", wr.Manylinux, wr.ClaimedManylinux)
	}
}

func TestSharedAndroidSpam(t *testing.T) {
	file := sharedWheel(t, "spam-0.1.0-cp313-cp313-android_24_arm64_v8a.whl")
	wr := inspectOne(t, file, WithLibPath(testfixtures.SharedDir(t, "wheels", "support", "android-ldpaths", "arg")))
	crossCheckReadelf(t, wr)
	if wr.NotForTarget == "" || len(wr.NixInputs) != 0 {
		t.Errorf("Android wheel: not_for_target %q, nix inputs %v", wr.NotForTarget, wr.NixInputs)
	}
	var libPathed []string
	for _, d := range deps(wr) {
		if d.Status == StatusLibPath {
			libPathed = append(libPathed, d.Soname)
		}
	}
	if !equal(libPathed, []string{"libc++_shared.so"}) || len(wr.Missing) != 0 {
		t.Errorf("found on the lib path %v, missing %v; upstream: the only external lib is libc++_shared.so", libPathed, wr.Missing)
	}
}

func TestSharedGepettoDataDir(t *testing.T) {
	file := sharedWheel(t, "gepetto_example_adder-3.0.2-cp39-cp39-linux_x86_64.whl")
	wr := inspectOne(t, file)
	crossCheckReadelf(t, wr)
	if !equal(wr.Missing, []string{"libboost_python39.so.1.72.0", "libexample-adder.so.3.0.2-6-gd319"}) {
		t.Errorf("missing %v without the support libs", wr.Missing)
	}
	// Decompress the two support/*.xz libraries, as upstream's test does.
	dir := t.TempDir()
	for _, name := range []string{"libboost_python39.so.1.72.0", "libexample-adder.so.3.0.2-6-gd319"} {
		in, err := os.Open(testfixtures.SharedDir(t, "wheels", "support", name+".xz"))
		if err != nil {
			t.Fatal(err)
		}
		xr, err := xz.NewReader(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, xr); err != nil {
			t.Fatal(err)
		}
		out.Close()
		in.Close()
	}
	wr = inspectOne(t, file, WithLibPath(dir))
	if len(wr.Missing) != 0 || wr.NotForTarget != "" {
		t.Errorf("with the support libs: missing %v, not for target %q; upstream: consistent with linux_x86_64", wr.Missing, wr.NotForTarget)
	}
	for _, e := range wr.ELFs {
		if len(e.RPath) != 0 || len(e.RunPath) != 0 {
			t.Errorf("%s: readelf shows no RPATH, got %v %v", e.Path, e.RPath, e.RunPath)
		}
	}
}

func TestSharedRepairwheel(t *testing.T) {
	for _, libc := range []string{"glibc", "musl"} {
		t.Run(libc, func(t *testing.T) {
			dir := testfixtures.SharedDir(t, "wheels", "repairwheel-"+libc)
			file := filepath.Join(dir, "testwheel-0.0.1-cp36-abi3-linux_x86_64.whl")
			// repairwheel's test wheel has a RECORD whose hashes are
			// Python bytes reprs (sha256=b'...'): strict verification must
			// refuse it, naming the file; without verification it reads.
			_, err := Inspect(context.Background(), []string{file}, WithNixLocate(false))
			if !errors.Is(err, ErrRecordMismatch) || !strings.Contains(err.Error(), file) {
				t.Errorf("verifying its malformed RECORD: %v, want ErrRecordMismatch naming the file", err)
			}
			wr := inspectOne(t, file, WithLibPath(dir), WithVerifyRecord(false))
			crossCheckReadelf(t, wr)
			paths := map[string]bool{}
			for _, e := range wr.ELFs {
				paths[e.Path] = true
			}
			if (libc == "glibc" && !paths["testwheel-0.0.1.data/scripts/app"]) || !paths["testwheel/testwheel.abi3.so"] {
				t.Errorf("ELF files %v; want the .data/scripts executable and the extension", paths)
			}
			if d := deps(wr)["libtestdep.so"]; d.Status != StatusLibPath {
				t.Errorf("libtestdep.so next to the wheel → %+v", d)
			}
			if (libc == "musl") != (wr.NotForTarget != "") {
				t.Errorf("not_for_target %q for the %s build", wr.NotForTarget, libc)
			}
		})
	}
}
