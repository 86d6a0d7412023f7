package fetch

import (
	"encoding/json"
	"fmt"
	"testing"
)

// benchPage is a PEP 691 page shaped like a large project's (hypothesis
// has about 480 files on PyPI): relative URLs, hashes, metadata hashes,
// some Requires-Python and a few yanked files.
func benchPage(files int) []byte {
	type jf struct {
		Filename       string            `json:"filename"`
		URL            string            `json:"url"`
		Hashes         map[string]string `json:"hashes"`
		RequiresPython string            `json:"requires-python,omitempty"`
		Yanked         any               `json:"yanked"`
		CoreMetadata   any               `json:"core-metadata,omitempty"`
	}
	page := struct {
		Meta  map[string]string `json:"meta"`
		Name  string            `json:"name"`
		Files []jf              `json:"files"`
	}{Meta: map[string]string{"api-version": "1.0"}, Name: "hypothesis"}
	hash := "6c6ef590a6b7af3e7dd67e8fa87f8c3e645bce4f9bfe5fa5dfe54995bde304a1"
	for i := range files {
		name := fmt.Sprintf("hypothesis-%d.%d.%d-py3-none-any.whl", 3+i/100, i/10%10, i%10)
		f := jf{Filename: name, URL: "../../files/hypothesis/" + name, Hashes: map[string]string{"sha256": hash},
			Yanked: false, CoreMetadata: map[string]string{"sha256": hash}}
		if i%3 == 0 {
			f.RequiresPython = ">=3.5.2"
		}
		if i%50 == 0 {
			f.Yanked = "broken"
		}
		page.Files = append(page.Files, f)
	}
	b, _ := json.Marshal(page)
	return b
}

func BenchmarkParseJSONPage(b *testing.B) {
	body := benchPage(480)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseJSONPage(body, "http://127.0.0.1:8080/simple/hypothesis/", "hypothesis", "http://127.0.0.1:8080/simple/"); err != nil {
			b.Fatal(err)
		}
	}
}
