package autopatch

// Status says where a needed shared library comes from. Exactly one applies
// to each dependency; the constants are listed in the order in which they are
// tried, and the first match wins.
type Status string

const (
	StatusBundled Status = "bundled" // inside the same wheel (auditwheel's <pkg>.libs/, $ORIGIN)
	StatusLibc    Status = "libc"    // part of glibc, which comes with the interpreter
	StatusPython  Status = "python"  // libpython of the target interpreter
	// StatusOtherPython is the libpython of another Python version than
	// the target's: the wheel was built for that one, and nothing in the
	// environment provides it.
	StatusOtherPython Status = "other_python"
	StatusWheel       Status = "wheel"   // provided by another wheel among the inputs
	StatusNixpkgs     Status = "nixpkgs" // mapped to a nixpkgs attribute path
	StatusDriver      Status = "driver"  // supplied by the GPU driver at run time
	StatusMissing     Status = "missing"
)

// NativeReport is the result of inspecting a set of wheels together. Wheels
// are inspected together because one wheel may provide libraries for another.
type NativeReport struct {
	Wheels []WheelReport `json:"wheels"`
}

// WheelReport describes one wheel and what its ELF files need.
type WheelReport struct {
	File string `json:"file"`
	// Filename is the wheel's own file name: the one given with
	// WithFileNames for a wheel kept under another (a cache keeps them
	// by digest), else File's.
	Filename string   `json:"filename"`
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Tags     []string `json:"tags"`
	// TopLevelModules are the importable top-level names the wheel installs,
	// used for pythonImportsCheck.
	TopLevelModules []string    `json:"top_level_modules,omitempty"`
	ELFs            []ELFReport `json:"elfs"`
	// NixInputs are the distinct nixpkgs attribute paths the wheel's ELF
	// files need, sorted.
	NixInputs []string `json:"nix_inputs"`
	// Missing are the distinct sonames nothing provides, sorted.
	Missing []string `json:"missing"`
	// Driver lists sonames the GPU driver supplies at run time.
	Driver []string `json:"driver,omitempty"`
	// LoadsDriver lists the wheel's ELF files (paths in the wheel) that
	// load the GPU driver with dlopen, without a DT_NEEDED entry for it:
	// CUDA's runtime libraries, known by name (DriverLoaders). They need
	// the driver's directory in their RUNPATH all the same.
	LoadsDriver []string `json:"loads_driver,omitempty"`
	// WheelDeps names the other wheels (by normalised project name) whose
	// libraries this wheel loads.
	WheelDeps []string `json:"wheel_deps,omitempty"`
	// NotForTarget is set when the wheel is built for another architecture
	// or libc (musl, Android); such wheels are never mapped.
	NotForTarget string `json:"not_for_target,omitempty"`
	// Manylinux is the lowest manylinux_x_y the symbol versions need, and
	// ClaimedManylinux the lowest one the file name's tags claim.
	Manylinux        string `json:"manylinux,omitempty"`
	ClaimedManylinux string `json:"claimed_manylinux,omitempty"`
}

// ELFReport describes one ELF file inside a wheel.
type ELFReport struct {
	Path            string            `json:"path"`
	Class           string            `json:"class"`
	Machine         string            `json:"machine"`
	Soname          string            `json:"soname,omitempty"`
	Interpreter     string            `json:"interpreter,omitempty"`
	Needed          []string          `json:"needed"`
	RPath           []string          `json:"rpath"`
	RunPath         []string          `json:"runpath"`
	VersionNeeds    map[string]string `json:"version_needs"`
	PythonExtension bool              `json:"python_extension"`
	Deps            []Dep             `json:"deps"`
}

// Dep is the resolution of one DT_NEEDED entry.
type Dep struct {
	Soname string `json:"soname"`
	Status Status `json:"status"`
	// Provider is the nixpkgs attribute path, the providing wheel's name,
	// the path inside the wheel, or the --lib-path directory, by Status.
	Provider string `json:"provider,omitempty"`
	// Guess marks a provider found by nix-locate rather than the table.
	Guess bool `json:"guess,omitempty"`
}

// OtherPython is the Python ("python3.10") whose libpython the wheel needs
// as soname instead of the target's, or "" when soname is no such library.
func (w WheelReport) OtherPython(soname string) string {
	for _, e := range w.ELFs {
		for _, d := range e.Deps {
			if d.Soname == soname && d.Status == StatusOtherPython {
				return d.Provider
			}
		}
	}
	return ""
}
