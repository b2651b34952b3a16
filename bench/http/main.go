// Command http compares evmachine's HTTP server with the HTTP servers Go
// users pick — net/http, fasthttp and nbio's nbhttp — on one core each, in
// the same run: hello world over keep-alive connections, loaded by wrk at
// 100 and 10,000 connections, reporting requests/s, p99 latency, the
// server's CPU per request (utime+stime from /proc/PID/stat over wrk's
// window, all threads) and its peak RSS (VmHWM).
//
//	go run ./bench/http                        # from the repository root: 3 rounds, 10 s each
//	go run ./bench/http -rounds 1 -duration 3s -conns 100
//	go run ./bench/http -from bench/http/results.json   # redraw RESULTS.md (after editing NOTES.md)
//
// Each server (bench/http/servers/*) is built once and started fresh for
// every measurement on a free loopback port, pinned to CPU 0 with
// GOMAXPROCS=1, and stopped by PID; wrk runs with one thread pinned to
// CPU 1. The servers take turns within each round; the report quotes the
// medians of the rounds. Afterwards evmachine's server and fasthttp's are
// run once more each under Go's CPU profiler at the first connection
// count, and the profiles' top functions go into the report. It writes bench/http/RESULTS.md and
// results.json; NOTES.md, hand-written, is drawn into RESULTS.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/bench/internal/childproc"
	"github.com/evmachine/evmachine/bench/internal/procfs"
)

type options struct {
	conns     []int
	rounds    int
	duration  time.Duration
	warmup    time.Duration
	servers   []server
	out       string
	serverCPU int
	wrkCPU    int
	threads   int
	profile   bool
	from      string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("http", flag.ContinueOnError)
	conns := fs.String("conns", "100,10000", "connection counts, comma-separated")
	names := fs.String("servers", "all", "servers, comma-separated: evmachine,fasthttp,nethttp,nbhttp")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds (the servers take turns within each); the report quotes medians")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "wrk's measured window per run")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "an unmeasured wrk run (100 connections at most) before each window; 0: none")
	fs.StringVar(&o.out, "out", "", "directory for RESULTS.md and results.json (default bench/http)")
	fs.IntVar(&o.serverCPU, "server-cpu", 0, "CPU the server is pinned to (taskset)")
	fs.IntVar(&o.wrkCPU, "wrk-cpu", 1, "CPU wrk is pinned to (taskset)")
	fs.IntVar(&o.threads, "threads", 1, "wrk threads")
	fs.BoolVar(&o.profile, "profile", true, "profile evmachine's server after the rounds and report its top functions")
	fs.StringVar(&o.from, "from", "", "redraw RESULTS.md from this results.json (and NOTES.md) instead of running")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	for _, f := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return o, fmt.Errorf("bad -conns %q", *conns)
		}
		o.conns = append(o.conns, n)
	}
	all := allServers()
	if *names == "all" {
		o.servers = all
	} else {
		for _, n := range strings.Split(*names, ",") {
			found := false
			for _, s := range all {
				if s.Name == strings.TrimSpace(n) {
					o.servers = append(o.servers, s)
					found = true
				}
			}
			if !found {
				return o, fmt.Errorf("unknown server %q", n)
			}
		}
	}
	if o.rounds < 1 || o.duration < time.Second || o.threads < 1 {
		return o, errors.New("-rounds and -threads must be at least 1, -duration at least 1s")
	}
	return o, nil
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil {
		err = run(o, log)
	}
	if err != nil {
		log.Error("bench/http", "err", err)
		os.Exit(1)
	}
}

func run(o options, log *slog.Logger) error {
	if runtime.GOOS != "linux" {
		return errors.New("bench/http reads /proc and pins with taskset: it runs on Linux only")
	}
	root, err := childproc.ModuleRoot(".")
	if err != nil {
		return err
	}
	if o.out == "" {
		o.out = filepath.Join(root, "bench", "http")
	}
	if o.from != "" {
		res, err := loadResults(o.from)
		if err != nil {
			return err
		}
		return writeOutputs(o.out, res)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	res, err := runAll(ctx, o, root, log)
	if res == nil {
		return err
	}
	res.Command = commandLine(os.Args[1:])
	if werr := writeOutputs(o.out, res); werr != nil {
		return errors.Join(err, werr)
	}
	log.Info("report written", "dir", o.out)
	return err
}

// runAll builds the servers and measures every connection count, round
// and server, then profiles evmachine's server. A cancelled run returns
// what it measured so far with the error.
func runAll(ctx context.Context, o options, root string, log *slog.Logger) (*results, error) {
	wrk, err := findWrk()
	if err != nil {
		return nil, err
	}
	limit, err := childproc.RaiseNoFile()
	if err != nil || limit < uint64(maxInt(o.conns))+100 {
		log.Warn("open-file limit below the connection count: wrk and the servers may fail to open connections", "limit", limit, "err", err)
	}
	taskset, err := tasksetPath()
	if err != nil {
		return nil, err
	}
	binDir, err := os.MkdirTemp("", "evmachine-bench-bin-http-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(binDir)
	bins, err := buildServers(ctx, root, binDir, o.servers)
	if err != nil {
		return nil, err
	}
	res := &results{Machine: describeMachine(limit), Started: time.Now(), Rounds: o.rounds, Duration: o.duration,
		Conns: o.conns, Servers: o.servers, WrkVersion: wrkVersion(wrk), Threads: o.threads,
		Revision: revision(root), LoadBefore: procfs.LoadAvg()}
	m := &measurer{wrk: wrk, taskset: taskset, serverCPU: o.serverCPU, wrkCPU: o.wrkCPU, threads: o.threads,
		duration: o.duration, warmup: o.warmup, log: log}
	for _, c := range o.conns {
		for round := 1; round <= o.rounds; round++ {
			for _, s := range o.servers {
				smp := m.measure(ctx, s, bins[s.Name], c, nil)
				smp.Round = round
				res.Samples = append(res.Samples, smp)
				log.Info("measured", "server", s.Name, "conns", c, "round", round, "req_per_s", int(smp.ReqPerSec),
					"p99_ms", fmt.Sprintf("%.2f", smp.P99ms), "cpu_us_per_req", fmt.Sprintf("%.2f", smp.CPUPerReqUs),
					"peak_rss_mib", fmt.Sprintf("%.1f", smp.PeakRSSMiB), "wrk_cpu", fmt.Sprintf("%.0f%%", smp.WrkCPUShare*100),
					"errors", smp.Errors, "err", smp.Err)
				if err := ctx.Err(); err != nil {
					res.Finished = time.Now()
					return res, err
				}
			}
		}
	}
	if o.profile {
		for _, s := range o.servers {
			if s.Name != subject && s.Name != refFast {
				continue // the two with -cpuprofile
			}
			prof := filepath.Join(binDir, s.Name+".pprof")
			smp := m.measure(ctx, s, bins[s.Name], o.conns[0], []string{"-cpuprofile", prof})
			if smp.Err != "" {
				log.Warn("profiling run failed", "server", s.Name, "err", smp.Err)
				continue
			}
			top, err := pprofTop(ctx, bins[s.Name], prof)
			if err != nil {
				log.Warn("pprof", "server", s.Name, "err", err)
			}
			res.Profiles = append(res.Profiles, profile{Server: s.Name, Conns: o.conns[0], ReqPerSec: smp.ReqPerSec, CPUPerReqUs: smp.CPUPerReqUs, Top: top})
		}
	}
	res.Finished = time.Now()
	res.LoadAfter = procfs.LoadAvg()
	return res, nil
}

func maxInt(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// commandLine is how the report quotes the command that produced it.
func commandLine(args []string) string {
	return strings.Join(append([]string{"go run ./bench/http"}, args...), " ")
}
