package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/evmachine/evmachine/protocols/redis"
	"github.com/evmachine/evmachine/reactor"
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
// their classes.
type Server struct {
	r        *reactor.Reactor
	rc       *redis.Client
	o        serverOptions
	handlers map[string]HandlerFunc
	mw       []Middleware
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
	rc, err := redis.Dial(r, redisAddr, o.redisOpts...)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Server{r: r, rc: rc, o: o, handlers: map[string]HandlerFunc{}}, nil
}

// Handle sets the handler of jobs whose class is class. Call it before
// Start. A job whose class has no handler fails (and is retried), as in
// Sidekiq when the class does not exist.
func (s *Server) Handle(class string, fn HandlerFunc) { s.handlers[class] = fn }

// Use adds middleware around every handler. Call it before Start.
func (s *Server) Use(mw ...Middleware) { s.mw = append(s.mw, mw...) }

// Identity returns the process identity written in the heartbeat keys.
func (s *Server) Identity() string { return s.o.identity }

// Start writes the first heartbeat and begins fetching, the heartbeats,
// the scheduled poller and (with reliable fetch) the recovery of dead
// processes' working lists. Loop-only.
func (s *Server) Start() error {
	return errors.New("jobs: Server.Start: TODO")
}

// Shutdown stops fetching, waits for running jobs until ctx ends or the
// shutdown timeout passes, pushes the unfinished ones back onto their
// queues (RPUSH, so they are fetched next; with reliable fetch, from the
// working list), removes the heartbeat and closes the Redis client. It
// returns ctx's error if ctx ended first. Any goroutine but the loop's.
func (s *Server) Shutdown(ctx context.Context) error {
	return errors.New("jobs: Server.Shutdown: TODO")
}
