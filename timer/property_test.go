package timer

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refTimer is one timer of the reference model.
type refTimer struct {
	id       int
	when     int64 // ns since epoch
	seq      uint64
	period   int64 // > 0 for periodic
	pending  bool  // in refQueue.sorted
	due      bool  // collected by the current run, not yet called
	running  bool  // its callback is running
	periodic bool
	handle   bool // armed with Schedule: a Handle, not a *Timer
	dead     bool // a handle that was cancelled or whose one-shot callback returned
}

// refQueue is the reference model: the specification written as plainly as
// possible, with a sorted slice instead of a heap.
type refQueue struct {
	now    int64
	seq    uint64
	timers []*refTimer
	sorted []*refTimer // pending, by (when, seq)
}

func (m *refQueue) arm(t *refTimer, when int64) {
	m.seq++
	t.when, t.seq, t.pending = when, m.seq, true
	i, _ := slices.BinarySearchFunc(m.sorted, t, func(a, b *refTimer) int {
		return cmp.Or(cmp.Compare(a.when, b.when), cmp.Compare(a.seq, b.seq))
	})
	m.sorted = slices.Insert(m.sorted, i, t)
}

func (m *refQueue) disarm(t *refTimer) {
	if t.pending {
		m.sorted = slices.DeleteFunc(m.sorted, func(x *refTimer) bool { return x == t })
	}
	t.pending, t.due, t.running = false, false, false
}

func (m *refQueue) add(d int64, periodic, handle bool) {
	t := &refTimer{id: len(m.timers), periodic: periodic, handle: handle}
	if periodic {
		d = max(d, 1)
		t.period = d
	}
	m.timers = append(m.timers, t)
	m.arm(t, m.now+max(d, 0))
}

// cancel returns whether a future firing was stopped. A handle that stopped
// something dies; one that did not (a one-shot cancelling itself from its
// callback) is left alone and dies when the callback returns.
func (m *refQueue) cancel(t *refTimer) bool {
	stopped := t.pending || t.due || (t.running && t.periodic)
	if t.handle {
		if !stopped {
			return false
		}
		t.dead = true
	}
	m.disarm(t)
	return stopped
}

// reset returns, for a *Timer, whether a future firing was replaced; for a
// handle, whether it was still live and so re-armed (a dead one is left).
func (m *refQueue) reset(t *refTimer, d int64) bool {
	if t.handle && t.dead {
		return false
	}
	stopped := t.pending || t.due || (t.running && t.periodic)
	m.disarm(t)
	if t.handle {
		stopped = true
	}
	if t.periodic {
		d = max(d, 1)
		t.period = d
	}
	m.arm(t, m.now+max(d, 0))
	return stopped
}

// run fires what is due at m.now and returns the ids in firing order; act
// is called inside each callback.
func (m *refQueue) run(act func(fired int)) []int {
	var batch []*refTimer
	for len(m.sorted) > 0 && m.sorted[0].when <= m.now {
		t := m.sorted[0]
		m.sorted = m.sorted[1:]
		t.pending, t.due = false, true
		batch = append(batch, t)
	}
	var fired []int
	for _, t := range batch {
		if !t.due {
			continue
		}
		t.due, t.running = false, true
		fired = append(fired, t.id)
		act(t.id)
		if !t.running {
			continue // cancelled or reset by its callback
		}
		t.running = false
		if !t.periodic {
			t.dead = t.handle
		} else {
			next := t.when + t.period
			if next <= m.now {
				next = t.when + ((m.now-t.when)/t.period+1)*t.period
			}
			m.arm(t, next)
		}
	}
	return fired
}

// propertyHarness drives a Queue and a refQueue with the same operations.
type propertyHarness struct {
	t      *testing.T
	rng    *rand.Rand // top-level operations
	runRng *rand.Rand // operations inside callbacks of the real Run
	clock  *FakeClock
	q      *Queue
	timers []anyTimer // timers[i] and m.timers[i] are the same timer
	fired  []int      // ids fired by the real Run
	got    []bool     // Cancel/Reset results inside real callbacks
	m      refQueue
}

// duration draws a whole number of milliseconds, so ties are common: half
// of them short (some zero or negative), half up to 0.4s, which keeps a few
// hundred timers waiting.
func duration(rng *rand.Rand) int64 {
	ms := rng.IntN(40) - 3
	if rng.IntN(2) == 0 {
		ms = rng.IntN(400)
	}
	return int64(ms) * int64(time.Millisecond)
}

// maxTimers bounds how many timers callbacks may create, so that periodic
// timers adding timers cannot grow the population without end.
const maxTimers = 400

// action is one operation done by a callback while a Run is in progress.
type action struct {
	kind     int // 0 nothing, 1 add, 2 cancel, 3 reset, 4 cancel self, 5 reset self
	target   int
	d        int64
	periodic bool
	handle   bool
}

// drawAction takes the same number of values from rng whatever it draws, so
// the real and the model side stay in step.
func drawAction(rng *rand.Rand, ntimers, self int) action {
	a := action{kind: rng.IntN(6), target: rng.IntN(ntimers), d: duration(rng),
		periodic: rng.IntN(3) == 0, handle: rng.IntN(2) == 0}
	if a.kind >= 4 {
		a.kind -= 2
		a.target = self
	}
	if a.kind == 1 && ntimers >= maxTimers {
		a.kind = 0
	}
	return a
}

// anyTimer is a *Timer or a Handle, so the harness drives both.
type anyTimer interface {
	Cancel() bool
	Reset(time.Duration) bool
	Active() bool
	Deadline() time.Time
}

// handleTimer adapts a Handle to anyTimer.
type handleTimer struct{ Handle }

func (t handleTimer) Deadline() time.Time {
	d, _ := t.Handle.Deadline()
	return d
}

func (h *propertyHarness) addReal(d int64, periodic, handle bool) {
	id := len(h.timers)
	fn := func() {
		h.fired = append(h.fired, id)
		a := drawAction(h.runRng, len(h.timers), id)
		switch a.kind {
		case 1:
			h.addReal(a.d, a.periodic, a.handle)
		case 2:
			h.got = append(h.got, h.timers[a.target].Cancel())
		case 3:
			h.got = append(h.got, h.timers[a.target].Reset(time.Duration(a.d)))
		}
	}
	switch {
	case handle && periodic:
		h.timers = append(h.timers, handleTimer{h.q.SchedulePeriodic(time.Duration(d), fn)})
	case handle:
		h.timers = append(h.timers, handleTimer{h.q.Schedule(time.Duration(d), fn)})
	case periodic:
		h.timers = append(h.timers, h.q.AddPeriodic(time.Duration(d), fn))
	default:
		h.timers = append(h.timers, h.q.Add(time.Duration(d), fn))
	}
}

// runBoth advances both clocks by d, runs both queues and checks that they
// fired the same timers in the same order and did the same in callbacks.
func (h *propertyHarness) runBoth(d int64) {
	seed := h.rng.Uint64()
	h.m.now += d
	now := h.clock.Advance(time.Duration(d))

	h.fired, h.got = nil, nil
	h.runRng = rand.New(rand.NewPCG(seed, 1))
	n := h.q.Run(now)

	mrng := rand.New(rand.NewPCG(seed, 1))
	var want []bool
	fired := h.m.run(func(self int) {
		a := drawAction(mrng, len(h.m.timers), self)
		switch a.kind {
		case 1:
			h.m.add(a.d, a.periodic, a.handle)
		case 2:
			want = append(want, h.m.cancel(h.m.timers[a.target]))
		case 3:
			want = append(want, h.m.reset(h.m.timers[a.target], a.d))
		}
	})
	require.Equal(h.t, fired, h.fired, "fired at %v", time.Duration(h.m.now))
	require.Equal(h.t, want, h.got, "Cancel/Reset results inside callbacks")
	require.Equal(h.t, len(fired), n, "Run's count")
}

// step does one random top-level operation on both sides.
func (h *propertyHarness) step() string {
	op := h.rng.IntN(10)
	if len(h.timers) == 0 {
		op = 0
	}
	switch op {
	case 0, 1, 2:
		d, periodic, handle := duration(h.rng), h.rng.IntN(4) == 0, h.rng.IntN(2) == 0
		h.addReal(d, periodic, handle)
		h.m.add(d, periodic, handle)
		return "add"
	case 3:
		i := h.rng.IntN(len(h.timers))
		assert.Equal(h.t, h.m.cancel(h.m.timers[i]), h.timers[i].Cancel(), "Cancel(%d)", i)
		return "cancel"
	case 4, 5:
		i, d := h.rng.IntN(len(h.timers)), duration(h.rng)
		assert.Equal(h.t, h.m.reset(h.m.timers[i], d), h.timers[i].Reset(time.Duration(d)), "Reset(%d)", i)
		return "reset"
	default:
		h.runBoth(int64(h.rng.IntN(10)) * int64(time.Millisecond))
		return "run"
	}
}

// check compares everything observable between the two sides. It runs
// after every operation, so it compares by hand and calls testify only to
// report a difference.
func (h *propertyHarness) check(op int, what string) {
	t := h.t
	checkHeap(t, h.q)
	require.Equal(t, len(h.m.sorted), h.q.Len(), "Len after op %d (%s)", op, what)
	for i, tm := range h.timers {
		ref := h.m.timers[i]
		if ref.pending != tm.Active() {
			require.Equal(t, ref.pending, tm.Active(), "Active(%d) after op %d (%s)", i, op, what)
		}
		if want := epoch.Add(time.Duration(ref.when)); ref.pending && !tm.Deadline().Equal(want) {
			require.Equal(t, want, tm.Deadline(), "Deadline(%d) after op %d (%s)", i, op, what)
		}
	}
	next, ok := h.q.Next()
	require.Equal(t, len(h.m.sorted) > 0, ok)
	if ok {
		require.Equal(t, epoch.Add(time.Duration(h.m.sorted[0].when)), next, "Next after op %d", op)
	}
}

func TestQueueMatchesReferenceModel(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			clock := NewFakeClock(epoch)
			h := &propertyHarness{t: t, rng: rand.New(rand.NewPCG(seed, 0)), clock: clock, q: NewQueue(clock)}
			fired := 0
			for i := range 3000 {
				what := h.step()
				h.check(i, what)
				fired += len(h.fired)
				h.fired = nil
			}
			t.Logf("seed %d: %d timers, %d fired, %d pending", seed, len(h.timers), fired, h.q.Len())
			assert.Greater(t, fired, 500, "the run exercised firing")
		})
	}
}
