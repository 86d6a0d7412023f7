package testfixtures

import (
	"fmt"
	"runtime"
	"testing"
)

// recorder captures whether RequireTool failed or skipped, without ending
// the real test.
type recorder struct {
	testing.TB
	failed, skipped bool
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	_ = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
	_ = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func requireIn(t *testing.T, ci string, tool string) *recorder {
	t.Setenv("CI", ci)
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		RequireTool(r, tool)
	}()
	<-done
	return r
}

func TestRequireToolFailsInCI(t *testing.T) {
	const absent = "machnix-no-such-tool"
	if r := requireIn(t, "true", absent); !r.failed || r.skipped {
		t.Errorf("CI=true: failed=%v skipped=%v, want a failure", r.failed, r.skipped)
	}
	if r := requireIn(t, "", absent); r.failed || !r.skipped {
		t.Errorf("outside CI: failed=%v skipped=%v, want a skip", r.failed, r.skipped)
	}
	if r := requireIn(t, "true", "sh"); r.failed || r.skipped {
		t.Errorf("a present tool: failed=%v skipped=%v, want neither", r.failed, r.skipped)
	}
}
