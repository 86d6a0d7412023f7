package distinfo_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/internal/distinfo"
	"github.com/machnix/machnix/resolve"
)

const (
	wheelText = "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	metaText  = "Metadata-Version: 2.1\nName: a-pkg\nVersion: 1.0\n"
)

// wheelZip builds a wheel from entries, with a RECORD that covers every
// entry in each .dist-info directory present, so that only the
// .dist-info rule can refuse it.
func wheelZip(t *testing.T, entries map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(entries))
	dirs := map[string]bool{}
	for n := range entries {
		names = append(names, n)
		if top, _, ok := strings.Cut(n, "/"); ok && strings.HasSuffix(top, ".dist-info") {
			dirs[top] = true
		}
	}
	sort.Strings(names)
	var record strings.Builder
	for _, n := range names {
		sum := sha256.Sum256([]byte(entries[n]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(entries[n]))
	}
	for d := range dirs {
		names = append(names, d+"/RECORD")
		fmt.Fprintf(&record, "%s/RECORD,,\n", d)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(n, ".dist-info/RECORD") {
			w.Write([]byte(record.String()))
		} else {
			w.Write([]byte(entries[n]))
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hostileWheels are wheels pip refuses for their .dist-info, each with
// the sentinel the rule gives, and one good wheel as a control.
func hostileWheels() []struct {
	name    string
	entries map[string]string
	want    error
} {
	return []struct {
		name    string
		entries map[string]string
		want    error
	}{
		{"good", map[string]string{"a_pkg/__init__.py": "", "a_pkg-1.0.dist-info/WHEEL": wheelText, "a_pkg-1.0.dist-info/METADATA": metaText}, nil},
		{"no .dist-info", map[string]string{"a_pkg/__init__.py": "", "a_pkg/METADATA": metaText}, distinfo.ErrNoDistInfo},
		{"two .dist-info", map[string]string{"a_pkg-1.0.dist-info/WHEEL": wheelText, "a_pkg-1.0.dist-info/METADATA": metaText,
			"z-1.0.dist-info/WHEEL": wheelText, "z-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: z\nVersion: 1.0\nRequires-Dist: evil\n"}, distinfo.ErrMultipleDistInfo},
		{"two of the same project", map[string]string{"a_pkg-1.0.dist-info/WHEEL": wheelText, "a_pkg-1.0.dist-info/METADATA": metaText,
			"a_pkg-2.0.dist-info/WHEEL": wheelText, "a_pkg-2.0.dist-info/METADATA": metaText}, distinfo.ErrMultipleDistInfo},
		// Its METADATA even claims the right name: only the directory tells.
		{"another project's .dist-info", map[string]string{"other-1.0.dist-info/WHEEL": wheelText, "other-1.0.dist-info/METADATA": metaText}, distinfo.ErrOtherProject},
		{"METADATA missing", map[string]string{"a_pkg-1.0.dist-info/WHEEL": wheelText}, distinfo.ErrMissingFile},
		{"WHEEL missing", map[string]string{"a_pkg-1.0.dist-info/METADATA": metaText}, distinfo.ErrMissingFile},
	}
}

const filename = "a_pkg-1.0-py3-none-any.whl"

// TestEveryReaderGivesTheSameVerdict runs each hostile wheel through the
// index client's range reader and whole-file reader and through
// autopatch.Inspect in both modes: each refuses it for the same reason.
func TestEveryReaderGivesTheSameVerdict(t *testing.T) {
	for _, tc := range hostileWheels() {
		t.Run(tc.name, func(t *testing.T) {
			data := wheelZip(t, tc.entries)
			var ranges atomic.Int32
			rangeSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Range") != "" {
					ranges.Add(1)
				}
				http.ServeContent(w, r, filename, time.Time{}, bytes.NewReader(data))
			}))
			defer rangeSrv.Close()
			wholeSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write(data) // no Accept-Ranges: the client downloads it whole
			}))
			defer wholeSrv.Close()
			dir := t.TempDir()
			local := filepath.Join(dir, filename)
			if err := os.WriteFile(local, data, 0o644); err != nil {
				t.Fatal(err)
			}

			verdicts := map[string]error{}
			for reader, srv := range map[string]*httptest.Server{"fetch by range": rangeSrv, "fetch whole": wholeSrv} {
				_, err := fetch.NewClient(srv.URL+"/simple/").Metadata(context.Background(),
					resolve.File{Filename: filename, URL: srv.URL + "/" + filename})
				verdicts[reader] = err
			}
			if ranges.Load() == 0 {
				t.Fatal("the range server saw no range request: the range reader was not exercised")
			}
			for _, verify := range []bool{true, false} {
				_, err := autopatch.Inspect(context.Background(), []string{local},
					autopatch.WithNixLocate(false), autopatch.WithVerifyRecord(verify))
				verdicts[fmt.Sprintf("autopatch, verify %v", verify)] = err
				if err != nil && !errors.Is(err, autopatch.ErrNotWheel) {
					t.Errorf("autopatch: %v does not wrap autopatch.ErrNotWheel", err)
				}
			}
			// fetch's cache keeps wheels as blobs named by hash; the build
			// gives autopatch their real names.
			blob := filepath.Join(dir, "0123abcd")
			if err := os.WriteFile(blob, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := autopatch.Inspect(context.Background(), []string{blob}, autopatch.WithNixLocate(false),
				autopatch.WithFileNames(map[string]string{blob: filename}))
			const blobReader = "autopatch, a blob named by hash"
			verdicts[blobReader] = err
			for reader, err := range verdicts {
				named := filename
				if reader == blobReader {
					named = blob // the file the user can find
				}
				if tc.want == nil && err != nil {
					t.Errorf("%s refused a good wheel: %v", reader, err)
				}
				if tc.want != nil && !errors.Is(err, tc.want) {
					t.Errorf("%s: %v, want %v", reader, err, tc.want)
				}
				if err != nil && !strings.Contains(err.Error(), named) {
					t.Errorf("%s: %q does not name %s", reader, err, named)
				}
			}
		})
	}
}
