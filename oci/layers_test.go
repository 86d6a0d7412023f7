package oci

import (
	"reflect"
	"testing"
)

func TestPlanLayersChangeOnePackage(t *testing.T) {
	mk := func(pkg string) Closure {
		return Closure{Root: "/nix/store/env-" + pkg, Paths: []StorePath{
			{Path: "/nix/store/glibc"},
			{Path: "/nix/store/python", References: []string{"/nix/store/glibc"}},
			{Path: "/nix/store/numpy", References: []string{"/nix/store/python"}},
			{Path: "/nix/store/" + pkg, References: []string{"/nix/store/python"}},
			{Path: "/nix/store/env-" + pkg, References: []string{"/nix/store/numpy", "/nix/store/" + pkg}},
		}}
	}
	a, err := PlanLayers(mk("six-1"), 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := PlanLayers(mk("six-2"), 3)
	if err != nil {
		t.Fatal(err)
	}
	// glibc is reached by all 5 paths, python by 4: they must get their own
	// stable layers, identical across the two closures.
	want := [][]string{{"/nix/store/glibc"}, {"/nix/store/python"}}
	if !reflect.DeepEqual(a[:2], want) || !reflect.DeepEqual(b[:2], want) {
		t.Fatalf("stable layers differ: %v / %v", a, b)
	}
	if len(a) != 3 || reflect.DeepEqual(a[2], b[2]) {
		t.Fatalf("last layer should hold the changed package and root: %v / %v", a, b)
	}
	if _, err := PlanLayers(mk("x"), HardMaxLayers+1); err == nil {
		t.Fatal("want error above the hard cap")
	}
}
