package jobs_test

import (
	"context"
	"log/slog"
	"time"

	"github.com/evmachine/evmachine/jobs"
	"github.com/evmachine/evmachine/protocols/redis"
	"github.com/evmachine/evmachine/reactor"
)

// Enqueueing from the loop: the callback runs on the loop once Redis
// has answered.
func ExampleClient_Enqueue() {
	_ = reactor.Run(func(r *reactor.Reactor) {
		rc, err := redis.Dial(r, "127.0.0.1:6379")
		if err != nil {
			r.Stop()
			return
		}
		c := jobs.NewClient(rc)
		j, _ := jobs.NewJob("HardWorker", 1, "two") // Ruby: HardWorker.perform_async(1, "two")
		c.Enqueue(j, func(jid string, err error) {
			slog.Info("enqueued", "jid", jid, "err", err)
			r.Stop()
		})
		later, _ := jobs.NewJob("HardWorker", 3)
		c.EnqueueIn(time.Minute, later, nil)
	})
}

// Enqueueing from ordinary Go code.
func ExampleDialBlocking() {
	bc, err := jobs.DialBlocking("127.0.0.1:6379")
	if err != nil {
		return
	}
	defer bc.Close()
	j, _ := jobs.NewJob("HardWorker", 1, "two")
	j.Queue = "critical"
	jid, err := bc.Enqueue(context.Background(), j)
	slog.Info("enqueued", "jid", jid, "err", err)
}

// A worker for the Sidekiq class HardWorker, stopped gracefully when ctx
// ends (signal.NotifyContext in a real program).
func ExampleServer() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r, err := reactor.New()
	if err != nil {
		return
	}
	s, err := jobs.NewServer(r, "127.0.0.1:6379",
		jobs.WithQueues("critical", "default"), jobs.WithConcurrency(20), jobs.WithReliableFetch())
	if err != nil {
		return
	}
	s.Use(jobs.Logging(slog.Default()), jobs.Recover())
	s.Handle("HardWorker", func(ctx context.Context, j *jobs.Job) error {
		var n int
		var name string
		if err := j.Bind(&n, &name); err != nil {
			return err // a failure: retried as Sidekiq retries
		}
		slog.Info("working", "n", n, "name", name)
		return nil
	})
	if err := s.Start(); err != nil {
		return
	}
	go func() {
		<-ctx.Done()
		_ = s.Shutdown(context.Background()) // waits up to 25 s, then pushes unfinished jobs back
		r.Stop()
	}()
	_ = r.Run()
}
