package reactor_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// deferSubmit is one way to run op off the loop and done back on it.
type deferSubmit func(r *reactor.Reactor, ctx context.Context, op func(context.Context) (any, error), done func(any, error))

// The two ways compared: the reactor's pool, and the goroutine-per-operation
// baseline a Go programmer would write instead.
var deferWays = []struct {
	name   string
	submit deferSubmit
}{
	{"pool", func(r *reactor.Reactor, _ context.Context, op func(context.Context) (any, error), done func(any, error)) {
		r.Defer(op, done)
	}},
	{"goroutine", func(r *reactor.Reactor, ctx context.Context, op func(context.Context) (any, error), done func(any, error)) {
		go func() {
			v, err := op(ctx)
			r.NextTick(func() { done(v, err) })
		}()
	}},
}

func emptyOp(context.Context) (any, error) { return nil, nil }

// processCPU returns the user+system CPU time the process has used, so that
// a benchmark can report CPU per operation next to wall time (a spinning
// wait would look fast in ns/op and expensive here).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the cpu-ns/op metric for the CPU used since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// benchDeferReactor runs a reactor with the default 20 Defer workers for one
// benchmark.
func benchDeferReactor(b *testing.B) *reactor.Reactor {
	r, err := reactor.New()
	require.NoError(b, err)
	stopped := make(chan error, 1)
	go func() { stopped <- r.Run() }()
	b.Cleanup(func() {
		r.Stop()
		select {
		case err := <-stopped:
			require.NoError(b, err)
		case <-time.After(asyncWatchdog):
			b.Error("reactor did not stop")
		}
	})
	return r
}

// BenchmarkDeferRoundTrip is the latency of one empty operation from the
// loop to a worker and back, one at a time: each done submits the next.
func BenchmarkDeferRoundTrip(b *testing.B) {
	for _, way := range deferWays {
		b.Run(way.name, func(b *testing.B) {
			r := benchDeferReactor(b)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			finished := make(chan struct{})
			n, count := b.N, 0
			var done func(any, error)
			done = func(any, error) {
				count++
				if count == n {
					close(finished)
					return
				}
				way.submit(r, ctx, emptyOp, done)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			r.NextTick(func() { way.submit(r, ctx, emptyOp, done) })
			<-finished
			b.StopTimer()
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkDeferThroughput keeps 1,000 empty operations in flight on the
// 20 workers (or 1,000 goroutines) until b.N have completed.
func BenchmarkDeferThroughput(b *testing.B) {
	const window = 1000
	for _, way := range deferWays {
		b.Run(way.name, func(b *testing.B) {
			r := benchDeferReactor(b)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			finished := make(chan struct{})
			n, submitted, completed := b.N, 0, 0
			var done func(any, error)
			submit := func() {
				submitted++
				way.submit(r, ctx, emptyOp, done)
			}
			done = func(_ any, err error) {
				if err != nil {
					b.Error(err)
				}
				completed++
				if completed == n {
					close(finished)
					return
				}
				if submitted < n {
					submit()
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			r.NextTick(func() {
				for submitted < min(window, n) {
					submit()
				}
			})
			<-finished
			b.StopTimer()
			reportCPU(b, cpu)
		})
	}
}
