package autopatch

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/machnix/machnix/internal/termsafe"
	"github.com/machnix/machnix/resolve/pep508"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// StatusLibPath marks a soname found in a directory given with WithLibPath
// (the CLI's --lib-path). It is tried after the wheels and before the table,
// as auditwheel's tests put support libraries on the search path. The
// Provider is the file's path. machnix cannot give such a library to Nix by
// itself, so nixbuild treats it like a user-supplied input.
const StatusLibPath Status = "lib_path"

// Option configures Inspect.
type Option func(*inspector)

type inspector struct {
	system      string // x86_64-linux or aarch64-linux
	libPath     []string
	extra       map[string]string
	nixLocate   bool
	verify      bool
	maxUnpacked int64
	jobs        int
	progress    func(done, total int)
	digests     map[string]string // wheel file → sha256 the caller vouches for
	fileNames   map[string]string // wheel file → its real file name
	cache       FactsCache
	python      string // the target's major.minor, "" when unknown
}

// WithSystem sets the target Nix system (x86_64-linux, aarch64-linux). The
// default is the host's.
func WithSystem(system string) Option { return func(i *inspector) { i.system = system } }

// WithLibPath adds directories searched for sonames after the input wheels
// and before the soname table.
func WithLibPath(dirs ...string) Option {
	return func(i *inspector) { i.libPath = append(i.libPath, dirs...) }
}

// WithSonames adds soname → nixpkgs attribute rows that take precedence
// over the embedded table (a machnix.toml [sonames] table).
func WithSonames(rows map[string]string) Option {
	return func(i *inspector) {
		for k, v := range rows {
			i.extra[k] = v
		}
	}
}

// WithPython gives the target's Python version (3.11): a libpython of
// another version is then reported as StatusOtherPython, and missing.
func WithPython(version string) Option { return func(i *inspector) { i.python = version } }

// WithNixLocate turns the nix-locate lookup of unknown sonames on or off.
// It is on by default and used only when nix-locate is on PATH.
func WithNixLocate(on bool) Option { return func(i *inspector) { i.nixLocate = on } }

// WithVerifyRecord turns the hashing of every entry against RECORD on or
// off (on by default). Off, RECORD is not read and only ELF entries are
// decompressed in full: for wheels whose own hash was already checked.
func WithVerifyRecord(on bool) Option { return func(i *inspector) { i.verify = on } }

// WithFileNames gives the real file names of wheels kept under other names
// (fetch's cache names them by hash), keyed by the paths passed to Inspect.
// A wheel's .dist-info directory must be for the project its file name
// says; a path without a wheel's file name (not *.whl) and not in the map
// skips that comparison, which is then the business of whoever named it.
func WithFileNames(names map[string]string) Option {
	return func(i *inspector) {
		for file, name := range names {
			i.fileNames[file] = name
		}
	}
}

// WithMaxUnpacked caps the bytes one wheel may decompress to.
func WithMaxUnpacked(n int64) Option { return func(i *inspector) { i.maxUnpacked = n } }

// WithJobs sets how many wheels are read at once (default GOMAXPROCS).
func WithJobs(n int) Option { return func(i *inspector) { i.jobs = n } }

// WithProgress is called after each wheel is read.
func WithProgress(f func(done, total int)) Option { return func(i *inspector) { i.progress = f } }

// HostSystem is the Nix system of the machine machnix runs on.
func HostSystem() string {
	switch runtime.GOARCH {
	case "arm64":
		return "aarch64-linux"
	case "amd64":
		return "x86_64-linux"
	}
	return runtime.GOARCH + "-linux"
}

// ErrBadOption reports an option value Inspect cannot use.
var ErrBadOption = errors.New("bad option")

// Inspect reads the wheels in files together and resolves every soname
// their ELF files need. Wheels are read in parallel; the report lists them
// in the order given. A wheel that cannot be read (a bad zip, a RECORD
// mismatch, a malformed ELF) gives an error that names it; the report, also
// returned then, covers the other wheels.
func Inspect(ctx context.Context, files []string, opts ...Option) (*NativeReport, error) {
	in := &inspector{system: HostSystem(), extra: map[string]string{}, nixLocate: true,
		verify: true, maxUnpacked: DefaultMaxUnpacked, jobs: runtime.GOMAXPROCS(0),
		digests: map[string]string{}, fileNames: map[string]string{}}
	for _, o := range opts {
		o(in)
	}
	arch, ok := strings.CutSuffix(in.system, "-linux")
	if !ok || (arch != "x86_64" && arch != "aarch64") {
		return nil, fmt.Errorf("%w: system %q: use x86_64-linux or aarch64-linux", ErrBadOption, in.system)
	}
	for _, d := range in.libPath {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("%w: lib path %s is not a directory", ErrBadOption, termsafe.String(d))
		}
	}
	for file, sum := range in.digests {
		if !isSHA256(sum) {
			return nil, fmt.Errorf("%w: the digest of %s is %q, not a sha256 (64 hex digits)", ErrBadOption, termsafe.String(file), termsafe.String(sum))
		}
	}
	src := in.source()

	wheels := make([]*Wheel, len(files))
	errs := make([]error, len(files))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range max(1, in.jobs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idx := range jobs {
				if err := ctx.Err(); err != nil {
					errs[idx] = err
					continue
				}
				wheels[idx], errs[idx] = src.wheel(files[idx])
				mu.Lock()
				done++
				if in.progress != nil {
					in.progress(done, len(files))
				}
				mu.Unlock()
			}
		}()
	}
	for idx := range files {
		jobs <- idx
	}
	close(jobs)
	wg.Wait()
	// A wheel that cannot be read is an error, but the others are still
	// reported: one bad file in a directory should not hide the rest.
	read := wheels[:0:0]
	for _, w := range wheels {
		if w != nil {
			read = append(read, w)
		}
	}
	return in.resolve(read, arch), errors.Join(errs...)
}

// fileName is how a report names a wheel: the name its .dist-info is
// checked against (wheelReader.fileName), else its path's last element.
func (in *inspector) fileName(file string) string {
	return cmp.Or(wheelReader{fileNames: in.fileNames}.fileName(file), filepath.Base(file))
}

// source is how wheels are read: as the options say, except that wheels
// with a vouched-for digest skip RECORD and may come from the facts cache.
func (in *inspector) source() wheelSource {
	rd := wheelReader{maxUnpacked: in.maxUnpacked, verify: in.verify, fileNames: in.fileNames}
	if len(in.digests) == 0 {
		return rd
	}
	fast := rd
	fast.verify = false
	var src wheelSource = vouchedSource{digests: in.digests, fast: fast, rest: rd}
	if in.cache != nil {
		src = cachedSource{inner: src, cache: in.cache, digests: in.digests, fileName: rd.fileName}
	}
	return src
}

var libpythonVersionRE = regexp.MustCompile(`^libpython(\d+\.\d+)`)

// libpythonVersion is the X.Y of libpythonX.Y..., or "" for the stable ABI's
// libpython3.so, which any 3.x provides.
func libpythonVersion(soname string) string {
	if m := libpythonVersionRE.FindStringSubmatch(soname); m != nil {
		return m[1]
	}
	return ""
}

var libpythonRE = regexp.MustCompile(`^libpython\d+(\.\d+)?[a-z]*\.so(\.[0-9.]+)?$`)

// wheelProvider is one library another input wheel ships.
type wheelProvider struct{ wheel, path string }

func (in *inspector) resolve(wheels []*Wheel, arch string) *NativeReport {
	// Libraries each wheel ships, by soname and by file name, so that one
	// wheel can satisfy another (torch and the nvidia-* wheels).
	provided := map[string]wheelProvider{}
	for _, w := range wheels {
		for _, e := range w.ELFs {
			for _, name := range []string{e.Soname, path.Base(e.Path)} {
				if _, ok := provided[name]; !ok && name != "" {
					provided[name] = wheelProvider{pep508.NormalizeName(w.Name), e.Path}
				}
			}
		}
	}
	locate := map[string]string{}
	rep := &NativeReport{Wheels: []WheelReport{}}
	for _, w := range wheels {
		wr := WheelReport{File: w.File, Filename: in.fileName(w.File), Name: w.Name, Version: w.Version, Tags: w.Tags,
			ELFs:      []ELFReport{},
			NixInputs: []string{}, Missing: []string{}}
		wr.NotForTarget = notForTarget(w, arch)
		entries := make(map[string]bool, len(w.Entries))
		for _, e := range w.Entries {
			entries[e] = true
		}
		nix, missing, driver, wdeps := set{}, set{}, set{}, set{}
		needsDriver := map[string]bool{}
		for _, e := range w.ELFs {
			er := ELFReport{Path: e.Path, Class: e.Class, Machine: e.Machine, Soname: e.Soname,
				Interpreter: e.Interpreter, Needed: orEmpty(e.Needed), RPath: orEmpty(e.RPath),
				RunPath: orEmpty(e.RunPath), VersionNeeds: highestVersions(e.versionNeeds),
				PythonExtension: e.PythonExtension, Deps: []Dep{}}
			for _, soname := range e.Needed {
				d := in.resolveOne(soname, e, w, entries, provided, wr.NotForTarget != "", locate)
				switch d.Status {
				case StatusNixpkgs:
					nix.add(d.Provider)
				case StatusMissing, StatusOtherPython:
					missing.add(soname)
				case StatusDriver:
					driver.add(soname)
					needsDriver[e.Path] = true
				case StatusWheel:
					wdeps.add(d.Provider)
				}
				er.Deps = append(er.Deps, d)
			}
			wr.ELFs = append(wr.ELFs, er)
		}
		for _, e := range w.ELFs {
			if loadsDriver(path.Base(e.Path)) {
				wr.LoadsDriver = append(wr.LoadsDriver, e.Path)
			}
		}
		wr.NixInputs, wr.Missing = nix.sorted(), missing.sorted()
		wr.TopLevelModules = topLevelModules(w, needsDriver)
		if d := driver.sorted(); len(d) > 0 {
			wr.Driver = d
		}
		if d := wdeps.sorted(); len(d) > 0 {
			wr.WheelDeps = d
		}
		if wr.NotForTarget == "" {
			wr.Manylinux = lowestManylinux(w.ELFs, arch)
			wr.ClaimedManylinux = claimedManylinux(w.Tags, arch)
		}
		rep.Wheels = append(rep.Wheels, wr)
	}
	return rep
}

// resolveOne gives soname exactly one status; the first match wins.
func (in *inspector) resolveOne(soname string, e elfInfo, w *Wheel, entries map[string]bool,
	provided map[string]wheelProvider, foreign bool, locate map[string]string) Dep {
	if p, ok := bundledPath(soname, e, w, entries); ok {
		return Dep{Soname: soname, Status: StatusBundled, Provider: p}
	}
	row, inTable := builtinTable()[soname]
	if attr, ok := in.extra[soname]; ok {
		row, inTable = TableRow{Soname: soname, Status: StatusNixpkgs, Provider: attr}, true
	}
	if foreign {
		// Not for this target: only the platform's own libc and libraries
		// that travel with the wheel count; nothing is mapped to nixpkgs.
		if foreignLibc(soname) {
			return Dep{Soname: soname, Status: StatusLibc, Provider: "libc"}
		}
		if libpythonRE.MatchString(soname) {
			return Dep{Soname: soname, Status: StatusPython}
		}
		if p, ok := in.onLibPath(soname); ok {
			return Dep{Soname: soname, Status: StatusLibPath, Provider: p}
		}
		return Dep{Soname: soname, Status: StatusMissing}
	}
	if inTable && row.Status == StatusLibc {
		return Dep{Soname: soname, Status: StatusLibc, Provider: row.Provider}
	}
	if libpythonRE.MatchString(soname) {
		if v := libpythonVersion(soname); in.python != "" && v != "" && v != in.python {
			return Dep{Soname: soname, Status: StatusOtherPython, Provider: "python" + v}
		}
		return Dep{Soname: soname, Status: StatusPython}
	}
	if p, ok := provided[soname]; ok && p.wheel != pep508.NormalizeName(w.Name) {
		return Dep{Soname: soname, Status: StatusWheel, Provider: p.wheel}
	}
	if p, ok := in.onLibPath(soname); ok {
		return Dep{Soname: soname, Status: StatusLibPath, Provider: p}
	}
	if inTable {
		return Dep{Soname: soname, Status: row.Status, Provider: row.Provider}
	}
	if in.nixLocate {
		attr, ok := locate[soname]
		if !ok {
			attr = nixLocate(soname)
			locate[soname] = attr
		}
		if attr != "" {
			return Dep{Soname: soname, Status: StatusNixpkgs, Provider: attr, Guess: true}
		}
	}
	return Dep{Soname: soname, Status: StatusMissing}
}

// DriverLoaders are the CUDA libraries that open the GPU driver
// (libcuda.so.1) with dlopen at run time rather than linking it: the
// runtime (libcudart) and the libraries built on it with the static
// runtime inside (cuBLAS, cuFFT, cuRAND, cuSOLVER, cuSPARSE, cuDNN,
// NCCL), the run-time compiler (libnvrtc) and the profiling interface
// (libcupti). The nvidia-* wheels ship them; nixpkgs' torch-bin gives
// them the driver's directory with autoAddDriverRunpath.
var DriverLoaders = []string{"libcudart", "libnvrtc", "libcublas", "libcublasLt", "libcufft", "libcurand",
	"libcusolver", "libcusparse", "libcudnn", "libnccl", "libcupti"}

// loadsDriver recognises a DriverLoaders library by its file name:
// libcudart.so.12, or auditwheel's libcudart-1a2b3c4d.so.12.
func loadsDriver(base string) bool {
	for _, name := range DriverLoaders {
		if rest, ok := strings.CutPrefix(base, name); ok && (strings.HasPrefix(rest, ".so") || strings.HasPrefix(rest, "-")) {
			return true
		}
	}
	return false
}

// foreignLibc recognises the C library of musl and Android systems.
func foreignLibc(soname string) bool {
	if strings.HasPrefix(soname, "libc.musl-") || strings.HasPrefix(soname, "ld-musl-") {
		return true
	}
	switch soname {
	case "libc.so", "libm.so", "libdl.so", "liblog.so", "libandroid.so", "libz.so":
		return true
	}
	row, isGlibc := builtinTable()[soname]
	return isGlibc && row.Status == StatusLibc
}

func (in *inspector) onLibPath(soname string) (string, bool) {
	for _, d := range in.libPath {
		p := filepath.Join(d, soname)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, true
		}
	}
	return "", false
}

// bundledPath searches the wheel as the loader would search the installed
// files: DT_RUNPATH if present, else DT_RPATH, with $ORIGIN the ELF's own
// directory; then auditwheel's <pkg>.libs/ and .libs/ directories; then,
// as auto-patchelf does, every ELF file of the wheel, wherever it sits:
// auto-patchelf adds each shared library of the output it patches to its
// search (populate_cache over the paths to patch, recursively), keyed by
// file name and machine, and sets the RPATH to the directory it found.
// A library is found there by its file name only, not by its DT_SONAME,
// as auto-patchelf and the loader look it up.
func bundledPath(soname string, e elfInfo, w *Wheel, entries map[string]bool) (string, bool) {
	dirs := e.RunPath
	if len(dirs) == 0 {
		dirs = e.RPath
	}
	origin := path.Dir(e.Path)
	for _, d := range dirs {
		if !strings.Contains(d, "$ORIGIN") && !strings.Contains(d, "${ORIGIN}") {
			continue // an absolute build-machine path says nothing about the wheel
		}
		d = strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", origin), "$ORIGIN", origin)
		p := path.Clean(path.Join(d, soname))
		if entries[p] {
			return p, true
		}
	}
	for _, p := range w.Entries {
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		if base == soname && (strings.HasSuffix(dir, ".libs") && !strings.Contains(dir, "/")) {
			return p, true
		}
	}
	// auto-patchelf globs for *.so* and skips files it cannot read as ELF
	// or that are for another machine. w.ELFs is in entry order.
	if !strings.Contains(soname, ".so") {
		return "", false
	}
	for _, lib := range w.ELFs {
		if path.Base(lib.Path) == soname && lib.Machine == e.Machine && lib.Path != e.Path {
			return lib.Path, true
		}
	}
	return "", false
}

// nixLocate asks nix-locate which attribute ships lib/<soname>. The first
// answer is returned; the caller marks it as a guess.
func nixLocate(soname string) string {
	bin, err := exec.LookPath("nix-locate")
	if err != nil {
		return ""
	}
	out, err := exec.Command(bin, "--minimal", "--top-level", "--whole-name", "--at-root", "/lib/"+soname).Output()
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		attr := strings.TrimSpace(sc.Text())
		if attr == "" {
			continue
		}
		// nix-locate names the output (zlib.out); the default output is
		// what an attribute path means.
		return strings.TrimSuffix(attr, ".out")
	}
	return ""
}

// notForTarget says why a wheel cannot run on the target, or "".
func notForTarget(w *Wheel, arch string) string {
	for _, e := range w.ELFs {
		if e.Machine != arch {
			return fmt.Sprintf("%s is built for %s, the target is %s", e.Path, e.Machine, arch)
		}
		if strings.Contains(e.Interpreter, "ld-musl") {
			return fmt.Sprintf("%s is built for musl", e.Path)
		}
		if strings.HasPrefix(e.Interpreter, "/system/bin/linker") {
			return fmt.Sprintf("%s is built for Android", e.Path)
		}
		for _, n := range e.Needed {
			if strings.HasPrefix(n, "libc.musl-") {
				return fmt.Sprintf("%s is built for musl (needs %s)", e.Path, n)
			}
		}
	}
	ok, why := false, ""
	for _, t := range w.Tags {
		parts := strings.Split(t, "-")
		plat := parts[len(parts)-1]
		switch {
		case plat == "any":
			ok = true
		case strings.HasPrefix(plat, "musllinux"):
			why = "its tags are for musl (" + plat + ")"
		case strings.HasPrefix(plat, "android"):
			why = "its tags are for Android (" + plat + ")"
		case (strings.HasPrefix(plat, "linux_") || strings.HasPrefix(plat, "manylinux")) && strings.HasSuffix(plat, "_"+arch):
			ok = true
		default:
			why = "its tags are for " + plat
		}
	}
	if ok || len(w.Tags) == 0 {
		return ""
	}
	return why
}

// lowestManylinux returns the oldest manylinux policy whose symbol versions
// cover every version the wheel's ELF files need, as auditwheel decides it:
// for each prefix the policy knows, every needed version must be listed.
func lowestManylinux(elfs []elfInfo, arch string) string {
	needs := map[string]set{}
	for _, e := range elfs {
		for prefix, vs := range e.versionNeeds {
			if needs[prefix] == nil {
				needs[prefix] = set{}
			}
			for _, v := range vs {
				needs[prefix].add(v)
			}
		}
	}
	for _, p := range manylinuxPolicies {
		allowed, ok := p.symbols[arch]
		if !ok {
			continue
		}
		fits := true
		for prefix, vs := range needs {
			list, known := allowed[prefix]
			if !known {
				continue
			}
			have := set{}
			for _, v := range strings.Fields(list) {
				have.add(v)
			}
			for v := range vs {
				if !have[v] {
					fits = false
				}
			}
		}
		if fits {
			return p.name
		}
	}
	return "linux"
}

var legacyManylinux = map[string]string{"manylinux1": "manylinux_2_5", "manylinux2010": "manylinux_2_12", "manylinux2014": "manylinux_2_17"}

// claimedManylinux returns the lowest manylinux_x_y the wheel's tags claim
// for arch, in the manylinux_x_y spelling, or "".
func claimedManylinux(tags []string, arch string) string {
	best, bestKey := "", [2]int{1 << 30, 0}
	for _, t := range tags {
		parts := strings.Split(t, "-")
		plat, ok := strings.CutSuffix(parts[len(parts)-1], "_"+arch)
		if !ok {
			continue
		}
		if p, ok := legacyManylinux[plat]; ok {
			plat = p
		}
		var maj, min int
		rest, ok := strings.CutPrefix(plat, "manylinux_")
		if !ok {
			continue
		}
		a, b, ok := strings.Cut(rest, "_")
		if !ok {
			continue
		}
		var err1, err2 error
		maj, err1 = strconv.Atoi(a)
		min, err2 = strconv.Atoi(b)
		if err1 != nil || err2 != nil {
			continue
		}
		if k := [2]int{maj, min}; k[0] < bestKey[0] || (k[0] == bestKey[0] && k[1] < bestKey[1]) {
			best, bestKey = plat, k
		}
	}
	return best
}

// ManylinuxNeedsMore reports whether the symbols need a newer manylinux than
// the file name claims (e.g. needs manylinux_2_31, claims manylinux_2_17).
func (w WheelReport) ManylinuxNeedsMore() bool {
	if w.Manylinux == "" || w.ClaimedManylinux == "" {
		return false
	}
	if w.Manylinux == "linux" {
		return true
	}
	return manylinuxRank(w.Manylinux) > manylinuxRank(w.ClaimedManylinux)
}

func manylinuxRank(name string) int {
	rest := strings.TrimPrefix(name, "manylinux_")
	a, b, _ := strings.Cut(rest, "_")
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return x*1000 + y
}

// policy_gen.go is generated from auditwheel's manylinux-policy.json, which
// the team keeps beside the repository; the JSON itself is not committed.
//go:generate go run ./internal/genpolicy ../../shared/reference/manylinux-policy.json policy_gen.go

// manylinuxPolicy is one row of the generated table (policy_gen.go).
type manylinuxPolicy struct {
	name string
	// symbols maps arch → prefix → space-separated allowed versions.
	symbols   map[string]map[string]string
	whitelist []string
}

// notImportChecked are top-level names wheels install by mistake or for
// development (test suites, documentation, setup scripts): importing them
// checks nothing about the distribution, and they often import what it
// does not depend on.
var notImportChecked = map[string]bool{"tests": true, "test": true, "docs": true, "doc": true,
	"examples": true, "benchmarks": true, "conftest": true, "setup": true}

// topOf returns the top-level name an installed entry lives under (with
// .data/purelib and .data/platlib mapped to the root) and whether the
// entry is that top-level file itself; "" for dist-info, other .data
// directories and auditwheel's *.libs.
func topOf(entry string) (top string, single bool) {
	parts := strings.Split(entry, "/")
	if strings.HasSuffix(parts[0], ".data") && len(parts) > 2 && (parts[1] == "purelib" || parts[1] == "platlib") {
		parts = parts[2:]
	}
	top = parts[0]
	if strings.HasSuffix(top, ".dist-info") || strings.HasSuffix(top, ".data") || strings.HasSuffix(top, ".libs") {
		return "", false
	}
	return top, len(parts) == 1
}

// moduleOf is the importable top-level name an entry makes: a package
// directory holding .py or .so files, a .py module or an extension module
// at the root; "" for anything else.
func moduleOf(entry string) (name string, single bool) {
	top, single := topOf(entry)
	switch {
	case top == "":
	case single && strings.HasSuffix(top, ".py"):
		name = strings.TrimSuffix(top, ".py")
	case single && strings.HasSuffix(top, ".so"):
		name, _, _ = strings.Cut(top, ".")
	case !single && (strings.HasSuffix(entry, ".py") || strings.HasSuffix(entry, ".so")):
		name = top
	}
	if !isIdentifier(name) {
		return "", false
	}
	return name, single
}

// topLevelModules are the modules pythonImportsCheck imports: the names
// top_level.txt lists when the wheel has one (and installs them), else
// the ones its listing makes; never those in notImportChecked, nor
// private names (a leading _) other than the wheel's extension modules,
// nor a module with an ELF file that needs the GPU driver (needsDriver,
// by entry path), which cannot load in the build sandbox.
func topLevelModules(w *Wheel, needsDriver map[string]bool) []string {
	extension := map[string]bool{}
	for _, e := range w.ELFs {
		extension[e.Path] = e.PythonExtension
	}
	installed, extMods, driverTops := set{}, set{}, set{}
	for _, e := range w.Entries {
		if needsDriver[e] {
			if top, _ := topOf(e); top != "" {
				driverTops.add(top)
			}
		}
		name, single := moduleOf(e)
		if name == "" {
			continue
		}
		installed.add(name)
		if single && extension[e] {
			extMods.add(name)
		}
	}
	candidates := installed
	if w.TopLevel != nil {
		candidates = set{}
		for _, n := range w.TopLevel {
			if installed[n] {
				candidates.add(n)
			}
		}
	}
	mods := set{}
	for n := range candidates {
		if notImportChecked[n] || driverTops[n] || (strings.HasPrefix(n, "_") && !extMods[n]) {
			continue
		}
		mods.add(n)
	}
	return mods.sorted()
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}

type set map[string]bool

func (s set) add(v string) { s[v] = true }
func (s set) sorted() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
