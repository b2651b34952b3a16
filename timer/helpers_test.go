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
// progress, every sequence number is unique, and every slot is either in
// the heap or on the free list. The property test calls it after every
// operation, so it checks by hand and uses testify to report.
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
	if len(q.pos) != len(q.slots) {
		return fmt.Sprintf("%d positions for %d slots", len(q.pos), len(q.slots))
	}
	seen := make(map[uint64]bool, len(q.heap))
	for i, e := range q.heap {
		if int(e.slot) >= len(q.slots) {
			return fmt.Sprintf("entry at %d names slot %d of %d", i, e.slot, len(q.slots))
		}
		s := q.slots[e.slot]
		switch {
		case int(q.pos[e.slot]) != i:
			return fmt.Sprintf("entry at %d thinks it is at %d", i, q.pos[e.slot])
		case s.state != stateQueued:
			return fmt.Sprintf("entry at %d is in state %d, not queued", i, s.state)
		case s.fn == nil:
			return fmt.Sprintf("entry at %d has no callback", i)
		case e.when != s.when:
			return fmt.Sprintf("entry at %d has deadline %d, its slot %d", i, e.when, s.when)
		case seen[s.seq]:
			return fmt.Sprintf("sequence %d used twice", s.seq)
		}
		seen[s.seq] = true
		if p := (i - 1) / 4; i > 0 && q.before(e, q.heap[p]) {
			return fmt.Sprintf("entry %d (when %d seq %d) sorts before its parent %d (when %d seq %d)",
				i, e.when, s.seq, p, q.heap[p].when, q.slots[q.heap[p].slot].seq)
		}
	}
	free := make(map[uint32]bool)
	for f := q.free; f != 0; f = uint32(q.pos[f-1]) {
		i := f - 1
		if int(i) >= len(q.slots) {
			return fmt.Sprintf("free list names slot %d of %d", i, len(q.slots))
		}
		s := q.slots[i]
		switch {
		case free[i]:
			return fmt.Sprintf("slot %d is free twice", i)
		case s.state != stateIdle || s.fn != nil:
			return fmt.Sprintf("free slot %d is in state %d", i, s.state)
		case s.gen == 0:
			return fmt.Sprintf("free slot %d has generation 0", i)
		}
		free[i] = true
	}
	if len(q.heap)+len(free) != len(q.slots) {
		return fmt.Sprintf("%d slots: %d queued and %d free, the rest lost",
			len(q.slots), len(q.heap), len(free))
	}
	return ""
}

func TestTimerSize(t *testing.T) {
	// A Timer is allocated per Add (32 bytes is a size class); a slot is
	// 40 bytes of the table per timer, a heap entry 16.
	assert.LessOrEqual(t, unsafe.Sizeof(Timer{}), uintptr(32))
	assert.LessOrEqual(t, unsafe.Sizeof(slot{}), uintptr(40))
	assert.LessOrEqual(t, unsafe.Sizeof(entry{}), uintptr(16))
}
