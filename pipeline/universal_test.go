package pipeline

import (
	"errors"
	"testing"

	"github.com/machnix/machnix/resolve"
)

// --universal crosses every --system with every --python, defaults to
// both systems, and checks each target; without it several values are an
// error, not a silent pick of the first.
func TestUniversalTargets(t *testing.T) {
	base := Inputs{Target: resolve.Target{Python: "3.12", System: "x86_64-linux", Glibc: "2.28"}}
	in := base
	in.Universal = true
	got, err := universalTargets(in)
	if err != nil || len(got) != 2 || got[0].System != "x86_64-linux" || got[1].System != "aarch64-linux" || got[1].Python != "3.12" || got[1].Glibc != "2.28" {
		t.Fatalf("defaults: %+v %v", got, err)
	}
	in.Pythons, in.Systems = []string{"3.12", "3.13"}, []string{"aarch64-linux"}
	if got, err = universalTargets(in); err != nil || len(got) != 2 || got[1].Key() != "aarch64-linux/3.13" {
		t.Fatalf("crossed: %+v %v", got, err)
	}
	in.Systems = []string{"aarch64-linux", `x86_64-linux"; x = "`}
	if _, err = universalTargets(in); !errors.Is(err, resolve.ErrBadTarget) {
		t.Errorf("a hostile system: %v", err)
	}
	in.Systems, in.Pythons = nil, []string{"2.7"}
	if _, err = universalTargets(in); !errors.Is(err, resolve.ErrBadTarget) {
		t.Errorf("python 2.7: %v", err)
	}
	single := base
	single.Systems = []string{"x86_64-linux", "aarch64-linux"}
	if _, err = universalTargets(single); err == nil {
		t.Errorf("two systems without --universal were accepted")
	}
}
