// Package registry starts a real OCI registry (Debian's docker-registry,
// distribution 2.8) for tests: on 127.0.0.1, with a temporary storage
// directory and optional htpasswd basic auth, stopped when the test ends.
package registry

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/machnix/machnix/testfixtures"
)

// Registry is a running docker-registry.
type Registry struct {
	// Host is "127.0.0.1:PORT", the registry part of image references.
	Host string
	// LogPath is where the registry writes its log; tests read it to see
	// which blobs were uploaded.
	LogPath string
}

// Start runs docker-registry for the test. With a user, basic auth is
// required and only user:password is accepted.
func Start(t testing.TB, user, password string) *Registry {
	t.Helper()
	bins := testfixtures.RequireTool(t, "docker-registry")
	dir := t.TempDir()
	auth := ""
	if user != "" {
		testfixtures.RequireTool(t, "htpasswd")
		out, err := exec.Command("htpasswd", "-Bbn", user, password).Output()
		if err != nil {
			t.Fatalf("htpasswd: %v", err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, out, 0o600); err != nil {
			t.Fatal(err)
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: machnix-test\n    path: %s\n", htpasswd)
	}
	port := testfixtures.FreePort(t)
	host := fmt.Sprintf("127.0.0.1:%d", port)
	config := fmt.Sprintf(`version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
%s`, filepath.Join(dir, "storage"), host, auth)
	configPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "registry.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bins[0], "serve", configPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting docker-registry: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			break // 200 without auth, 401 with: either way it serves
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("docker-registry did not start on %s: %v\n%s", host, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &Registry{Host: host, LogPath: logPath}
}
