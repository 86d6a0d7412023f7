package autopatch

import (
	"testing"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
)

// TestBundledAnywhereInTheWheel: auto-patchelf puts every library of the
// package's own output on its search path (populate_cache over the paths
// it patches, recursively, keyed by file name), so a needed library that
// any ELF file of the wheel provides under that file name is bundled,
// wherever it sits and whatever RPATH says: nested <pkg>/.libs/, another
// package directory, and bundled libraries that need each other without
// any RPATH, as old auditwheel wheels have them. A library whose file
// name is not the needed name is not found that way (auto-patchelf keys
// its cache by file name, and the loader opens files by that name too),
// even when its DT_SONAME is the needed name.
func TestBundledAnywhereInTheWheel(t *testing.T) {
	libB := native.SharedLib(t, "libb.so.2", "")
	libA := native.SharedLib(t, "liba.so.1", "", "libb.so.2")
	libC := native.SharedLib(t, "libc-helper.so.3", "")
	libD := native.SharedLib(t, "libd.so.4", "")
	ext := native.SharedLib(t, "", "_core", "liba.so.1", "libc-helper.so.3", "libd.so.4")
	wr := inspectOne(t, writeWheel(t, testfixtures.Wheel{Name: "oldaw", Version: "1.0", Files: []testfixtures.File{
		{Path: "oldaw/__init__.py", Data: []byte("")},
		{Path: "oldaw/_core.cpython-311-x86_64-linux-gnu.so", Data: ext, Mode: 0o755},
		{Path: "oldaw/.libs/liba.so.1", Data: libA, Mode: 0o755},
		{Path: "oldaw/.libs/libb.so.2", Data: libB, Mode: 0o755},
		{Path: "oldaw_support/lib/libc-helper.so.3", Data: libC, Mode: 0o755},
		// The file name is not the soname: nothing finds it as libd.so.4.
		{Path: "oldaw/.libs/libd-1234abcd.so.4", Data: libD, Mode: 0o755},
	}}), WithSystem(HostSystem()))
	want := map[string]Dep{
		"liba.so.1":        {Soname: "liba.so.1", Status: StatusBundled, Provider: "oldaw/.libs/liba.so.1"},
		"libb.so.2":        {Soname: "libb.so.2", Status: StatusBundled, Provider: "oldaw/.libs/libb.so.2"},
		"libc-helper.so.3": {Soname: "libc-helper.so.3", Status: StatusBundled, Provider: "oldaw_support/lib/libc-helper.so.3"},
		"libd.so.4":        {Soname: "libd.so.4", Status: StatusMissing},
	}
	got := deps(wr)
	for so, d := range want {
		if got[so] != d {
			t.Errorf("%s → %+v, want %+v", so, got[so], d)
		}
	}
	if !equal(wr.Missing, []string{"libd.so.4"}) {
		t.Errorf("missing %v, want only libd.so.4", wr.Missing)
	}
}
