package timer

import (
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// epoch is the fake clock's start in every test: a fixed wall time, so the
// deadlines in failure messages are readable and the same on every run.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// newFakeQueue returns a queue on a fake clock that starts at epoch.
func newFakeQueue(t *testing.T) (*Queue, *FakeClock) {
	t.Helper()
	c := NewFakeClock(epoch)
	q := NewQueue(c)
	t.Cleanup(func() { checkHeap(t, q) })
	return q, c
}

// advance moves the clock by d and runs the queue at the new time, returning
// how many callbacks ran.
func advance(q *Queue, c *FakeClock, d time.Duration) int {
	return q.Run(c.Advance(d))
}

// recorder collects the names of fired callbacks in order.
type recorder struct{ got []string }

// fn returns a callback that records name.
func (r *recorder) fn(name string) func() {
	return func() { r.got = append(r.got, name) }
}

// take returns what was recorded since the last take and forgets it.
func (r *recorder) take() []string {
	got := r.got
	r.got = nil
	return got
}

// checkHeap fails t unless q's heap is a valid 4-ary min-heap on
// (when, seq) whose entries know their index and are queued, no Run is in
// progress, and every sequence number is unique. The property test calls it
// after every operation, so it checks by hand and uses testify to report.
func checkHeap(t testing.TB, q *Queue) {
	t.Helper()
	require.Empty(t, heapProblem(q))
}

// heapProblem describes the first broken invariant of q, or returns "".
func heapProblem(q *Queue) string {
	if q.running {
		return "a Run is still marked in progress"
	}
	if len(q.batch) != 0 {
		return "the due batch was not cleared"
	}
	seen := make(map[uint64]bool, len(q.heap))
	for i, e := range q.heap {
		tm := e.t
		switch {
		case tm == nil:
			return fmt.Sprintf("nil entry at %d", i)
		case int(tm.index) != i:
			return fmt.Sprintf("entry at %d thinks it is at %d", i, tm.index)
		case tm.state != stateQueued:
			return fmt.Sprintf("entry at %d is in state %d, not queued", i, tm.state)
		case tm.q != q:
			return fmt.Sprintf("entry at %d belongs to another queue", i)
		case e.when != tm.when:
			return fmt.Sprintf("entry at %d has deadline %d, its timer %d", i, e.when, tm.when)
		case seen[tm.seq]:
			return fmt.Sprintf("sequence %d used twice", tm.seq)
		}
		seen[tm.seq] = true
		if p := (i - 1) / 4; i > 0 && e.before(q.heap[p]) {
			return fmt.Sprintf("entry %d (when %d seq %d) sorts before its parent %d (when %d seq %d)",
				i, e.when, tm.seq, p, q.heap[p].when, q.heap[p].t.seq)
		}
	}
	return ""
}

func TestTimerSize(t *testing.T) {
	// A Timer is allocated per Add; 48 bytes is a size class, 49 would be 64.
	assert.LessOrEqual(t, unsafe.Sizeof(Timer{}), uintptr(48))
}
