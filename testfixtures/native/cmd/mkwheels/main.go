// Command mkwheels builds the native fixture wheels (see package native)
// into a directory, for the demo and for trying machnix by hand:
//
//	go run ./testfixtures/native/cmd/mkwheels DIR
package main

import (
	"fmt"
	"os"

	"github.com/machnix/machnix/testfixtures/native"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkwheels DIR")
		os.Exit(2)
	}
	w, err := native.Build(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, p := range w.All() {
		fmt.Println(p)
	}
}
