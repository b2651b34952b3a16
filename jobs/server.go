package jobs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/evmachine/evmachine/protocols/redis"
	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// HandlerFunc runs one job. It runs on a goroutine of its own, never on
// the loop. A non-nil error (or a panic) is a failure, retried as
// Sidekiq retries. ctx is cancelled when Shutdown stops waiting for the
// job; the job is then pushed back onto its queue.
type HandlerFunc func(ctx context.Context, j *Job) error

// Middleware wraps a handler, as Sidekiq's server middleware; the first
// one given to Use is the outermost.
type Middleware func(next HandlerFunc) HandlerFunc

// Server fetches jobs from Redis and runs them with the handlers of
// their classes. Its state belongs to the reactor goroutine.
type Server struct {
	r        *reactor.Reactor
	rc       *redis.Client
	o        serverOptions
	handlers map[string]HandlerFunc
	mw       []Middleware
	chain    HandlerFunc
	order    *queueOrder
	rnd      *rand.Rand

	started   bool
	quiet     bool // no more fetching (remote TSTP, or shutting down)
	stopping  bool
	stopped   bool
	fetching  int              // fetches in flight
	fetchSeq  int              // fetches started, for reliable fetch's blocking queue
	running   map[uint64]*work // by tid
	workCh    chan *work       // to the worker goroutines
	nextTID   uint64
	processed int64 // since the last heartbeat
	failed    int64
	startedAt float64
	rttUS     int64
	timers    []*timer.Timer
	// abandonTimer ends Shutdown's wait for running jobs.
	abandonTimer *timer.Timer
	waiters      []func(error) // Shutdown's, called once stopped
	drained      func()        // called when nothing runs and nothing is fetched
}

// work is one job being run.
type work struct {
	tid       uint64
	job       *Job
	raw       string // as fetched: LREM removes exactly this
	queue     string // the queue name it came from
	runAt     int64
	ctx       context.Context
	cancel    context.CancelFunc
	abandoned bool // Shutdown gave up on it and pushed it back
}

// NewServer makes a Server on r with a Redis client of its own for
// redisAddr. Loop-only (or before Run, on the goroutine setting r up).
func NewServer(r *reactor.Reactor, redisAddr string, opts ...ServerOption) (*Server, error) {
	o := defaultServerOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.identity == "" {
		return nil, errors.New("jobs: empty identity")
	}
	// One blocking connection per fetch in flight, plus one spare.
	ropts := append([]redis.Option{redis.WithBlockingPool(o.concurrency + 1), redis.WithLogger(o.log)}, o.redisOpts...)
	rc, err := redis.Dial(r, redisAddr, ropts...)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Server{
		r: r, rc: rc, o: o,
		handlers: map[string]HandlerFunc{},
		order:    newQueueOrder(o.queues, o.weights),
		rnd:      rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		running:  map[uint64]*work{},
	}, nil
}

// Handle sets the handler of jobs whose class is class (or, for Rails'
// ActiveJob jobs, whose wrapped ActiveJob class is class). Call it before
// Start. A job whose class has no handler fails (and is retried), as in
// Sidekiq when the class does not exist. Loop-only.
func (s *Server) Handle(class string, fn HandlerFunc) {
	if s.started {
		s.o.log.Error("jobs: Handle after Start is ignored", "class", class)
		return
	}
	s.handlers[class] = fn
}

// Use adds middleware around every handler. Call it before Start.
// Loop-only.
func (s *Server) Use(mw ...Middleware) {
	if s.started {
		s.o.log.Error("jobs: Use after Start is ignored")
		return
	}
	s.mw = append(s.mw, mw...)
}

// Identity returns the process identity written in the heartbeat keys.
// Any goroutine.
func (s *Server) Identity() string { return s.o.identity }

// Redis returns the Server's Redis client, for other commands on the same
// connection. Loop-only.
func (s *Server) Redis() *redis.Client { return s.rc }

// Start writes the first heartbeat and then begins fetching, the
// heartbeats, the scheduled poller and (with reliable fetch) the
// recovery of dead processes' working lists. Loop-only.
func (s *Server) Start() error {
	if s.started {
		return errors.New("jobs: Server already started")
	}
	s.started = true
	s.startedAt = epoch(time.Now())
	s.chain = s.dispatch
	for i := len(s.mw) - 1; i >= 0; i-- {
		s.chain = s.mw[i](s.chain)
	}
	s.workCh = make(chan *work, s.o.concurrency)
	for range s.o.concurrency {
		go s.worker(s.workCh, s.chain)
	}
	s.o.log.Info("jobs: starting", "identity", s.o.identity, "queues", s.o.queues,
		"concurrency", s.o.concurrency, "reliable", s.o.reliable)
	loadScripts(s.rc)
	s.beat(func() {
		if s.stopping {
			return
		}
		s.register(func() {
			if s.stopping {
				return
			}
			s.fill()
			s.timers = append(s.timers, s.r.AddPeriodicTimer(s.o.heartbeat, func() { s.beat(nil) }))
			s.schedulePoll(true)
			if s.o.reliable {
				s.recoverOrphans()
				s.timers = append(s.timers, s.r.AddPeriodicTimer(s.o.recoverInterval, s.recoverOrphans))
			}
		})
	})
	return nil
}

// dispatch is the innermost handler: the class's own.
// An ActiveJob runs with the handler of its wrapped class, unless the
// wrapper class itself has one.
func (s *Server) dispatch(ctx context.Context, j *Job) error {
	h, ok := s.handlers[j.Class]
	if !ok && j.Class == ActiveJobWrapper {
		if w := j.Wrapped(); w != "" {
			h, ok = s.handlers[w]
		}
	}
	if !ok {
		if w := j.Wrapped(); w != "" {
			return &UnknownClassError{Class: w}
		}
		return &UnknownClassError{Class: j.Class}
	}
	return h(ctx, j)
}

// tidString names a job's thread for the :workers hash, in base 36 as
// Sidekiq's tid.
func tidString(tid uint64) string { return strconv.FormatUint(tid, 36) }
