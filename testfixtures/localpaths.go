package testfixtures

// LocalPaths are paths a lock's local entry may hold, and HostileLocalPaths
// paths it must not, with why. The Go lock reader
// (resolve.CheckProjectPath) and machnix's Nix library (isLocalPath in
// nix/locked.nix) are both tested against these, so that the two rules
// stay one.
var (
	LocalPaths = []string{".", "..", "../..", "../src/app", "app", "services/app", "../../a b/c-d_e.f", "ünï/çødé", "app~", ".hidden/app"}

	HostileLocalPaths = map[string]string{
		"":                    "empty",
		"/etc":                "absolute",
		"//etc":               "absolute",
		"~/app":               "home",
		"~":                   "home",
		"./app":               "a dot component",
		"../.":                "a dot after going up",
		"../src/./app":        "a dot component",
		"app/..":              "going down then up",
		"app/../../etc":       "going down then up",
		"../app/../../etc":    "going down then up",
		"app/":                "a trailing slash",
		"..//app":             "an empty component",
		`..\app`:              "a backslash",
		"app\"; x = \"":       "a quote",
		"${builtins.abort 1}": "a dollar",
		"app\n":               "a newline",
		"app\x00":             "a NUL",
		"app\x1b[2J":          "an escape",
		"app\x7f":             "DEL",
		"app\u0085":           "a C1 control",
		"app\u202e":           "a bidi override",
		"app\ufffd":           "the replacement character",
	}
)
