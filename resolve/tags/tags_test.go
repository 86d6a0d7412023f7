package tags

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// TestGoldenCP311 compares the whole list with pypa/packaging's, kept
// beside the repository.
func TestGoldenCP311(t *testing.T) {
	path := testfixtures.SharedDir(t, "reference", "tags-cp311-manylinux_2_28_x86_64.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			want = append(want, line)
		}
	}
	got, err := ForTarget("3.11", "x86_64-linux", "2.28")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("%d tags, golden has %d", len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if got[i].String() != want[i] {
			t.Fatalf("tag %d = %s, golden %s", i, got[i], want[i])
		}
	}
}

// TestForTargetStructure derives the list's size and order from the
// rules independently of the golden file: P platforms (manylinux_2_M..
// plus legacy aliases plus linux), then 3 + (minor-2) CPython blocks,
// minor+2 py blocks, and minor+3 "any" tags.
func TestForTargetStructure(t *testing.T) {
	for _, c := range []struct {
		python, system, glibc string
		platforms             int
	}{
		{"3.11", "x86_64-linux", "2.28", (28 - 5 + 1) + 3 + 1},
		{"3.12", "x86_64-linux", "2.40", (40 - 5 + 1) + 3 + 1},
		{"3.13", "aarch64-linux", "2.28", (28 - 17 + 1) + 1 + 1},
		{"3.10", "aarch64-linux", "2.17", 1 + 1 + 1},
		{"3.14.2", "x86_64-linux", "2.17", (17 - 5 + 1) + 3 + 1},
	} {
		var minor int
		fmt.Sscanf(strings.TrimPrefix(c.python, "3."), "%d", &minor)
		got, err := ForTarget(c.python, c.system, c.glibc)
		if err != nil {
			t.Fatal(err)
		}
		want := c.platforms*(3+(minor-2)) + c.platforms*(minor+2) + (minor + 3)
		if len(got) != want {
			t.Errorf("%v: %d tags, want %d", c, len(got), want)
		}
		cp := fmt.Sprintf("cp3%d", minor)
		arch, _, _ := strings.Cut(c.system, "-")
		if first := got[0]; first != (Tag{cp, cp, fmt.Sprintf("manylinux_%s_%s", strings.ReplaceAll(c.glibc, ".", "_"), arch)}) {
			t.Errorf("%v: first tag %s", c, first)
		}
		if last := got[len(got)-1]; last != (Tag{"py30", "none", "any"}) {
			t.Errorf("%v: last tag %s", c, last)
		}
		seen := map[Tag]bool{}
		for _, tg := range got {
			if seen[tg] {
				t.Errorf("%v: %s twice", c, tg)
			}
			seen[tg] = true
		}
		// Every wheel tag the interpreter can load comes before any pure
		// Python tag, and linux_<arch> ends each platform block.
		r := NewRanker(got)
		abi, _ := r.Rank([]Tag{{cp, "abi3", "linux_" + arch}})
		pure, _ := r.Rank([]Tag{{"py3", "none", "manylinux2014_" + arch}})
		if abi >= pure {
			t.Errorf("%v: abi3 ranks %d, pure python %d", c, abi, pure)
		}
		if got[c.platforms-1].Platform != "linux_"+arch {
			t.Errorf("%v: platform block ends with %s", c, got[c.platforms-1])
		}
	}
}

func TestPlatformsLegacyAliases(t *testing.T) {
	ps, err := Platforms("x86_64-linux", "2.17")
	if err != nil {
		t.Fatal(err)
	}
	at := func(p string) int { return slices.Index(ps, p) }
	for _, pair := range [][2]string{
		{"manylinux_2_17_x86_64", "manylinux2014_x86_64"},
		{"manylinux_2_12_x86_64", "manylinux2010_x86_64"},
		{"manylinux_2_5_x86_64", "manylinux1_x86_64"},
	} {
		if at(pair[0]) < 0 || at(pair[1]) != at(pair[0])+1 {
			t.Errorf("%s should follow %s: %v", pair[1], pair[0], ps)
		}
	}
	arm, _ := Platforms("aarch64-linux", "2.28")
	if slices.Contains(arm, "manylinux2010_aarch64") || !slices.Contains(arm, "manylinux2014_aarch64") || slices.Contains(arm, "manylinux_2_16_aarch64") {
		t.Errorf("aarch64 platforms %v", arm)
	}
}

func TestForTargetErrors(t *testing.T) {
	for _, c := range [][3]string{
		{"2.7", "x86_64-linux", "2.28"}, {"3", "x86_64-linux", "2.28"}, {"3.x", "x86_64-linux", "2.28"},
		{"3.11", "x86_64-darwin", "2.28"}, {"3.11", "x86_64-linux", "228"}, {"3.11", "x86_64-linux", "3.1"},
	} {
		if _, err := ForTarget(c[0], c[1], c[2]); !errors.Is(err, ErrUnsupportedTarget) {
			t.Errorf("ForTarget%v: %v", c, err)
		}
	}
}

func TestRanker(t *testing.T) {
	all, _ := ForTarget("3.11", "x86_64-linux", "2.28")
	r := NewRanker(all)
	rank := func(tagSet string) (int, bool) {
		ts, err := Parse(tagSet)
		if err != nil {
			t.Fatal(err)
		}
		return r.Rank(ts)
	}
	m228, ok1 := rank("cp311-cp311-manylinux_2_28_x86_64")
	m2014, ok2 := rank("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")
	if !ok1 || !ok2 || m228 >= m2014 {
		t.Errorf("manylinux_2_28 ranks %d, manylinux2014 %d", m228, m2014)
	}
	abi3, _ := rank("cp38-abi3-manylinux2014_x86_64")
	pure, _ := rank("py3-none-any")
	if abi3 >= pure || m2014 >= abi3 {
		t.Errorf("ranks: cp311 %d, cp38-abi3 %d, pure %d", m2014, abi3, pure)
	}
	for _, bad := range []string{"cp311-cp311-manylinux_2_31_x86_64", "cp312-cp312-manylinux_2_17_x86_64",
		"cp311-cp311-manylinux_2_17_aarch64", "cp311-cp311-win_amd64", "py2-none-any", "cp311-cp311-musllinux_1_2_x86_64"} {
		if _, ok := rank(bad); ok {
			t.Errorf("%s should not be compatible", bad)
		}
	}
}

func TestParse(t *testing.T) {
	ts, err := Parse("py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64")
	if err != nil || len(ts) != 4 || ts[0] != (Tag{"py2", "none", "manylinux_2_17_x86_64"}) || ts[3] != (Tag{"py3", "none", "manylinux2014_x86_64"}) {
		t.Errorf("Parse = %v, %v", ts, err)
	}
	if ts, _ := Parse("CP311-CP311-Linux_X86_64"); ts[0].String() != "cp311-cp311-linux_x86_64" {
		t.Errorf("case: %v", ts)
	}
	for _, bad := range []string{"-none-any", "py3--any", "py3-none-", "py3.-none-any", "py3-none-any.", "--",
		"2-none-any", "2.7.6-none-any", "py3.2-none-any", "py+3-none-any", "py3-none", "a-b-c-d"} {
		if _, err := Parse(bad); !errors.Is(err, ErrInvalidTag) {
			t.Errorf("Parse(%q) = %v", bad, err)
		}
	}
}

func TestWheelFilenames(t *testing.T) {
	for _, c := range []struct {
		file, name, version, build string
		tags                       []string
	}{
		{"foo-1.0-py3-none-any.whl", "foo", "1.0", "", []string{"py3-none-any"}},
		{"some_PACKAGE-1.0-py3-none-any.whl", "some-package", "1.0", "", []string{"py3-none-any"}},
		{"foo-1.0-1000-py3-none-any.whl", "foo", "1.0", "1000", []string{"py3-none-any"}},
		{"foo-1.0-1000abc-py3-none-any.whl", "foo", "1.0", "1000abc", []string{"py3-none-any"}},
		{"pyvirtualcam-0.13.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl", "pyvirtualcam", "0.13.0", "",
			[]string{"cp310-cp310-manylinux2014_x86_64", "cp310-cp310-manylinux_2_17_x86_64"}},
		{"foo-2-py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "foo", "2", "",
			[]string{"py2-none-manylinux_2_17_x86_64", "py2-none-manylinux2014_x86_64", "py3-none-manylinux_2_17_x86_64", "py3-none-manylinux2014_x86_64"}},
		{"foo_bár-1.0-py3-none-any.whl", "foo-bár", "1.0", "", []string{"py3-none-any"}},
		{"foo_bár-1.0-1000-py3-none-any.whl", "foo-bár", "1.0", "1000", []string{"py3-none-any"}},
		{"numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "numpy", "1.26.4", "",
			[]string{"cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"}},
	} {
		name, version, build, ts, err := ParseWheelFilename(c.file)
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		var got []string
		for _, tg := range ts {
			got = append(got, tg.String())
		}
		if name != c.name || version != c.version || build != c.build || !slices.Equal(got, c.tags) {
			t.Errorf("%s = %q %q %q %v", c.file, name, version, build, got)
		}
	}
	for _, bad := range []string{"foo-1.0.whl", "foo-1.0-py3-none-any.wheel", "foo__bar-1.0-py3-none-any.whl",
		"foo\n-1.0-py3-none-any.whl", "foo#bar-1.0-py3-none-any.whl", "-1.0-py3-none-any.whl",
		"-1.0-200-py3-none-any.whl", "foobar-1.x-py3-none-any.whl", "foo-1.0-abc-py3-none-any.whl",
		"foo-1.0-200-py3-none-any-junk.whl", "foo-1.0--none-any.whl", "foo-1.0-py3-none-.whl",
		"foo-1.0-py3.-none-any.whl", "playlyfe-0.1.1-2.7.6-none-any.whl"} {
		if _, _, _, _, err := ParseWheelFilename(bad); !errors.Is(err, ErrInvalidFilename) {
			t.Errorf("ParseWheelFilename(%q) = %v", bad, err)
		}
	}
}

func TestSdistFilenames(t *testing.T) {
	for file, want := range map[string][2]string{
		"foo-1.0.tar.gz": {"foo", "1.0"}, "foo-1.0.zip": {"foo", "1.0"},
		"Foo_Bar-baz-2.0rc1.tar.gz": {"foo-bar-baz", "2.0rc1"},
	} {
		name, version, err := ParseSdistFilename(file)
		if err != nil || name != want[0] || version != want[1] {
			t.Errorf("%s = %q %q %v", file, name, version, err)
		}
	}
	for _, bad := range []string{"foo-1.0.xz", "foo1.0.tar.gz", "foo-1.x.tar.gz", "-1.0.tar.gz", "-1.0.zip"} {
		if _, _, err := ParseSdistFilename(bad); !errors.Is(err, ErrInvalidFilename) {
			t.Errorf("ParseSdistFilename(%q) = %v", bad, err)
		}
	}
}

func TestCompareBuild(t *testing.T) {
	order := []string{"", "1", "1a", "1b", "2", "10", "10x"}
	for i := range order {
		for j := range order {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := CompareBuild(order[i], order[j]); got != want {
				t.Errorf("CompareBuild(%q, %q) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}

func BenchmarkRank(b *testing.B) {
	all, _ := ForTarget("3.11", "x86_64-linux", "2.28")
	r := NewRanker(all)
	ts, _ := Parse("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")
	b.ReportAllocs()
	for b.Loop() {
		r.Rank(ts)
	}
}
