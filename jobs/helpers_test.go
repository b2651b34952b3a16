package jobs

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/internal/redistest"
	"github.com/evmachine/evmachine/protocols/redis"
	"github.com/evmachine/evmachine/reactor"
)

// watchdog bounds every wait of a test: a test that hangs fails instead.
const watchdog = 30 * time.Second

// testLogger is quiet unless JOBS_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("JOBS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// env is a redis-server, a reactor, and a blocking client to look at
// Redis with.
type env struct {
	t   *testing.T
	srv *redistest.Server
	r   *reactor.Reactor
	bc  *BlockingClient
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := redistest.Start(t)
	r := reactortest.Start(t)
	bc, err := DialBlocking(srv.Addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = bc.Close() })
	return &env{t: t, srv: srv, r: r, bc: bc}
}

// do runs a command and fails the test on error.
func (e *env) do(args ...any) redis.Value {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	v, err := e.bc.Do(ctx, args...)
	require.NoError(e.t, err, "%v", args)
	return v
}

func (e *env) strings(args ...any) []string {
	e.t.Helper()
	ss, err := e.do(args...).AsStrings()
	if err == redis.Nil {
		return nil
	}
	require.NoError(e.t, err)
	return ss
}

func (e *env) int(args ...any) int64 {
	e.t.Helper()
	n, err := e.do(args...).AsInt()
	require.NoError(e.t, err)
	return n
}

// onLoop runs fn on the reactor goroutine and waits for it.
func (e *env) onLoop(fn func()) {
	e.t.Helper()
	ran := make(chan struct{})
	e.r.NextTick(func() { defer close(ran); fn() })
	wait(e.t, ran, "a tick")
}

// server makes and starts a Server on the env's reactor with short test
// intervals; it is shut down in t.Cleanup.
func (e *env) server(handlers map[string]HandlerFunc, opts ...ServerOption) *Server {
	e.t.Helper()
	var s *Server
	base := []ServerOption{WithLogger(testLogger()), WithPollInterval(100 * time.Millisecond),
		WithHeartbeat(200 * time.Millisecond), WithFetchTimeout(200 * time.Millisecond)}
	e.onLoop(func() {
		var err error
		s, err = NewServer(e.r, e.srv.Addr, append(base, opts...)...)
		require.NoError(e.t, err)
		for c, h := range handlers {
			s.Handle(c, h)
		}
		require.NoError(e.t, s.Start())
	})
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), watchdog)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

// eventually polls cond until it holds, within the watchdog.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(watchdog)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNowf(t, "watchdog", "timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait receives from ch within the watchdog.
func wait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	return reactortest.Recv(t, ch, watchdog, what)
}

// member is a sorted-set member with its score.
type member struct {
	json  string
	score float64
}

// zrange returns a sorted set's members with their scores (RESP3 nests
// them in pairs, RESP2 alternates them).
func (e *env) zrange(key string) []member {
	e.t.Helper()
	v := e.do("ZRANGE", key, 0, -1, "WITHSCORES")
	var out []member
	if len(v.Elems) > 0 && len(v.Elems[0].Elems) == 2 {
		for _, p := range v.Elems {
			f, err := p.Elems[1].AsFloat()
			require.NoError(e.t, err)
			out = append(out, member{p.Elems[0].Str, f})
		}
		return out
	}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		f, err := v.Elems[i+1].AsFloat()
		require.NoError(e.t, err)
		out = append(out, member{v.Elems[i].Str, f})
	}
	return out
}
