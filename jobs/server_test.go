package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/protocols/redis"
)

func TestEnqueueWireFormat(t *testing.T) {
	e := newEnv(t)
	j, err := NewJob("HardWorker", 1, "two")
	require.NoError(t, err)
	require.NoError(t, j.Set("tags", []string{"a"}))
	jid, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{24}$`, jid)
	assert.Equal(t, []string{"default"}, e.strings("SMEMBERS", "queues"))
	items := e.strings("LRANGE", "queue:default", 0, -1)
	require.Len(t, items, 1)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(items[0]), &m))
	assert.JSONEq(t, `"HardWorker"`, string(m["class"]))
	assert.JSONEq(t, `[1,"two"]`, string(m["args"]))
	assert.JSONEq(t, `true`, string(m["retry"]))
	assert.JSONEq(t, `"default"`, string(m["queue"]))
	assert.JSONEq(t, `["a"]`, string(m["tags"]))
	assert.Equal(t, `"`+jid+`"`, string(m["jid"]))
	assert.Regexp(t, `^\d+\.\d+$`, string(m["created_at"]))
	assert.Regexp(t, `^\d+\.\d+$`, string(m["enqueued_at"]))

	at := time.Now().Add(time.Hour)
	j2, _ := NewJob("Later")
	_, err = e.bc.EnqueueAt(context.Background(), at, j2)
	require.NoError(t, err)
	sched := e.zrange("schedule")
	require.Len(t, sched, 1)
	assert.NotContains(t, sched[0].json, "enqueued_at")
	assert.InDelta(t, epoch(at), sched[0].score, 0.001)
}

func TestServerRunsJobs(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	got := map[string][]any{}
	done := make(chan struct{}, 100)
	e.server(map[string]HandlerFunc{"HardWorker": func(ctx context.Context, j *Job) error {
		var a int
		var b string
		if err := j.Bind(&a, &b); err != nil {
			return err
		}
		mu.Lock()
		got[j.JID] = []any{a, b}
		mu.Unlock()
		done <- struct{}{}
		return nil
	}}, WithQueues("critical", "default"))
	var jids []string
	for i := range 20 {
		j, _ := NewJob("HardWorker", i, "two")
		if i%2 == 0 {
			j.Queue = "critical"
		}
		jid, err := e.bc.Enqueue(context.Background(), j)
		require.NoError(t, err)
		jids = append(jids, jid)
	}
	for range 20 {
		wait(t, done, "a job")
	}
	mu.Lock()
	defer mu.Unlock()
	for i, jid := range jids {
		assert.Equal(t, []any{i, "two"}, got[jid])
	}
	eventually(t, "stat:processed", func() bool { return e.int("GET", "stat:processed") == 20 })
	day := time.Now().UTC().Format("2006-01-02")
	assert.EqualValues(t, 20, e.int("GET", "stat:processed:"+day))
}

func TestFailureGoesToRetrySet(t *testing.T) {
	e := newEnv(t)
	e.server(map[string]HandlerFunc{
		"Fails":   func(ctx context.Context, j *Job) error { return errors.New("boom") },
		"Panics":  func(ctx context.Context, j *Job) error { panic("kaboom") },
		"NoRetry": func(ctx context.Context, j *Job) error { return errors.New("gone") },
	})
	j1, _ := NewJob("Fails", 1)
	j2, _ := NewJob("Panics")
	require.NoError(t, j2.Set("backtrace", true))
	j3, _ := NewJob("NoRetry")
	j3.Retry = false
	j4, _ := NewJob("Missing")
	j4.Retry = 0
	for _, j := range []*Job{j1, j2, j3, j4} {
		_, err := e.bc.Enqueue(context.Background(), j)
		require.NoError(t, err)
	}
	eventually(t, "two retries", func() bool { return e.int("ZCARD", "retry") == 2 })
	eventually(t, "one dead", func() bool { return e.int("ZCARD", "dead") == 1 })
	eventually(t, "failed stats", func() bool { return e.int("GET", "stat:failed") == 4 })
	byClass := map[string]*Job{}
	now := epoch(time.Now())
	for _, m := range e.zrange("retry") {
		assert.True(t, m.score > now+10 && m.score < now+30, "retry at %v, now %v", m.score, now)
		j := new(Job)
		require.NoError(t, json.Unmarshal([]byte(m.json), j))
		byClass[j.Class] = j
	}
	f := byClass["Fails"]
	require.NotNil(t, f)
	require.NotNil(t, f.RetryCount)
	assert.Equal(t, 0, *f.RetryCount)
	assert.Equal(t, "boom", f.ErrorMessage)
	assert.Equal(t, "errors.errorString", f.ErrorClass)
	assert.NotZero(t, f.FailedAt)
	p := byClass["Panics"]
	require.NotNil(t, p)
	assert.Equal(t, "Panic", p.ErrorClass)
	assert.Contains(t, p.ErrorMessage, "kaboom")
	_, ok := p.Extra["error_backtrace"]
	assert.True(t, ok)
	dead := e.strings("ZRANGE", "dead", 0, -1)
	require.Len(t, dead, 1)
	assert.Contains(t, dead[0], `"NameError"`)
}

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

// With reliable fetch, a job pushed onto any of several empty queues is
// taken at once, not after the blocking fetch's timeout.
func TestReliableFetchWakesOnAnyQueue(t *testing.T) {
	e := newEnv(t)
	rec := newRecorder()
	e.server(map[string]HandlerFunc{"R": rec.handle}, WithReliableFetch(), WithQueues("a", "b", "c"),
		WithConcurrency(3), WithFetchTimeout(4*time.Second)) // Shutdown waits for the fetches in flight
	time.Sleep(300 * time.Millisecond) // let the fetches block
	for _, q := range []string{"c", "b", "a"} {
		j, _ := NewJob("R")
		j.Queue = q
		t0 := time.Now()
		_, err := e.bc.Enqueue(context.Background(), j)
		require.NoError(t, err)
		got := wait(t, rec.ch, "the job")
		assert.Equal(t, q, got.Queue)
		assert.Less(t, time.Since(t0), 2*time.Second, "queue %s waited for the fetch timeout", q)
	}
}

// A failed job comes back through the retry set and the poller.
func TestRetryRunsAgain(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	tries := 0
	done := make(chan *Job, 1)
	e.server(map[string]HandlerFunc{"Twice": func(ctx context.Context, j *Job) error {
		mu.Lock()
		defer mu.Unlock()
		if tries++; tries == 1 {
			return errors.New("first try fails")
		}
		done <- j
		return nil
	}}, WithRetryIn(func(j *Job, count int, err error) time.Duration { return 100 * time.Millisecond }))
	j, _ := NewJob("Twice", "x")
	jid, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	got := wait(t, done, "the retry")
	assert.Equal(t, jid, got.JID)
	require.NotNil(t, got.RetryCount)
	assert.Equal(t, 0, *got.RetryCount)
	assert.Equal(t, "first try fails", got.ErrorMessage)
	assert.NotZero(t, got.EnqueuedAt)
	assert.EqualValues(t, 0, e.int("ZCARD", "retry"))
}

// A payload that does not parse goes to the dead set, as in Sidekiq.
func TestUnparsableJobIsBuried(t *testing.T) {
	e := newEnv(t)
	e.server(nil, WithReliableFetch())
	e.do("LPUSH", "queue:default", `{"class":`)
	eventually(t, "the dead set", func() bool { return e.int("ZCARD", "dead") == 1 })
	assert.Equal(t, []string{`{"class":`}, e.strings("ZRANGE", "dead", 0, -1))
	eventually(t, "the ack", func() bool { return e.int("EXISTS", "queue:default:working:"+e.workingOwner(t)) == 0 })
}

// The Web UI's quiet button (TSTP in <identity>-signals) stops fetching.
func TestRemoteQuiet(t *testing.T) {
	e := newEnv(t)
	rec := newRecorder()
	s := e.server(map[string]HandlerFunc{"Q": rec.handle})
	e.do("LPUSH", s.Identity()+"-signals", "TSTP")
	eventually(t, "quiet", func() bool {
		v, err := e.do("HGET", s.Identity(), "quiet").AsString()
		return err == nil && v == "true"
	})
	j, _ := NewJob("Q")
	_, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	time.Sleep(500 * time.Millisecond) // the fetches in flight (200 ms) end
	assert.EqualValues(t, 1, e.int("LLEN", "queue:default"), "a quiet process fetches nothing")
	assert.Empty(t, rec.ch)
}

// A Server rides out a Redis restart: fetches fail and back off, the
// client reconnects, and jobs run again.
func TestServerSurvivesRedisRestart(t *testing.T) {
	e := newEnv(t)
	rec := newRecorder()
	e.server(map[string]HandlerFunc{"R": rec.handle}, WithReliableFetch())
	j, _ := NewJob("R", 1)
	_, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	wait(t, rec.ch, "the first job")
	e.srv.Kill()
	time.Sleep(300 * time.Millisecond)
	e.srv.Restart()
	j2, _ := NewJob("R", 2)
	jid, err := e.bc.Enqueue(context.Background(), j2)
	require.NoError(t, err)
	got := wait(t, rec.ch, "a job after the restart")
	assert.Equal(t, jid, got.JID)
	eventually(t, "the heartbeat and the working list's registration back", func() bool {
		return e.int("SCARD", "processes") == 1 && e.int("HLEN", registry) == 1
	})
}

// Client's callbacks run on the loop, later, never inside the call; bad
// jobs fail without a command sent.
func TestClientOnTheLoop(t *testing.T) {
	e := newEnv(t)
	type res struct {
		jids   []string
		err    error
		inCall bool
	}
	ch := make(chan res, 3)
	e.onLoop(func() {
		rc, err := redis.Dial(e.r, e.srv.Addr)
		require.NoError(t, err)
		c := NewClient(rc)
		calling := true
		c.Enqueue(&Job{}, func(jid string, err error) { ch <- res{[]string{jid}, err, calling} })
		c.Enqueue(&Job{Class: "A", Args: json.RawMessage(`{"x":1}`)}, func(jid string, err error) { ch <- res{[]string{jid}, err, calling} })
		a, _ := NewJob("A")
		b, _ := NewJob("B")
		b.Queue = "other"
		c.EnqueueBulk([]*Job{a, b}, func(jids []string, err error) {
			ch <- res{jids, err, calling}
			rc.Close()
		})
		calling = false
	})
	r1 := wait(t, ch, "the first callback")
	assert.ErrorIs(t, r1.err, errNoClass)
	r2 := wait(t, ch, "the second callback")
	assert.Error(t, r2.err)
	r3 := wait(t, ch, "the bulk callback")
	require.NoError(t, r3.err)
	assert.Len(t, r3.jids, 2)
	for _, r := range []res{r1, r2, r3} {
		assert.False(t, r.inCall)
	}
	assert.ElementsMatch(t, []string{"default", "other"}, e.strings("SMEMBERS", "queues"))
	assert.EqualValues(t, 1, e.int("LLEN", "queue:other"))
	assert.EqualValues(t, 1, e.int("LLEN", "queue:default"))
}

// Shutdown ends even when Redis is gone.
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

func TestDialBlockingBadAddress(t *testing.T) {
	_, err := DialBlocking("")
	assert.Error(t, err)
}

// The dead set keeps at most its cap, newest first, as Sidekiq's
// DeadSet#kill trims it.
func TestDeadSetCap(t *testing.T) {
	e := newEnv(t)
	e.server(map[string]HandlerFunc{"Dies": func(ctx context.Context, j *Job) error { return errors.New("no") }},
		WithDeadSet(2, time.Hour), WithConcurrency(1))
	for i := range 3 {
		j, _ := NewJob("Dies", i)
		j.Retry = 0
		_, err := e.bc.Enqueue(context.Background(), j)
		require.NoError(t, err)
		eventually(t, "the dead job", func() bool { return deadCount(e) == min(i+1, 2) && e.int("GET", "stat:failed") == int64(i+1) })
		time.Sleep(5 * time.Millisecond) // distinct scores
	}
	dead := e.zrange("dead")
	require.Len(t, dead, 2)
	var first, second Job
	require.NoError(t, first.UnmarshalJSON([]byte(dead[0].json)))
	require.NoError(t, second.UnmarshalJSON([]byte(dead[1].json)))
	assert.JSONEq(t, `[1]`, string(first.Args))
	assert.JSONEq(t, `[2]`, string(second.Args))
}

func deadCount(e *env) int { return int(e.int("ZCARD", "dead")) }

// A process that comes back with the same identity (WithIdentity) runs
// the jobs its earlier life left in its working list.
func TestSameIdentityRecoversItsOwnList(t *testing.T) {
	e := newEnv(t)
	j, _ := NewJob("R", "left")
	b, err := j.MarshalJSON()
	require.NoError(t, err)
	e.do("LPUSH", "queue:default:working:me:1:abc", b)
	e.do("HSET", registry, "queue:default:working:me:1:abc", registryValue("me:1:abc", "queue:default"))
	rec := newRecorder()
	e.server(map[string]HandlerFunc{"R": rec.handle}, WithReliableFetch(), WithIdentity("me:1:abc"))
	got := wait(t, rec.ch, "the left-over job")
	assert.JSONEq(t, `["left"]`, string(got.Args))
}
