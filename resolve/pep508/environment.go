package pep508

import "strings"

// latestPatch is the CPython patch release assumed for python_full_version
// and implementation_version when only "3.X" is given. These were the
// newest upstream releases of each minor when this table was written; a
// nixpkgs revision may lag by a patch or two. Markers on the patch level
// are rare; pass "3.X.Y" to EnvironmentFor to be exact.
var latestPatch = map[string]string{
	"3.10": "3.10.19",
	"3.11": "3.11.14",
	"3.12": "3.12.12",
	"3.13": "3.13.9",
	"3.14": "3.14.0",
}

// machines maps a Nix system to Python's platform.machine().
var machines = map[string]string{
	"x86_64-linux":  "x86_64",
	"aarch64-linux": "aarch64",
}

// EnvironmentFor returns the full marker environment of CPython on Linux
// for a Nix system ("x86_64-linux" or "aarch64-linux"). python is "3.X"
// (the patch level then comes from a built-in table of the newest
// releases, ".0" for an unknown minor) or a full "3.X.Y". platform_release
// and platform_version are the kernel's and are unknown ahead of time;
// they are empty, as packaging reports values it cannot determine.
func EnvironmentFor(python, system string) Environment {
	minor, full := python, python
	if parts := strings.Split(python, "."); len(parts) >= 3 {
		minor = parts[0] + "." + parts[1]
	} else if p, ok := latestPatch[python]; ok {
		full = p
	} else {
		full = python + ".0"
	}
	machine := machines[system]
	if machine == "" {
		machine, _, _ = strings.Cut(system, "-")
	}
	return Environment{
		"implementation_name":            "cpython",
		"implementation_version":         full,
		"os_name":                        "posix",
		"platform_machine":               machine,
		"platform_python_implementation": "CPython",
		"platform_release":               "",
		"platform_system":                "Linux",
		"platform_version":               "",
		"python_full_version":            full,
		"python_version":                 minor,
		"sys_platform":                   "linux",
	}
}
