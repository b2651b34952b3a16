package deferpool_test

import (
	"context"
	"testing"
	"time"

	deferpool "github.com/evmachine/evmachine/defer"
)

// The benchmarks compare the pool with the obvious alternative, a goroutine
// per operation, through the same fake loop: the benchmark goroutine plays
// the loop and post is a buffered channel it reads from.

// submitter is how an operation reaches a worker: Pool.Submit or goPerOp.
type submitter func(op func(context.Context) (any, error), done func(any, error))

func emptyOp(context.Context) (any, error) { return nil, nil }

// goPerOp is the baseline: one goroutine per operation.
func goPerOp(ctx context.Context, post func(func())) submitter {
	return func(op func(context.Context) (any, error), done func(any, error)) {
		go func() {
			res, err := op(ctx)
			post(func() { done(res, err) })
		}()
	}
}

// variants returns both submitters posting to ticks, and a cleanup.
func variants(b *testing.B, ticks chan func()) map[string]submitter {
	post := func(fn func()) { ticks <- fn }
	pool := deferpool.New(post, deferpool.WithWorkers(deferpool.DefaultWorkers))
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(func() {
		cancel()
		if err := pool.Close(watchdog); err != nil {
			b.Error(err)
		}
	})
	return map[string]submitter{"pool": pool.Submit, "goroutine": goPerOp(ctx, post)}
}

// BenchmarkRoundTrip: one empty operation at a time, from the loop to a
// worker and back; ns/op is the latency of a Defer round trip.
func BenchmarkRoundTrip(b *testing.B) {
	for _, name := range []string{"pool", "goroutine"} {
		b.Run(name, func(b *testing.B) {
			ticks := make(chan func(), 1)
			submit := variants(b, ticks)[name]
			var completed int
			done := func(any, error) { completed++ }
			submit(emptyOp, done) // start the workers outside the timing
			(<-ticks)()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				submit(emptyOp, done)
				(<-ticks)()
			}
			if completed != b.N+1 {
				b.Fatalf("completed %d of %d", completed, b.N+1)
			}
		})
	}
}

// BenchmarkThroughput keeps up to window empty operations in flight from
// one submitting loop, as a busy reactor would, so 20 workers (or as many
// goroutines) run them while the loop collects results.
func BenchmarkThroughput(b *testing.B) {
	const window = 1_000
	for _, name := range []string{"pool", "goroutine"} {
		b.Run(name, func(b *testing.B) {
			ticks := make(chan func(), window)
			submit := variants(b, ticks)[name]
			var inflight, completed int
			done := func(_ any, err error) {
				if err != nil {
					b.Error(err)
				}
				inflight--
				completed++
			}
			b.ReportAllocs()
			b.ResetTimer()
			for submitted := 0; completed < b.N; {
				for ; inflight < window && submitted < b.N; submitted++ {
					submit(emptyOp, done)
					inflight++
				}
				(<-ticks)()
			}
		})
	}
}

// BenchmarkBoundedMemory submits 1,000,000 operations that block until
// released, faster than they can run, and reports the peak heap in use
// above the starting point: only the queue's entries are held.
func BenchmarkBoundedMemory(b *testing.B) {
	var peak, rejected uint64
	start := time.Now()
	for b.Loop() {
		r := floodPool(b, 1_000_000, deferpool.DefaultQueueSize)
		peak = max(peak, r.peakHeap)
		rejected = r.rejected
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(rejected), "rejected")
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/flood")
	b.ReportMetric(0, "ns/op") // one op is a whole flood; the line above says how long
}
