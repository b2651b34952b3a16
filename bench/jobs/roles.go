package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/jobs"
	"github.com/evmachine/evmachine/protocols/redis"
	"github.com/evmachine/evmachine/reactor"
)

// jobClass is the no-op job's class, the same for both workers.
const jobClass = "NoopJob"

// goWorker is the Go worker child: a jobs.Server with a no-op handler for
// jobClass on queue (with reliable fetch if asked), until SIGTERM.
func goWorker(addr, queue string, concurrency int, reliable bool) error {
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return reactor.Run(func(r *reactor.Reactor) error {
		opts := []jobs.ServerOption{jobs.WithConcurrency(concurrency), jobs.WithQueues(queue), jobs.WithLogger(quiet)}
		if reliable {
			opts = append(opts, jobs.WithReliableFetch())
		}
		s, err := jobs.NewServer(r, addr, opts...)
		if err != nil {
			return err
		}
		s.Handle(jobClass, func(context.Context, *jobs.Job) error { return nil })
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		go func() {
			<-sigs
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.Shutdown(ctx); err != nil {
				quiet.Warn("go worker: shutdown", "err", err)
			}
			r.Stop()
		}()
		return s.Start()
	}, reactor.WithLogger(quiet))
}

// timing is what an enqueue child prints: the enqueueing alone, the
// connection's set-up excluded.
type timing struct {
	Jobs       int     `json:"jobs"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
}

// goEnqueue is the Go enqueue child: n jobs onto queue from the loop, with
// Enqueue (window calls outstanding, each completion issuing the next) or
// EnqueueBulk (batches of batch, one after the other, as push_bulk in a
// loop). It prints a timing.
func goEnqueue(addr, queue, mode string, n, window, batch int) error {
	if mode != "enqueue" && mode != "bulk" {
		return fmt.Errorf("-mode %q: want enqueue or bulk", mode)
	}
	var out timing
	var runErr error
	err := reactor.Run(func(r *reactor.Reactor) error {
		rc, err := redis.Dial(r, addr)
		if err != nil {
			return err
		}
		c := jobs.NewClient(rc)
		fail := func(err error) {
			if runErr == nil {
				runErr = err
			}
			rc.Close()
			r.Stop()
		}
		rc.Do(func(_ redis.Value, err error) { // connected: start the clock
			if err != nil {
				fail(err)
				return
			}
			wall0, cpu0 := time.Now(), cpuSelf()
			finish := func() {
				out = timing{Jobs: n, Seconds: time.Since(wall0).Seconds(), CPUSeconds: (cpuSelf() - cpu0).Seconds()}
				rc.Close()
				r.Stop()
			}
			if mode == "bulk" {
				enqueueBulk(c, queue, n, batch, finish, fail)
			} else {
				enqueueWindow(c, queue, n, window, finish, fail)
			}
		}, "PING")
		return nil
	})
	if err = errors.Join(err, runErr); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

func newNoop(queue string) *jobs.Job {
	j, _ := jobs.NewJob(jobClass)
	j.Queue = queue
	return j
}

// enqueueWindow keeps window Enqueue calls outstanding until n are done.
func enqueueWindow(c *jobs.Client, queue string, n, window int, finish func(), fail func(error)) {
	issued, done := 0, 0
	var next func()
	next = func() {
		issued++
		c.Enqueue(newNoop(queue), func(_ string, err error) {
			if err != nil {
				fail(err)
				return
			}
			done++
			switch {
			case done == n:
				finish()
			case issued < n:
				next()
			}
		})
	}
	for range min(window, n) {
		next()
	}
}

// enqueueBulk enqueues batches of batch jobs, one after the other.
func enqueueBulk(c *jobs.Client, queue string, n, batch int, finish func(), fail func(error)) {
	left := n
	var next func()
	next = func() {
		if left <= 0 {
			finish()
			return
		}
		k := min(batch, left)
		left -= k
		js := make([]*jobs.Job, k)
		for i := range js {
			js[i] = newNoop(queue)
		}
		c.EnqueueBulk(js, func(_ []string, err error) {
			if err != nil {
				fail(err)
				return
			}
			next()
		})
	}
	next()
}

// cpuSelf returns this process's user+system CPU time.
func cpuSelf() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// decodeTiming reads a child's timing from its output.
func decodeTiming(r io.Reader) (timing, error) {
	var t timing
	err := json.NewDecoder(r).Decode(&t)
	return t, err
}
