package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/jobs"
	"github.com/evmachine/evmachine/reactor"
)

// work runs a worker until ctx ends, then shuts it down gracefully.
func work(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("work", flag.ContinueOnError)
	addr := fs.String("redis", "127.0.0.1:6379", "Redis address")
	queues := fs.String("queues", "default", "queues, comma-separated, in strict order; name:weight for weighted order")
	concurrency := fs.Int("concurrency", 10, "jobs run at once")
	reliable := fs.Bool("reliable", false, "reliable fetch: a killed worker loses no job")
	timeout := fs.Duration("timeout", 25*time.Second, "how long shutdown waits for running jobs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts, err := queueOptions(*queues)
	if err != nil {
		return err
	}
	opts = append(opts, jobs.WithConcurrency(*concurrency), jobs.WithShutdownTimeout(*timeout), jobs.WithLogger(log))
	if *reliable {
		opts = append(opts, jobs.WithReliableFetch())
	}
	r, err := reactor.New(reactor.WithLogger(log))
	if err != nil {
		return err
	}
	// Set up before Run, on this goroutine.
	s, err := jobs.NewServer(r, *addr, opts...)
	if err != nil {
		return err
	}
	s.Use(jobs.Logging(log), jobs.Recover())
	register(s, log)
	if err := s.Start(); err != nil {
		return err
	}
	stopped := make(chan error, 1)
	go func() {
		<-ctx.Done()
		stopped <- shutdown(s, log, *timeout)
		r.Stop()
	}()
	if err := r.Run(); err != nil {
		return err
	}
	return <-stopped
}

// shutdown stops the worker gracefully; a second SIGINT or SIGTERM cuts
// the wait short (the running jobs are pushed back at once).
func shutdown(s *jobs.Server, log *slog.Logger, timeout time.Duration) error {
	log.Info("stopping: waiting for running jobs", "timeout", timeout)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
			log.Warn("second signal: pushing the running jobs back now")
			cancel()
		case <-ctx.Done():
		}
	}()
	err := s.Shutdown(ctx)
	if errors.Is(err, context.Canceled) || errors.Is(err, jobs.ErrShutdownTimeout) {
		log.Warn("stopped with unfinished jobs pushed back onto their queues", "err", err)
		return nil
	}
	return err
}

// queueOptions parses -queues: "a,b" is strict, "a:3,b:1" weighted.
func queueOptions(spec string) ([]jobs.ServerOption, error) {
	var names []string
	weights := map[string]int{}
	weighted := false
	for _, part := range strings.Split(spec, ",") {
		name, w, has := strings.Cut(strings.TrimSpace(part), ":")
		if name == "" {
			return nil, fmt.Errorf("-queues %q: empty queue name", spec)
		}
		weights[name] = 1
		if has {
			n, err := strconv.Atoi(w)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("-queues %q: weight %q is not a positive integer", spec, w)
			}
			weights[name], weighted = n, true
		}
		names = append(names, name)
	}
	if weighted {
		return []jobs.ServerOption{jobs.WithWeightedQueues(weights)}, nil
	}
	return []jobs.ServerOption{jobs.WithQueues(names...)}, nil
}

// register sets the demo handlers.
func register(s *jobs.Server, log *slog.Logger) {
	s.Handle("HardWorker", func(ctx context.Context, j *jobs.Job) error {
		log.Info("HardWorker", "jid", j.JID, "args", string(j.Args))
		return nil
	})
	s.Handle("Sleeper", func(ctx context.Context, j *jobs.Job) error {
		var secs float64
		if err := j.Bind(&secs); err != nil {
			return err
		}
		select {
		case <-time.After(time.Duration(secs * float64(time.Second))):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	s.Handle("Failer", func(ctx context.Context, j *jobs.Job) error {
		return errors.New("Failer always fails")
	})
}
