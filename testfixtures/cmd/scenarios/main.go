// Command scenarios runs resolver conformance cases against machnix's
// resolver and compares each with its expected outcome.
//
//	go run ./testfixtures/cmd/scenarios [--json] PATH...
//
// A PATH is a packse scenario (.toml), a folder of them, or a resolvelib
// case (case/NAME.json, whose index is read from the sibling index/
// folder). It prints one line per failure, one per skipped universal
// scenario (with the reason), the universal scenarios' own tally, and last
// "N passed, M failed, K skipped". Universal packse scenarios are resolved
// with resolve.ResolveUniversal over every environment; a package pinned
// at several versions (one per fork) reads "v1|v2", so an expected pin
// matches only when every fork that installs the package chose it. With
// --json it prints every result as JSON instead. It exits 1 if a case
// failed, 2 on bad usage or unreadable input.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/machnix/machnix/testfixtures/scenario"
)

func main() {
	asJSON := flag.Bool("json", false, "print every result as JSON")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: scenarios [--json] PATH...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var cases []*scenario.Case
	for _, p := range flag.Args() {
		cs, err := scenario.Load(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "scenarios:", err)
			os.Exit(2)
		}
		cases = append(cases, cs...)
	}
	results := scenario.RunAll(context.Background(), cases)
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			fmt.Fprintln(os.Stderr, "scenarios:", err)
			os.Exit(2)
		}
	} else {
		scenario.WriteText(os.Stdout, results)
	}
	if scenario.Count(results).Failed > 0 {
		os.Exit(1)
	}
}
