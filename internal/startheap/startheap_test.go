package startheap

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestStartingHeapHandsOverAfterFirstCollection(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT set")
	}
	gogc := debug.SetGCPercent(100)
	defer debug.SetGCPercent(gogc)
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	read := func() (uint64, uint64) { metrics.Read(s); return s[0].Value.Uint64(), s[1].Value.Uint64() }
	Set(16 << 20)
	if pct, limit := read(); pct != math.MaxUint64 || limit != 16<<20 { // off, and the limit
		t.Fatalf("after Set: GOGC %d, limit %d", pct, limit)
	}
	var keep [][]byte
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		keep = append(keep, make([]byte, 1<<20))
		if len(keep) > 4 {
			keep = keep[1:] // garbage: only the limit starts a collection
		}
		if pct, limit := read(); pct == 100 && limit > 1<<60 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	pct, limit := read()
	t.Fatalf("still GOGC %d, limit %d after allocating past the limit", pct, limit)
}
