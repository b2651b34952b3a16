package main

import "github.com/evmachine/evmachine/jobs"

// retryOptions returns the jobs server options that make a failed job
// wait cfg.retryDelay before its retry instead of Sidekiq's backoff
// (count^4 + 15 + rand(10)*(count+1) seconds), for demos and tests.
//
// The jobs package has no such hook yet (Sidekiq's sidekiq_retry_in):
// until it does, -retry-delay only makes the scheduled poller look at the
// retry set often, and Sidekiq's delays apply.
func (a *app) retryOptions() []jobs.ServerOption {
	if a.cfg.retryDelay <= 0 {
		return nil
	}
	a.log.Warn("the jobs package has no retry-delay hook yet: Sidekiq's backoff applies; polling the retry set every -retry-delay",
		"retry_delay", a.cfg.retryDelay)
	return []jobs.ServerOption{jobs.WithPollInterval(a.cfg.retryDelay)}
}
