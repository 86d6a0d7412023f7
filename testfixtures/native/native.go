package native

import (
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// Values the built modules must produce when imported.
const (
	ZcrcInput     = "machnix native fixture"
	RevInput      = "machnix"
	GreetMessage  = "hello from libgreet"
	ProviderValue = 4242
	ExeOutput     = "hello from a wheel script"
	// PythonConfig is the python3.11-config the extensions compile against.
	PythonConfig = "/usr/bin/python3.11-config"
)

// ZcrcCRC32 is what zcrc.crc32(ZcrcInput.encode()) returns: zlib's crc32 is
// the IEEE CRC-32, which Go computes independently.
func ZcrcCRC32() uint32 { return crc32.ChecksumIEEE([]byte(ZcrcInput)) }

// RevOutput is what zcrc.rev(RevInput) returns.
func RevOutput() string {
	r := []rune(RevInput)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// Wheels are the paths of the built wheels.
type Wheels struct {
	Dir      string
	Zcrc     string
	Bundled  string
	Provider string
	Consumer string
}

// All lists every wheel path.
func (w Wheels) All() []string { return []string{w.Bundled, w.Consumer, w.Provider, w.Zcrc} }

// Arch is the machine the wheels are built for (the host's), as in
// platform tags.
func Arch() string {
	if runtime.GOARCH == "arm64" {
		return "aarch64"
	}
	return "x86_64"
}

// BuildT builds the wheels into a temporary directory of t. It skips the
// test when gcc or python3.11-config is absent, and fails in CI.
func BuildT(t testing.TB) Wheels {
	t.Helper()
	testfixtures.RequireTool(t, "gcc", "g++", PythonConfig)
	w, err := Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// Build compiles the fixtures in dir/src and writes the wheels into dir.
func Build(dir string) (Wheels, error) {
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return Wheels{}, err
	}
	b := builder{src: src}
	incl := b.output(PythonConfig, "--includes")
	suffix := strings.TrimSpace(b.output(PythonConfig, "--extension-suffix"))
	tag := "cp311-cp311-linux_" + Arch()
	cflags := append([]string{"-shared", "-fPIC", "-O2"}, strings.Fields(incl)...)

	// (a) zcrc: C and C++ linking zlib and libstdc++, plus an executable.
	b.write("zcrc.c", zcrcC)
	b.write("rev.cpp", revCpp)
	b.write("hello.c", fmt.Sprintf(helloC, ExeOutput))
	zext := "zcrc" + suffix
	b.run("gcc", append(cflags, "-o", zext, "zcrc.c", "rev.cpp", "-lz", "-lstdc++")...)
	b.run("gcc", "-O2", "-o", "zcrc-hello", "hello.c")

	// (b) bundled: libgreet.so in bundled.libs/, reached through $ORIGIN.
	b.write("greet.c", fmt.Sprintf(greetC, GreetMessage))
	b.write("bundled.c", bundledC)
	b.run("gcc", "-shared", "-fPIC", "-O2", "-Wl,-soname,libgreet.so", "-o", "libgreet.so", "greet.c")
	bext := "bundled" + suffix
	b.run("gcc", append(cflags, "-o", bext, "bundled.c", "-L.", "-lgreet", "-Wl,--disable-new-dtags,-rpath,$ORIGIN/bundled.libs")...)

	// (d) provider ships libprovider.so.1; consumer needs it.
	b.write("provider.c", fmt.Sprintf(providerC, ProviderValue))
	b.write("consumer.c", consumerC)
	b.run("gcc", "-shared", "-fPIC", "-O2", "-Wl,-soname,libprovider.so.1", "-o", "libprovider.so.1", "provider.c")
	if b.err == nil {
		b.err = os.Symlink("libprovider.so.1", filepath.Join(src, "libprovider.so"))
	}
	cext := "consumer" + suffix
	b.run("gcc", append(cflags, "-o", cext, "consumer.c", "-L.", "-lprovider", "-Wl,-rpath,$ORIGIN/provider")...)
	if b.err != nil {
		return Wheels{}, b.err
	}

	exe := os.FileMode(0o755)
	var w Wheels
	w.Dir = dir
	var err error
	if w.Zcrc, err = testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "zcrc", Version: "1.0", Tags: []string{tag},
		RequiresPython: ">=3.11", Files: []testfixtures.File{
			{Path: zext, Data: b.read(zext), Mode: exe},
			{Path: "zcrc-1.0.data/scripts/zcrc-hello", Data: b.read("zcrc-hello"), Mode: exe},
		}}); err != nil {
		return w, err
	}
	if w.Bundled, err = testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "bundled", Version: "1.0", Tags: []string{tag},
		Files: []testfixtures.File{
			{Path: bext, Data: b.read(bext), Mode: exe},
			{Path: "bundled.libs/libgreet.so", Data: b.read("libgreet.so"), Mode: exe},
		}}); err != nil {
		return w, err
	}
	if w.Provider, err = testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "provider", Version: "1.0", Tags: []string{"py3-none-linux_" + Arch()},
		Files: []testfixtures.File{
			{Path: "provider/__init__.py", Data: []byte("")},
			{Path: "provider/libprovider.so.1", Data: b.read("libprovider.so.1"), Mode: exe},
		}}); err != nil {
		return w, err
	}
	if w.Consumer, err = testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "consumer", Version: "1.0", Tags: []string{tag},
		Requires: []string{"provider==1.0"},
		Files:    []testfixtures.File{{Path: cext, Data: b.read(cext), Mode: exe}}}); err != nil {
		return w, err
	}
	return w, b.err
}

// builder runs steps in src and keeps the first error, so Build reads as a
// recipe.
type builder struct {
	src string
	err error
}

func (b *builder) write(name, text string) {
	if b.err == nil {
		b.err = os.WriteFile(filepath.Join(b.src, name), []byte(text), 0o644)
	}
}

func (b *builder) read(name string) []byte {
	if b.err != nil {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(b.src, name))
	b.err = err
	return data
}

func (b *builder) run(name string, args ...string) { b.output(name, args...) }

func (b *builder) output(name string, args ...string) string {
	if b.err != nil {
		return ""
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = b.src
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		b.err = fmt.Errorf("native fixture: %s %s: %v\n%s", name, strings.Join(args, " "), err, msg)
	}
	return string(out)
}
