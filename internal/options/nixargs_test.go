package options

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// A root with a subcommand taking the Nix flags, a value flag (--cmd) and
// a shorthand value flag (-I), as build and docker do.
func nixRoot() (*cobra.Command, *Nix) {
	root := &cobra.Command{Use: "machnix"}
	root.PersistentFlags().String("config", "", "")
	var n Nix
	var cmdArgs []string
	build := &cobra.Command{Use: "build", RunE: func(*cobra.Command, []string) error { return nil }}
	AddNixFlags(build, &n)
	stringArrayVar(build.Flags(), &cmdArgs, "cmd", nil, "")
	build.Flags().Bool("offline", false, "")
	root.AddCommand(build)
	return root, &n
}

func TestJoinNixPairsTakesTwoWordsAndOneWord(t *testing.T) {
	root, _ := nixRoot()
	in := []string{"build", "--arg", "pkgs", "import ./np { }", "--argstr", "who", "a=b",
		"--option", "substituters", "", "--option", "cores=4", "--arg=x=1",
		"--cmd", "--arg", "-I", "--option", "--offline", "--config", "--arg", "--", "--arg", "y", "z"}
	got, err := JoinNixPairs(root, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"build", "--arg", "pkgs=import ./np { }", "--argstr", "who=a=b",
		"--option", "substituters=", "--option", "cores=4", "--arg=x=1",
		"--cmd", "--arg", "-I", "--option", "--offline", "--config", "--arg", "--", "--arg", "y", "z"}
	if !slices.Equal(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestNixPairsReachNixOptions(t *testing.T) {
	root, n := nixRoot()
	args, err := JoinNixPairs(root, []string{"build", "--arg", "pkgs", "import ./np { }", "--argstr", "who", "a=b",
		"--option", "substituters", "", "--option", "cores=4", "--show-trace"})
	if err != nil {
		t.Fatal(err)
	}
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	opts, err := n.NixOptions()
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]string{{"pkgs", "import ./np { }"}}; !slices.Equal(opts.Args, want) {
		t.Errorf("args %q, want %q", opts.Args, want)
	}
	if want := [][2]string{{"who", "a=b"}}; !slices.Equal(opts.ArgStrs, want) {
		t.Errorf("argstrs %q, want %q", opts.ArgStrs, want)
	}
	if want := [][2]string{{"substituters", ""}, {"cores", "4"}}; !slices.Equal(opts.Options, want) {
		t.Errorf("options %q, want %q", opts.Options, want)
	}
	if !opts.ShowTrace {
		t.Error("--show-trace was lost")
	}
}

func TestNixPairsRefuseBadNames(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"build", "--arg", "pkgs"}, []string{"--arg pkgs", "no EXPR follows"}},
		{[]string{"build", "--argstr", "1x", "v"}, []string{"--argstr \"1x\"", "NAME VALUE", "Nix identifier"}},
		{[]string{"build", "--option", "=x", "v"}, []string{"--option \"=x\"", "Nix setting"}},
	} {
		root, _ := nixRoot()
		_, err := JoinNixPairs(root, tc.args)
		if err == nil {
			t.Errorf("%q: no error", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", tc.args, err, w)
			}
		}
	}
	// --arg=VALUE without a NAME= reaches the flag as one word: refused
	// when converted.
	n := &Nix{Args: []string{"pkgs"}}
	if _, err := n.NixOptions(); err == nil || !strings.Contains(err.Error(), `--arg "pkgs"`) {
		t.Errorf("--arg=pkgs: %v", err)
	}
}
