package autopatch

import (
	"bytes"
	"strings"
	"testing"
)

// A wheel built against another Python's libpython is not "python": with
// the target's version known, it is other_python and missing, and the text
// says which Python the wheel was built for; the target's own libpython
// and the stable ABI's stay python.
func TestLibpythonOfAnotherPython(t *testing.T) {
	w := &Wheel{File: "ext-1.0-cp310-cp310-linux_x86_64.whl", Name: "ext", Version: "1.0",
		Tags: []string{"cp310-cp310-linux_x86_64"}, Entries: []string{"ext/_ext.so"},
		ELFs: []elfInfo{{Path: "ext/_ext.so", Class: "64", Machine: "x86_64",
			Needed: []string{"libpython3.10.so.1.0", "libpython3.11.so.1.0", "libpython3.so"}}}}
	in := &inspector{system: "x86_64-linux", extra: map[string]string{}, python: "3.11"}
	rep := in.resolve([]*Wheel{w}, "x86_64")
	got := map[string]Status{}
	for _, d := range rep.Wheels[0].ELFs[0].Deps {
		got[d.Soname] = d.Status
	}
	if got["libpython3.10.so.1.0"] != StatusOtherPython || got["libpython3.11.so.1.0"] != StatusPython || got["libpython3.so"] != StatusPython {
		t.Errorf("statuses %v", got)
	}
	if m := rep.Wheels[0].Missing; len(m) != 1 || m[0] != "libpython3.10.so.1.0" {
		t.Errorf("missing %v, want the other Python's libpython", m)
	}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "built for python3.10") || strings.Contains(b.String(), "add a row") {
		t.Errorf("the report does not say the wheel is for another Python:\n%s", b.String())
	}
	// Without the target's version nothing can be told apart.
	in.python = ""
	if d := in.resolve([]*Wheel{w}, "x86_64").Wheels[0].ELFs[0].Deps[0]; d.Status != StatusPython {
		t.Errorf("without a target Python: %+v", d)
	}
}
