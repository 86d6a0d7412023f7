// Package startheap tunes the garbage collector for a short-lived command.
package startheap

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
)

// Set lets the process grow to about limit bytes before the
// first collection, then collects as GOGC says. A resolution allocates a
// few MB and exits; collecting on the way, from the default 4 MB heap
// goal, costs more than it saves: the collector's CPU, and fresh pages
// for its own bookkeeping, which on a VM cost as much as the heap they
// save. The limit stays small because every page the heap grows by is
// such a fault too: at 64 MB, a resolution of 2,000 packages touched
// twice the pages and took longer. The Go compiler starts its heap large
// for the same reason. GOGC or GOMEMLIMIT in the environment leave the
// collector as they say.
func Set(limit int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	gogc := debug.SetGCPercent(-1)
	debug.SetMemoryLimit(limit) // the first collection happens near it
	// The sentinel is garbage from the start, so the first collection
	// queues its finalizer, which hands over to the usual pacing.
	sentinel := &struct{ p *int }{}
	runtime.SetFinalizer(sentinel, func(any) {
		debug.SetGCPercent(gogc)
		debug.SetMemoryLimit(math.MaxInt64)
	})
}
