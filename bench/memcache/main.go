// Command memcache measures protocols/memcache against
// github.com/bradfitz/gomemcache, the goroutine client most Go programs
// use, on GET and SET of 64-byte values against one local memcached:
//
//   - evmachine: one Client on one reactor, one connection, N commands
//     outstanding (each callback issues the next), pipelined;
//   - gomemcache: N goroutines, each doing one command after the other,
//     with an idle pool of N connections.
//
// N is 1, 50 and 1,000. Each run is its own child process (this binary,
// re-executed with -client), so a client's CPU time (user + system, from
// /proc) is its own; memcached runs with one worker thread (-t 1) and its
// CPU is sampled over the same window. The clients are interleaved within
// each round; the tables report medians of the rounds. The results go to
// RESULTS.md beside this file (or -out).
//
//	go run ./bench/memcache                          # 3 rounds, 3 s runs
//	go run ./bench/memcache -rounds 5 -duration 5s
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

func main() {
	client := flag.String("client", "", "internal: run this client (evmachine, gomemcache) and report")
	op := flag.String("op", "get", "internal: get or set")
	addr := flag.String("addr", "", "internal: memcached's address")
	conc := flag.Int("conc", 1, "internal: concurrent callers")
	rounds := flag.Int("rounds", 3, "rounds; each runs every scenario once per client")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "warm-up before counting, per run")
	duration := flag.Duration("duration", 3*time.Second, "measurement per run")
	out := flag.String("out", defaultOut(), "the Markdown report")
	cpuProfile := flag.String("cpuprofile", "", "with -client: write a CPU profile of the run to this file")
	flag.Parse()
	if *client != "" {
		if *cpuProfile != "" {
			stop, err := startProfile(*cpuProfile)
			if err != nil {
				fatal(err)
			}
			defer stop()
		}
		j := job{client: *client, op: *op, addr: *addr, conc: *conc, warmup: *warmup, duration: *duration}
		if err := j.run(); err != nil {
			fatal(err)
		}
		return
	}
	res, env, err := runAll(*rounds, *warmup, *duration)
	if err != nil {
		fatal(err)
	}
	env.loadAfter = loadAverage()
	md := report(res, env, *rounds, *duration)
	fmt.Print(md)
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		fatal(err)
	}
	fmt.Fprintln(os.Stderr, "wrote", *out)
}

// startProfile starts a CPU profile written to path; the function it
// returns stops it.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// defaultOut is RESULTS.md beside this source file when run from the
// repository (go run ./bench/memcache), else in the working directory.
func defaultOut() string {
	for _, dir := range []string{"bench/memcache", "memcache", "."} {
		if _, err := os.Stat(filepath.Join(dir, "main.go")); err == nil {
			return filepath.Join(dir, "RESULTS.md")
		}
	}
	return "RESULTS.md"
}

// environment describes the machine of the run, for the report.
type environment struct {
	date, goVersion, memcached string
	cpus                       int
	loadBefore, loadAfter      string // /proc/loadavg's 1-minute average at the start and end of the run
}

// loadAverage returns the 1-minute load average ("?" where there is none).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func newEnvironment(memcachedVersion string) environment {
	return environment{
		date:       time.Now().UTC().Format("2006-01-02 15:04 MST"),
		goVersion:  runtime.Version(),
		memcached:  memcachedVersion,
		cpus:       runtime.NumCPU(),
		loadBefore: loadAverage(),
	}
}
