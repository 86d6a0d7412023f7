package reqfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var hexA = strings.Repeat("a", 64)
var hexB = strings.Repeat("B", 64)

func env(kv map[string]string) Option {
	return WithGetenv(func(k string) string { return kv[k] })
}

func TestParseFull(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "wheels/.keep", "")
	write(t, dir, "sub/base.txt", "# base\n-c ../constraints.txt\nsix>=1.16 # trailing comment\n")
	write(t, dir, "constraints.txt", "urllib3<3\n-r more-constraints.txt\n")
	write(t, dir, "more-constraints.txt", "idna==3.7\n")
	top := write(t, dir, "requirements.txt", strings.Join([]string{
		"--index-url https://pypi.example/simple", // 1
		"--extra-index-url=https://extra.example/simple",
		"-f wheels",
		"--find-links https://links.example/",
		"-r sub/base.txt", // 5
		`requests[socks,Security] >= 2.31, <3 ; python_version >= "3.8"`,
		"numpy \\",
		"  ==1.26.4",
		"",
		"mypkg @ https://files.example/${PKG_VERSION}/mypkg-1.0-py3-none-any.whl", // 10
		"https://files.example/other_pkg-2.0-py3-none-any.whl",
		"git+https://git.example/repo.git@v1#egg=fromgit",
		"./dist/local-0.1.tar.gz",
		"--only-binary :all:",
		"--no-binary=pyyaml,Cython", // 15
		"--pre",
		"unset==1.0 ; os_name == 'posix'  # ${NOT_EXPANDED_IN_COMMENTS}",
		"--trusted-host pypi.example --prefer-binary",
	}, "\n"))
	f, err := Parse(top, env(map[string]string{"PKG_VERSION": "v1"}))
	if err != nil {
		t.Fatal(err)
	}
	if f.IndexURL != "https://pypi.example/simple" || !slices.Equal(f.ExtraIndexURLs, []string{"https://extra.example/simple"}) {
		t.Errorf("indexes %q %v", f.IndexURL, f.ExtraIndexURLs)
	}
	if !slices.Equal(f.FindLinks, []string{filepath.Join(dir, "wheels"), "https://links.example/"}) {
		t.Errorf("find-links %v", f.FindLinks)
	}
	if !slices.Equal(f.OnlyBinary, []string{":all:"}) || !slices.Equal(f.NoBinary, []string{"cython", "pyyaml"}) || !f.Pre {
		t.Errorf("only %v no %v pre %v", f.OnlyBinary, f.NoBinary, f.Pre)
	}
	if f.RequireHashes || !slices.Equal(f.TrustedHosts, []string{"pypi.example"}) {
		t.Errorf("hash mode %v, trusted %v", f.RequireHashes, f.TrustedHosts)
	}
	base := filepath.Join(dir, "sub", "base.txt")
	type want struct {
		name, req, file string
		line            int
	}
	wants := []want{
		{"six", "six>=1.16", base, 3},
		{"requests", `requests[socks,Security] >= 2.31, <3 ; python_version >= "3.8"`, top, 6},
		{"numpy", "numpy   ==1.26.4", top, 7},
		{"mypkg", "mypkg @ https://files.example/v1/mypkg-1.0-py3-none-any.whl", top, 10},
		{"other-pkg", "other-pkg @ https://files.example/other_pkg-2.0-py3-none-any.whl", top, 11},
		{"fromgit", "fromgit @ git+https://git.example/repo.git@v1#egg=fromgit", top, 12},
		{"local", "local @ file://" + filepath.ToSlash(filepath.Join(dir, "dist", "local-0.1.tar.gz")), top, 13},
		{"unset", "unset==1.0 ; os_name == 'posix'", top, 17},
	}
	if len(f.Requirements) != len(wants) {
		t.Fatalf("%d requirements: %+v", len(f.Requirements), f.Requirements)
	}
	for i, w := range wants {
		e := f.Requirements[i]
		if e.Name() != w.name || e.Requirement != w.req || e.File != w.file || e.Line != w.line {
			t.Errorf("entry %d = %q %q %s:%d, want %+v", i, e.Name(), e.Requirement, e.File, e.Line, w)
		}
	}
	if got := f.Requirements[1].Parsed; !slices.Equal(got.Extras, []string{"security", "socks"}) || got.Specifiers.String() != "<3,>=2.31" || got.Marker == nil {
		t.Errorf("parsed requests: %+v", got)
	}
	var cons []string
	for _, e := range f.Constraints {
		cons = append(cons, e.Requirement+"@"+filepath.Base(e.File))
	}
	if !slices.Equal(cons, []string{"urllib3<3@constraints.txt", "idna==3.7@more-constraints.txt"}) {
		t.Errorf("constraints %v", cons)
	}
	if got := f.RequirementStrings(); len(got) != len(wants) || got[0] != "six>=1.16" {
		t.Errorf("RequirementStrings %v", got)
	}
	// The result is plain JSON.
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back File
	if err := json.Unmarshal(b, &back); err != nil || back.Requirements[1].Parsed.String() != f.Requirements[1].Parsed.String() {
		t.Errorf("JSON round trip: %v", err)
	}
}

func TestHashCheckingMode(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.txt", "numpy==1.26.4 --hash=sha256:"+hexA+" \\\n    --hash sha256:"+hexB+"\nsix===1.16.0 --hash=sha256:"+hexA+"\npkg @ https://h/pkg-1.0-py3-none-any.whl --hash=sha256:"+hexB+"\n-c cons.txt\n")
	write(t, dir, "cons.txt", "idna<4\n")
	f, err := Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	if !f.RequireHashes {
		t.Error("a --hash turns on hash-checking mode")
	}
	h := f.Hashes()
	if !slices.Equal(h["numpy"], []string{hexA, strings.ToLower(hexB)}) || !slices.Equal(h["six"], []string{hexA}) || len(h) != 3 {
		t.Errorf("Hashes() = %v", h)
	}
	for _, c := range []struct {
		content string
		line    int
		msg     string
	}{
		{"numpy==1.26.4 --hash=sha256:" + hexA + "\nsix==1.16.0\n", 2, "no --hash"},
		{"six==1.16.0\nnumpy==1.26.4 --hash=sha256:" + hexA + "\n", 1, "no --hash"},
		{"--require-hashes\nsix==1.16.0\n", 2, "no --hash"},
		{"numpy>=1.26 --hash=sha256:" + hexA + "\n", 1, "pinned with =="},
		{"numpy==1.* --hash=sha256:" + hexA + "\n", 1, "pinned with =="},
		{"\nnumpy==1 --hash=md5:abc\n", 2, "sha256"},
		{"numpy==1 --hash=sha256:abc\n", 1, "64 hex digits"},
		{"--hash=sha256:" + hexA + "\n", 1, "without a requirement"},
	} {
		p := write(t, dir, "bad.txt", c.content)
		_, err := Parse(p)
		var e *Error
		if !errors.As(err, &e) || e.Line != c.line || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: %v (want line %d, %q)", c.content, err, c.line, c.msg)
		}
	}
}

func TestErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "inc.txt", "ok==1\n\nbad req here\n")
	for _, c := range []struct {
		content string
		file    string
		line    int
		is      error
	}{
		{"a==1\nb>=\n", "r.txt", 2, nil},
		{"a==1\n-r inc.txt\n", "inc.txt", 3, nil},
		{"a==1\n-r missing.txt\n", "missing.txt", 0, os.ErrNotExist},
		{"--frobnicate\n", "r.txt", 1, ErrSyntax},
		{"-e ./src\n", "r.txt", 1, ErrUnsupported},
		{"a==1 \\\n --bogus\n", "r.txt", 1, ErrSyntax},
		{"https://h/somefile\n", "r.txt", 1, ErrUnsupported},
		{"-r\n", "r.txt", 1, ErrSyntax},
		{"--only-binary\n", "r.txt", 1, ErrSyntax},
		{"a==1 --hash='sha256:x\n", "r.txt", 1, ErrSyntax},
		{"-r r.txt\n", "r.txt", 0, ErrSyntax},
	} {
		p := write(t, dir, "r.txt", c.content)
		_, err := Parse(p)
		var e *Error
		if !errors.As(err, &e) || filepath.Base(e.File) != c.file || e.Line != c.line || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("%q: %v (want %s:%d)", c.content, err, c.file, c.line)
		}
	}
}

// pip's line handling: a comment needs whitespace (or the line start)
// before "#"; a comment line ends a continuation; a trailing backslash on
// the last line is dropped; ${VAR} is expanded only in that form and only
// for set, non-empty variables with upper-case names.
func TestLineHandling(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "r.txt", "a @ https://h/a-1-py3-none-any.whl#sha=1\nb\\\n# comment ends it\nc \\\n>=1\\\n,<2\nd==${VER}\ne==${lower}\nf==$VER\ng==${EMPTY}1.0\nh\\")
	f, err := Parse(p, env(map[string]string{"VER": "2.0", "lower": "3", "EMPTY": ""}))
	if err == nil {
		t.Fatalf("e==${lower} should stay unexpanded and fail; got %+v", f.RequirementStrings())
	}
	if !strings.Contains(err.Error(), "r.txt:8:") {
		t.Errorf("error %v should name line 8", err)
	}
	p = write(t, dir, "r.txt", "a @ https://h/a-1-py3-none-any.whl#sha=1\nb\\\n# comment ends it\nc \\\n>=1\\\n,<2\nd==${VER}\ng==${EMPTY}1.0\nh\\")
	f, err = Parse(p, env(map[string]string{"VER": "2.0", "EMPTY": ""}))
	if err == nil {
		t.Fatalf("g==${EMPTY}1.0 keeps the literal and should fail; got %v", f.RequirementStrings())
	}
	p = write(t, dir, "r.txt", "a @ https://h/a-1-py3-none-any.whl#sha=1\nb\\\n# comment ends it\nc \\\n>=1\\\n,<2\nd==${VER}\r\nh\\")
	f, err = Parse(p, env(map[string]string{"VER": "2.0"}))
	if err != nil {
		t.Fatal(err)
	}
	got := f.RequirementStrings()
	want := []string{"a @ https://h/a-1-py3-none-any.whl#sha=1", "b", "c >=1,<2", "d==2.0", "h"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	lines := []int{}
	for _, e := range f.Requirements {
		lines = append(lines, e.Line)
	}
	if !slices.Equal(lines, []int{1, 2, 4, 7, 8}) {
		t.Errorf("lines %v", lines)
	}
}

func TestFormatControl(t *testing.T) {
	for _, c := range []struct {
		lines    []string
		only, no []string
	}{
		{[]string{"--only-binary :all:"}, []string{":all:"}, nil},
		{[]string{"--only-binary :all:", "--no-binary numpy"}, []string{":all:"}, []string{"numpy"}},
		{[]string{"--no-binary :all:", "--only-binary :all:"}, []string{":all:"}, nil},
		{[]string{"--no-binary A_b,c", "--only-binary a-b"}, []string{"a-b"}, []string{"c"}},
		{[]string{"--no-binary :all:,:none:,x"}, nil, []string{"x"}},
		{[]string{"--no-binary x", "--no-binary :none:"}, nil, nil},
	} {
		p := write(t, t.TempDir(), "r.txt", strings.Join(c.lines, "\n"))
		f, err := Parse(p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(f.OnlyBinary, c.only) || !slices.Equal(f.NoBinary, c.no) {
			t.Errorf("%v: only %v no %v, want %v %v", c.lines, f.OnlyBinary, f.NoBinary, c.only, c.no)
		}
	}
}

func TestPyproject(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "pyproject.toml", `[build-system]
requires = ["setuptools"]

[project]
name = "demo"
dependencies = [
  "requests>=2.31",
  'numpy==1.26.4; python_version >= "3.9"',
]

[project.optional-dependencies]
Test_Tools = ["pytest>=8"]
docs = ["sphinx"]
`)
	f, err := ParsePyproject(p, []string{"test-tools"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range f.Requirements {
		got = append(got, e.Name()+":"+string(rune('0'+e.Line/10))+string(rune('0'+e.Line%10)))
	}
	if !slices.Equal(got, []string{"requests:07", "numpy:08", "pytest:12"}) {
		t.Errorf("entries %v", got)
	}
	if f, err := ParsePyproject(p, nil); err != nil || len(f.Requirements) != 2 {
		t.Errorf("no extras: %v %v", f, err)
	}
	if _, err := ParsePyproject(p, []string{"nope"}); err == nil || !strings.Contains(err.Error(), "docs") {
		t.Errorf("unknown extra: %v", err)
	}
	for _, c := range []struct{ content, msg string }{
		{"[tool.x]\na=1\n", "no [project]"},
		{"[project]\nname='x'\ndynamic=['dependencies']\n", "dynamic"},
		{"[project]\ndependencies=['ok', 'bad >=']\n", "pyproject.toml:2:"},
		{"[project\n", "pyproject.toml:2:"}, // the TOML decoder's line
	} {
		p := write(t, dir, "pyproject.toml", c.content)
		if _, err := ParsePyproject(p, nil); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: %v (want %q)", c.content, err, c.msg)
		}
	}
}

// Files that each include the next twice are read once each: a chain of
// them used to be read 2^n times. Every requirement still appears once.
func TestIncludesAreReadOnce(t *testing.T) {
	dir := t.TempDir()
	const n = 12
	for i := range n {
		content := fmt.Sprintf("pkg%d==1\n", i)
		if i+1 < n {
			next := fmt.Sprintf("f%d.txt", i+1)
			content += "-r " + next + "\n-r " + next + "\n"
		}
		write(t, dir, fmt.Sprintf("f%d.txt", i), content)
	}
	f, err := Parse(filepath.Join(dir, "f0.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.Requirements); got != n {
		t.Fatalf("%d requirements, want %d (one per file)", got, n)
	}
	for i, r := range f.Requirements {
		if want := fmt.Sprintf("pkg%d==1", i); r.Requirement != want {
			t.Errorf("requirement %d is %q, want %q", i, r.Requirement, want)
		}
	}
}

// A cancelled parse stops and says so, rather than reading on.
func TestParseHonoursCancellation(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "r.txt", "a==1\nb==2\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Parse(p, WithContext(ctx)); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, err := Parse(p, WithContext(context.Background())); err != nil {
		t.Fatal(err)
	}
}

// An invalid marker comparison is an error with the file and line, not a
// requirement that silently never applies.
func TestInvalidMarkerComparisonNamesLine(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "r.txt", "a==1\nfoo; python_version ~= \"abc\"\n")
	_, err := Parse(p)
	var e *Error
	if !errors.As(err, &e) || e.Line != 2 || filepath.Base(e.File) != "r.txt" {
		t.Fatalf("got %v, want an error at r.txt:2", err)
	}
}

// A digest names a file in the cache, so only hex enters: a path padded
// to 64 characters is refused wherever a requirement may carry a hash.
func TestHashesAreHexWhereTheyEnter(t *testing.T) {
	dir := t.TempDir()
	path := "../" + strings.Repeat("./", 25) + "victim.txtx"
	if len(path) != 64 {
		t.Fatalf("probe of %d characters", len(path))
	}
	url := "https://h/pkg-1.0-py3-none-any.whl"
	for _, content := range []string{
		"pkg==1.0 --hash=sha256:" + path + "\n",
		"pkg @ " + url + "#sha256=" + path + "\n",
		"pkg @ " + url + "#sha256=" + hexA[:63] + "g\n",
		"pkg @ " + url + "#sha256=" + hexA + "0\n",
		"pkg @ " + url + "#egg=pkg&sha256=" + path + "\n",
	} {
		_, err := Parse(write(t, dir, "r.txt", content))
		if !errors.Is(err, ErrHashes) {
			t.Errorf("%q: want %v, got %v", content, ErrHashes, err)
		}
	}
	pp := write(t, dir, "pyproject.toml", "[project]\nname = \"app\"\nversion = \"1\"\ndependencies = [\"pkg @ "+url+"#sha256="+path+"\"]\n")
	if _, err := ParsePyproject(pp, nil); !errors.Is(err, ErrHashes) {
		t.Errorf("pyproject.toml: want %v, got %v", ErrHashes, err)
	}
	// Upper-case hex is hex: it is taken, in the lower case the cache uses.
	if _, err := Parse(write(t, dir, "r.txt", "pkg @ "+url+"#sha256="+hexB+"\n")); err != nil {
		t.Errorf("an upper-case fragment: %v", err)
	}
	f, err := Parse(write(t, dir, "r.txt", "other==1 --hash=sha256:"+hexB+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Hashes()["other"]; !slices.Equal(got, []string{strings.ToLower(hexB)}) {
		t.Errorf("--hash gave %v, want %s in lower case", got, hexB)
	}
}

// An unset ${VAR} is an error at its line that names the variable, not a
// literal that fails later without saying where it came from.
func TestUnsetVariableNamesLine(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "requirements.txt", "a\n--extra-index-url https://${INDEX_TOKEN}@example.invalid/simple\nb\n")
	_, err := Parse(p, env(map[string]string{"OTHER": "x"}))
	var e *Error
	if !errors.As(err, &e) || filepath.Base(e.File) != "requirements.txt" || e.Line != 2 {
		t.Fatalf("want an error at requirements.txt:2, got %v", err)
	}
	for _, want := range []string{"requirements.txt:2:", "${INDEX_TOKEN} is not set", "export INDEX_TOKEN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := Parse(p, env(map[string]string{"INDEX_TOKEN": "t"})); err != nil {
		t.Errorf("with the variable set: %v", err)
	}
}
