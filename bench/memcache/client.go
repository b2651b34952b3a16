package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gomemcache "github.com/bradfitz/gomemcache/memcache"

	"github.com/evmachine/evmachine/protocols/memcache"
	"github.com/evmachine/evmachine/reactor"
)

// valueSize is the size of every value the benchmark stores and reads.
const valueSize = 64

// maxOps bounds the operations of one run, whatever its duration.
const maxOps = 200_000_000

// keyFor returns the key of caller i: 100 keys, all stored beforehand.
func keyFor(i int) string { return fmt.Sprintf("bench:%02d", i%100) }

var value = bytes.Repeat([]byte("v"), valueSize)

// job is one run of one client, in a child process: warm up, print
// "START", count for the duration, print "END <ops> <seconds> <errors>
// <commands> <writes>" (the last two: the evmachine Client's writes to its
// connection and the commands they carried; 0 for gomemcache).
type job struct {
	client, op, addr string
	conc             int
	warmup, duration time.Duration
}

func (j job) run() error {
	switch j.client {
	case "evmachine":
		return j.runEvm()
	case "gomemcache":
		return j.runGomemcache()
	}
	return fmt.Errorf("unknown client %q", j.client)
}

// runEvm keeps conc commands outstanding on one evmachine Client: each
// callback issues the next command. Everything runs on the loop; the phase
// timers run there too.
func (j job) runEvm() error {
	r, err := reactor.New()
	if err != nil {
		return err
	}
	var runErr error
	r.NextTick(func() {
		c, err := memcache.Dial(r, j.addr, memcache.WithTimeout(10*time.Second), memcache.WithMaxPipelineBytes(pipelineBytes()))
		if err != nil {
			runErr = err
			r.Stop()
			return
		}
		var ops, errs int64
		var startOps int64
		var start time.Time
		var st0 memcache.Stats
		stopping := false
		var issue func(i int)
		issue = func(i int) {
			if stopping || ops >= maxOps {
				return
			}
			k := keyFor(i)
			if j.op == "get" {
				c.Get(k, func(it *memcache.Item, err error) {
					if err != nil || len(it.Value) != valueSize {
						errs++
					}
					ops++
					issue(i)
				})
				return
			}
			c.Set(&memcache.Item{Key: k, Value: value}, func(err error) {
				if err != nil {
					errs++
				}
				ops++
				issue(i)
			})
		}
		for i := range j.conc {
			issue(i)
		}
		r.AddTimer(j.warmup, func() {
			startOps, start, st0 = ops, time.Now(), c.Stats()
			fmt.Println("START")
			r.AddTimer(j.duration, func() {
				secs := time.Since(start).Seconds()
				st := c.Stats()
				fmt.Printf("END %d %.6f %d %d %d\n", ops-startOps, secs, errs, st.Commands-st0.Commands, st.Writes-st0.Writes)
				stopping = true
				c.Close()
				r.Stop()
			})
		})
	})
	if err := r.Run(); err != nil {
		return err
	}
	return runErr
}

// runGomemcache runs conc goroutines, each doing one command after the
// other on a gomemcache Client whose idle pool keeps a connection per
// goroutine (as its documentation advises for concurrent use).
func (j job) runGomemcache() error {
	c := gomemcache.New(j.addr)
	c.MaxIdleConns = j.conc
	c.Timeout = 10 * time.Second
	var ops, errs atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := range j.conc {
		wg.Go(func() {
			k := keyFor(i)
			for !stop.Load() && ops.Load() < maxOps {
				var err error
				if j.op == "get" {
					var it *gomemcache.Item
					it, err = c.Get(k)
					if err == nil && len(it.Value) != valueSize {
						err = fmt.Errorf("short value")
					}
				} else {
					err = c.Set(&gomemcache.Item{Key: k, Value: value})
				}
				if err != nil {
					errs.Add(1)
				}
				ops.Add(1)
			}
		})
	}
	time.Sleep(j.warmup)
	startOps, start := ops.Load(), time.Now()
	fmt.Println("START")
	time.Sleep(j.duration)
	n, secs := ops.Load()-startOps, time.Since(start).Seconds()
	fmt.Printf("END %d %.6f %d 0 0\n", n, secs, errs.Load())
	stop.Store(true)
	wg.Wait()
	return nil
}

// prefill stores every key the GET runs read, with a plain connection.
func prefill(addr string) error {
	c := gomemcache.New(addr)
	for i := range 100 {
		if err := c.Set(&gomemcache.Item{Key: keyFor(i), Value: value}); err != nil {
			return fmt.Errorf("prefill: %w", err)
		}
	}
	return nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// pipelineBytes is the evmachine client's window: MC_PIPELINE_BYTES, for
// experiments, else the package default.
func pipelineBytes() int {
	if n, err := strconv.Atoi(os.Getenv("MC_PIPELINE_BYTES")); err == nil && n > 0 {
		return n
	}
	return memcache.DefaultMaxPipeline
}
