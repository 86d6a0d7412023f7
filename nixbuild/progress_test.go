package nixbuild

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/machnix/machnix/testfixtures"
)

// Two derivations, one depending on the other, built for real: progress
// counts both, names each while it builds, and the text log keeps what the
// builders printed.
func TestBuildReportsProgressFromStructuredLog(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build")
	token := fmt.Sprintf("%d", time.Now().UnixNano())
	expr := fmt.Sprintf(`let
  mk = name: deps: derivation {
    inherit name deps;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo builder of ${name} says hello; /bin/mkdir $out" ];
  };
  a = mk "machnix-progress-a-%[1]s" [ ];
in mk "machnix-progress-b-%[1]s" [ a ]
`, token)
	path := filepath.Join(t.TempDir(), "default.nix")
	if err := os.WriteFile(path, []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	var updates []Progress
	out, err := Build(context.Background(), path, WithLog(&log), WithOption("substituters", ""),
		WithProgress(func(p Progress) { updates = append(updates, p) }))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out, "-machnix-progress-b-"+token) {
		t.Errorf("built %s", out)
	}
	if len(updates) == 0 {
		t.Fatal("no progress was reported")
	}
	last := updates[len(updates)-1]
	if last.Done != 2 || last.Expected != 2 || last.Running != 0 || len(last.Building) != 0 {
		t.Errorf("last progress %+v, want 2 of 2 done and nothing building", last)
	}
	seen := map[string]bool{}
	for _, u := range updates {
		for _, b := range u.Building {
			seen[b] = true
		}
		if !slices.IsSorted(u.Building) {
			t.Errorf("building list not sorted: %v", u.Building)
		}
	}
	for _, name := range []string{"machnix-progress-a-" + token, "machnix-progress-b-" + token} {
		if !seen[name] {
			t.Errorf("progress never named %s as building; saw %v", name, seen)
		}
		if !strings.Contains(log.String(), "builder of "+name+" says hello") {
			t.Errorf("the text log lacks the builder's line for %s:\n%s", name, log.String())
		}
	}
	if strings.Contains(log.String(), "@nix ") || strings.Contains(log.String(), "\x1b[") {
		t.Errorf("the text log has raw structured lines or colour codes:\n%s", log.String())
	}
}

// A Nix that wants build users nobody created (Debian's nix-bin, run by
// root, before any nix.conf exists) fails every build; the error says how
// to set Nix up instead of leaving the user with Nix's own line.
func TestBuildDiagnosesMissingBuildUsersGroup(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build")
	if os.Getuid() != 0 {
		t.Skip("only root builds without a daemon; a daemon ignores a client's build-users-group")
	}
	group := fmt.Sprintf("machnix-no-such-group-%d", time.Now().UnixNano())
	expr := fmt.Sprintf(`derivation {
  name = "machnix-build-users-%s";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "/bin/mkdir $out" ];
}
`, group)
	path := filepath.Join(t.TempDir(), "default.nix")
	if err := os.WriteFile(path, []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), path, WithOption("build-users-group", group), WithOption("substituters", ""))
	if err == nil {
		t.Fatal("the build succeeded without its build users group")
	}
	for _, want := range []string{"diagnosis: Nix is not set up to build as root", fmt.Sprintf("%q", group), "build-users-group ="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// The structured log of a remote build and of substitutions, as Nix 2.8
// writes it: each build names its machine without the URL's query or
// credentials, substitutions are counted, and refused substitutes are
// kept by cache.
func TestProgressOfRemoteBuildsAndSubstitutes(t *testing.T) {
	var last Progress
	l := newJSONLog(io.Discard, func(p Progress) { last = p })
	for _, line := range []string{
		`@nix {"action":"start","id":1,"type":104}`,
		`@nix {"action":"start","fields":["/nix/store/aaaa-numpy-2.1.0.drv","ssh://ci:hunter2@big1?remote-store=/x&ssh-key=/k",1,1],"id":2,"text":"building","type":105}`,
		`@nix {"action":"start","fields":["/nix/store/bbbb-python3-env.drv","",1,1],"id":3,"text":"building","type":105}`,
		`@nix {"action":"start","fields":["/nix/store/cccc-zlib","https://cache.example.org"],"id":4,"type":108}`,
		`@nix {"action":"start","fields":["/nix/store/dddd-glibc","https://cache.example.org"],"id":5,"type":108}`,
		`@nix {"action":"msg","level":1,"msg":"\u001b[35;1mwarning:\u001b[0m the substitute for '/nix/store/eeee-x' from 'file:///c' is not signed by any of the keys in 'trusted-public-keys'"}`,
		`@nix {"action":"msg","level":1,"msg":"warning: substituter 'file:///c' does not have a valid signature for path '/nix/store/ffff-y'"}`,
	} {
		l.line(line)
	}
	if len(last.Building) != 2 || last.Building[0] != "numpy-2.1.0 on ssh://big1" || last.Building[1] != "python3-env" {
		t.Errorf("building %q", last.Building)
	}
	if strings.Contains(strings.Join(last.Building, " "), "hunter2") || strings.Contains(strings.Join(last.Building, " "), "remote-store") {
		t.Errorf("building shows credentials or store settings: %q", last.Building)
	}
	if last.Remote["ssh://big1"] != 1 || len(last.Remote) != 1 {
		t.Errorf("remote %v, want 1 on ssh://big1", last.Remote)
	}
	if last.Substituted != 2 {
		t.Errorf("substituted %d, want 2", last.Substituted)
	}
	l.line(`@nix {"action":"stop","id":2}`)
	if got := last.Unsigned["file:///c"]; len(got) != 2 || got[0] != "/nix/store/eeee-x" || got[1] != "/nix/store/ffff-y" {
		t.Errorf("unsigned %v", last.Unsigned)
	}
}
