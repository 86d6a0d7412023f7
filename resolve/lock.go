package resolve

// Lock pins every package for one target. It is written as JSON with a
// stable order (packages sorted by name) so that re-resolving an unchanged
// input is byte-identical.
type Lock struct {
	// Version is the lock format version.
	Version int `json:"version"`
	// Target is the one target of a single-target lock; a universal lock
	// has Targets instead.
	Target Target `json:"target,omitzero"`
	// Indexes are the index URLs used, in priority order, without
	// credentials.
	Indexes []string `json:"indexes"`
	// Requirements are the root requirements as given (PEP 508 strings).
	Requirements []string    `json:"requirements"`
	Nixpkgs      *NixpkgsPin `json:"nixpkgs,omitempty"`
	Packages     []Package   `json:"packages"`
	// BuildPackages pin what the sdists' build requirements need: a
	// resolution of their own, since they are installed only where an
	// sdist is built, never in the environment. Each is a wheel or comes
	// from nixpkgs; the same name may be pinned at another version in
	// Packages, since the two never meet in one environment. In a
	// universal lock they are resolved once per target and have the
	// universal shape of Packages (targets, files, dependency markers).
	BuildPackages []Package `json:"build_packages,omitempty"`
	// Targets are the targets of a universal lock: one resolution that
	// forks where requirements differ between them. Each package says on
	// which targets it is installed and which file each uses.
	Targets []Target `json:"targets,omitempty"`
	// Forks are the PEP 508 markers of a universal resolution's forks,
	// each a part of the environments where the pins are one consistent
	// set.
	Forks []string `json:"forks,omitempty"`

	// From is the universal lock this one was projected from
	// (ForTarget), nil otherwise. It is never written: what generates an
	// expression writes From beside it, so that Nix chooses the target.
	From *Lock `json:"-"`
}

// Universal reports whether the lock serves several targets (Targets)
// rather than one (Target).
func (l *Lock) Universal() bool { return len(l.Targets) > 0 || len(l.Forks) > 0 }

// Target is the environment the lock is for.
type Target struct {
	Python string `json:"python"` // "3.11"
	System string `json:"system"` // "x86_64-linux" or "aarch64-linux"
	Glibc  string `json:"glibc"`  // "2.28": the highest manylinux_x_y accepted
}

// NixpkgsPin records which nixpkgs the environment is built against.
type NixpkgsPin struct {
	// Path is a local nixpkgs checkout, or URL a tarball with its SRI hash.
	Path string `json:"path,omitempty"`
	URL  string `json:"url,omitempty"`
	Hash string `json:"hash,omitempty"`
}

// Provider names where a package comes from.
type Provider string

const (
	ProviderWheel   Provider = "wheel"
	ProviderSdist   Provider = "sdist"
	ProviderNixpkgs Provider = "nixpkgs"
	// ProviderLocal is a project directory on this machine, built from
	// its files (machnix lock .): Path says where, relative to the lock,
	// SHA256 is the NAR hash of its tree under the source filter
	// (resolve/project.Filter), which machnix's Nix library applies too.
	ProviderLocal Provider = "local"
)

// Package is one pinned package.
type Package struct {
	Name     string   `json:"name"` // PEP 503 normalised
	Version  string   `json:"version"`
	Provider Provider `json:"provider"`
	// Filename, URL, SHA256 and Size describe the artifact for the wheel
	// and sdist providers.
	Filename string `json:"filename,omitempty"`
	URL      string `json:"url,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Size     int64  `json:"size,omitempty"`
	// Path is a local project's directory, relative to the lock file's
	// directory with forward slashes ("." or "../lib").
	Path string `json:"path,omitempty"`
	// Index is the index URL the artifact came from.
	Index string `json:"index,omitempty"`
	// Dependencies are the normalised names of the packages this one
	// depends on in this resolution, sorted.
	Dependencies []string `json:"dependencies,omitempty"`
	// Extras are the extras of this package in use, sorted.
	Extras []string `json:"extras,omitempty"`
	// NixAttr is the attribute under python.pkgs for the nixpkgs provider.
	NixAttr string `json:"nix_attr,omitempty"`
	// BuildRequires are an sdist's or a local project's [build-system]
	// requires whose markers hold on the target, without their markers:
	// normalised PEP 508 requirements, sorted. BuildPackages pins each
	// name.
	BuildRequires []string `json:"build_requires,omitempty"`
	// Native is what a wheel needs from nixpkgs, as the native report
	// found it; nil where the wheel was never inspected.
	Native *Native `json:"native,omitempty"`

	// The fields below are a universal lock's, empty in a single-target
	// one.

	// Marker is where this version is installed, as a PEP 508 marker
	// over the lock's targets ("" for everywhere).
	Marker string `json:"marker,omitempty"`
	// Targets are the keys (Target.Key) of the targets that install this
	// version, sorted.
	Targets []string `json:"targets,omitempty"`
	// Files are the distribution files of this version the targets use,
	// each with the targets it serves.
	Files []PackageFile `json:"files,omitempty"`
	// DependencyMarkers holds the marker of each dependency that is not
	// installed wherever this package is.
	DependencyMarkers map[string]string `json:"dependency_markers,omitempty"`
}

// Native is a wheel's native side as Nix needs it to install the wheel:
// what its ELF files load and where it comes from. It is one type so that
// it can move onto per-file entries of a lock that holds several wheels
// of one package.
type Native struct {
	// BuildInputs are pkgs attribute paths whose lib directories provide
	// the sonames the wheel needs ("a or b" names alternatives, the first
	// that nixpkgs has), sorted.
	BuildInputs []string `json:"build_inputs,omitempty"`
	// Driver are sonames the GPU driver provides at run time: left
	// unresolved at build time.
	Driver []string `json:"driver,omitempty"`
	// DriverRunpath is set when a library links or loads the driver, which
	// it then finds in /run/opengl-driver/lib (autoAddDriverRunpath).
	DriverRunpath bool `json:"driver_runpath,omitempty"`
	// Missing are sonames nothing provides: the build refuses them unless
	// the user ignores them (they come at run time).
	Missing []string `json:"missing,omitempty"`
	// WheelDeps are packages of the lock whose wheels ship libraries this
	// one loads: their site-packages are searched.
	WheelDeps []string `json:"wheel_deps,omitempty"`
	// Imports are the wheel's top-level modules, for pythonImportsCheck.
	Imports []string `json:"imports,omitempty"`
}

// PackageFile is one file of a package in a universal lock.
type PackageFile struct {
	Filename string   `json:"filename"`
	URL      string   `json:"url"`
	SHA256   string   `json:"sha256"`
	Size     int64    `json:"size,omitempty"`
	Index    string   `json:"index,omitempty"`
	Provider Provider `json:"provider"`
	// Tags are a wheel's compatibility tags (python-abi-platform), as its
	// filename gives them; none for an sdist.
	Tags []string `json:"tags,omitempty"`
	// Targets are the keys of the targets that install this file, sorted.
	Targets []string `json:"targets"`
	// Native is what this wheel needs from nixpkgs, as the native report
	// found it for the targets it serves (each file is inspected for its
	// own platform and Python); nil where it was never inspected.
	Native *Native `json:"native,omitempty"`
	// NativeByTarget holds, by target key, what the inspection found for
	// the targets where it differs from Native: a file serving several
	// Pythons may link one's libpython, or load a library from a wheel
	// only some of its targets install. Empty in most locks.
	NativeByTarget map[string]*Native `json:"native_by_target,omitempty"`
	// BuildRequires are an sdist's build requirements per target key (a
	// single-target lock's Package.BuildRequires for that target): the
	// markers of [build-system] requires are evaluated per target, so
	// one file may need other pins on another Python.
	BuildRequires map[string][]string `json:"build_requires,omitempty"`
}

// NativeFor is what the file needs from nixpkgs on the target key.
func (f PackageFile) NativeFor(key string) *Native {
	if n, ok := f.NativeByTarget[key]; ok {
		return n
	}
	return f.Native
}

// Key names a target within a universal lock: "x86_64-linux/3.13".
func (t Target) Key() string { return t.System + "/" + t.Python }
