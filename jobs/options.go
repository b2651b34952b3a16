package jobs

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/evmachine/evmachine/protocols/redis"
)

// ServerOption configures a Server (NewServer).
type ServerOption func(*serverOptions)

type serverOptions struct {
	concurrency     int
	queues          []string       // in the order given
	weights         map[string]int // nil: strict order
	reliable        bool
	shutdownTimeout time.Duration
	redisOpts       []redis.Option
	log             *slog.Logger
	tag             string
	labels          []string
	identity        string
	maxRetries      int
	fetchTimeout    time.Duration
	heartbeat       time.Duration
	pollInterval    time.Duration // 0: Sidekiq's, scaled by the process count
	recoverInterval time.Duration
	deadMaxJobs     int
	processTTL      time.Duration
	retryIn         RetryInFunc
	redisGrace      time.Duration // how long Shutdown waits for an unanswering Redis
	deadTimeout     time.Duration
}

func defaultServerOptions() serverOptions {
	host, _ := os.Hostname()
	return serverOptions{
		concurrency:     10,
		queues:          []string{"default"},
		shutdownTimeout: 25 * time.Second,
		log:             slog.Default(),
		identity:        fmt.Sprintf("%s:%d:%s", host, os.Getpid(), newJID()[:12]),
		maxRetries:      25,
		fetchTimeout:    2 * time.Second,
		heartbeat:       5 * time.Second,
		recoverInterval: 30 * time.Second,
		deadMaxJobs:     10000,
		processTTL:      60 * time.Second,
		redisGrace:      10 * time.Second,
		deadTimeout:     180 * 24 * time.Hour,
	}
}

// WithConcurrency sets how many jobs run at once (Sidekiq's -c). Default
// 10, as Sidekiq 6.
func WithConcurrency(n int) ServerOption {
	return func(o *serverOptions) { o.concurrency = max(n, 1) }
}

// WithQueues sets the queues to fetch from, in strict order: a job of
// the first queue always goes before one of the second. Default
// "default".
func WithQueues(queues ...string) ServerOption {
	return func(o *serverOptions) {
		if len(queues) > 0 {
			o.queues, o.weights = queues, nil
		}
	}
}

// WithWeightedQueues sets the queues with weights, as Sidekiq's
// -q critical,3 -q default,1: each fetch shuffles a list in which each
// queue appears weight times and keeps each queue's first place, so a
// queue of weight 3 is tried first three times as often as one of weight
// 1. A weight below 1 counts as 1. Queues are taken in sorted order for
// ties in the shuffle's input, so runs are reproducible for a seed.
func WithWeightedQueues(weights map[string]int) ServerOption {
	return func(o *serverOptions) {
		if len(weights) == 0 {
			return
		}
		o.weights = make(map[string]int, len(weights))
		o.queues = o.queues[:0:0]
		for q, w := range weights {
			o.weights[q] = max(w, 1)
			o.queues = append(o.queues, q)
		}
		sortStrings(o.queues)
	}
}

// WithReliableFetch moves each fetched job into a working list private
// to the process instead of popping it, so a job survives the death of
// its process (see the package doc).
func WithReliableFetch() ServerOption { return func(o *serverOptions) { o.reliable = true } }

// WithShutdownTimeout bounds how long Shutdown waits for running jobs
// before it pushes them back onto their queues. Default 25 s, as Sidekiq.
func WithShutdownTimeout(d time.Duration) ServerOption {
	return func(o *serverOptions) { o.shutdownTimeout = d }
}

// WithRedisOptions passes options to the Server's Redis client.
func WithRedisOptions(opts ...redis.Option) ServerOption {
	return func(o *serverOptions) { o.redisOpts = append(o.redisOpts, opts...) }
}

// WithLogger sets the logger (slog.Default otherwise).
func WithLogger(l *slog.Logger) ServerOption { return func(o *serverOptions) { o.log = l } }

// WithProcessTag sets the tag shown for the process in Sidekiq's Web UI
// (Sidekiq's -g), and its labels.
func WithProcessTag(tag string, labels ...string) ServerOption {
	return func(o *serverOptions) { o.tag, o.labels = tag, labels }
}

// WithIdentity sets the process identity used in the heartbeat keys and
// the working lists. Default hostname:pid:<12 hex>, as Sidekiq. It must
// be unique among live processes.
func WithIdentity(id string) ServerOption { return func(o *serverOptions) { o.identity = id } }

// WithMaxRetries sets the retry budget of jobs whose retry is true.
// Default 25, as Sidekiq.
func WithMaxRetries(n int) ServerOption { return func(o *serverOptions) { o.maxRetries = max(n, 0) } }

// WithPollInterval sets how often the scheduled poller looks at schedule
// and retry. Default: Sidekiq's, 5 s times the number of live processes,
// randomized by ±50%.
func WithPollInterval(d time.Duration) ServerOption {
	return func(o *serverOptions) { o.pollInterval = d }
}

// WithRecoverInterval sets how often reliable fetch looks for the working
// lists of dead processes. Default 30 s. A process counts as dead when
// its heartbeat key (60 s TTL) is gone.
func WithRecoverInterval(d time.Duration) ServerOption {
	return func(o *serverOptions) { o.recoverInterval = d }
}

// WithHeartbeat sets how often the process writes its heartbeat and
// flushes its stats. Default 5 s, as Sidekiq; the keys expire after 60 s
// regardless.
func WithHeartbeat(d time.Duration) ServerOption {
	return func(o *serverOptions) { o.heartbeat = d }
}

// WithFetchTimeout sets the timeout of each blocking fetch (BRPOP's last
// argument), which bounds how long Shutdown waits for fetches in flight.
// Default 2 s, as Sidekiq. Whole seconds are not required (Redis 6+).
func WithFetchTimeout(d time.Duration) ServerOption {
	return func(o *serverOptions) { o.fetchTimeout = d }
}

// WithDeadSet sets the dead set's caps: at most maxJobs jobs (the newest),
// none older than timeout, trimmed at every addition. Default 10,000 and
// 180 days, as Sidekiq (whose trim keeps one job fewer than its cap).
func WithDeadSet(maxJobs int, timeout time.Duration) ServerOption {
	return func(o *serverOptions) { o.deadMaxJobs, o.deadTimeout = maxJobs, timeout }
}

// WithProcessTTL sets the life of the heartbeat keys (<identity> and
// <identity>:workers), which is how long a dead process's working lists
// wait before a live process recovers them. Default 60 s, as Sidekiq;
// it is rounded up to whole seconds and should stay well above the
// heartbeat interval. Tests shorten it.
func WithProcessTTL(d time.Duration) ServerOption {
	return func(o *serverOptions) { o.processTTL = d }
}

// WithRetryIn sets the delay before the retries of failed jobs (see
// RetryInFunc); the function can switch on the job's class. Default:
// Sidekiq's count^4 + 15 + rand(10)*(count+1) seconds.
func WithRetryIn(fn RetryInFunc) ServerOption { return func(o *serverOptions) { o.retryIn = fn } }
