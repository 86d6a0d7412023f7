package distinfo

import (
	"archive/zip"
	"bytes"
	"errors"
	"testing"
)

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		name     string
		filename string
		entries  []string
		want     string
		err      error
	}{
		{"one", "a-1.0-py3-none-any.whl", []string{"a/__init__.py", "a-1.0.dist-info/WHEEL", "a-1.0.dist-info/METADATA"}, "a-1.0.dist-info", nil},
		{"normalised names", "/some/dir/a_pkg-1.0-py3-none-any.whl", []string{"A.Pkg-1.0.dist-info/", "A.Pkg-1.0.dist-info/WHEEL", "A.Pkg-1.0.dist-info/METADATA"}, "A.Pkg-1.0.dist-info", nil},
		{"unescaped legacy name", "a_pkg-1.0-py3-none-any.whl", []string{"a-pkg-1.0.dist-info/WHEEL", "a-pkg-1.0.dist-info/METADATA"}, "a-pkg-1.0.dist-info", nil},
		{"none", "a-1.0-py3-none-any.whl", []string{"a/__init__.py", "a-1.0.data/purelib/x.py"}, "", ErrNoDistInfo},
		{"nested is not top-level", "a-1.0-py3-none-any.whl", []string{"a/a-1.0.dist-info/WHEEL", "a/a-1.0.dist-info/METADATA"}, "", ErrNoDistInfo},
		{"two", "a-1.0-py3-none-any.whl", []string{"a-1.0.dist-info/WHEEL", "a-1.0.dist-info/METADATA", "b-1.0.dist-info/METADATA"}, "", ErrMultipleDistInfo},
		{"two of the same project", "a-1.0-py3-none-any.whl", []string{"a-1.0.dist-info/WHEEL", "a-1.0.dist-info/METADATA", "a-2.0.dist-info/WHEEL", "a-2.0.dist-info/METADATA"}, "", ErrMultipleDistInfo},
		{"unknown file name", "", []string{"b-1.0.dist-info/WHEEL", "b-1.0.dist-info/METADATA"}, "b-1.0.dist-info", nil},
		{"another project", "a-1.0-py3-none-any.whl", []string{"b-1.0.dist-info/WHEEL", "b-1.0.dist-info/METADATA"}, "", ErrOtherProject},
		{"a prefix is not the project", "a-1.0-py3-none-any.whl", []string{"ab-1.0.dist-info/WHEEL", "ab-1.0.dist-info/METADATA"}, "", ErrOtherProject},
		{"no METADATA", "a-1.0-py3-none-any.whl", []string{"a-1.0.dist-info/WHEEL"}, "", ErrMissingFile},
		{"no WHEEL", "a-1.0-py3-none-any.whl", []string{"a-1.0.dist-info/METADATA"}, "", ErrMissingFile},
		{"METADATA one level down", "a-1.0-py3-none-any.whl", []string{"a-1.0.dist-info/WHEEL", "a-1.0.dist-info/x/METADATA"}, "", ErrMissingFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Find(tc.entries, tc.filename)
			if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("Find = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
			if err != nil && !errors.Is(err, ErrNotWheel) {
				t.Errorf("%v does not wrap ErrNotWheel", err)
			}
		})
	}
}

// TestReadCapsWhatIsInflated: a file over MaxFileSize is refused whether
// its header declares the size or hides it.
func TestReadCapsWhatIsInflated(t *testing.T) {
	big := bytes.Repeat([]byte("a"), MaxFileSize+1)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range map[string][]byte{"a-1.0.dist-info/WHEEL": []byte("Wheel-Version: 1.0\n"), "a-1.0.dist-info/METADATA": big} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Open(zr.File, "a-1.0-py3-none-any.whl")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.Read(WHEEL); err != nil || string(b) != "Wheel-Version: 1.0\n" {
		t.Fatalf("WHEEL: %q, %v", b, err)
	}
	if _, err := fs.Read(METADATA); !errors.Is(err, ErrTooLarge) {
		t.Errorf("declared too large: %v, want ErrTooLarge", err)
	}
	for _, f := range zr.File {
		f.UncompressedSize64 = MaxFileSize // the header lies, under the cap
	}
	// archive/zip or the cap, whichever sees it first, refuses the bytes
	// past what the header declared.
	if _, err := fs.Read(METADATA); !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrNotWheel) {
		t.Errorf("inflating past its header: %v, want a refusal", err)
	}
	if _, err := fs.Read(RECORD); !errors.Is(err, ErrMissingFile) {
		t.Errorf("RECORD absent: %v, want ErrMissingFile", err)
	}
}
