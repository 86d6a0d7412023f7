package nixbuild

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// A store URL may carry credentials; when nix-store fails on it, neither
// the arguments nor nix-store's own message (which repeats the URL) show
// them in nixStoreLines' error.
func TestNixStoreLinesHidesCredentials(t *testing.T) {
	testfixtures.RequireTool(t, "nix-store")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL + "/cache")
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("deploy", "hunter2")
	store := u.String()
	_, err = nixStoreLines(context.Background(), "--store", store, "--check-validity", "--print-invalid", storeDir()+"/"+strings.Repeat("0", 32)+"-x")
	if !errors.Is(err, ErrNixStore) {
		t.Fatalf("err = %v, want ErrNixStore", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "hunter2") {
		t.Errorf("the error shows the password: %s", msg)
	}
	if !strings.Contains(msg, srv.URL[len("http://"):]) {
		t.Errorf("the error does not say which store failed: %s", msg)
	}
}
