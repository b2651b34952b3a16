package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"

	"github.com/evmachine/evmachine/protocols/redis"
	"github.com/evmachine/evmachine/reactor"
)

// value is the 64-byte value every SET writes.
var value = strings.Repeat("v", 64)

// keys are what caller i uses: its own key, so GET finds what SET wrote.
func key(i int) string { return "bench:" + strconv.Itoa(i) }

// load is one client under load: it counts completed commands in ops
// until stop is called, and fails on the first error.
type load interface {
	start(n int, ops *atomic.Int64)
	stop() error
}

func newLoad(name, addr string) (load, error) {
	switch name {
	case "evmachine":
		return newEvmLoad(addr)
	case "go-redis":
		return &goroutineLoad{c: newGoRedis(addr)}, nil
	case "rueidis":
		c, err := newRueidis(addr)
		if err != nil {
			return nil, err
		}
		return &goroutineLoad{c: c}, nil
	}
	return nil, fmt.Errorf("unknown client %q", name)
}

// evmLoad keeps n commands outstanding on one reactor: each caller issues
// its next command (SET and GET in turn) from the previous one's callback.
type evmLoad struct {
	r       *reactor.Reactor
	c       *redis.Client
	done    chan error
	ran     chan struct{}
	stopped atomic.Bool
	err     error
}

func newEvmLoad(addr string) (*evmLoad, error) {
	r, err := reactor.New()
	if err != nil {
		return nil, err
	}
	l := &evmLoad{r: r, done: make(chan error, 1), ran: make(chan struct{})}
	go func() { l.done <- r.Run() }()
	ready := make(chan error, 1)
	r.NextTick(func() {
		l.c, err = redis.Dial(r, addr)
		if err != nil {
			ready <- err
			return
		}
		l.c.Do(func(_ redis.Value, err error) { ready <- err }, "PING")
	})
	if err := <-ready; err != nil {
		r.Stop()
		return nil, err
	}
	return l, nil
}

func (l *evmLoad) start(n int, ops *atomic.Int64) {
	l.r.NextTick(func() {
		live := n
		for i := range n {
			k := key(i)
			var get bool
			var next func()
			onSet := func(err error) {
				l.after(err, ops, &live, next)
			}
			onGet := func(_ string, err error) {
				l.after(err, ops, &live, next)
			}
			next = func() {
				if get {
					l.c.Get(k, onGet)
				} else {
					l.c.Set(k, value, onSet)
				}
				get = !get
			}
			next()
		}
	})
}

// after counts one completed command and issues the caller's next, until
// stopped; the last caller to stop reports.
func (l *evmLoad) after(err error, ops *atomic.Int64, live *int, next func()) {
	if err != nil && err != redis.Nil && l.err == nil {
		l.err = err
	}
	ops.Add(1)
	if l.stopped.Load() {
		if *live--; *live == 0 {
			close(l.ran)
		}
		return
	}
	next()
}

func (l *evmLoad) stop() error {
	l.stopped.Store(true)
	select {
	case <-l.ran:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("callers did not stop")
	}
	errc := make(chan error, 1)
	l.r.NextTick(func() { errc <- l.err; l.c.Close() })
	err := <-errc
	l.r.Stop()
	<-l.done
	return err
}

// syncClient is a goroutine client: Set and Get block until the reply.
type syncClient interface {
	set(ctx context.Context, k string) error
	get(ctx context.Context, k string) error
	close()
}

// goroutineLoad runs n goroutines, each doing SET and GET in turn.
type goroutineLoad struct {
	c   syncClient
	run *goroutineRun
}

type goroutineRun struct {
	wg      sync.WaitGroup
	stopped atomic.Bool
	errMu   sync.Mutex
	err     error
}

func (l *goroutineLoad) start(n int, ops *atomic.Int64) {
	run := &goroutineRun{}
	l.run = run
	ctx := context.Background()
	for i := range n {
		k := key(i)
		run.wg.Go(func() {
			for get := false; !run.stopped.Load(); get = !get {
				var err error
				if get {
					err = l.c.get(ctx, k)
				} else {
					err = l.c.set(ctx, k)
				}
				if err != nil {
					run.errMu.Lock()
					run.err = err
					run.errMu.Unlock()
					return
				}
				ops.Add(1)
			}
		})
	}
}

func (l *goroutineLoad) stop() error {
	run := l.run
	run.stopped.Store(true)
	run.wg.Wait()
	l.c.close()
	return run.err
}

// goRedis is go-redis v9 with its defaults (a pool of 10 connections per
// GOMAXPROCS).
type goRedis struct{ c *goredis.Client }

func newGoRedis(addr string) *goRedis {
	return &goRedis{goredis.NewClient(&goredis.Options{Addr: addr})}
}

func (g *goRedis) set(ctx context.Context, k string) error { return g.c.Set(ctx, k, value, 0).Err() }
func (g *goRedis) get(ctx context.Context, k string) error {
	err := g.c.Get(ctx, k).Err()
	if err == goredis.Nil {
		return nil
	}
	return err
}
func (g *goRedis) close() { g.c.Close() }

// rueidisClient is rueidis with its defaults (auto-pipelining) and no
// client-side cache.
type rueidisClient struct{ c rueidis.Client }

func newRueidis(addr string) (*rueidisClient, error) {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		return nil, err
	}
	return &rueidisClient{c}, nil
}

func (r *rueidisClient) set(ctx context.Context, k string) error {
	return r.c.Do(ctx, r.c.B().Set().Key(k).Value(value).Build()).Error()
}
func (r *rueidisClient) get(ctx context.Context, k string) error {
	err := r.c.Do(ctx, r.c.B().Get().Key(k).Build()).Error()
	if rueidis.IsRedisNil(err) {
		return nil
	}
	return err
}
func (r *rueidisClient) close() { r.c.Close() }

// result is one measured scenario.
type result struct {
	client    string
	conc, run int
	ops       int64
	elapsed   time.Duration
	clientCPU time.Duration
	serverCPU time.Duration
	volCS     int64 // voluntary context switches of the client process
	involCS   int64
}

func (r result) opsPerSec() float64   { return float64(r.ops) / r.elapsed.Seconds() }
func (r result) clientPerOp() float64 { return float64(r.clientCPU.Microseconds()) / float64(r.ops) }
func (r result) serverPerOp() float64 { return float64(r.serverCPU.Microseconds()) / float64(r.ops) }
func (r result) serverUtil() float64  { return r.serverCPU.Seconds() / r.elapsed.Seconds() }
func (r result) clientUtil() float64  { return r.clientCPU.Seconds() / r.elapsed.Seconds() }

func rusage() (cpu time.Duration, vol, invol int64) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpu, ru.Nvcsw, ru.Nivcsw
}

// measure runs one client at n concurrent callers: warm-up, then the
// measured window.
func measure(name string, srv *server, n int, warm, dur time.Duration) (result, error) {
	l, err := newLoad(name, srv.addr)
	if err != nil {
		return result{}, err
	}
	var ops atomic.Int64
	l.start(n, &ops)
	time.Sleep(warm)
	ops0, s0 := ops.Load(), srv.cpu()
	cpu0, v0, i0 := rusage()
	t0 := time.Now()
	time.Sleep(dur)
	ops1, s1 := ops.Load(), srv.cpu()
	cpu1, v1, i1 := rusage()
	elapsed := time.Since(t0)
	if err := l.stop(); err != nil {
		return result{}, err
	}
	return result{client: name, conc: n, ops: ops1 - ops0, elapsed: elapsed,
		clientCPU: cpu1 - cpu0, serverCPU: s1 - s0, volCS: v1 - v0, involCS: i1 - i0}, nil
}
