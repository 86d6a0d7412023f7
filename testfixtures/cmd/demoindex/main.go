// Command demoindex serves the demo's package index on 127.0.0.1: the
// gcc-built fixture wheels (see package native) and a pure-Python sdist,
// as a PEP 691 index with PEP 658 metadata, the way a user's index serves
// their packages. It prints the index URL and serves until it is stopped.
//
//	go run ./testfixtures/cmd/demoindex DIR
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: demoindex DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	w, err := native.Build(filepath.Join(dir, "built"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "demoindex:", err)
		os.Exit(1)
	}
	var dists []pyindex.Wheel
	for _, p := range w.All() {
		dists = append(dists, pyindex.Wheel{Prebuilt: p})
	}
	// An sdist, built from source by Nix with the build system its
	// pyproject.toml names.
	dists = append(dists, pyindex.Wheel{Sdist: true, Wheel: testfixtures.Wheel{Name: "greeting", Version: "1.0",
		Files: []testfixtures.File{{Path: "greeting/__init__.py", Data: []byte("def hello():\n    return 'hello from an sdist'\n")}}}})
	srv, err := pyindex.New(filepath.Join(dir, "index"), dists)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demoindex:", err)
		os.Exit(1)
	}
	defer srv.Close()
	srv.Delay.Store(0)
	fmt.Println(srv.URL + "/simple/")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
}
