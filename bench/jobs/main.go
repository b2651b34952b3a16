// Command jobs benchmarks evmachine's jobs package against Ruby's Sidekiq
// 6.4 (Debian's ruby-sidekiq) on one local redis-server, in the same run:
//
//   - drain: a no-op job class, N jobs preloaded into a queue, drained by
//     a Go worker (jobs.Server, concurrency 10, a process of its own; and
//     another with reliable fetch) or by a real Sidekiq process
//     (concurrency 10); jobs/s and jobs per CPU second of the worker
//     process, and the Redis commands per job (INFO commandstats);
//
//   - enqueue: jobs/s and jobs per CPU second of the client, for Go's
//     jobs.Client on the loop (Enqueue pipelined, EnqueueBulk) against
//     Sidekiq::Client.push in a loop and push_bulk.
//
//     go run ./bench/jobs                 # from the repository root
//     go run ./bench/jobs -rounds 5 -go-jobs 50000 -ruby-jobs 10000
//
// Rounds alternate the Go and Ruby sides; the report quotes medians. The
// queue is filled under another key and renamed into place (RENAME wakes
// the workers' BRPOPs), so a round times the drain alone. The results go
// to a section of bench/RESULTS.md (go run ./bench keeps it when it
// rewrites the file), with the hand-written bench/jobs/NOTES.md drawn in;
// progress goes to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/bench/internal/procfs"
)

// settings are what the flags set.
type settings struct {
	rounds      int
	goJobs      int
	rubyJobs    int
	goEnqueue   int
	rubyPush    int
	rubyBulk    int
	window      int
	batch       int
	concurrency int
	out         string
	sidekiq     string
}

func main() {
	role := flag.String("role", "", "internal: run as a child (go-worker, go-enqueue)")
	var s settings
	flag.IntVar(&s.rounds, "rounds", 3, "rounds of each measurement (the report quotes medians)")
	flag.IntVar(&s.goJobs, "go-jobs", 200000, "jobs the Go worker drains per round")
	flag.IntVar(&s.rubyJobs, "ruby-jobs", 10000, "jobs Sidekiq drains per round")
	flag.IntVar(&s.goEnqueue, "go-enqueue", 100000, "jobs Go enqueues per round")
	flag.IntVar(&s.rubyPush, "ruby-push", 10000, "jobs Sidekiq::Client.push enqueues per round")
	flag.IntVar(&s.rubyBulk, "ruby-bulk", 100000, "jobs Sidekiq::Client.push_bulk enqueues per round")
	flag.IntVar(&s.window, "window", 1000, "Enqueue calls the Go client keeps outstanding")
	flag.IntVar(&s.batch, "batch", 1000, "jobs per bulk enqueue (EnqueueBulk, push_bulk)")
	flag.IntVar(&s.concurrency, "concurrency", 10, "jobs each worker runs at once")
	flag.StringVar(&s.out, "out", "bench/RESULTS.md", "report file (its jobs section is replaced)")
	flag.StringVar(&s.sidekiq, "sidekiq", "sidekiq", "Sidekiq's executable")
	redisAddr := flag.String("redis", "", "internal: Redis address of a child")
	queue := flag.String("queue", "", "internal: queue of a child")
	mode := flag.String("mode", "", "internal: go-enqueue's mode (enqueue, bulk)")
	n := flag.Int("n", 0, "internal: go-enqueue's job count")
	reliable := flag.Bool("reliable", false, "internal: go-worker with reliable fetch")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	var err error
	switch *role {
	case "":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		err = bench(ctx, log, s)
	case "go-worker":
		err = goWorker(*redisAddr, *queue, s.concurrency, *reliable)
	case "go-enqueue":
		err = goEnqueue(*redisAddr, *queue, *mode, *n, s.window, s.batch)
	default:
		err = fmt.Errorf("unknown -role %q", *role)
	}
	if err != nil {
		log.Error("bench/jobs", "role", *role, "err", err)
		os.Exit(1)
	}
}

// readNotes returns the hand-written NOTES.md of bench/jobs, found next to
// the report file, or "" when there is none.
func readNotes(log *slog.Logger, out string) string {
	path := filepath.Join(filepath.Dir(out), "jobs", "NOTES.md")
	b, err := os.ReadFile(path)
	if err != nil {
		log.Warn("no hand-written notes drawn into the report", "file", path, "err", err)
		return ""
	}
	return string(b)
}

// bench runs every round and writes the report.
func bench(ctx context.Context, log *slog.Logger, s settings) error {
	start := time.Now()
	env, err := setUp(ctx, log, s)
	if err != nil {
		return err
	}
	defer env.tearDown()
	var drains []drain
	var enqs []enqueue
	for round := 1; round <= s.rounds; round++ {
		for _, w := range env.workersFor(round) {
			d, err := env.drainRound(ctx, w, round)
			if err != nil {
				return err
			}
			log.Info("drain", "round", round, "worker", d.Worker, "jobs", d.Jobs, "jobs/s", int(d.jobsPerSec()),
				"jobs/cpu-s", int(d.jobsPerCPU()), "cmds/job", fmt.Sprintf("%.2f", d.commandsPerJob()))
			drains = append(drains, d)
		}
		for _, k := range env.enqueuersFor(round) {
			e, err := env.enqueueRound(ctx, k, round)
			if err != nil {
				return err
			}
			log.Info("enqueue", "round", round, "client", e.Client, "jobs", e.Jobs, "jobs/s", int(e.jobsPerSec()),
				"jobs/cpu-s", int(e.jobsPerCPU()))
			enqs = append(enqs, e)
		}
	}
	rep := report{settings: s, drains: drains, enqueues: enqs, took: time.Since(start), load: procfs.LoadAvg(),
		versions: env.versions, notes: readNotes(log, s.out)}
	if err := rep.write(s.out); err != nil {
		return err
	}
	fmt.Print(rep.section())
	return nil
}
