package testfixtures

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SSHD is an OpenSSH server the test started on 127.0.0.1, with its own
// configuration, host key and a throwaway client key, all in a temporary
// directory: nothing of ~/.ssh is read or written.
type SSHD struct {
	Port int
	// Key is the client's private key, KnownHosts a known_hosts file
	// holding the server's host key.
	Key, KnownHosts string
	// Dir is the server's temporary directory.
	Dir string
}

// SSHOpts are the options for ssh that reach this server, in the form
// Nix reads from NIX_SSHOPTS (split at spaces, so no path may hold one).
func (s *SSHD) SSHOpts() string {
	return fmt.Sprintf("-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10 -i %s -p %d", s.KnownHosts, s.Key, s.Port)
}

// StartSSHD starts sshd (Debian's openssh-server) as a child of the test,
// listening on a free port of 127.0.0.1 and accepting the client key for
// root. It is stopped when the test ends. Skipped without sshd, or failed
// when CI=true; it needs root, as sshd does to log a user in.
func StartSSHD(t testing.TB) *SSHD {
	t.Helper()
	sshd := RequireTool(t, "sshd", "ssh", "ssh-keygen")[0]
	if os.Geteuid() != 0 {
		if inCI() {
			t.Fatal("sshd needs root to log a user in; CI runs the tests as root")
		}
		t.Skip("sshd needs root to log a user in")
	}
	// sshd's privilege separation directory is compiled in; the package's
	// service would create it at boot.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "machnix-sshd-") // short and free of spaces, for NIX_SSHOPTS
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &SSHD{Dir: dir, Key: filepath.Join(dir, "client"), KnownHosts: filepath.Join(dir, "known_hosts")}
	host := filepath.Join(dir, "host")
	for _, k := range []string{host, s.Key} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "machnix-test", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	hostPub, err := os.ReadFile(host + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	clientPub, err := os.ReadFile(s.Key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(hostPub))
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, clientPub, 0o600); err != nil {
		t.Fatal(err)
	}
	s.Port = FreePort(t)
	if err := os.WriteFile(s.KnownHosts, fmt.Appendf(nil, "[127.0.0.1]:%d %s %s\n", s.Port, fields[0], fields[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "sshd_config")
	conf := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PidFile %s
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers root
LogLevel VERBOSE
`, s.Port, host, authorized, filepath.Join(dir, "sshd.pid"))
	if err := os.WriteFile(config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cmd := exec.Command(sshd, "-f", config, "-D", "-e")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("sshd's log:\n%s", log.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port))
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			t.Fatalf("sshd exited: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen on 127.0.0.1:%d: %s", s.Port, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// FreePort asks the kernel for a free port on 127.0.0.1. The server binds
// it a moment later; the window for another process to take it is small.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RemoteStore makes a store for a remote builder reached through s: a
// directory of its own (a chroot store, which Nix builds in with its
// sandbox) and a wrapper for the program Nix runs there, nix-store --serve
// for scheme "ssh" or nix-daemon --stdio for "ssh-ng", that lets the
// sandbox see the host's /bin, /usr, /lib and /etc, where the fixture
// nixpkgs' builders and tools live, and substitutes nothing. It returns
// the store's root and the machine line for nix-build --builders.
func (s *SSHD) RemoteStore(t testing.TB, scheme, system string) (root, machine string) {
	t.Helper()
	program := map[string]string{"ssh": "nix-store", "ssh-ng": "nix-daemon"}[scheme]
	if program == "" {
		t.Fatalf("RemoteStore: scheme %q is neither ssh nor ssh-ng", scheme)
	}
	root = filepath.Join(s.Dir, scheme+"-store")
	wrapper := filepath.Join(s.Dir, "remote-"+program)
	script := "#!/bin/sh\nNIX_CONFIG='sandbox-paths = /bin /usr /lib /lib64 /etc\nsubstituters ='\nexport NIX_CONFIG\nexec " + program + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	machine = fmt.Sprintf("%s://root@127.0.0.1?remote-store=%s&remote-program=%s %s", scheme, root, wrapper, system)
	return root, machine
}

// BinaryCacheKey makes a signing key pair with nix-store
// --generate-binary-cache-key and returns the secret key's file and the
// public key.
func BinaryCacheKey(t testing.TB, name string) (secretFile, public string) {
	t.Helper()
	RequireTool(t, "nix-store")
	dir := t.TempDir()
	secretFile, pubFile := filepath.Join(dir, "secret.key"), filepath.Join(dir, "public.key")
	if out, err := exec.Command("nix-store", "--generate-binary-cache-key", name, secretFile, pubFile).CombinedOutput(); err != nil {
		t.Fatalf("nix-store --generate-binary-cache-key: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	return secretFile, strings.TrimSpace(string(pub))
}
