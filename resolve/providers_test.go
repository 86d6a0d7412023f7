package resolve

import (
	"errors"
	"fmt"
	"github.com/machnix/machnix/resolve/pep508"
	"testing"
)

func TestProviderPrefs(t *testing.T) {
	p, err := ParseProviderFlags([]string{"NumPy=sdist,nixpkgs", "_default=nixpkgs,wheel", "Foo.Bar=wheel"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(p.For("numpy")); got != "[sdist nixpkgs]" {
		t.Errorf("numpy: %s", got)
	}
	if got := fmt.Sprint(p.For("foo_bar")); got != "[wheel]" {
		t.Errorf("foo_bar: %s", got)
	}
	if got := fmt.Sprint(p.For("other")); got != "[nixpkgs wheel]" {
		t.Errorf("default: %s", got)
	}
	if got := fmt.Sprint(ProviderPrefs{}.For("x")); got != "[wheel sdist nixpkgs]" {
		t.Errorf("built-in default: %s", got)
	}
	for _, bad := range []string{"numpy", "=wheel", "numpy=conda", "numpy=wheel,wheel", "numpy="} {
		if _, err := ParseProviderFlags([]string{bad}); !errors.Is(err, ErrBadProvider) {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{"Foo.Bar": "foo-bar", "a__b--c": "a-b-c", "Django": "django", "zope.interface": "zope-interface"} {
		if got := pep508.NormalizeName(in); got != want {
			t.Errorf("%s: %s want %s", in, got, want)
		}
	}
}
