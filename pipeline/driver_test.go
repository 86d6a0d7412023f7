package pipeline

import (
	"slices"
	"testing"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/resolve"
)

// TestImageConfigFindsTheDriverOnlyWhenNeeded: an environment whose wheels
// need the GPU driver gets the NVIDIA container toolkit's variables (all
// devices, compute and utility libraries mounted) and a library path with
// the NixOS driver directory and the toolkit's mount directories; one
// that does not need it gets none of them, and the user's --env wins.
func TestImageConfigFindsTheDriverOnlyWhenNeeded(t *testing.T) {
	top := t.TempDir()
	plain, err := imageConfig(top, ImageSpec{System: "x86_64-linux"})
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Env) != 1 {
		t.Errorf("an environment without the driver has env %v, want only PATH", plain.Env)
	}
	gpu, err := imageConfig(top, ImageSpec{System: "x86_64-linux", NeedsDriver: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range []string{"NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
		"LD_LIBRARY_PATH=/run/opengl-driver/lib:/usr/lib/x86_64-linux-gnu:/usr/lib64"} {
		if !slices.Contains(gpu.Env, kv) {
			t.Errorf("env %v lacks %s", gpu.Env, kv)
		}
	}
	mine, err := imageConfig(top, ImageSpec{System: "aarch64-linux", NeedsDriver: true, Env: []string{"NVIDIA_VISIBLE_DEVICES=0"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(mine.Env, "NVIDIA_VISIBLE_DEVICES=0") || slices.Contains(mine.Env, "NVIDIA_VISIBLE_DEVICES=all") {
		t.Errorf("the user's --env does not win: %v", mine.Env)
	}
	if !slices.Contains(mine.Env, "LD_LIBRARY_PATH=/run/opengl-driver/lib:/usr/lib/aarch64-linux-gnu:/usr/lib64") {
		t.Errorf("aarch64 library path: %v", mine.Env)
	}
}

// docker learns from the prepared lock whether its image needs the
// driver: a wheel that links it or loads it by name does, others do not.
func TestPreparedNeedsDriver(t *testing.T) {
	for name, c := range map[string]struct {
		wheel autopatch.WheelReport
		want  bool
	}{
		"links the driver": {autopatch.WheelReport{Name: "a", Driver: []string{"libcuda.so.1"}}, true},
		"loads it":         {autopatch.WheelReport{Name: "b", LoadsDriver: []string{"b/libcudart.so.12"}}, true},
		"plain":            {autopatch.WheelReport{Name: "c", NixInputs: []string{"zlib"}}, false},
	} {
		p := &Prepared{Report: &autopatch.NativeReport{Wheels: []autopatch.WheelReport{{Name: "other"}, c.wheel}}}
		if got := p.NeedsDriver(); got != c.want {
			t.Errorf("%s: NeedsDriver = %v, want %v", name, got, c.want)
		}
	}
}

// TestLockNeedsDriver: an up-to-date docker build answers from the lock's
// native inputs; a wheel that was never inspected leaves the answer to
// Prepare, and packages that are not wheels never need inspecting.
func TestLockNeedsDriver(t *testing.T) {
	wheel := func(name string, n *resolve.Native) resolve.Package {
		return resolve.Package{Name: name, Provider: resolve.ProviderWheel, Native: n}
	}
	nix := resolve.Package{Name: "numpy", Provider: resolve.ProviderNixpkgs}
	for _, c := range []struct {
		name         string
		pkgs         []resolve.Package
		needs, known bool
	}{
		{"no wheels", []resolve.Package{nix}, false, true},
		{"plain wheels", []resolve.Package{nix, wheel("a", &resolve.Native{}), wheel("b", &resolve.Native{BuildInputs: []string{"zlib"}})}, false, true},
		{"a driver-linked wheel", []resolve.Package{wheel("a", &resolve.Native{}), wheel("torch", &resolve.Native{DriverRunpath: true})}, true, true},
		{"an uninspected wheel", []resolve.Package{wheel("torch", &resolve.Native{DriverRunpath: true}), wheel("b", nil)}, false, false},
	} {
		needs, known := LockNeedsDriver(&resolve.Lock{Packages: c.pkgs})
		if needs != c.needs || known != c.known {
			t.Errorf("%s: LockNeedsDriver = %v, %v; want %v, %v", c.name, needs, known, c.needs, c.known)
		}
	}
}
