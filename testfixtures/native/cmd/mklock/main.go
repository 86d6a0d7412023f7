// Command mklock writes a machnix.lock pinning the fixture wheels in DIR as
// served from BASEURL, for the offline demo (there is no PyPI to resolve
// against there).
//
//	go run ./testfixtures/native/cmd/mklock DIR BASEURL OUT
package main

import (
	"fmt"
	"os"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures/native"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: mklock DIR BASEURL OUT")
		os.Exit(2)
	}
	lock, err := native.Lock(os.Args[1], os.Args[2])
	if err == nil {
		err = resolve.WriteLock(os.Args[3], lock)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mklock:", err)
		os.Exit(1)
	}
}
