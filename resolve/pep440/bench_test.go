package pep440

import "testing"

var sinkV Version
var sinkB bool

func BenchmarkParse(b *testing.B) {
	inputs := []string{"1.26.4", "2.1.0rc1", "1!2.0.post3.dev4+ubuntu.1", "0.9", "2024.10.1"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		v, err := Parse(inputs[i%len(inputs)])
		if err != nil {
			b.Fatal(err)
		}
		sinkV = v
	}
}

func BenchmarkContains(b *testing.B) {
	ss := MustParseSpecifiers(">=1.20,<3,!=2.0.1,~=1.21")
	vs := []Version{MustParse("1.26.4"), MustParse("2.0.1"), MustParse("1.19"), MustParse("2.1rc1")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkB = ss.Contains(vs[i%len(vs)], false)
	}
}

func BenchmarkCompare(b *testing.B) {
	x, y := MustParse("1.26.4"), MustParse("1.26.4.post1")
	b.ReportAllocs()
	for b.Loop() {
		sinkB = x.Compare(y) < 0
	}
}
