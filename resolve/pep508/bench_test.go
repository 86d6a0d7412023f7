package pep508

import "testing"

var sinkR Requirement
var sinkB bool

func BenchmarkParseRequirement(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r, err := ParseRequirement(`requests[security,socks]>=2.25,<3; python_version >= "3.8" and extra == "http"`)
		if err != nil {
			b.Fatal(err)
		}
		sinkR = r
	}
}

func BenchmarkEvaluate(b *testing.B) {
	m := MustParseMarker(`python_version >= "3.8" and (sys_platform == "linux" or extra == "http")`)
	env := EnvironmentFor("3.11", "x86_64-linux")
	b.ReportAllocs()
	for b.Loop() {
		sinkB = m.Evaluate(env, "")
	}
}
