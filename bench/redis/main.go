// Command redis benchmarks protocols/redis against go-redis v9 and rueidis
// on the same local redis-server, in the same run: GET/SET of 64-byte
// values at 1, 50 and 1,000 concurrent callers (on the loop: that many
// commands outstanding; for the goroutine clients: that many goroutines),
// reporting ops/s and client CPU per op, and the server's CPU so that a
// server-bound figure is seen as one.
//
//	go run ./bench/redis            # from the repository root
//
// It pins itself to CPU 0 and redis-server to CPU 1 (taskset), waits while
// another benchmark runs, and writes bench/redis/RESULTS.md.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/evmachine/evmachine/bench/internal/procfs"
)

const pinnedEnv = "EVM_REDIS_BENCH_PINNED"

func main() {
	dur := flag.Duration("duration", 3*time.Second, "measured time per scenario")
	warm := flag.Duration("warmup", 300*time.Millisecond, "unmeasured time before each measurement")
	runs := flag.Int("runs", 5, "runs of every scenario (the report quotes medians)")
	concs := flag.String("conc", "1,50,1000", "concurrent callers")
	clients := flag.String("clients", "evmachine,go-redis,rueidis", "clients to run")
	out := flag.String("out", "bench/redis/RESULTS.md", "report file")
	clientCPU := flag.Int("client-cpu", 0, "CPU for the clients (taskset)")
	serverCPU := flag.Int("server-cpu", 1, "CPU for redis-server (taskset)")
	flag.Parse()

	if os.Getenv(pinnedEnv) == "" {
		repin(*clientCPU)
	}
	waitForOtherBenchmarks()

	srv, err := startServer(*serverCPU)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.stop()

	var cs []int
	for _, f := range strings.Split(*concs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			log.Fatalf("bad -conc %q", *concs)
		}
		cs = append(cs, n)
	}
	names := strings.Split(*clients, ",")
	loadBefore := procfs.LoadAvg()
	var results []result
	for run := 1; run <= *runs; run++ {
		for _, n := range cs {
			for _, name := range names {
				res, err := measure(name, srv, n, *warm, *dur)
				if err != nil {
					log.Fatalf("%s at %d: %v", name, n, err)
				}
				res.run = run
				log.Printf("run %d %-9s conc %4d: %9.0f ops/s, client %.2f µs/op, server %3.0f%% of a core",
					run, name, n, res.opsPerSec(), res.clientPerOp(), 100*res.serverUtil())
				results = append(results, res)
			}
		}
	}
	load := fmt.Sprintf("load average (1, 5, 15 min) %s before, %s after", loadBefore, procfs.LoadAvg())
	report := render(results, cs, names, *dur, *runs, strings.Join(os.Args[1:], " "), load)
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Print(report)
}

// waitForOtherBenchmarks waits (up to 10 minutes) while another
// benchmark runs on this shared machine.
func waitForOtherBenchmarks() {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("pgrep", "-fa", "evmachine-bench-bin|wrk|loadgen").Output()
		var others []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(l)
			if len(f) == 0 || f[0] == strconv.Itoa(os.Getpid()) || strings.Contains(l, "pgrep") {
				continue
			}
			others = append(others, l)
		}
		if len(others) == 0 {
			return
		}
		log.Printf("waiting for another benchmark: %s", strings.Join(others, "; "))
		time.Sleep(10 * time.Second)
	}
	log.Printf("another benchmark is still running: going on anyway")
}
