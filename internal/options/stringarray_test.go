package options

import (
	"slices"
	"testing"

	"github.com/spf13/pflag"
)

func TestStringArrayFlagKeepsPflagSemantics(t *testing.T) {
	var got []string
	f := pflag.NewFlagSet("t", pflag.ContinueOnError)
	stringArrayVarP(f, &got, "req", "r", nil, "")
	if err := f.Parse([]string{"-r", "a,b", "--req=c", "-r", ""}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a,b", "c", ""}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	fl := f.Lookup("req")
	if fl.DefValue != "" || fl.Value.Type() != "stringArray" {
		t.Fatalf("default %q, type %q", fl.DefValue, fl.Value.Type())
	}
	if _, ok := fl.Value.(pflag.SliceValue); !ok {
		t.Fatal("not a pflag.SliceValue: completion would offer the flag once")
	}
}
