package scenario

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// RunAll runs the cases, several at once, and returns their results in
// the cases' order.
func RunAll(ctx context.Context, cases []*Case) []Result {
	results := make([]Result, len(cases))
	sem := make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = Run(ctx, c)
		}()
	}
	wg.Wait()
	return results
}

// Counts summarises results; universal cases are also counted apart.
type Counts struct {
	Passed, Failed, Skipped int
	Universal               int
	// UniversalPassed, UniversalFailed and UniversalSkipped are the
	// universal cases' share of the totals.
	UniversalPassed, UniversalFailed, UniversalSkipped int
}

// Count tallies results.
func Count(results []Result) Counts {
	var c Counts
	for _, r := range results {
		if r.Universal {
			c.Universal++
			switch r.Status {
			case Pass:
				c.UniversalPassed++
			case Fail:
				c.UniversalFailed++
			case Skip:
				c.UniversalSkipped++
			}
		}
		switch r.Status {
		case Pass:
			c.Passed++
		case Fail:
			c.Failed++
		case Skip:
			c.Skipped++
		}
	}
	return c
}

// WriteText writes one line per failure, one per skipped universal case,
// the universal cases' tally, and last "N passed, M failed, K skipped".
func WriteText(w io.Writer, results []Result) {
	for _, r := range results {
		switch {
		case r.Status == Fail:
			fmt.Fprintf(w, "FAIL %s (%s): %s\n", r.Name, r.Source, r.Reason)
		case r.Status == Skip && r.Universal:
			fmt.Fprintf(w, "SKIP %s (%s): %s\n", r.Name, r.Source, r.Reason)
		}
	}
	c := Count(results)
	if c.Universal > 0 {
		fmt.Fprintf(w, "universal: %d passed, %d failed, %d skipped (of %d)\n", c.UniversalPassed, c.UniversalFailed, c.UniversalSkipped, c.Universal)
	}
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", c.Passed, c.Failed, c.Skipped)
}
