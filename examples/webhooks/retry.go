package main

import (
	"time"

	"github.com/evmachine/evmachine/jobs"
)

// retryOptions returns the jobs server options that make a failed job
// (a delivery that failed again, a Report nobody received) wait
// cfg.retryDelay before its retry instead of Sidekiq's backoff
// (count^4 + 15 + rand(10)*(count+1) seconds): for demos and tests. The
// scheduled poller then looks at the retry set twice per delay.
func (a *app) retryOptions() []jobs.ServerOption {
	d := a.cfg.retryDelay
	if d <= 0 {
		return nil
	}
	return []jobs.ServerOption{
		jobs.WithRetryIn(func(*jobs.Job, int, error) time.Duration { return d }),
		jobs.WithPollInterval(max(d/2, 50*time.Millisecond)),
	}
}
