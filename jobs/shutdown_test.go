package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShutdownPushesUnfinishedJobsBack(t *testing.T) {
	for _, reliable := range []bool{false, true} {
		t.Run(map[bool]string{false: "basic", true: "reliable"}[reliable], func(t *testing.T) {
			e := newEnv(t)
			started := make(chan struct{}, 10)
			cancelled := make(chan struct{}, 10)
			opts := []ServerOption{WithShutdownTimeout(300 * time.Millisecond), WithConcurrency(2)}
			if reliable {
				opts = append(opts, WithReliableFetch())
			}
			s := e.server(map[string]HandlerFunc{"Stuck": func(ctx context.Context, j *Job) error {
				started <- struct{}{}
				<-ctx.Done()
				cancelled <- struct{}{}
				return ctx.Err()
			}}, opts...)
			for i := range 3 {
				j, _ := NewJob("Stuck", i)
				_, err := e.bc.Enqueue(context.Background(), j)
				require.NoError(t, err)
			}
			wait(t, started, "a job")
			wait(t, started, "a job")
			ctx, cancel := context.WithTimeout(context.Background(), watchdog)
			defer cancel()
			err := s.Shutdown(ctx)
			require.ErrorIs(t, err, ErrShutdownTimeout)
			wait(t, cancelled, "a cancelled job")
			wait(t, cancelled, "a cancelled job")
			assert.EqualValues(t, 3, e.int("LLEN", "queue:default"), "every job is back")
			assert.EqualValues(t, 0, e.int("ZCARD", "retry"), "an abandoned job is not a failure")
			assert.EqualValues(t, 0, e.int("SCARD", "processes"))
			if reliable {
				assert.EqualValues(t, 0, e.int("EXISTS", "queue:default:working:"+s.Identity()))
				assert.EqualValues(t, 0, e.int("HLEN", registry))
			}
			// The first two go back to the fetching end.
			items := e.strings("LRANGE", "queue:default", 0, -1)
			var last Job
			require.NoError(t, last.UnmarshalJSON([]byte(items[0])))
			assert.JSONEq(t, `[2]`, string(last.Args))
		})
	}
}

func TestShutdownContextCutsTheWait(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{}, 1)
	s := e.server(map[string]HandlerFunc{"Stuck": func(ctx context.Context, j *Job) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}})
	j, _ := NewJob("Stuck")
	_, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	wait(t, started, "the job")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	require.ErrorIs(t, s.Shutdown(ctx), context.DeadlineExceeded)
	assert.Less(t, time.Since(t0), 10*time.Second, "well before the 25 s timeout")
	assert.EqualValues(t, 1, e.int("LLEN", "queue:default"))
}

func TestShutdownWithoutRedis(t *testing.T) {
	e := newEnv(t)
	s := e.server(nil, WithShutdownTimeout(100*time.Millisecond),
		func(o *serverOptions) { o.redisGrace = 500 * time.Millisecond })
	time.Sleep(100 * time.Millisecond)
	e.srv.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	err := s.Shutdown(ctx)
	if err != nil {
		assert.ErrorIs(t, err, ErrRedisGone)
	}
}
