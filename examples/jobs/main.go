// Command jobs enqueues and works background jobs in Sidekiq's wire
// format (package jobs), interchangeably with Ruby Sidekiq processes on
// the same Redis.
//
//	go run ./examples/jobs enqueue HardWorker '[1,"two"]'
//	go run ./examples/jobs enqueue -queue critical -in 30s HardWorker '[3]'
//	go run ./examples/jobs work -queues critical,default
//	go run ./examples/jobs work -queues critical:3,default:1 -concurrency 20 -reliable
//
// Queues given as name:weight are fetched in Sidekiq's weighted random
// order, otherwise in strict order. The worker knows three demo classes:
// HardWorker logs its arguments, Sleeper sleeps for its first argument
// in seconds, and Failer fails (and is retried as Sidekiq retries). Jobs
// of any other class fail with NameError, as in Sidekiq. SIGINT or
// SIGTERM stop the worker gracefully: it stops fetching, waits up to
// -timeout for the running jobs, and pushes back what did not finish; a
// second signal cuts the wait short.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, log); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		log.Error("jobs", "err", err)
		os.Exit(1)
	}
}

const usage = `usage:
  jobs enqueue [-redis addr] [-queue q] [-in duration] [-retry n] CLASS 'JSON-ARRAY'
  jobs work [-redis addr] [-queues q1,q2 | q1:w1,q2:w2] [-concurrency n] [-reliable] [-timeout d]`

// run runs one subcommand; ctx ending stops a worker.
func run(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "enqueue":
		return enqueue(ctx, args[1:], stdout)
	case "work":
		return work(ctx, args[1:], log)
	}
	fmt.Fprintln(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
