package timer

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The benchmarks measure one timer's cost with a million others already
// waiting, as in a server with a million idle connections, each with an
// inactivity timeout. The waiting timers' deadlines are spread over an hour
// (1h to 2h ahead) and the timers under test draw their durations from the
// same spread, so a new timer lands somewhere in the middle of the heap
// instead of always at its cheap end. Each queue benchmark has a standard
// library counterpart (time.AfterFunc) with the same million timers waiting
// in the runtime's timer heaps.
//
// Besides ns/op (wall time) each benchmark reports cpu-ns/op, the CPU time
// of the whole process (benchmark, GC, timer goroutines) per op: on a busy
// shared machine wall time includes waiting for a core.
const (
	benchPending = 1_000_000
	benchDurs    = 1 << 12 // distinct durations cycled through by the loop
)

func noop() {}

// benchDurations returns n durations spread uniformly over [1h, 2h).
func benchDurations(n int, seed uint64) []time.Duration {
	rng := rand.New(rand.NewPCG(seed, 2))
	ds := make([]time.Duration, n)
	for i := range ds {
		ds[i] = time.Hour + time.Duration(rng.Int64N(int64(time.Hour)))
	}
	return ds
}

// loadedQueue returns a real-clock queue with benchPending timers waiting,
// armed with Add, and keeps their *Timers alive until the benchmark ends, as
// a server keeps its connections' timers (so the GC has them to mark).
func loadedQueue(b *testing.B) *Queue {
	q := NewQueue(RealClock{})
	ts := make([]*Timer, 0, benchPending)
	for _, d := range benchDurations(benchPending, 1) {
		ts = append(ts, q.Add(d, noop))
	}
	b.Cleanup(func() { runtime.KeepAlive(ts) })
	return q
}

// loadedRuntime arms benchPending time.AfterFunc timers and returns a func
// that stops them.
func loadedRuntime() (stop func()) {
	ts := make([]*time.Timer, 0, benchPending)
	for _, d := range benchDurations(benchPending, 1) {
		ts = append(ts, time.AfterFunc(d, noop))
	}
	return func() {
		for _, t := range ts {
			t.Stop()
		}
	}
}

// BenchmarkAddCancel arms a timer and cancels it before it fires: the fate
// of most timeouts. It uses Schedule, the queue's allocation-free form of
// Add (a Handle instead of a *Timer).
func BenchmarkAddCancel(b *testing.B) {
	benchAddCancel(b, func(q *Queue, ds []time.Duration, n int) {
		for i := 0; i < n; i++ {
			q.Schedule(ds[i%benchDurs], noop).Cancel()
		}
	})
}

// BenchmarkAddCancelTimer is BenchmarkAddCancel with Add, which allocates
// the *Timer it returns.
func BenchmarkAddCancelTimer(b *testing.B) {
	benchAddCancel(b, func(q *Queue, ds []time.Duration, n int) {
		for i := 0; i < n; i++ {
			q.Add(ds[i%benchDurs], noop).Cancel()
		}
	})
}

// benchAddCancel times loop, which does n add+cancels on a loaded queue
// drawing durations from ds. The loop is inside the func, so that no
// indirect call is timed per op.
func benchAddCancel(b *testing.B, loop func(q *Queue, ds []time.Duration, n int)) {
	q := loadedQueue(b)
	ds := benchDurations(benchDurs, 2)
	runtime.GC() // collect the previous round's garbage now, not in the timed loop
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	loop(q, ds, b.N)
	b.StopTimer()
	cpu.report(b)
}

// BenchmarkAddCancelStdlib is BenchmarkAddCancel with time.AfterFunc and
// Stop.
func BenchmarkAddCancelStdlib(b *testing.B) {
	stop := loadedRuntime()
	defer stop()
	ds := benchDurations(benchDurs, 2)
	runtime.GC() // collect the previous round's garbage now, not in the timed loop
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		time.AfterFunc(ds[i%benchDurs], noop).Stop()
	}
	b.StopTimer()
	cpu.report(b)
}

// BenchmarkAddFire arms a timer that is due at once and runs the queue, so
// each op is one Schedule plus one firing through Run, on the real clock.
func BenchmarkAddFire(b *testing.B) {
	benchAddFire(b, func(q *Queue, fn func()) { q.Schedule(0, fn) })
}

// BenchmarkAddFireTimer is BenchmarkAddFire with Add.
func BenchmarkAddFireTimer(b *testing.B) {
	benchAddFire(b, func(q *Queue, fn func()) { q.Add(0, fn) })
}

func benchAddFire(b *testing.B, add func(q *Queue, fn func())) {
	q := loadedQueue(b)
	fired := 0
	fn := func() { fired++ }
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		add(q, fn)
		q.Run(time.Now())
	}
	b.StopTimer()
	cpu.report(b)
	if fired != b.N {
		b.Fatalf("fired %d of %d", fired, b.N)
	}
}

// BenchmarkAddFireStdlib is BenchmarkAddFire with time.AfterFunc. A runtime
// timer fires on a goroutine of its own, so the timers are armed in batches
// of fireBatch with a 1µs duration and the loop waits for each whole batch:
// the wait for the last deadline is shared by the batch, and ns/op is the
// per-timer cost of arming, firing and running the callback.
func BenchmarkAddFireStdlib(b *testing.B) {
	const fireBatch = 1000
	stop := loadedRuntime()
	defer stop()
	var wg sync.WaitGroup
	fn := func() { wg.Done() }
	runtime.GC() // collect the previous round's garbage now, not in the timed loop
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for done := 0; done < b.N; {
		n := min(fireBatch, b.N-done)
		wg.Add(n)
		for range n {
			time.AfterFunc(time.Microsecond, fn)
		}
		wg.Wait()
		done += n
	}
	b.StopTimer()
	cpu.report(b)
}
